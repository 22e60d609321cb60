"""The break pages: "À traiter" for professionals, counts by type for a structure administrator and
a pilote territorial, and the open alerts on the pathway summary. Refused cases included."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from parcours.pathways.breaks import scan_breaks
from parcours.people.enums import DataCategory
from tests.factories import (
    ConsentFactory,
    DepartementFactory,
    MembershipFactory,
    OrganisationFactory,
    PathwayFactory,
    PersonFactory,
    TerritoryGrantFactory,
)

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
TO_HANDLE = reverse("alerts_to_handle")
ORGANISATION = reverse("alerts_organisation")
TERRITORY = reverse("alerts_territory")


def get(client, url, params=None):
    response = client.get(url, params or {})
    html = response.content.decode()
    assert "!!INVALID" not in html
    return response, html


def stale_pathway(referent, days=60, **kwargs):
    return PathwayFactory(referent=referent, last_activity_at=timezone.now() - days * DAY, **kwargs)


# --- À traiter ----------------------------------------------------------------------------------------


def test_to_handle_lists_my_alerts_with_the_fix_link(login, membership):
    pathway = stale_pathway(membership)
    other = stale_pathway(MembershipFactory())
    scan_breaks()
    response, html = get(login(membership), TO_HANDLE)
    assert response.status_code == 200
    assert pathway.person.full_name in html
    assert reverse("pathway", args=[pathway.pk]) in html
    assert "Sans activité" in html
    assert "Vous (référent·e)" in html
    assert "60 jours" in html
    assert reverse("pathway_appointment_new", args=[pathway.pk]) in html
    assert other.person.full_name not in html


def test_to_handle_filters_by_type(login, membership):
    pathway = stale_pathway(membership)
    scan_breaks()
    _, html = get(login(membership), TO_HANDLE, {"type": "no_referent"})
    assert pathway.person.full_name not in html
    assert "Aucune alerte de ce type" in html
    _, html = get(login(membership), TO_HANDLE, {"type": "inactive"})
    assert pathway.person.full_name in html


def test_to_handle_unknown_type_says_so_and_lists_everything(login, membership):
    pathway = stale_pathway(membership)
    scan_breaks()
    response, html = get(login(membership), TO_HANDLE, {"type": "nimporte"})
    assert response.status_code == 200
    assert "Type d&#x27;alerte inconnu" in html
    assert pathway.person.full_name in html


def test_to_handle_for_an_orientation_officer_links_to_the_referent_change(login):
    grant = TerritoryGrantFactory()
    pathway = PathwayFactory(referent=False, departement=grant.departement)
    elsewhere = PathwayFactory(referent=False, departement=DepartementFactory(code="49", name="Maine-et-Loire"))
    scan_breaks()
    _, html = get(login(grant.membership), TO_HANDLE)
    assert pathway.person.full_name in html
    assert reverse("pathway_referent_change", args=[pathway.pk]) in html
    assert "Chargé·e d&#x27;orientation" in html
    assert elsewhere.person.full_name not in html


def test_to_handle_refused_to_a_pilote(login):
    pilote = MembershipFactory(pilote=True)
    PathwayFactory(referent=False)
    scan_breaks()
    response, html = get(login(pilote), TO_HANDLE)
    assert response.status_code == 403
    assert "réservée aux professionnel·les qui accompagnent" in html


def test_to_handle_redirects_anonymous_to_login(client):
    response = client.get(TO_HANDLE)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


# --- counts ----------------------------------------------------------------------------------------------


def test_organisation_counts_for_a_structure_administrator(login):
    organisation = OrganisationFactory()
    admin = MembershipFactory(organisation=organisation, admin=True)
    member = MembershipFactory(organisation=organisation)
    pathway = stale_pathway(member)
    stale_pathway(MembershipFactory())  # another structure
    scan_breaks()
    response, html = get(login(admin), ORGANISATION)
    assert response.status_code == 200
    assert "1 alerte en cours, par type" in html
    assert "Sans activité" in html
    assert pathway.person.full_name not in html
    assert pathway.person.last_name not in html


def test_organisation_counts_refused_to_a_conseiller(login, membership):
    response, html = get(login(membership), ORGANISATION)
    assert response.status_code == 403
    assert "réservée aux administrateur·rices de structure" in html


def test_territory_counts_for_a_pilote(login):
    pilote = MembershipFactory(pilote=True)
    no_referent = PathwayFactory(referent=False)
    stale_pathway(MembershipFactory())
    PathwayFactory(referent=False, departement=DepartementFactory(code="49", name="Maine-et-Loire"))
    scan_breaks()
    response, html = get(login(pilote), TERRITORY)
    assert response.status_code == 200
    assert "Loire-Atlantique (44)" in html
    assert "2 alertes en cours, par type" in html
    assert no_referent.person.last_name not in html


def test_territory_counts_refused_to_a_conseiller_and_an_administrator(login, membership):
    response, _ = get(login(membership), TERRITORY)
    assert response.status_code == 403
    response, html = get(login(MembershipFactory(admin=True)), TERRITORY)
    assert response.status_code == 403
    assert "réservée aux pilotes territoriaux" in html


def test_count_pages_redirect_anonymous_to_login(client):
    for url in (ORGANISATION, TERRITORY):
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("login") in response["Location"]


# --- pathway summary -----------------------------------------------------------------------------------------


def test_summary_lists_the_open_alerts_with_the_fix_link(login, membership):
    pathway = stale_pathway(membership)
    scan_breaks()
    _, html = get(login(membership), reverse("pathway", args=[pathway.pk]))
    assert "Alertes de rupture en cours" in html
    assert "Sans activité" in html
    assert reverse("pathway_appointment_new", args=[pathway.pk]) in html


def test_summary_without_alert_shows_no_alert_section(login, membership, pathway):
    scan_breaks()
    _, html = get(login(membership), reverse("pathway", args=[pathway.pk]))
    assert "Alertes de rupture en cours" not in html


def test_summary_hides_the_permit_alert_without_consent(login, membership):
    person = PersonFactory(residence_permit_valid_until=timezone.localdate() + 10 * DAY)
    pathway = PathwayFactory(person=person, referent=membership)
    scan_breaks()
    _, html = get(login(membership), reverse("pathway", args=[pathway.pk]))
    assert "Titre de séjour à renouveler" not in html
    ConsentFactory(person=person, organisation=membership.organisation, category=DataCategory.RESIDENCE_STATUS)
    _, html = get(login(membership), reverse("pathway", args=[pathway.pk]))
    assert "Titre de séjour à renouveler" in html
    assert "Renouvellement du titre de séjour" in html


def test_summary_alerts_are_not_shown_to_someone_outside_the_group(login):
    pathway = stale_pathway(MembershipFactory())
    scan_breaks()
    response = login(MembershipFactory()).get(reverse("pathway", args=[pathway.pk]))
    assert response.status_code == 404


def test_programme_exit_without_next_step_links_to_the_programmes_tab(login, membership):
    from parcours.programmes import enums
    from tests.programmes.factories import EnrolmentFactory

    pathway = PathwayFactory(referent=membership)
    exited = timezone.localdate() - 40 * DAY
    EnrolmentFactory(
        pathway=pathway,
        session__programme__name="HOPE Loire-Atlantique",
        state=enums.EnrolmentState.COMPLETED,
        enrolled_on=exited - 240 * DAY,
        entered_on=exited - 240 * DAY,
        exited_on=exited,
    )
    scan_breaks()

    response, html = get(login(membership), TO_HANDLE)

    assert response.status_code == 200
    assert "Action, prescription ou programme terminé sans suite prévue" in html
    assert "Sortie de « HOPE Loire-Atlantique » sans suite prévue" in html
    assert reverse("pathway_programmes", args=[pathway.pk]) in html
