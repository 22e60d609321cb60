"""is_follow_up_seat: the query-free form of is_follow_up_member, from the reader's seat as the
pathway tabs read it. Each refused case gives the same answer as the query."""

import pytest
from django.utils import timezone

from parcours.organisations.enums import Role
from parcours.pathways.selectors import group_members
from parcours.programmes.access import is_follow_up_member, is_follow_up_seat
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def _seat(pathway, membership):
    return next((s for s in group_members(pathway=pathway) if s.membership_id == membership.pk), None)


def test_an_active_follow_up_member_is_one(membership, pathway):
    assert is_follow_up_seat(membership, _seat(pathway, membership)) is True
    assert is_follow_up_member(membership, pathway) is True


def test_no_seat_or_somebody_else_s_seat_is_refused(membership, pathway):
    stranger = MembershipFactory()
    assert is_follow_up_seat(stranger, None) is False
    assert is_follow_up_seat(stranger, _seat(pathway, membership)) is False
    assert is_follow_up_seat(None, _seat(pathway, membership)) is False
    assert is_follow_up_member(stranger, pathway) is False


def test_an_ended_seat_is_refused(membership, pathway):
    seat = _seat(pathway, membership)
    seat.ended_at = timezone.now()
    assert is_follow_up_seat(membership, seat) is False


@pytest.mark.parametrize(
    "change",
    [
        lambda m: setattr(m, "is_active", False),
        lambda m: setattr(m.organisation, "is_active", False),
        lambda m: setattr(m.user, "is_active", False),
        lambda m: setattr(m, "role", Role.PILOTE),
    ],
    ids=["membership", "organisation", "user", "role"],
)
def test_an_inactive_or_non_accompanying_seat_is_refused(membership, pathway, change):
    seat = _seat(pathway, membership)
    change(seat.membership)
    assert is_follow_up_seat(membership, seat) is False
