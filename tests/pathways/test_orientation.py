"""Orientation (parcours/pathways/orientation.py): decisions with structure and referent,
re-orientation requests and their answers, the chargé·e d'orientation's work queue. Allowed and
refused cases, bad input refused in French with nothing written."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from parcours.audit.models import AuditAction, AuditEntry
from parcours.notifications.models import Notification
from parcours.organisations.enums import Role
from parcours.pathways.enums import EventKind, Orientation, PathwayStatus, ReorientationStatus
from parcours.pathways.models import (
    Event,
    FollowUpMember,
    OrientationDecision,
    Pathway,
    ReferentHandover,
    ReorientationRequest,
)
from parcours.pathways.orientation import (
    orientation_decide,
    orientation_work_queue,
    reorientation_decide,
    reorientation_request,
)
from parcours.pathways.selectors import current_referent
from tests.concurrency import run_together
from tests.factories import (
    DepartementFactory,
    FollowUpMemberFactory,
    MembershipFactory,
    OrganisationFactory,
    PathwayFactory,
    PersonFactory,
    TerritoryGrantFactory,
)

pytestmark = pytest.mark.django_db

WRITTEN_MODELS = (
    OrientationDecision,
    ReorientationRequest,
    FollowUpMember,
    ReferentHandover,
    Event,
    AuditEntry,
    Notification,
)


def _counts():
    return {model.__name__: model.objects.count() for model in WRITTEN_MODELS}


@pytest.fixture
def officer(pathway):
    """A chargé·e d'orientation with a territory grant on the pathway's département."""
    return TerritoryGrantFactory(departement=pathway.departement).membership


@pytest.fixture
def structure(pathway):
    """An accompanying structure of the pathway's département."""
    return OrganisationFactory(name="Association Tremplin", departement=pathway.departement)


@pytest.fixture
def new_referent(structure):
    return MembershipFactory(organisation=structure, role=Role.REFERENT_RSA)


def _decide(pathway, officer, **overrides):
    kwargs = {
        "pathway": pathway,
        "orientation": Orientation.SOCIAL,
        "structure": overrides.pop("structure", None),
        "reason": "Freins logement au premier plan",
        "membership": officer,
        "acting_user": officer.user,
    }
    kwargs.update(overrides)
    return orientation_decide(**kwargs)


def _decided(pathway, officer, structure, orientation=Orientation.PROFESSIONAL):
    """Put the pathway in a decided orientation (a re-orientation needs one)."""
    _decide(pathway, officer, structure=structure, orientation=orientation)
    pathway.refresh_from_db()
    return pathway


def _request(pathway, member, **overrides):
    kwargs = {
        "pathway": pathway,
        "proposed_orientation": Orientation.SOCIAL,
        "reason": "Perte du logement, l'emploi n'est plus la priorité",
        "membership": member,
        "acting_user": member.user,
    }
    kwargs.update(overrides)
    return reorientation_request(**kwargs)


# --- orientation_decide --------------------------------------------------------------------------


def test_officer_decides_orientation_structure_and_referent(pathway, membership, officer, structure, new_referent):
    decision = _decide(pathway, officer, structure=structure, referent=new_referent)
    pathway.refresh_from_db()
    assert pathway.orientation == Orientation.SOCIAL
    assert (decision.orientation, decision.structure, decision.referent) == (
        Orientation.SOCIAL,
        structure,
        new_referent,
    )
    assert decision.decided_by == officer.user
    # The referent actually changed, through the ordinary hand-over (the old one stays in the group).
    assert current_referent(pathway=pathway).membership == new_referent
    handover = ReferentHandover.objects.get(pathway=pathway)
    assert "Freins logement" in handover.handover_note
    assert FollowUpMember.objects.filter(pathway=pathway, membership=membership, ended_at__isnull=True).exists()
    event = Event.objects.get(pathway=pathway, kind=EventKind.ORIENTATION_DECIDED)
    assert "sociale" in event.summary
    assert "Association Tremplin" in event.summary
    assert new_referent.user.get_full_name() in event.summary
    assert event.payload["decision"] == decision.pk
    assert Event.objects.filter(pathway=pathway, kind=EventKind.REFERENT_CHANGED).exists()
    entry = AuditEntry.objects.get(object_type="pathways.orientationdecision", object_id=str(decision.pk))
    assert entry.action == AuditAction.CREATE
    assert entry.person_id == pathway.person_id
    assert entry.reason == "Freins logement au premier plan"


def test_decision_without_referent_keeps_the_current_one(pathway, membership, officer, structure):
    _decide(pathway, officer, structure=structure)
    assert current_referent(pathway=pathway).membership == membership
    assert not ReferentHandover.objects.exists()
    assert "référent" not in Event.objects.get(kind=EventKind.ORIENTATION_DECIDED).summary


def test_naming_the_current_referent_makes_no_handover(pathway, officer):
    referent = current_referent(pathway=pathway).membership
    _decide(pathway, officer, structure=referent.organisation, referent=referent)
    assert not ReferentHandover.objects.exists()
    assert current_referent(pathway=pathway).membership == referent


def test_long_reason_is_kept_whole_in_the_decision_and_the_handover_note(pathway, officer, structure, new_referent):
    reason = "Motif détaillé. " * 30  # 480 characters, longer than a hand-over's reason column
    decision = _decide(pathway, officer, structure=structure, referent=new_referent, reason=reason)
    assert decision.reason == reason.strip()
    handover = ReferentHandover.objects.get(pathway=pathway)
    assert len(handover.reason) <= 300
    assert reason.strip() in handover.handover_note


def test_seated_officer_without_grant_decides(pathway, structure):
    officer = MembershipFactory(role=Role.CHARGE_ORIENTATION)
    FollowUpMemberFactory(pathway=pathway, membership=officer)
    _decide(pathway, officer, structure=structure)
    assert Pathway.objects.get(pk=pathway.pk).orientation == Orientation.SOCIAL


@pytest.mark.parametrize("role", [Role.CONSEILLER, Role.REFERENT_RSA, Role.PILOTE, Role.ADMIN_STRUCTURE])
def test_other_roles_cannot_decide(pathway, structure, role):
    actor = MembershipFactory(role=role)
    FollowUpMemberFactory(pathway=pathway, membership=actor)
    before = _counts()
    with pytest.raises(PermissionDenied) as exc:
        _decide(pathway, actor, structure=structure)
    assert "chargé·e d'orientation" in str(exc.value)
    assert _counts() == before
    assert Pathway.objects.get(pk=pathway.pk).orientation == Orientation.PENDING


def test_referent_who_is_not_orientation_officer_cannot_decide(pathway, membership, structure):
    before = _counts()
    with pytest.raises(PermissionDenied):
        _decide(pathway, membership, structure=structure)
    assert _counts() == before


def test_officer_of_another_departement_cannot_decide(pathway, structure):
    other = TerritoryGrantFactory(departement=DepartementFactory(code="85", name="Vendée")).membership
    with pytest.raises(PermissionDenied):
        _decide(pathway, other, structure=structure)


def test_officer_whose_grant_is_revoked_cannot_decide(pathway, officer, structure):
    officer.territory_grants.update(revoked_at=timezone.now())
    before = _counts()
    with pytest.raises(PermissionDenied):
        _decide(pathway, officer, structure=structure)
    assert _counts() == before


def test_deactivated_officer_cannot_decide(pathway, officer, structure):
    officer.user.is_active = False
    officer.user.save(update_fields=["is_active"])
    with pytest.raises(PermissionDenied):
        _decide(pathway, officer, structure=structure)


@pytest.mark.parametrize("orientation", [Orientation.PENDING, "ailleurs", ""])
def test_orientation_must_be_a_decision(pathway, officer, structure, orientation):
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        _decide(pathway, officer, structure=structure, orientation=orientation)
    assert exc.value.message_dict["orientation"] == ["Choisissez une orientation."]
    assert _counts() == before


@pytest.mark.parametrize("reason", ["", "   "])
def test_decision_requires_a_reason(pathway, officer, structure, reason):
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        _decide(pathway, officer, structure=structure, reason=reason)
    assert exc.value.message_dict["reason"] == ["Motivez la décision d'orientation."]
    assert _counts() == before
    assert Pathway.objects.get(pk=pathway.pk).orientation == Orientation.PENDING


def test_reason_longer_than_its_column_is_refused(pathway, officer, structure):
    with pytest.raises(ValidationError) as exc:
        _decide(pathway, officer, structure=structure, reason="x" * 501)
    assert "500 caractères" in exc.value.message_dict["reason"][0]


def test_decision_requires_a_structure(pathway, officer):
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        _decide(pathway, officer, structure=None)
    assert exc.value.message_dict["structure"] == ["Choisissez la structure d'accompagnement."]
    assert _counts() == before


def test_inactive_structure_is_refused(pathway, officer, structure):
    structure.is_active = False
    structure.save(update_fields=["is_active"])
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        _decide(pathway, officer, structure=structure)
    assert "n'est plus active" in exc.value.message_dict["structure"][0]
    assert _counts() == before


def test_unknown_structure_is_refused(pathway, officer):
    ghost = OrganisationFactory.build(pk=987654)
    with pytest.raises(ValidationError) as exc:
        _decide(pathway, officer, structure=ghost)
    assert "n'existe pas" in exc.value.message_dict["structure"][0]


def test_structure_of_another_departement_is_refused(pathway, officer):
    elsewhere = OrganisationFactory(departement=DepartementFactory(code="85", name="Vendée"))
    with pytest.raises(ValidationError) as exc:
        _decide(pathway, officer, structure=elsewhere)
    assert exc.value.message_dict["structure"] == ["Choisissez une structure du département du parcours."]


def test_referent_outside_the_structure_is_refused(pathway, membership, officer, structure):
    outsider = MembershipFactory(organisation=OrganisationFactory(departement=pathway.departement))
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        _decide(pathway, officer, structure=structure, referent=outsider)
    assert "structure choisie" in exc.value.message_dict["referent"][0]
    assert _counts() == before
    assert current_referent(pathway=pathway).membership == membership


@pytest.mark.parametrize("what", ["membership", "user", "role"])
def test_inactive_or_non_accompanying_referent_is_refused(pathway, officer, structure, new_referent, what):
    if what == "membership":
        new_referent.is_active = False
        new_referent.save(update_fields=["is_active"])
    elif what == "user":
        new_referent.user.is_active = False
        new_referent.user.save(update_fields=["is_active"])
    else:
        new_referent.role = Role.PILOTE
        new_referent.save(update_fields=["role"])
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        _decide(pathway, officer, structure=structure, referent=new_referent)
    assert "référent" in exc.value.message_dict["referent"][0]
    assert _counts() == before


def test_closed_pathway_cannot_be_oriented(pathway, officer, structure):
    Pathway.objects.filter(pk=pathway.pk).update(status=PathwayStatus.CLOSED, closed_at=timezone.now())
    pathway.refresh_from_db()
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        _decide(pathway, officer, structure=structure)
    assert "clos" in exc.value.messages[0]
    assert _counts() == before


def test_direct_decision_is_refused_while_a_request_is_pending(pathway, membership, officer, structure):
    _decided(pathway, officer, structure)
    _request(pathway, membership)
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        _decide(pathway, officer, structure=structure, orientation=Orientation.SOCIAL)
    assert "répondez-y" in exc.value.messages[0]
    assert _counts() == before


def test_database_refuses_a_pending_decision(pathway, officer, structure):
    with pytest.raises(IntegrityError), transaction.atomic():
        OrientationDecision.objects.create(
            pathway=pathway, orientation=Orientation.PENDING, structure=structure, reason="x", decided_by=officer.user
        )


# --- reorientation_request -----------------------------------------------------------------------


def test_group_member_requests_a_reorientation_and_officers_are_notified(
    pathway, membership, officer, structure, django_capture_on_commit_callbacks
):
    _decided(pathway, officer, structure)
    other_officer = TerritoryGrantFactory(departement=pathway.departement).membership
    revoked = TerritoryGrantFactory(departement=pathway.departement, revoked_at=timezone.now()).membership
    elsewhere = TerritoryGrantFactory(departement=DepartementFactory(code="85", name="Vendée")).membership
    with django_capture_on_commit_callbacks(execute=True):
        request = _request(pathway, membership)
    assert request.status == ReorientationStatus.PENDING
    assert request.requested_by == membership
    event = Event.objects.get(pathway=pathway, kind=EventKind.REORIENTATION_REQUESTED)
    assert "professionnelle → sociale" in event.summary
    assert AuditEntry.objects.filter(
        object_type="pathways.reorientationrequest", object_id=str(request.pk), action=AuditAction.CREATE
    ).exists()
    recipients = {m.to[0] for m in mail.outbox}
    assert recipients == {officer.user.email, other_officer.user.email}
    assert revoked.user.email not in recipients and elsewhere.user.email not in recipients
    # The mail names no one.
    assert pathway.person.last_name not in mail.outbox[0].body
    assert f"/orientation/{pathway.pk}/demandes/{request.pk}/" in mail.outbox[0].body


def test_plain_member_may_request(pathway, officer, structure):
    _decided(pathway, officer, structure)
    member = FollowUpMemberFactory(pathway=pathway).membership
    assert _request(pathway, member).requested_by == member


def test_outsider_cannot_request(pathway, officer, structure):
    _decided(pathway, officer, structure)
    outsider = MembershipFactory()
    before = _counts()
    with pytest.raises(PermissionDenied) as exc:
        _request(pathway, outsider)
    assert "membres du groupe de suivi" in str(exc.value)
    assert _counts() == before


def test_former_member_cannot_request(pathway, officer, structure):
    _decided(pathway, officer, structure)
    seat = FollowUpMemberFactory(pathway=pathway, ended_at=timezone.now())
    with pytest.raises(PermissionDenied):
        _request(pathway, seat.membership)


def test_member_with_deactivated_membership_cannot_request(pathway, membership, officer, structure):
    _decided(pathway, officer, structure)
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    with pytest.raises(PermissionDenied):
        _request(pathway, membership)


def test_only_one_pending_request_at_a_time(pathway, membership, officer, structure):
    _decided(pathway, officer, structure)
    first = _request(pathway, membership)
    other = FollowUpMemberFactory(pathway=pathway).membership
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        _request(pathway, other, proposed_orientation=Orientation.SOCIO_PROFESSIONAL)
    expected = timezone.localtime(first.requested_at).strftime("%d/%m/%Y")
    assert exc.value.messages[0].startswith(f"Une demande de réorientation est déjà en attente depuis le {expected}")
    assert _counts() == before


def test_database_refuses_a_second_pending_request(pathway, membership):
    ReorientationRequest.objects.create(
        pathway=pathway, requested_by=membership, proposed_orientation=Orientation.SOCIAL, reason="a"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ReorientationRequest.objects.create(
            pathway=pathway, requested_by=membership, proposed_orientation=Orientation.SOCIAL, reason="b"
        )


def test_request_needs_a_decided_orientation(pathway, membership):
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        _request(pathway, membership)
    assert "Aucune orientation n'a encore été décidée" in exc.value.messages[0]
    assert _counts() == before


def test_proposed_orientation_must_differ_from_the_current_one(pathway, membership, officer, structure):
    _decided(pathway, officer, structure, orientation=Orientation.SOCIAL)
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        _request(pathway, membership, proposed_orientation=Orientation.SOCIAL)
    assert exc.value.message_dict["proposed_orientation"] == [
        "Proposez une orientation différente de l'orientation actuelle."
    ]
    assert _counts() == before


@pytest.mark.parametrize("proposed", [Orientation.PENDING, "ailleurs"])
def test_proposed_orientation_must_be_a_decision(pathway, membership, officer, structure, proposed):
    _decided(pathway, officer, structure)
    with pytest.raises(ValidationError) as exc:
        _request(pathway, membership, proposed_orientation=proposed)
    assert exc.value.message_dict["proposed_orientation"] == ["Choisissez l'orientation que vous proposez."]


def test_request_requires_a_reason(pathway, membership, officer, structure):
    _decided(pathway, officer, structure)
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        _request(pathway, membership, reason="  ")
    assert exc.value.message_dict["reason"] == ["Expliquez pourquoi vous demandez une réorientation."]
    assert _counts() == before


def test_request_on_a_closed_pathway_is_refused(pathway, membership, officer, structure):
    _decided(pathway, officer, structure)
    Pathway.objects.filter(pk=pathway.pk).update(status=PathwayStatus.CLOSED, closed_at=timezone.now())
    pathway.refresh_from_db()
    with pytest.raises(ValidationError):
        _request(pathway, membership)


# --- reorientation_decide ------------------------------------------------------------------------


@pytest.fixture
def pending_request(pathway, membership, officer, structure):
    _decided(pathway, officer, structure)
    return _request(pathway, membership)


def test_officer_accepts_with_structure_and_referent(
    pathway, membership, officer, pending_request, new_referent, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        answered = reorientation_decide(
            request=pending_request,
            accept=True,
            reason="Situation logement confirmée",
            structure=new_referent.organisation,
            referent=new_referent,
            membership=officer,
            acting_user=officer.user,
        )
    assert answered.status == ReorientationStatus.ACCEPTED
    assert answered.decided_by == officer.user
    assert answered.decision_reason == "Situation logement confirmée"
    pathway.refresh_from_db()
    assert pathway.orientation == Orientation.SOCIAL
    decision = OrientationDecision.objects.get(request=answered)
    assert decision.structure == new_referent.organisation
    assert current_referent(pathway=pathway).membership == new_referent
    event = Event.objects.get(pathway=pathway, kind=EventKind.REORIENTATION_DECIDED)
    assert "acceptée" in event.summary
    assert AuditEntry.objects.filter(
        object_type="pathways.reorientationrequest", object_id=str(answered.pk), action=AuditAction.UPDATE
    ).exists()
    assert [m.to for m in mail.outbox] == [[membership.user.email]]
    assert "acceptée" in mail.outbox[0].subject


def test_officer_refuses_with_a_reason(
    pathway, membership, officer, pending_request, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        answered = reorientation_decide(
            request=pending_request,
            accept=False,
            reason="L'accompagnement emploi reste adapté",
            membership=officer,
            acting_user=officer.user,
        )
    assert answered.status == ReorientationStatus.REFUSED
    assert Pathway.objects.get(pk=pathway.pk).orientation == Orientation.PROFESSIONAL
    assert not OrientationDecision.objects.filter(request=answered).exists()
    assert "refusée" in Event.objects.get(kind=EventKind.REORIENTATION_DECIDED).summary
    assert [m.to for m in mail.outbox] == [[membership.user.email]]


def test_accepting_requires_a_structure(pathway, officer, pending_request):
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        reorientation_decide(
            request=pending_request, accept=True, reason="Oui", membership=officer, acting_user=officer.user
        )
    assert exc.value.message_dict["structure"] == ["Choisissez la structure d'accompagnement."]
    assert _counts() == before
    pending_request.refresh_from_db()
    assert pending_request.status == ReorientationStatus.PENDING


def test_answer_requires_a_reason(officer, pending_request):
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        reorientation_decide(
            request=pending_request, accept=False, reason=" ", membership=officer, acting_user=officer.user
        )
    assert exc.value.message_dict["reason"] == ["Motivez votre réponse à la demande de réorientation."]
    assert _counts() == before


@pytest.mark.parametrize("role", [Role.CONSEILLER, Role.REFERENT_RSA, Role.PILOTE])
def test_other_roles_cannot_answer(pathway, pending_request, role):
    actor = MembershipFactory(role=role)
    FollowUpMemberFactory(pathway=pathway, membership=actor)
    before = _counts()
    with pytest.raises(PermissionDenied):
        reorientation_decide(
            request=pending_request, accept=False, reason="Non", membership=actor, acting_user=actor.user
        )
    assert _counts() == before


def test_officer_whose_grant_is_revoked_cannot_answer(officer, pending_request):
    officer.territory_grants.update(revoked_at=timezone.now())
    with pytest.raises(PermissionDenied):
        reorientation_decide(
            request=pending_request, accept=False, reason="Non", membership=officer, acting_user=officer.user
        )


def test_answering_twice_is_refused(officer, pending_request):
    reorientation_decide(
        request=pending_request, accept=False, reason="Non", membership=officer, acting_user=officer.user
    )
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        reorientation_decide(
            request=pending_request, accept=True, reason="Finalement oui", membership=officer, acting_user=officer.user
        )
    assert "déjà reçu une réponse" in exc.value.messages[0]
    assert _counts() == before


def test_after_an_answer_a_new_request_may_be_made(pathway, membership, officer, pending_request):
    reorientation_decide(
        request=pending_request, accept=False, reason="Non", membership=officer, acting_user=officer.user
    )
    assert _request(pathway, membership).status == ReorientationStatus.PENDING


@pytest.mark.django_db(transaction=True)
def test_two_officers_answering_at_once_one_wins():
    referent = MembershipFactory()
    pathway = PathwayFactory(referent=referent)
    first = TerritoryGrantFactory(departement=pathway.departement).membership
    second = TerritoryGrantFactory(departement=pathway.departement).membership
    structure = OrganisationFactory(departement=pathway.departement)
    orientation_decide(
        pathway=pathway,
        orientation=Orientation.PROFESSIONAL,
        structure=structure,
        reason="Emploi",
        membership=first,
        acting_user=first.user,
    )
    pending = reorientation_request(
        pathway=pathway,
        proposed_orientation=Orientation.SOCIAL,
        reason="Logement",
        membership=referent,
        acting_user=referent.user,
    )

    def answer(officer, accept):
        return lambda: reorientation_decide(
            request=pending,
            accept=accept,
            reason="Réponse",
            structure=structure,
            membership=officer,
            acting_user=officer.user,
        )

    outcomes = run_together(answer(first, True), answer(second, False))
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert len(errors) == 1
    assert isinstance(errors[0], ValidationError)
    assert "déjà reçu une réponse" in errors[0].messages[0]
    assert Event.objects.filter(pathway=pathway, kind=EventKind.REORIENTATION_DECIDED).count() == 1
    pending.refresh_from_db()
    assert pending.status != ReorientationStatus.PENDING


# --- orientation_work_queue ----------------------------------------------------------------------


def test_queue_lists_first_orientations_and_pending_requests_with_waiting_days(membership, officer, structure):
    now = timezone.now()
    departement = officer.territory_grants.get().departement
    old = PathwayFactory(departement=departement, opened_at=now - datetime.timedelta(days=40))
    recent = PathwayFactory(departement=departement, opened_at=now - datetime.timedelta(days=3))
    decided = PathwayFactory(departement=departement, opened_at=now - datetime.timedelta(days=90))
    _decided(decided, officer, structure)
    asked = PathwayFactory(departement=departement, opened_at=now - datetime.timedelta(days=200))
    _decided(asked, officer, structure)
    asker = current_referent(pathway=asked).membership
    request = _request(asked, asker)
    ReorientationRequest.objects.filter(pk=request.pk).update(requested_at=now - datetime.timedelta(days=10))

    rows = list(orientation_work_queue(membership=officer))
    by_pk = {row.pk: row for row in rows}
    assert decided.pk not in by_pk
    # The fixture's `pathway` (opened now, pending) is in the queue too.
    assert [r.pk for r in rows][:3] == [old.pk, asked.pk, recent.pk]
    assert by_pk[old.pk].waiting_days == 40
    assert by_pk[old.pk].pending_request_id is None
    assert by_pk[old.pk].waiting_since == old.opened_at
    assert by_pk[asked.pk].waiting_days == 10
    assert by_pk[asked.pk].pending_request_id == request.pk
    assert by_pk[asked.pk].proposed_orientation == Orientation.SOCIAL
    assert by_pk[recent.pk].waiting_days == 3


def test_queue_is_one_query(officer, django_assert_num_queries):
    for _ in range(5):
        PathwayFactory(departement=officer.territory_grants.get().departement)
    with django_assert_num_queries(1):
        rows = list(orientation_work_queue(membership=officer))
        assert [r.person.commune for r in rows]
    assert len(rows) == 6


def test_queue_excludes_other_departements_closed_and_answered(pathway, membership, officer, structure):
    elsewhere = PathwayFactory(departement=DepartementFactory(code="85", name="Vendée"))
    closed = PathwayFactory(departement=pathway.departement, person=PersonFactory())
    Pathway.objects.filter(pk=closed.pk).update(status=PathwayStatus.CLOSED, closed_at=timezone.now())
    _decided(pathway, officer, structure)
    request = _request(pathway, membership)
    reorientation_decide(request=request, accept=False, reason="Non", membership=officer, acting_user=officer.user)
    pks = set(orientation_work_queue(membership=officer).values_list("pk", flat=True))
    assert pks.isdisjoint({elsewhere.pk, closed.pk, pathway.pk})


@pytest.mark.parametrize("role", [Role.CONSEILLER, Role.REFERENT_RSA, Role.PILOTE, Role.ADMIN_STRUCTURE])
def test_queue_is_empty_for_other_roles(pathway, role):
    actor = MembershipFactory(role=role)
    TerritoryGrantFactory(membership=actor, departement=pathway.departement)
    assert not orientation_work_queue(membership=actor).exists()


def test_queue_is_empty_without_a_live_grant(pathway, officer):
    assert orientation_work_queue(membership=officer).exists()
    officer.territory_grants.update(revoked_at=timezone.now())
    assert not orientation_work_queue(membership=officer).exists()
    assert not orientation_work_queue(membership=None).exists()


def test_queue_is_empty_for_a_deactivated_officer(pathway, officer):
    officer.is_active = False
    officer.save(update_fields=["is_active"])
    assert not orientation_work_queue(membership=officer).exists()
