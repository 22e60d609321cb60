"""Orientation pages: the pathway's orientation page (decision form for a chargé·e d'orientation,
history for every reader), the re-orientation request page and the answer page, and the work queue."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from parcours.audit.models import AuditAction, AuditEntry
from parcours.organisations.enums import Role
from parcours.pathways.enums import EventKind, Orientation, ReorientationStatus
from parcours.pathways.models import Event, OrientationDecision, Pathway, ReorientationRequest
from parcours.pathways.orientation import orientation_decide, reorientation_decide, reorientation_request
from parcours.pathways.selectors import current_referent
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


@pytest.fixture
def officer(pathway):
    return TerritoryGrantFactory(departement=pathway.departement).membership


@pytest.fixture
def structure(pathway):
    return OrganisationFactory(name="Association Tremplin", departement=pathway.departement)


@pytest.fixture
def new_referent(structure):
    return MembershipFactory(organisation=structure, role=Role.REFERENT_RSA)


def _decide(pathway, officer, structure, orientation=Orientation.PROFESSIONAL):
    return orientation_decide(
        pathway=pathway,
        orientation=orientation,
        structure=structure,
        reason="Projet emploi clair",
        membership=officer,
        acting_user=officer.user,
    )


@pytest.fixture
def decided(pathway, officer, structure):
    _decide(pathway, officer, structure)
    pathway.refresh_from_db()
    return pathway


@pytest.fixture
def pending_request(decided, membership):
    return reorientation_request(
        pathway=decided,
        proposed_orientation=Orientation.SOCIAL,
        reason="Perte du logement",
        membership=membership,
        acting_user=membership.user,
    )


def _orientation_url(pathway):
    return reverse("pathway_orientation", args=[pathway.pk])


def _request_url(pathway):
    return reverse("orientation_request_new", args=[pathway.pk])


def _decide_url(pathway, request):
    return reverse("orientation_request_decide", args=[pathway.pk, request.pk])


# --- the pathway's orientation page -------------------------------------------------------------


def test_officer_sees_the_decision_form_with_structures_and_referents_of_the_departement(
    login, pathway, officer, structure, new_referent
):
    elsewhere = OrganisationFactory(name="Agence Vendée", departement=DepartementFactory(code="85", name="Vendée"))
    closed = OrganisationFactory(name="Structure fermée", departement=pathway.departement, is_active=False)
    pilote = MembershipFactory(organisation=structure, role=Role.PILOTE)
    response = login(officer).get(_orientation_url(pathway))
    html = html_of(response)
    assert response.status_code == 200
    assert 'name="structure"' in html and 'name="referent"' in html
    assert "Association Tremplin" in html
    assert escape(f"{new_referent.user.get_full_name()} (Association Tremplin, Référent·e RSA)") in html
    assert elsewhere.name not in html
    assert closed.name not in html
    assert escape(pilote.user.get_full_name()) not in html
    assert AuditEntry.objects.filter(person=pathway.person, action=AuditAction.READ).exists()


def test_officer_decides_with_structure_and_referent(login, pathway, officer, structure, new_referent):
    response = login(officer).post(
        _orientation_url(pathway),
        {
            "orientation": Orientation.SOCIAL,
            "structure": structure.pk,
            "referent": new_referent.pk,
            "reason": "Logement d'abord",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("pathway", args=[pathway.pk])
    assert Pathway.objects.get(pk=pathway.pk).orientation == Orientation.SOCIAL
    assert current_referent(pathway=pathway).membership == new_referent
    assert OrientationDecision.objects.get(pathway=pathway).structure == structure


def test_referent_of_another_structure_is_refused_next_to_the_field(login, pathway, membership, officer, structure):
    other = MembershipFactory(organisation=OrganisationFactory(departement=pathway.departement))
    response = login(officer).post(
        _orientation_url(pathway),
        {"orientation": Orientation.SOCIAL, "structure": structure.pk, "referent": other.pk, "reason": "Logement"},
    )
    html = html_of(response)
    assert response.status_code == 200
    assert escape("ne travaille pas dans la structure choisie") in html
    assert not OrientationDecision.objects.exists()
    assert current_referent(pathway=pathway).membership == membership


def test_decision_without_structure_is_refused(login, pathway, officer):
    response = login(officer).post(_orientation_url(pathway), {"orientation": Orientation.SOCIAL, "reason": "x"})
    assert response.status_code == 200
    assert escape("Choisissez la structure d'accompagnement.") in html_of(response)
    assert Pathway.objects.get(pk=pathway.pk).orientation == Orientation.PENDING


def test_structure_outside_the_departement_is_not_a_choice(login, pathway, officer):
    elsewhere = OrganisationFactory(departement=DepartementFactory(code="85", name="Vendée"))
    response = login(officer).post(
        _orientation_url(pathway), {"orientation": Orientation.SOCIAL, "structure": elsewhere.pk, "reason": "x"}
    )
    assert response.status_code == 200
    assert escape("Choisissez une structure parmi celles proposées.") in html_of(response)
    assert not OrientationDecision.objects.exists()


def test_officer_whose_grant_was_revoked_gets_404(login, pathway, officer, structure):
    officer.territory_grants.update(revoked_at=timezone.now())
    client = login(officer)
    assert client.get(_orientation_url(pathway)).status_code == 404
    response = client.post(
        _orientation_url(pathway), {"orientation": Orientation.SOCIAL, "structure": structure.pk, "reason": "x"}
    )
    assert response.status_code == 404
    assert not OrientationDecision.objects.exists()


def test_group_member_reads_the_history_without_the_form(login, decided, membership, structure):
    response = login(membership).get(_orientation_url(decided))
    html = html_of(response)
    assert response.status_code == 200
    assert 'name="structure"' not in html
    assert "Association Tremplin" in html
    assert "Projet emploi clair" in html
    assert _request_url(decided) in html


def test_group_member_cannot_post_a_decision(login, pathway, membership, structure):
    response = login(membership).post(
        _orientation_url(pathway), {"orientation": Orientation.SOCIAL, "structure": structure.pk, "reason": "x"}
    )
    assert response.status_code == 403
    assert Pathway.objects.get(pk=pathway.pk).orientation == Orientation.PENDING


def test_no_request_link_while_orientation_is_pending(login, pathway, membership):
    html = html_of(login(membership).get(_orientation_url(pathway)))
    assert _request_url(pathway) not in html
    assert "Aucune décision d'orientation n'a encore été prise." in html


def test_outsider_gets_404(login, pathway):
    assert login(MembershipFactory()).get(_orientation_url(pathway)).status_code == 404


def test_pending_request_replaces_the_form_with_a_link_to_answer(login, decided, officer, membership, pending_request):
    html = html_of(login(officer).get(_orientation_url(decided)))
    assert "Demande de réorientation en attente" in html
    assert _decide_url(decided, pending_request) in html
    assert 'name="structure"' not in html
    # The member sees the pending request, and no second request link.
    html = html_of(login(membership).get(_orientation_url(decided)))
    assert "Perte du logement" in html
    assert _request_url(decided) not in html


# --- request page --------------------------------------------------------------------------------


def test_member_requests_a_reorientation(login, decided, membership):
    client = login(membership)
    response = client.get(_request_url(decided))
    html = html_of(response)
    assert response.status_code == 200
    # The current orientation is not offered.
    assert f'value="{Orientation.PROFESSIONAL}"' not in html
    assert f'value="{Orientation.SOCIAL}"' in html
    response = client.post(_request_url(decided), {"proposed_orientation": Orientation.SOCIAL, "reason": "Logement"})
    assert response.status_code == 302
    assert response["Location"] == _orientation_url(decided)
    request = ReorientationRequest.objects.get(pathway=decided)
    assert (request.proposed_orientation, request.requested_by) == (Orientation.SOCIAL, membership)


def test_request_without_reason_is_refused(login, decided, membership):
    response = login(membership).post(_request_url(decided), {"proposed_orientation": Orientation.SOCIAL})
    assert response.status_code == 200
    assert escape("Expliquez pourquoi vous demandez une réorientation.") in html_of(response)
    assert not ReorientationRequest.objects.exists()


def test_request_for_the_current_orientation_is_refused(login, decided, membership):
    response = login(membership).post(
        _request_url(decided), {"proposed_orientation": Orientation.PROFESSIONAL, "reason": "x"}
    )
    assert response.status_code == 200
    assert escape("Choisissez une orientation parmi celles proposées.") in html_of(response)
    assert not ReorientationRequest.objects.exists()


def test_second_request_while_one_is_pending_is_refused(login, decided, membership, pending_request):
    other = FollowUpMemberFactory(pathway=decided).membership
    client = login(other)
    html = html_of(client.get(_request_url(decided)))
    assert escape("Une demande de réorientation est déjà en attente depuis le") in html
    assert 'name="reason"' not in html
    response = client.post(
        _request_url(decided), {"proposed_orientation": Orientation.SOCIO_PROFESSIONAL, "reason": "Autre"}
    )
    assert response.status_code == 200
    assert escape("déjà en attente depuis le") in html_of(response)
    assert ReorientationRequest.objects.count() == 1


def test_request_page_while_orientation_is_pending_explains_why(login, pathway, membership):
    html = html_of(login(membership).get(_request_url(pathway)))
    assert escape("Aucune orientation n'a encore été décidée") in html


def test_officer_outside_the_group_cannot_request(login, decided, officer):
    response = login(officer).get(_request_url(decided))
    assert response.status_code == 403
    assert "membres du groupe de suivi" in html_of(response)


def test_outsider_cannot_reach_the_request_page(login, decided):
    client = login(MembershipFactory())
    assert client.get(_request_url(decided)).status_code == 404
    response = client.post(_request_url(decided), {"proposed_orientation": Orientation.SOCIAL, "reason": "x"})
    assert response.status_code == 404
    assert not ReorientationRequest.objects.exists()


def test_anonymous_visitor_is_sent_to_login(client, decided):
    response = client.get(_request_url(decided))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


# --- answer page ---------------------------------------------------------------------------------


def test_officer_accepts_a_request_with_structure_and_referent(
    login, decided, officer, pending_request, structure, new_referent
):
    client = login(officer)
    response = client.get(_decide_url(decided, pending_request))
    html = html_of(response)
    assert response.status_code == 200
    assert "Perte du logement" in html
    response = client.post(
        _decide_url(decided, pending_request),
        {"decision": "accept", "structure": structure.pk, "referent": new_referent.pk, "reason": "Confirmé"},
    )
    assert response.status_code == 302
    assert response["Location"] == _orientation_url(decided)
    pending_request.refresh_from_db()
    assert pending_request.status == ReorientationStatus.ACCEPTED
    assert Pathway.objects.get(pk=decided.pk).orientation == Orientation.SOCIAL
    assert current_referent(pathway=decided).membership == new_referent


def test_accepting_without_structure_is_refused(login, decided, officer, pending_request):
    response = login(officer).post(_decide_url(decided, pending_request), {"decision": "accept", "reason": "Oui"})
    assert response.status_code == 200
    assert escape("Choisissez la structure d'accompagnement pour accepter la demande.") in html_of(response)
    pending_request.refresh_from_db()
    assert pending_request.status == ReorientationStatus.PENDING


def test_officer_refuses_a_request(login, decided, officer, pending_request):
    response = login(officer).post(_decide_url(decided, pending_request), {"decision": "refuse", "reason": "Non"})
    assert response.status_code == 302
    pending_request.refresh_from_db()
    assert pending_request.status == ReorientationStatus.REFUSED
    assert Pathway.objects.get(pk=decided.pk).orientation == Orientation.PROFESSIONAL


def test_refusing_without_reason_is_refused(login, decided, officer, pending_request):
    response = login(officer).post(_decide_url(decided, pending_request), {"decision": "refuse", "reason": ""})
    assert response.status_code == 200
    assert escape("Motivez votre réponse à la demande de réorientation.") in html_of(response)
    pending_request.refresh_from_db()
    assert pending_request.status == ReorientationStatus.PENDING


def test_answered_request_shows_the_answer_and_a_second_answer_is_refused(login, decided, officer, pending_request):
    reorientation_decide(
        request=pending_request, accept=False, reason="Déjà répondu", membership=officer, acting_user=officer.user
    )
    client = login(officer)
    html = html_of(client.get(_decide_url(decided, pending_request)))
    assert "Déjà répondu" in html
    assert 'name="decision"' not in html
    response = client.post(_decide_url(decided, pending_request), {"decision": "refuse", "reason": "Encore"})
    assert response.status_code == 200
    assert escape("déjà reçu une réponse") in html_of(response)
    assert Event.objects.filter(kind=EventKind.REORIENTATION_DECIDED).count() == 1


def test_group_member_cannot_answer(login, decided, membership, pending_request):
    client = login(membership)
    assert client.get(_decide_url(decided, pending_request)).status_code == 403
    response = client.post(_decide_url(decided, pending_request), {"decision": "refuse", "reason": "Non"})
    assert response.status_code == 403
    pending_request.refresh_from_db()
    assert pending_request.status == ReorientationStatus.PENDING


def test_request_of_another_pathway_gets_404(login, decided, officer, pending_request):
    other = PathwayFactory(departement=decided.departement)
    assert login(officer).get(_decide_url(other, pending_request)).status_code == 404


# --- work queue ----------------------------------------------------------------------------------


def test_queue_shows_both_kinds_with_waiting_days_and_links(login, decided, officer, membership):
    now = timezone.now()
    first = PathwayFactory(
        departement=decided.departement,
        person=PersonFactory(last_name="Premiere"),
        opened_at=now - datetime.timedelta(days=12),
    )
    request = reorientation_request(
        pathway=decided,
        proposed_orientation=Orientation.SOCIAL,
        reason="Logement",
        membership=membership,
        acting_user=membership.user,
    )
    ReorientationRequest.objects.filter(pk=request.pk).update(requested_at=now - datetime.timedelta(days=30))
    response = login(officer).get(reverse("orientation_queue"))
    html = html_of(response)
    assert response.status_code == 200
    assert "Première orientation" in html
    assert "Réorientation demandée" in html
    assert "30 jours" in html and "12 jours" in html
    assert html.index(decided.person.last_name.upper()) < html.index("PREMIERE")
    assert _decide_url(decided, request) in html
    assert _orientation_url(first) in html
    assert escape("Professionnelle → Sociale") in html


@pytest.mark.parametrize("role", [Role.CONSEILLER, Role.PILOTE])
def test_queue_refused_to_other_roles_even_with_a_grant(login, pathway, role):
    actor = MembershipFactory(role=role)
    TerritoryGrantFactory(membership=actor, departement=pathway.departement)
    response = login(actor).get(reverse("orientation_queue"))
    assert response.status_code == 403
    assert escape(pathway.person.full_name) not in html_of(response)


def test_queue_without_membership_is_refused(client):
    client.force_login(UserFactory())
    assert client.get(reverse("orientation_queue")).status_code == 403
