"""Places are never oversold: operators enrolling at the same moment are serialised by the lock on
the session row; exactly as many people as free places get in, the others get the French message.
Two members proposing the same person at once leave one live candidacy. Real threads, real
transactions on PostgreSQL."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from parcours.pathways.models import FollowUpMember
from parcours.programmes.enums import SEAT_STATES, EnrolmentState
from parcours.programmes.models import Enrolment, EnrolmentTransition
from parcours.programmes.services_enrolment import enrolment_move, enrolment_propose, session_update
from tests.concurrency import run_together
from tests.factories import MembershipFactory, PathwayFactory
from tests.programmes.factories import EnrolmentFactory, SessionFactory, operator_staff

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 3  # several sessions, so that more than one interleaving is exercised


def _selected(session, n):
    return [
        EnrolmentFactory(session=session, state=EnrolmentState.SELECTED, proposed_at=timezone.now()) for _ in range(n)
    ]


def _enrol(staff, enrolment):
    return lambda: enrolment_move(membership=staff, enrolment=enrolment, to_state=EnrolmentState.ENROLLED)


def _shrink(staff, session, places):
    return lambda: session_update(membership=staff, session=session, places=places)


def _propose(member, session, pathway):
    return lambda: enrolment_propose(membership=member, session=session, pathway=pathway)


def _seats(session):
    return Enrolment.objects.filter(session=session, state__in=SEAT_STATES).count()


@pytest.mark.parametrize("candidates", [2, 5])
def test_last_place_enrolled_at_once_goes_to_exactly_one_person(candidates):
    for _ in range(ROUNDS):
        session = SessionFactory(places=1)
        staff = [operator_staff(session) for _ in range(candidates)]
        enrolments = _selected(session, candidates)

        outcomes = run_together(*[_enrol(m, e) for m, e in zip(staff, enrolments, strict=True)])

        winners = [o for o in outcomes if isinstance(o, Enrolment)]
        losers = [o for o in outcomes if not isinstance(o, Enrolment)]
        assert len(winners) == 1, outcomes
        assert all(isinstance(o, ValidationError) for o in losers), losers
        assert all("Plus aucune place sur cette session" in o.messages[0] for o in losers)
        assert _seats(session) == 1
        assert EnrolmentTransition.objects.filter(enrolment__session=session, to_state="enrolled").count() == 1


def test_two_free_places_and_four_operators_at_once_fill_exactly_two():
    for _ in range(ROUNDS):
        session = SessionFactory(places=3)
        EnrolmentFactory(session=session, state=EnrolmentState.ENROLLED, enrolled_on=timezone.localdate())
        enrolments = _selected(session, 4)
        staff = operator_staff(session)

        outcomes = run_together(*[_enrol(staff, e) for e in enrolments])

        assert sum(isinstance(o, Enrolment) for o in outcomes) == 2, outcomes
        assert sum(isinstance(o, ValidationError) for o in outcomes) == 2
        assert _seats(session) == 3


def test_places_reduced_while_someone_is_enrolled_never_fall_below_the_seats():
    for _ in range(ROUNDS):
        session = SessionFactory(places=2)
        EnrolmentFactory(session=session, state=EnrolmentState.ENROLLED, enrolled_on=timezone.localdate())
        (enrolment,) = _selected(session, 1)
        staff = operator_staff(session)

        outcomes = run_together(_enrol(staff, enrolment), _shrink(staff, session, 1))

        session.refresh_from_db()
        assert sum(isinstance(o, ValidationError) for o in outcomes) == 1, outcomes
        assert _seats(session) <= session.places


def test_same_person_proposed_twice_at_once_has_one_live_candidacy():
    for _ in range(ROUNDS):
        session = SessionFactory()
        referent = MembershipFactory()
        pathway = PathwayFactory(referent=referent)
        colleague = MembershipFactory()
        FollowUpMember.objects.create(pathway=pathway, membership=colleague)

        outcomes = run_together(_propose(referent, session, pathway), _propose(colleague, session, pathway))

        assert sum(isinstance(o, Enrolment) for o in outcomes) == 1, outcomes
        (loser,) = [o for o in outcomes if not isinstance(o, Enrolment)]
        assert isinstance(loser, ValidationError), loser
        assert "déjà une candidature sur cette session" in loser.messages[0]
        assert Enrolment.objects.filter(session=session, pathway=pathway).count() == 1
