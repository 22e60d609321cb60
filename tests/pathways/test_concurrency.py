"""Two people acting on the same pathway at the same moment: the row locks serialise them and the
database constraints hold, whatever the interleaving. Real threads, real transactions."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count

from parcours.pathways.enums import ActionStatus, EventKind
from parcours.pathways.models import Action, Event, FollowUpMember, Pathway
from parcours.pathways.services import action_set_status, pathway_open, referent_change
from tests.concurrency import run_together
from tests.factories import (
    ActionFactory,
    FollowUpMemberFactory,
    GoalFactory,
    MembershipFactory,
    PathwayFactory,
    PersonFactory,
    TerritoryGrantFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 3  # several pathways, so that more than one interleaving is exercised


def _change(pathway, actor, new):
    def call():
        return referent_change(
            pathway=pathway,
            new_membership=new,
            reason="Réorganisation",
            handover_note="Dossier à jour.",
            membership=actor,
            acting_user=actor.user,
        )

    return call


def _assert_one_referent_and_no_duplicate_seat(pathway):
    active = FollowUpMember.objects.filter(pathway=pathway, ended_at__isnull=True)
    assert active.filter(is_referent=True).count() == 1
    duplicates = active.values("membership").annotate(n=Count("id")).filter(n__gt=1)
    assert not duplicates.exists()


def test_referent_and_orientation_officer_changing_at_once_leave_one_referent():
    for _ in range(ROUNDS):
        referent = MembershipFactory()
        pathway = PathwayFactory(referent=referent)
        officer = TerritoryGrantFactory(departement=pathway.departement).membership
        by_referent, by_officer = MembershipFactory(), MembershipFactory()

        outcome_referent, outcome_officer = run_together(
            _change(pathway, referent, by_referent), _change(pathway, officer, by_officer)
        )

        # The officer is allowed whatever happened first; the referent only if they went first.
        assert not isinstance(outcome_officer, Exception), outcome_officer
        assert not isinstance(outcome_referent, Exception) or isinstance(
            outcome_referent, PermissionDenied | ValidationError
        ), outcome_referent
        _assert_one_referent_and_no_duplicate_seat(pathway)
        referent_now = FollowUpMember.objects.get(pathway=pathway, is_referent=True, ended_at__isnull=True)
        # Either the officer was serialised after the referent, or the referent lost the right:
        # in both cases the officer's choice is the last word.
        assert referent_now.membership == by_officer
        handovers = 1 if isinstance(outcome_referent, Exception) else 2
        assert Event.objects.filter(pathway=pathway, kind=EventKind.REFERENT_CHANGED).count() == handovers


def test_two_orientation_officers_changing_at_once_are_serialised():
    for _ in range(ROUNDS):
        pathway = PathwayFactory()
        first = TerritoryGrantFactory(departement=pathway.departement).membership
        second = TerritoryGrantFactory(departement=pathway.departement).membership
        new_a, new_b = MembershipFactory(), MembershipFactory()

        outcomes = run_together(_change(pathway, first, new_a), _change(pathway, second, new_b))

        assert not any(isinstance(o, Exception) for o in outcomes), outcomes
        _assert_one_referent_and_no_duplicate_seat(pathway)
        handovers = sorted(outcomes, key=lambda h: h.decided_at)
        # The second change saw the first one: its "previous" is the first one's new seat.
        assert handovers[1].previous_id == handovers[0].new_id


def test_two_members_finishing_the_same_action_at_once_one_wins():
    for _ in range(ROUNDS):
        referent = MembershipFactory()
        pathway = PathwayFactory(referent=referent)
        member = FollowUpMemberFactory(pathway=pathway).membership
        action = ActionFactory(goal=GoalFactory(pathway=pathway))

        def finish(actor, action=action):
            return lambda: action_set_status(
                action=action, status=ActionStatus.DONE, membership=actor, acting_user=actor.user
            )

        outcomes = run_together(finish(referent), finish(member))

        winners = [o for o in outcomes if isinstance(o, Action)]
        losers = [o for o in outcomes if isinstance(o, Exception)]
        assert len(winners) == 1 and len(losers) == 1, outcomes
        assert isinstance(losers[0], ValidationError)
        assert "ne peut pas passer à" in losers[0].message_dict["status"][0]
        assert Action.objects.get(pk=action.pk).status == ActionStatus.DONE
        assert Event.objects.filter(pathway=pathway, kind=EventKind.ACTION_UPDATED).count() == 1


def test_two_professionals_opening_a_pathway_for_the_same_person_at_once():
    person = PersonFactory()
    first, second = MembershipFactory(), MembershipFactory()

    def open_by(actor):
        return lambda: pathway_open(person=person, membership=actor, acting_user=actor.user)

    outcomes = run_together(open_by(first), open_by(second))

    opened = [o for o in outcomes if isinstance(o, Pathway)]
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(opened) == 1 and len(refused) == 1, outcomes
    assert isinstance(refused[0], ValidationError)
    assert refused[0].messages == ["Cette personne a déjà un parcours en cours."]
    assert Pathway.objects.filter(person=person).count() == 1


def test_diagnostic_and_action_update_at_once_both_succeed():
    # diagnostic_record locks the person then touches the pathway; action_set_status must not lock
    # the person and the pathway through its join, or the two can deadlock.
    from parcours.diagnostics.services import diagnostic_record

    for _ in range(ROUNDS):
        referent = MembershipFactory()
        pathway = PathwayFactory(referent=referent)
        member = FollowUpMemberFactory(pathway=pathway).membership
        action = ActionFactory(goal=GoalFactory(pathway=pathway))

        def record(pathway=pathway, referent=referent):
            return diagnostic_record(
                person=pathway.person,
                pathway=pathway,
                themes={"emploi": {"need": "priority"}},
                languages=[],
                interpreting_needed=False,
                interpreting_language="",
                summary="",
                membership=referent,
                acting_user=referent.user,
            )

        def finish(action=action, member=member):
            return action_set_status(
                action=action, status=ActionStatus.DONE, membership=member, acting_user=member.user
            )

        outcomes = run_together(record, finish)

        assert not any(isinstance(o, Exception) for o in outcomes), outcomes
