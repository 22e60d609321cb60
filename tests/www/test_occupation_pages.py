"""The job pages (search, suggestions, sheet, domains, releases) and the person's jobs on the
pathway's situation section (experience by appellation, wishes and target jobs)."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from parcours.audit.models import AuditAction, AuditEntry
from parcours.occupations.models import ProfessionalDomain, ReleaseStatus, SkillRole, TensionImport
from parcours.pathways.enums import EventKind, PathwayStatus
from parcours.pathways.models import Event
from parcours.people.models import JobWish, WorkExperience
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from tests.occupations import factories as rome

pytestmark = pytest.mark.django_db


def html_of(response) -> str:
    html = response.content.decode()
    assert "!!INVALID" not in html
    return html


def shows(html: str, text: str) -> bool:
    return escape(text) in html


@pytest.fixture
def referential():
    """Two sheets (one regulated) with appellations, a release in service with skills and a mobility link."""
    soins = rome.sheet("J1501", "Soins d'hygiène, de confort du patient", domain=rome.domain("J15", "Soins"))
    soins.is_regulated = True
    soins.save()
    maconnerie = rome.sheet("F1703", "Maçonnerie", domain=rome.domain("F17", "Travaux et gros œuvre", level="A2"))
    rome.appellation("Aide-soignant / Aide-soignante", soins, code=11, is_principal=True)
    rome.appellation("Aide-soignant de nuit / Aide-soignante de nuit", soins, code=12, rarely_used=True)
    rome.appellation("Maçon / Maçonne", maconnerie, code=21, is_principal=True)
    rome.appellation("Maçon VRD / Maçonne VRD", maconnerie, code=22)
    release = rome.release("460")
    rome.skill(release, "J1501", "Réaliser les soins d'hygiène", role=SkillRole.CORE)
    rome.skill(release, "J1501", "Utiliser un dossier de soins informatisé", role=SkillRole.EMERGING)
    rome.skill(release, "J1501", "Règles d'hygiène", section="savoir", kind="savoir")
    rome.mobility(release, "J1501", "F1703", 1)
    return {"soins": soins, "maconnerie": maconnerie, "release": release}


@pytest.fixture
def superuser_client(client):
    user = UserFactory(is_superuser=True, is_staff=True)
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def no_membership_client(client):
    user = UserFactory()
    assert client.login(username=user.username, password=PASSWORD)
    return client


# --- search -------------------------------------------------------------------------------------------


def test_search_page_empty_state(login, membership):
    response = login(membership).get(reverse("job_search"))
    html = html_of(response)
    assert response.status_code == 200
    assert "Saisissez au moins deux caractères" in html
    assert 'aria-current="page"' in html and ">Métiers<" in html


def test_search_lists_appellations_with_their_sheet_and_badges(login, membership, referential):
    html = html_of(login(membership).get(reverse("job_search"), {"q": "aide soignante"}))
    assert shows(html, "Aide-soignant / Aide-soignante")
    assert shows(html, "J1501 · Soins d'hygiène, de confort du patient")
    assert reverse("job_sheet", args=["J1501"]) in html
    assert "réglementé" in html
    assert "peu usité" in html
    assert "Maçon" not in html


def test_search_without_result(login, membership, referential):
    html = html_of(login(membership).get(reverse("job_search"), {"q": "astronaute"}))
    assert "Aucune appellation ne correspond à « astronaute »" in html


@pytest.mark.parametrize(
    ("q", "message"),
    [("a", "Saisissez au moins 2 caractères."), ("x" * 101, "La recherche est limitée à 100 caractères.")],
)
def test_search_bad_query_is_a_form_error(login, membership, referential, q, message):
    response = login(membership).get(reverse("job_search"), {"q": q})
    assert response.status_code == 200
    html = html_of(response)
    assert message in html
    assert "fr-input--error" in html


def test_job_pages_refused_without_an_organisation(no_membership_client, referential):
    for url in (
        reverse("job_search"),
        reverse("appellation_suggest") + "?q=macon",
        reverse("job_sheet", args=["J1501"]),
        reverse("domain_levels"),
    ):
        assert no_membership_client.get(url).status_code == 403


def test_job_pages_need_a_login(client):
    response = client.get(reverse("job_search"))
    assert response.status_code == 302
    assert "connexion" in response.url or "login" in response.url


# --- suggestions ----------------------------------------------------------------------------------------


def test_suggestions_fragment_lists_radio_buttons_named_as_asked(login, membership, referential):
    response = login(membership).get(
        reverse("appellation_suggest"), {"q": "macon", "name": "experience-appellation_code"}
    )
    html = html_of(response)
    assert response.status_code == 200
    assert "<html" not in html
    assert html.count('type="radio" name="experience-appellation_code"') == 2
    assert 'value="21"' in html and 'value="22"' in html


def test_suggestions_read_the_picker_field_and_sanitise_the_name(login, membership, referential):
    html = html_of(login(membership).get(reverse("appellation_suggest"), {"wish-q": "macon", "name": '"><script>'}))
    assert 'name="appellation_code"' in html
    assert "<script>" not in html


def test_suggestions_are_at_most_ten(login, membership):
    job = rome.sheet("F1703", "Maçonnerie")
    for n in range(12):
        rome.appellation(f"Maçon spécialité {n}", job)
    html = html_of(login(membership).get(reverse("appellation_suggest"), {"q": "macon"}))
    assert html.count('type="radio"') == 10


def test_suggestions_bad_query_message(login, membership):
    html = html_of(login(membership).get(reverse("appellation_suggest"), {"q": "m"}))
    assert "Saisissez au moins 2 caractères." in html
    assert 'type="radio"' not in html


# --- sheet -----------------------------------------------------------------------------------------------


def test_sheet_page(login, membership, referential):
    rome.tension(referential["soins"], "70.5")
    rome.tension(referential["soins"], "81.2", departement=membership.organisation.departement)
    response = login(membership).get(reverse("job_sheet", args=["j1501"]))
    html = html_of(response)
    assert response.status_code == 200
    for text in (
        "Soins d'hygiène, de confort du patient",
        "J15 · Soins",
        "une reconnaissance de diplôme ou une autorisation est nécessaire",
        "Aide-soignant / Aide-soignante",
        "Réaliser les soins d'hygiène",
        "Utiliser un dossier de soins informatisé",
        "Règles d'hygiène",
        "France entière",
        "Loire-Atlantique",
        "70,5 %",
        "81,2 %",
    ):
        assert shows(html, text), text
    assert html.index("Aide-soignant / Aide-soignante") < html.index("Aide-soignant de nuit")
    assert reverse("job_sheet", args=["F1703"]) in html  # mobility target, linked


def test_sheet_page_for_a_superuser_without_organisation(superuser_client, referential):
    assert superuser_client.get(reverse("job_sheet", args=["F1703"])).status_code == 200


def test_unknown_sheet_is_404(login, membership, referential):
    assert login(membership).get(reverse("job_sheet", args=["Z9999"])).status_code == 404


# --- domains ---------------------------------------------------------------------------------------------


def test_domains_page_read_by_any_membership(login, membership, referential):
    response = login(membership).get(reverse("domain_levels"))
    html = html_of(response)
    assert response.status_code == 200
    assert shows(html, "F17 · Travaux et gros œuvre")
    assert "<select" not in html


def test_domains_page_edited_by_a_platform_admin(superuser_client, referential):
    html = html_of(superuser_client.get(reverse("domain_levels")))
    assert html.count("<select") == 2
    response = superuser_client.post(reverse("domain_levels"), {"code": "F17", "level": "B1"})
    assert response.status_code == 302
    assert ProfessionalDomain.objects.get(code="F17").french_level == "B1"
    assert AuditEntry.objects.filter(object_type="occupations.professionaldomain", action=AuditAction.UPDATE).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"code": "F17", "level": "Z9"}, "Niveau de français inconnu : choisissez un niveau du CECRL (A1.1 à C2)."),
        ({"code": "Q99", "level": "B1"}, "Domaine professionnel inconnu."),
    ],
)
def test_domains_bad_post_is_a_message_and_nothing_written(superuser_client, referential, data, message):
    response = superuser_client.post(reverse("domain_levels"), data)
    assert response.status_code == 200
    assert message in html_of(response)
    assert ProfessionalDomain.objects.get(code="F17").french_level == "A2"
    assert not AuditEntry.objects.filter(object_type="occupations.professionaldomain").exists()


def test_domains_post_refused_to_a_membership(login, membership, referential):
    response = login(membership).post(reverse("domain_levels"), {"code": "F17", "level": "C2"})
    assert response.status_code == 403
    assert ProfessionalDomain.objects.get(code="F17").french_level == "A2"


# --- releases --------------------------------------------------------------------------------------------


def test_releases_page_for_a_platform_admin(superuser_client, referential):
    rome.release(
        "461", ReleaseStatus.FAILED, errors=["Le fichier unix_referentiel_code_rome_v461_utf8.csv est absent."]
    )
    TensionImport.objects.create(
        source="metiers_tension.csv",
        rows=612,
        counts={"matched_codes": 494},
        unmatched=[{"code": "K2112", "label": "Ancienne fiche", "fap": "T4Z60"}],
    )
    response = superuser_client.get(reverse("rome_releases"))
    html = html_of(response)
    assert response.status_code == 200
    assert "Version en service : 460" in html
    assert "unix_referentiel_code_rome_v461_utf8.csv est absent" in html
    assert "K2112" in html
    assert "manage.py rome_import &lt;dossier&gt;" in html
    assert "manage.py tension_import &lt;fichier&gt;" in html
    assert 'type="file"' not in html


def test_releases_page_refused_to_a_membership(login, membership):
    assert login(membership).get(reverse("rome_releases")).status_code == 403


# --- the person's jobs on the pathway --------------------------------------------------------------------


def _situation(client, pathway, **query):
    return client.get(reverse("pathway_person_edit", args=[pathway.pk, "situation"]), query)


def test_situation_page_searches_an_appellation_without_javascript(login, membership, pathway, referential):
    response = _situation(login(membership), pathway, **{"experience-q": "macon"})
    html = html_of(response)
    assert response.status_code == 200
    assert 'name="experience-appellation_code" value="21"' in html
    assert 'name="experience-q" value="macon"' in html
    assert 'name="wish-appellation_code"' not in html  # the other picker was not searched


def test_situation_page_search_error(login, membership, pathway, referential):
    html = html_of(_situation(login(membership), pathway, **{"wish-q": "m"}))
    assert "Saisissez au moins 2 caractères." in html


def test_experience_added_by_appellation_through_the_page(login, membership, pathway, referential):
    data = {
        "experience-q": "macon",
        "experience-appellation_code": "21",
        "experience-years": "4.5",
        "experience-country": "sy",
    }
    response = login(membership).post(reverse("pathway_experience_add", args=[pathway.pk]), data)
    assert response.status_code == 302
    assert response.url.endswith("#experiences-title")
    experience = WorkExperience.objects.get(person=pathway.person)
    assert (experience.appellation_id, experience.rome_id, experience.years) == (21, "F1703", Decimal("4.5"))


def test_experience_without_a_chosen_appellation_keeps_the_choices(login, membership, pathway, referential):
    data = {"experience-q": "macon", "experience-years": "2", "experience-country": ""}
    response = login(membership).post(reverse("pathway_experience_add", args=[pathway.pk]), data)
    html = html_of(response)
    assert response.status_code == 200
    assert "Recherchez le métier exercé puis choisissez-le dans la liste." in html
    assert 'name="experience-appellation_code" value="21"' in html
    assert not WorkExperience.objects.exists()


def test_experience_with_an_unknown_appellation_is_refused(login, membership, pathway, referential):
    data = {"experience-appellation_code": "999999", "experience-years": "2", "experience-country": ""}
    response = login(membership).post(reverse("pathway_experience_add", args=[pathway.pk]), data)
    assert response.status_code == 200
    assert "Appellation inconnue" in html_of(response)
    assert not WorkExperience.objects.exists()


def test_wish_added_and_removed_through_the_page(login, membership, pathway, referential):
    client = login(membership)
    response = client.post(
        reverse("pathway_job_wish_add", args=[pathway.pk]),
        {"wish-q": "aide soign", "wish-appellation_code": "11", "wish-kind": "target"},
    )
    assert response.status_code == 302
    assert response.url.endswith("#wishes-title")
    wish = JobWish.objects.get(person=pathway.person)
    assert (wish.appellation_id, wish.kind) == (11, "target")
    assert Event.objects.filter(pathway=pathway, kind=EventKind.PERSON_UPDATED).count() == 1
    html = html_of(_situation(client, pathway))
    assert shows(html, "Aide-soignant / Aide-soignante") and "Métier visé (projet validé)" in html
    response = client.post(reverse("pathway_job_wish_remove", args=[pathway.pk, wish.pk]))
    assert response.status_code == 302
    assert not JobWish.objects.exists()


def test_duplicate_wish_is_a_form_error(login, membership, pathway, referential):
    client = login(membership)
    data = {"wish-q": "macon", "wish-appellation_code": "21", "wish-kind": "wish"}
    client.post(reverse("pathway_job_wish_add", args=[pathway.pk]), data)
    response = client.post(reverse("pathway_job_wish_add", args=[pathway.pk]), data)
    assert response.status_code == 200
    assert shows(html_of(response), "« Maçon / Maçonne » figure déjà parmi les souhaits de la personne.")
    assert JobWish.objects.count() == 1


def test_wish_with_a_bad_kind_is_a_form_error(login, membership, pathway, referential):
    response = login(membership).post(
        reverse("pathway_job_wish_add", args=[pathway.pk]), {"wish-appellation_code": "21", "wish-kind": "dream"}
    )
    assert response.status_code == 200
    assert shows(html_of(response), "Nature inconnue")
    assert not JobWish.objects.exists()


def test_wish_refused_to_a_reader_outside_the_group(login, pathway, referential):
    # A professional outside the pathway's scope gets the same 404 as for a pathway that does not exist.
    outsider = MembershipFactory()
    response = login(outsider).post(
        reverse("pathway_job_wish_add", args=[pathway.pk]), {"wish-appellation_code": "21", "wish-kind": "wish"}
    )
    assert response.status_code == 404
    assert not JobWish.objects.exists()


def test_wish_refused_on_a_closed_pathway(login, membership, pathway, referential):
    pathway.status = PathwayStatus.CLOSED
    pathway.closed_at = timezone.now()
    pathway.closure_reason = "Sortie vers l'emploi"
    pathway.save()
    response = login(membership).post(
        reverse("pathway_job_wish_add", args=[pathway.pk]), {"wish-appellation_code": "21", "wish-kind": "wish"}
    )
    assert response.status_code == 403
    assert not JobWish.objects.exists()


def test_wish_refused_to_a_reader_who_is_not_in_the_group(login, pathway, referential):
    from tests.factories import TerritoryGrantFactory

    officer = TerritoryGrantFactory(departement=pathway.departement).membership  # sees the pathway, not seated
    wish = JobWish.objects.create(person=pathway.person, appellation_id=21, kind="wish")
    client = login(officer)
    add = client.post(
        reverse("pathway_job_wish_add", args=[pathway.pk]), {"wish-appellation_code": "11", "wish-kind": "wish"}
    )
    remove = client.post(reverse("pathway_job_wish_remove", args=[pathway.pk, wish.pk]))
    assert (add.status_code, remove.status_code) == (403, 403)
    assert list(JobWish.objects.values_list("appellation_id", flat=True)) == [21]


def test_summary_shows_experiences_and_wishes_with_links(login, membership, pathway, referential):
    WorkExperience.objects.create(person=pathway.person, rome_id="F1703", appellation_id=22, years=Decimal("3"))
    WorkExperience.objects.create(person=pathway.person, rome_id="J1501", years=Decimal("1"))  # an older row
    JobWish.objects.create(person=pathway.person, appellation_id=11, kind="wish")
    html = html_of(login(membership).get(reverse("pathway", args=[pathway.pk])))
    assert shows(html, "Maçon VRD / Maçonne VRD")
    assert shows(html, "Soins d'hygiène, de confort du patient")
    assert shows(html, "Aide-soignant / Aide-soignante")
    assert "Souhait de la personne" in html
    assert reverse("job_sheet", args=["F1703"]) in html and reverse("job_sheet", args=["J1501"]) in html


def test_job_pages_read_a_fixed_number_of_queries(login, membership, referential, django_assert_max_num_queries):
    job = referential["maconnerie"]
    for n in range(30):
        rome.appellation(f"Maçon spécialité {n}", job)
        rome.skill(referential["release"], "F1703", f"Compétence {n}")
        rome.mobility(referential["release"], "F1703", rome.sheet(f"F18{n:02d}", f"Fiche {n}").code, n + 1)
    client = login(membership)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("job_sheet", args=["F1703"])).status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get(reverse("job_search"), {"q": "macon"}).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(reverse("domain_levels")).status_code == 200
