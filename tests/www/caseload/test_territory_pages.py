import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from parcours.diagnostics.models import Diagnostic, LanguageLevel
from parcours.organisations.enums import Role
from parcours.pathways.enums import Orientation, PathwayStatus
from parcours.pathways.models import Pathway
from tests.factories import (
    DepartementFactory,
    FollowUpMemberFactory,
    MembershipFactory,
    OrganisationFactory,
    PathwayFactory,
    PersonFactory,
    TerritoryGrantFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def html_of(response) -> str:
    html = response.content.decode()
    assert "!!INVALID" not in html
    return html


# --- orientation queue -------------------------------------------------------------------------


@pytest.fixture
def officer(db):
    return TerritoryGrantFactory().membership


def test_orientation_queue_lists_pending_pathways_of_granted_departement(login, officer):
    pending = PathwayFactory()
    response = login(officer).get(reverse("orientation_queue"))
    html = html_of(response)
    assert response.status_code == 200
    assert pending.person.full_name in html
    assert reverse("pathway", args=[pending.pk]) in html


def test_orientation_queue_excludes_other_departements_and_decided_pathways(login, officer):
    elsewhere = PathwayFactory(departement=DepartementFactory(code="35", name="Ille-et-Vilaine"))
    decided = PathwayFactory(orientation=Orientation.PROFESSIONAL)
    html = html_of(login(officer).get(reverse("orientation_queue")))
    assert elsewhere.person.full_name not in html
    assert decided.person.full_name not in html


def test_orientation_queue_without_grant_is_empty(login):
    officer = MembershipFactory(orientation=True)
    pending = PathwayFactory()
    html = html_of(login(officer).get(reverse("orientation_queue")))
    assert pending.person.full_name not in html
    assert "Aucun parcours n'attend" in html


def test_orientation_queue_shows_waiting_days_oldest_first(login, officer):
    now = timezone.now()
    PathwayFactory(person=PersonFactory(last_name="Recente"), opened_at=now - datetime.timedelta(days=3))
    PathwayFactory(person=PersonFactory(last_name="Ancienne"), opened_at=now - datetime.timedelta(days=40))
    html = html_of(login(officer).get(reverse("orientation_queue")))
    assert html.index("ANCIENNE") < html.index("RECENTE")
    assert "40 jours" in html
    assert "3 jours" in html


@pytest.mark.parametrize("role", [Role.CONSEILLER, Role.REFERENT_RSA, Role.PILOTE, Role.ADMIN_STRUCTURE])
def test_orientation_queue_refused_to_other_roles(login, role):
    PathwayFactory(person=PersonFactory(last_name="Cachee"))
    response = login(MembershipFactory(role=role)).get(reverse("orientation_queue"))
    html = html_of(response)
    assert response.status_code == 403
    assert "réservée aux chargé·es d" in html
    assert "CACHEE" not in html


def test_orientation_queue_is_paginated(login, officer):
    for i in range(27):
        PathwayFactory(opened_at=timezone.now() - datetime.timedelta(days=100 - i))
    client = login(officer)
    html = html_of(client.get(reverse("orientation_queue")))
    assert "fr-pagination" in html
    assert html.count('<th scope="row">') == 25
    html = html_of(client.get(reverse("orientation_queue"), {"page": 2}))
    assert html.count('<th scope="row">') == 2


def test_orientation_queue_query_count_is_bounded(login, officer, django_assert_max_num_queries):
    for _ in range(60):
        PathwayFactory()
    client = login(officer)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("orientation_queue"))
    assert response.status_code == 200


# --- structure administrator -----------------------------------------------------------------


@pytest.fixture
def structure_admin(db):
    return MembershipFactory(admin=True)


def test_structure_followed_lists_people_followed_by_members(login, structure_admin):
    colleague = MembershipFactory(organisation=structure_admin.organisation)
    followed = PathwayFactory(referent=colleague)
    response = login(structure_admin).get(reverse("structure_followed"))
    html = html_of(response)
    assert response.status_code == 200
    assert followed.person.full_name in html
    assert colleague.user.get_full_name() in html
    assert "Référent·e" in html


def test_structure_followed_shows_member_who_is_not_referent(login, structure_admin):
    colleague = MembershipFactory(organisation=structure_admin.organisation)
    followed = FollowUpMemberFactory(membership=colleague).pathway
    html = html_of(login(structure_admin).get(reverse("structure_followed")))
    assert followed.person.full_name in html
    assert "membre du groupe de suivi" in html


def test_structure_followed_has_no_pathway_link_nor_contents(login, structure_admin):
    colleague = MembershipFactory(organisation=structure_admin.organisation)
    followed = PathwayFactory(
        referent=colleague, person=PersonFactory(birth_place="Kaboul", phone="0601020304", address="3 rue des Lilas")
    )
    html = html_of(login(structure_admin).get(reverse("structure_followed")))
    assert reverse("pathway", args=[followed.pk]) not in html
    for secret in ("Kaboul", "0601020304", "rue des Lilas", followed.person.commune.name):
        assert secret not in html


def test_structure_followed_excludes_other_structures(login, structure_admin):
    elsewhere = PathwayFactory()
    html = html_of(login(structure_admin).get(reverse("structure_followed")))
    assert elsewhere.person.full_name not in html


@pytest.mark.parametrize("role", [Role.CONSEILLER, Role.CHARGE_ORIENTATION, Role.PILOTE])
def test_structure_followed_refused_to_other_roles(login, role):
    membership = MembershipFactory(role=role)
    followed = PathwayFactory(referent=MembershipFactory(organisation=membership.organisation))
    response = login(membership).get(reverse("structure_followed"))
    html = html_of(response)
    assert response.status_code == 403
    assert followed.person.full_name not in html


def test_structure_followed_query_count_is_bounded(login, structure_admin, django_assert_max_num_queries):
    colleague = MembershipFactory(organisation=structure_admin.organisation)
    for _ in range(40):
        PathwayFactory(referent=colleague)
    client = login(structure_admin)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("structure_followed"))
    assert response.status_code == 200


# --- territory dashboard ---------------------------------------------------------------------


@pytest.fixture
def pilot(db):
    return MembershipFactory(pilote=True, organisation=OrganisationFactory(kind="ddets"))


def _french_level(person, level):
    diagnostic = Diagnostic.objects.create(
        person=person,
        version=1,
        recorded_at=timezone.now(),
        recorded_by=UserFactory(),
        organisation=OrganisationFactory(),
    )
    LanguageLevel.objects.create(diagnostic=diagnostic, language="fr", level=level, method="ofii_test")


def test_territory_dashboard_shows_counts(login, pilot):
    PathwayFactory.create_batch(3)
    PathwayFactory(referent=False)
    closed = PathwayFactory()
    Pathway.objects.filter(pk=closed.pk).update(status=PathwayStatus.CLOSED, closed_at=timezone.now())
    PathwayFactory(departement=DepartementFactory(code="35", name="Ille-et-Vilaine"))
    response = login(pilot).get(reverse("territory_dashboard"))
    html = html_of(response)
    assert response.status_code == 200
    aggregates = response.context["aggregates"]
    assert aggregates["open"] == 4
    assert aggregates["closed"] == 1
    assert aggregates["without_referent"] == 1
    assert "Loire-Atlantique" in html


def test_territory_dashboard_counts_people_by_protection_status_and_french_level(login, pilot):
    refugees = [PathwayFactory(person=PersonFactory(refugee=True)).person for _ in range(6)]
    for person in refugees:
        _french_level(person, "A2")
    PathwayFactory(person=PersonFactory(protection_status="stateless"))
    for _ in range(8):
        PathwayFactory(person=PersonFactory(protection_status="none"))
    response = login(pilot).get(reverse("territory_dashboard"))
    by_protection = {str(row["label"]): row for row in response.context["by_protection"]}
    assert by_protection["Sans objet"]["count"] == 8
    assert not by_protection["Sans objet"]["masked"]
    assert by_protection["Apatride"]["masked"]  # one person: shown as "fewer than 5"
    # Complementary suppression: the smallest other cell is masked too, or the total would give
    # the masked one away by subtraction.
    assert by_protection["Réfugié·e (BPI)"]["count"] == 6
    assert by_protection["Réfugié·e (BPI)"]["masked"]
    by_french = {str(row["label"]): row["count"] for row in response.context["by_french"]}
    assert by_french["A2"] == 6
    assert by_french["Non évalué"] == 9


def test_territory_dashboard_never_names_a_person(login, pilot):
    # The reader's own name is on every page: a fixed one, so that a random name drawn for the pilote
    # (e.g. "Diallo") cannot collide with the people's.
    pilot.user.first_name, pilot.user.last_name = "Camille", "Pilote"
    pilot.user.save(update_fields=["first_name", "last_name"])
    for first_name, last_name in (("Zohra", "Karimi"), ("Oleksandr", "Shevchenko"), ("Awa", "Diallo")):
        PathwayFactory(person=PersonFactory(refugee=True, first_name=first_name, last_name=last_name))
    html = html_of(login(pilot).get(reverse("territory_dashboard")))
    for name in ("Zohra", "Karimi", "KARIMI", "Oleksandr", "Shevchenko", "SHEVCHENKO", "Awa", "Diallo", "DIALLO"):
        assert name not in html
    assert 'href="/parcours/' not in html


@pytest.mark.parametrize("role", [Role.CONSEILLER, Role.CHARGE_ORIENTATION, Role.ADMIN_STRUCTURE])
def test_territory_dashboard_refused_to_other_roles(login, role):
    response = login(MembershipFactory(role=role)).get(reverse("territory_dashboard"))
    assert response.status_code == 403
    assert "réservée aux pilotes territoriaux" in html_of(response)


def test_territory_pages_refused_without_membership(client):
    client.force_login(UserFactory())
    for name in ("orientation_queue", "structure_followed", "territory_dashboard"):
        assert client.get(reverse(name)).status_code == 403
