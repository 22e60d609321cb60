import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from parcours.directory.models import ImportRun, ImportStatus, Structure
from tests.directory.test_importing import as_json, import_file, service, structure, territory  # noqa: F401
from tests.factories import PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client, territory):  # noqa: F811
    user = UserFactory(is_superuser=True, is_staff=True)
    assert client.login(username=user.username, password=PASSWORD)
    return client


def html_of(response) -> str:
    html = response.content.decode()
    assert "!!INVALID" not in html
    return html


def upload(client, content: bytes, name="offre.json", **data):
    return client.post(
        reverse("offer_import_list"), {"file": SimpleUploadedFile(name, content), "kind": "", "source": "", **data}
    )


# --- access ------------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("offer_import_list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("trait", [{}, {"admin": True}, {"pilote": True}])
def test_professionals_who_are_not_platform_administrators_are_refused(client, login, trait):
    login(MembershipFactory(**trait))
    run = ImportRun.objects.create(kind="structures", filename="f.json", file_format="json", rows=[], total_rows=0)
    for response in (
        client.get(reverse("offer_import_list")),
        upload(client, as_json([structure(1)])),
        client.get(reverse("offer_import_detail", args=[run.pk])),
        client.post(reverse("offer_import_continue", args=[run.pk])),
    ):
        assert response.status_code == 403
        assert "réservés aux administrateur·rices de la plateforme" in response.content.decode()
    assert ImportRun.objects.count() == 1 and not Structure.objects.exists()


# --- upload and progress -----------------------------------------------------------------------------


def test_upload_imports_and_shows_the_run(superuser_client):
    response = upload(superuser_client, as_json([structure(1), structure(2, siret="1")]))
    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("offer_import_detail", args=[run.pk])
    assert (run.status, run.created_count, run.rejected_count) == (ImportStatus.DONE, 1, 1)
    html = html_of(superuser_client.get(response["Location"]))
    assert 'role="progressbar"' in html and 'aria-valuenow="100"' in html
    assert "siret : texte trop court" in html
    assert "Poursuivre l'import" not in html


def test_list_shows_runs_in_a_constant_number_of_queries(superuser_client, django_assert_num_queries):
    upload(superuser_client, as_json([structure(1)]), name="structures-44.json")
    superuser_client.get(reverse("offer_import_list"))  # warm the session
    with django_assert_num_queries(4) as captured:
        html = html_of(superuser_client.get(reverse("offer_import_list")))
    assert "structures-44.json" in html
    for n in range(2, 6):
        upload(superuser_client, as_json([structure(n)]), name=f"structures-{n}.json")
    with django_assert_num_queries(4):
        superuser_client.get(reverse("offer_import_list"))
    assert all('"rows"' not in query["sql"] for query in captured.captured_queries)


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b'[{"id": "s1",', "offre.json", "JSON mal formé à la ligne 1"),
        (b"%PDF-1.4 ...", "offre.pdf", "Ce fichier est un document PDF"),
        (b"nom;ville\nA;B\n", "offre.csv", "« id » et « nom »"),
    ],
)
def test_bad_upload_is_a_form_error_and_writes_nothing(superuser_client, content, name, message):
    response = upload(superuser_client, content, name=name)
    assert response.status_code == 400
    html = html_of(response)
    assert message in html
    assert "Le formulaire contient des erreurs" in html
    assert not ImportRun.objects.exists()


def test_too_large_upload_is_refused(superuser_client, settings):
    settings.DIRECTORY_IMPORT_MAX_BYTES = 10
    response = upload(superuser_client, as_json([structure(1)]))
    assert response.status_code == 400
    assert "trop volumineux" in html_of(response)
    assert not ImportRun.objects.exists()


def test_unfinished_run_continues_with_a_post(superuser_client, monkeypatch):
    from parcours.www.offer_import import views

    monkeypatch.setattr(views, "CHUNK_SIZE", 1)
    monkeypatch.setattr(views, "SECONDS_PER_REQUEST", -1)  # one chunk per request
    upload(superuser_client, as_json([structure(n) for n in range(1, 4)]))
    run = ImportRun.objects.get()
    assert (run.status, run.processed_rows) == (ImportStatus.RUNNING, 1)
    detail = reverse("offer_import_detail", args=[run.pk])
    html = html_of(superuser_client.get(detail))
    assert 'aria-valuenow="33"' in html and "Poursuivre l'import" in html
    # Reading the page never processes anything.
    run.refresh_from_db()
    assert run.processed_rows == 1
    response = superuser_client.post(reverse("offer_import_continue", args=[run.pk]))
    assert response["Location"] == detail
    run.refresh_from_db()
    assert run.processed_rows == 2
    superuser_client.post(reverse("offer_import_continue", args=[run.pk]))
    run.refresh_from_db()
    assert (run.status, run.created_count) == (ImportStatus.DONE, 3)


def test_rejections_are_paginated(superuser_client):
    upload(superuser_client, as_json([structure(n, siret="1") for n in range(1, 31)]))
    run = ImportRun.objects.get()
    first = html_of(superuser_client.get(reverse("offer_import_detail", args=[run.pk])))
    second = html_of(superuser_client.get(reverse("offer_import_detail", args=[run.pk]) + "?page=2"))
    assert "30 lignes rejetées" in first and "(page 1 sur 2)" in first
    assert '<th scope="row">26</th>' in second and '<th scope="row">26</th>' not in first


# --- export ------------------------------------------------------------------------------------------


def test_any_professional_exports_the_published_offer(client, login, territory):  # noqa: F811
    import_file(as_json([structure(1)]))
    import_file(as_json([service(1), service(2, code_insee="49007", commune="Angers", zone_eligibilite=["49"])]))
    login(MembershipFactory())
    response = client.get(reverse("offer_export_json") + "?kind=services&departement=44")
    assert response.status_code == 200
    assert [r["id"] for r in json.loads(b"".join(response.streaming_content))] == ["v1"]
    response = client.get(reverse("offer_export_csv") + "?kind=structures")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert b"".join(response.streaming_content).decode().splitlines()[1].startswith("dora,s1,")


def test_export_requires_login(client):
    response = client.get(reverse("offer_export_json"))
    assert response.status_code == 302


def test_export_without_an_organisation_is_refused(client):
    user = UserFactory()
    client.login(username=user.username, password=PASSWORD)
    assert client.get(reverse("offer_export_json")).status_code == 403


@pytest.mark.parametrize(
    ("query", "message"),
    [("kind=personnes", "Paramètre « kind » invalide"), ("departement=4", "Code de département invalide")],
)
def test_export_with_bad_parameters_is_a_400(client, login, query, message):
    login(MembershipFactory())
    response = client.get(reverse("offer_export_csv") + "?" + query)
    assert response.status_code == 400
    assert message in response.content.decode()


# --- review: refused cases and bad input on the pages -------------------------------------------------


def test_anonymous_is_sent_to_login_from_every_import_and_export_page(client):
    run = ImportRun.objects.create(kind="structures", filename="f.json", file_format="json", rows=[], total_rows=1)
    for response in (
        client.get(reverse("offer_import_detail", args=[run.pk])),
        client.post(reverse("offer_import_continue", args=[run.pk])),
        upload(client, as_json([structure(1)])),
        client.get(reverse("offer_export_csv") + "?kind=services"),
        client.get(reverse("offer_export_json") + "?kind=structures"),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    run.refresh_from_db()
    assert (ImportRun.objects.count(), run.processed_rows) == (1, 0)
    assert not Structure.objects.exists()


def test_staff_who_is_not_a_platform_administrator_is_refused(client, login):
    membership = MembershipFactory(admin=True)
    membership.user.is_staff = True
    membership.user.save()
    login(membership)
    run = ImportRun.objects.create(kind="structures", filename="f.json", file_format="json", rows=[], total_rows=1)
    assert client.get(reverse("offer_import_list")).status_code == 403
    assert client.post(reverse("offer_import_continue", args=[run.pk])).status_code == 403
    run.refresh_from_db()
    assert run.processed_rows == 0


def test_upload_with_a_nul_character_lists_the_row_instead_of_failing(superuser_client):
    response = upload(superuser_client, as_json([structure(1, nom="A\x00B"), structure(2)]))
    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert (run.status, run.created_count, run.rejected_count) == (ImportStatus.DONE, 1, 1)
    html = html_of(superuser_client.get(response["Location"]))
    assert "nom : caractère interdit (caractère nul ou caractère Unicode isolé)" in html


def test_default_source_with_a_nul_character_is_a_form_error(superuser_client):
    response = upload(superuser_client, as_json([structure(1)]), source="do\x00ra")
    assert response.status_code == 400
    assert "Le formulaire contient des erreurs" in html_of(response)
    assert not ImportRun.objects.exists()
