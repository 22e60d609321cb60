"""Who may do what with programmes, shared by the services, selectors and pages.

- Programme managers: the pilote or structure administrator of the organisation that declared it.
- Session managers: the programme's managers, and the administrators and accompanying
  professionals of an operator organisation of the programme.
- Operator staff of a session: the accompanying professionals of the session's operator centre;
  they see and move the session's enrolments.
- Follow-up members: the active seats of the person's pathway; they propose candidacies and see
  the person's enrolments.
- Indicators (aggregates, never a person): any pilote, and any member of the owner or of an
  operator organisation.
The `*_q` functions give the same rules as SQL conditions, for selectors."""

from typing import TypeGuard

from django.db.models import Exists, OuterRef, Q

from parcours.organisations.enums import ACCOMPANYING_ROLES, Role
from parcours.organisations.models import Membership
from parcours.pathways.models import FollowUpMember, Pathway

from .models import Enrolment, Programme, Session

MANAGER_ROLES = frozenset({Role.PILOTE, Role.ADMIN_STRUCTURE})


def _live(membership: Membership | None) -> TypeGuard[Membership]:
    return (
        membership is not None
        and membership.is_active
        and membership.organisation.is_active
        and membership.user.is_active
    )


def can_manage_programme(membership: Membership | None, programme: Programme) -> bool:
    return _live(membership) and membership.organisation_id == programme.owner_id and membership.role in MANAGER_ROLES


def is_operator(membership: Membership | None, programme: Programme) -> bool:
    return _live(membership) and programme.operators.filter(pk=membership.organisation_id).exists()


def can_manage_sessions(membership: Membership | None, programme: Programme) -> bool:
    if can_manage_programme(membership, programme):
        return True
    return (
        _live(membership)
        and (membership.role == Role.ADMIN_STRUCTURE or membership.role in ACCOMPANYING_ROLES)
        and is_operator(membership, programme)
    )


def is_operator_staff(membership: Membership | None, session: Session) -> bool:
    return (
        _live(membership)
        and membership.organisation_id == session.operator_id
        and membership.role in ACCOMPANYING_ROLES
    )


def is_follow_up_member(membership: Membership | None, pathway: Pathway) -> bool:
    return (
        _live(membership)
        and membership.role in ACCOMPANYING_ROLES
        and FollowUpMember.objects.filter(pathway=pathway, membership=membership, ended_at__isnull=True).exists()
    )


def is_follow_up_seat(membership: Membership | None, seat: FollowUpMember | None) -> bool:
    """is_follow_up_member without a query, from the reader's seat on the pathway (None when they
    have none) read with its membership, organisation and user (pathways.selectors.group_members)."""
    if membership is None or seat is None or seat.ended_at is not None or seat.membership_id != membership.pk:
        return False
    seated = seat.membership
    return _live(seated) and seated.role in ACCOMPANYING_ROLES


def can_view_enrolment(membership: Membership | None, enrolment: Enrolment) -> bool:
    return is_operator_staff(membership, enrolment.session) or is_follow_up_member(membership, enrolment.pathway)


def can_view_indicators(membership: Membership | None, programme: Programme) -> bool:
    if not _live(membership):
        return False
    if membership.role == Role.PILOTE or membership.organisation_id == programme.owner_id:
        return True
    return is_operator(membership, programme)


def enrolments_visible_q(membership: Membership | None) -> Q:
    """SQL condition on Enrolment: the enrolments this membership may read."""
    if not _live(membership) or membership.role not in ACCOMPANYING_ROLES:
        return Q(pk__in=[])
    seat = FollowUpMember.objects.filter(pathway=OuterRef("pathway"), membership=membership, ended_at__isnull=True)
    return Q(session__operator_id=membership.organisation_id) | Q(Exists(seat))


def programmes_with_indicators_q(membership: Membership | None) -> Q:
    """SQL condition on Programme: the programmes whose indicators this membership may read."""
    if not _live(membership):
        return Q(pk__in=[])
    if membership.role == Role.PILOTE:
        return Q()
    return Q(owner_id=membership.organisation_id) | Q(operators=membership.organisation_id)
