import pytest
from django.urls import reverse
from django.utils import timezone

from parcours.directory.models import DuplicateStatus, Service, ServiceStatus
from tests.factories import PASSWORD, CommuneFactory, MembershipFactory, OrganisationFactory, UserFactory
from tests.www.offer.factories import DuplicateCandidateFactory, days_ago, operated_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(db):
    CommuneFactory()
    return MembershipFactory(admin=True)


def html_of(response) -> str:
    html = response.content.decode()
    assert "!!INVALID" not in html
    return html


def form_post(**overrides) -> dict:
    data = {
        "nom": "Cours de français",
        "description": "Des cours de français pour adultes, en petits groupes, deux matinées par semaine.",
        "type": "formation",
        "thematiques": ["lecture-ecriture-calcul--maitriser-le-francais"],
        "publics": ["personnes-exilees"],
        "frais": "gratuit",
        "modes_accueil": ["en-presentiel"],
        "zone_eligibilite": "44109, 44",
        "adresse": "2 rue de la Paix",
        "code_postal": "44000",
        "commune": "Nantes",
        "code_insee": "44109",
        "modes_mobilisation": ["telephoner"],
        "mobilisable_par": ["professionnels", "usagers"],
        "telephone": "0240000000",
        "languages": "fr, ar",
        "interpreting": "on",
        "places_total": "10",
        "places_free": "2",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


# --- access ------------------------------------------------------------------------------------------

ADMIN_PAGES = ["offer_list", "offer_create"]


@pytest.mark.parametrize("name", [*ADMIN_PAGES, "offer_duplicates"])
def test_anonymous_is_sent_to_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", [*ADMIN_PAGES, "offer_duplicates"])
def test_conseiller_gets_the_403_page(login, membership, name):
    response = login(membership).get(reverse(name))
    assert response.status_code == 403
    assert "réservée aux administrateur·rices de structure" in html_of(response)


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_superuser_without_membership_cannot_declare_services(client, name):
    user = UserFactory(is_superuser=True)
    client.login(username=user.username, password=PASSWORD)
    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", ["offer_edit", "offer_capacity"])
def test_other_organisations_service_pages_are_refused(login, admin, name):
    service = operated_service(OrganisationFactory())
    response = login(admin).get(reverse(name, args=[service.pk]))
    assert response.status_code == 403
    assert "autre organisation" in html_of(response)


@pytest.mark.parametrize("name", ["offer_publish", "offer_archive"])
def test_other_organisations_status_changes_are_refused(login, admin, name):
    service = operated_service(OrganisationFactory(), status=ServiceStatus.DRAFT)
    response = login(admin).post(reverse(name, args=[service.pk]))
    assert response.status_code == 403
    service.refresh_from_db()
    assert service.status == ServiceStatus.DRAFT


def test_edit_post_on_other_organisations_service_is_refused(login, admin):
    service = operated_service(OrganisationFactory(), nom="Avant")
    response = login(admin).post(reverse("offer_edit", args=[service.pk]), form_post(nom="Piraté"))
    assert response.status_code == 403
    service.refresh_from_db()
    assert service.nom == "Avant"


# --- list --------------------------------------------------------------------------------------------


def test_list_shows_own_services_with_status_quality_stale_flag_and_places(login, admin, django_assert_max_num_queries):
    operated_service(admin.organisation, nom="Atelier récent", places_total=10, places_free=3)
    operated_service(admin.organisation, nom="Permanence ancienne", date_maj=days_ago(200), publics=[])
    operated_service(OrganisationFactory(), nom="Service d'ailleurs")
    client = login(admin)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("offer_list"))
    html = html_of(response)
    assert response.status_code == 200
    assert "Atelier récent" in html and "Permanence ancienne" in html
    assert "Service d'ailleurs" not in html
    assert "À mettre à jour" in html
    assert html.count("À mettre à jour") == 1
    assert "3 sur 10" in html
    assert "Indiquez les publics visés" in html
    assert "Publié" in html


def test_list_query_count_does_not_grow_with_services(login, admin, django_assert_max_num_queries):
    for i in range(20):
        operated_service(admin.organisation, nom=f"Service {i}")
    client = login(admin)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("offer_list")).status_code == 200


# --- create / edit -----------------------------------------------------------------------------------


def test_create_form_shows_vocabularies_grouped(login, admin):
    html = html_of(login(admin).get(reverse("offer_create")))
    assert "Maîtriser le français" in html  # a thématique label from the package
    assert "<summary>" in html  # thématiques grouped by category
    assert "Personnes exilées" in html
    assert "toute la France" in html


def test_create_service_as_draft(login, admin):
    response = login(admin).post(reverse("offer_create"), form_post())
    assert response.status_code == 302
    service = Service.objects.get()
    assert service.status == ServiceStatus.DRAFT
    assert service.operator == admin.organisation
    assert service.zone_eligibilite == ["44109", "44"]
    assert service.languages == ["fr", "ar"] and service.interpreting
    assert service.mobilisable_par == ["professionnels", "usagers"]
    assert (service.places_total, service.places_free) == (10, 2)


def test_create_with_whole_france(login, admin):
    login(admin).post(reverse("offer_create"), form_post(zone_eligibilite="", toute_la_france="on"))
    assert Service.objects.get().zone_eligibilite == ["france"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"places_total": "5", "places_free": "8"}, "ne peuvent dépasser le nombre total de places"),
        ({"places_free": "-1"}, "ne peut pas être négatif"),
        ({"publics": ["extraterrestres"]}, "Valeur inconnue du vocabulaire data·inclusion"),
        ({"zone_eligibilite": "4410"}, "Code non reconnu : « 4410 »"),
        ({"zone_eligibilite": "44999"}, "Commune inconnue"),
        ({"nom": ""}, "Ce champ est obligatoire"),
        ({"languages": "fr, zz"}, "Code de langue inconnu"),
        ({"next_sessions": "31/02/2030"}, "Date invalide"),
    ],
)
def test_create_bad_input_shows_french_error_and_writes_nothing(login, admin, overrides, message):
    response = login(admin).post(reverse("offer_create"), form_post(**overrides))
    html = html_of(response)
    assert response.status_code == 200
    assert message in html
    assert "fr-error-text" in html
    assert not Service.objects.exists()


def test_edit_prefills_and_saves(login, admin):
    service = operated_service(
        admin.organisation, nom="Avant", zone_eligibilite=["44109", "44143"], date_maj=days_ago(90)
    )
    client = login(admin)
    html = html_of(client.get(reverse("offer_edit", args=[service.pk])))
    assert 'value="Avant"' in html
    assert "44109 44143" in html
    response = client.post(reverse("offer_edit", args=[service.pk]), form_post(nom="Après"))
    assert response.status_code == 302
    service.refresh_from_db()
    assert service.nom == "Après"
    assert service.date_maj == timezone.localdate()


def test_edit_bad_input_changes_nothing(login, admin):
    service = operated_service(admin.organisation, nom="Avant", places_total=4, places_free=1)
    response = login(admin).post(
        reverse("offer_edit", args=[service.pk]), form_post(nom="Après", places_total="3", places_free="9")
    )
    assert response.status_code == 200
    assert "ne peuvent dépasser" in html_of(response)
    service.refresh_from_db()
    assert (service.nom, service.places_free) == ("Avant", 1)


# --- publish / archive / capacity --------------------------------------------------------------------


def test_publish_and_archive_buttons(login, admin):
    service = operated_service(admin.organisation, status=ServiceStatus.DRAFT)
    client = login(admin)
    assert f'action="{reverse("offer_publish", args=[service.pk])}"' in html_of(client.get(reverse("offer_list")))
    assert client.post(reverse("offer_publish", args=[service.pk])).status_code == 302
    service.refresh_from_db()
    assert service.status == ServiceStatus.PUBLISHED
    client.post(reverse("offer_archive", args=[service.pk]))
    service.refresh_from_db()
    assert service.status == ServiceStatus.ARCHIVED


def test_publish_requires_post(login, admin):
    service = operated_service(admin.organisation, status=ServiceStatus.DRAFT)
    assert login(admin).get(reverse("offer_publish", args=[service.pk])).status_code == 405


def test_capacity_form_updates_places(login, admin):
    service = operated_service(admin.organisation, places_total=10, places_free=0, date_maj=days_ago(50))
    response = login(admin).post(
        reverse("offer_capacity", args=[service.pk]),
        {"places_total": "10", "places_free": "4", "waiting_days": "", "next_sessions": "01/09/2099"},
    )
    assert response.status_code == 302
    service.refresh_from_db()
    assert service.places_free == 4
    assert service.next_sessions == ["2099-09-01"]
    assert service.date_maj == timezone.localdate()


@pytest.mark.parametrize(
    ("post", "message"),
    [
        ({"places_total": "3", "places_free": "5"}, "ne peuvent dépasser"),
        ({"places_total": "-3", "places_free": ""}, "négatif"),
        ({"places_total": "3", "places_free": "1", "next_sessions": "01/01/2020"}, "déjà passée"),
        ({"places_total": "trois"}, "Saisissez un nombre entier"),
    ],
)
def test_capacity_bad_input(login, admin, post, message):
    service = operated_service(admin.organisation, places_total=10, places_free=2)
    response = login(admin).post(reverse("offer_capacity", args=[service.pk]), post)
    assert response.status_code == 200
    assert message in html_of(response)
    service.refresh_from_db()
    assert (service.places_total, service.places_free) == (10, 2)


def test_capacity_refused_for_a_conseiller_of_the_organisation(login, admin):
    conseiller = MembershipFactory(organisation=admin.organisation)
    service = operated_service(admin.organisation, places_total=10, places_free=2)
    response = login(conseiller).post(
        reverse("offer_capacity", args=[service.pk]), {"places_total": "10", "places_free": "9"}
    )
    assert response.status_code == 403
    service.refresh_from_db()
    assert service.places_free == 2


# --- duplicates --------------------------------------------------------------------------------------


def _pair(first_org, second_org, **kwargs):
    a, b = sorted([operated_service(first_org, **kwargs), operated_service(second_org, **kwargs)], key=lambda s: s.pk)
    return DuplicateCandidateFactory(first_service=a, second_service=b)


def test_admin_sees_only_pairs_involving_its_organisation(login, admin):
    mine = _pair(admin.organisation, OrganisationFactory())
    _pair(OrganisationFactory(), OrganisationFactory(), nom="Ailleurs")
    html = html_of(login(admin).get(reverse("offer_duplicates")))
    assert reverse("offer_duplicate_decide", args=[mine.pk]) in html
    assert html.count("offre/mes-services/doublons/") == 1
    assert "Identiques" in html and "Distincts" in html


def test_superuser_sees_all_pending_pairs(client, django_assert_max_num_queries):
    pairs = [_pair(OrganisationFactory(), OrganisationFactory()) for _ in range(3)]
    decided = _pair(OrganisationFactory(), OrganisationFactory())
    decided.status = DuplicateStatus.SAME
    decided.save()
    user = UserFactory(is_superuser=True)
    client.login(username=user.username, password=PASSWORD)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("offer_duplicates"))
    html = html_of(response)
    for pair in pairs:
        assert reverse("offer_duplicate_decide", args=[pair.pk]) in html
    assert reverse("offer_duplicate_decide", args=[decided.pk]) not in html


def test_decide_duplicate_by_admin(login, admin):
    candidate = _pair(admin.organisation, OrganisationFactory())
    response = login(admin).post(reverse("offer_duplicate_decide", args=[candidate.pk]), {"decision": "distinct"})
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.status == DuplicateStatus.DISTINCT
    assert candidate.decided_by == admin.user


def test_decide_duplicate_refused_for_uninvolved_admin(login, admin):
    candidate = _pair(OrganisationFactory(), OrganisationFactory())
    response = login(admin).post(reverse("offer_duplicate_decide", args=[candidate.pk]), {"decision": "same"})
    assert response.status_code == 403
    candidate.refresh_from_db()
    assert candidate.status == DuplicateStatus.PENDING


def test_decide_duplicate_refused_for_conseiller(login, membership):
    candidate = _pair(membership.organisation, OrganisationFactory())
    response = login(membership).post(reverse("offer_duplicate_decide", args=[candidate.pk]), {"decision": "same"})
    assert response.status_code == 403
    candidate.refresh_from_db()
    assert candidate.status == DuplicateStatus.PENDING


def test_decide_duplicate_unknown_decision_changes_nothing(login, admin):
    candidate = _pair(admin.organisation, OrganisationFactory())
    client = login(admin)
    response = client.post(
        reverse("offer_duplicate_decide", args=[candidate.pk]), {"decision": "peut-etre"}, follow=True
    )
    assert "Décision inconnue" in html_of(response)
    candidate.refresh_from_db()
    assert candidate.status == DuplicateStatus.PENDING
