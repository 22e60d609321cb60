"""Two answers to the same referral at the same moment: the row lock serialises them, one wins and
the other gets a clear ReferralConflict; the log holds one answer. Real threads, real transactions."""

import datetime

import pytest
from django.utils import timezone

from parcours.organisations.enums import OrganisationKind
from parcours.referrals.enums import LinkPurpose, ReferralStatus
from parcours.referrals.models import Referral, ReferralTransition
from parcours.referrals.services import (
    ReferralConflict,
    link_answer,
    link_close,
    link_issue,
    link_start,
    referral_accept,
    referral_cancel,
    referral_refuse,
    sweep_deadlines,
)
from tests.concurrency import run_together
from tests.directory.factories import ServiceFactory
from tests.factories import MembershipFactory, OrganisationFactory
from tests.referrals.factories import ReferralFactory

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 3  # several referrals, so that more than one interleaving is exercised


def _new_referral(**kwargs):
    organisation = OrganisationFactory(kind=OrganisationKind.ASSOCIATION)
    service = ServiceFactory(operator=organisation)
    return ReferralFactory(service=service, **kwargs), organisation


def _accept(referral, member):
    return lambda: referral_accept(referral=referral, membership=member, acting_user=member.user)


def _refuse(referral, member):
    return lambda: referral_refuse(referral=referral, reason="no_place", membership=member, acting_user=member.user)


def _cancel(referral, member):
    return lambda: referral_cancel(referral=referral, reason="Erreur", membership=member, acting_user=member.user)


def _answer_link(token, accept):
    return lambda: link_answer(token=token, accept=accept, reason="" if accept else "no_place")


def _start_link(token):
    return lambda: link_start(token=token)


def _answers(referral):
    return ReferralTransition.objects.filter(
        referral=referral, to_status__in=[ReferralStatus.ACCEPTED, ReferralStatus.REFUSED, ReferralStatus.CANCELLED]
    ).count()


def test_two_recipients_accepting_and_refusing_at_once_one_wins():
    for _ in range(ROUNDS):
        referral, organisation = _new_referral()
        first, second = MembershipFactory(organisation=organisation), MembershipFactory(organisation=organisation)

        accepted, refused = run_together(_accept(referral, first), _refuse(referral, second))

        outcomes = [accepted, refused]
        losers = [o for o in outcomes if isinstance(o, Exception)]
        assert len(losers) == 1, outcomes
        assert isinstance(losers[0], ReferralConflict), losers[0]
        referral.refresh_from_db()
        if isinstance(refused, ReferralConflict):
            assert referral.status == ReferralStatus.ACCEPTED
            assert "déjà été acceptée" in refused.messages[0]
        else:
            assert referral.status == ReferralStatus.REFUSED
            assert "déjà refusée" in accepted.messages[0]
        assert _answers(referral) == 1


def test_two_recipients_accepting_at_once_one_wins():
    for _ in range(ROUNDS):
        referral, organisation = _new_referral()
        first, second = MembershipFactory(organisation=organisation), MembershipFactory(organisation=organisation)

        outcomes = run_together(_accept(referral, first), _accept(referral, second))

        assert sum(isinstance(o, ReferralConflict) for o in outcomes) == 1, outcomes
        assert sum(isinstance(o, Referral) for o in outcomes) == 1, outcomes
        assert _answers(referral) == 1


def test_sender_cancelling_while_the_recipient_accepts():
    for _ in range(ROUNDS):
        referral, organisation = _new_referral()
        recipient = MembershipFactory(organisation=organisation)
        sender = referral.sender

        outcomes = run_together(_accept(referral, recipient), _cancel(referral, sender))

        assert sum(isinstance(o, ReferralConflict) for o in outcomes) == 1, outcomes
        referral.refresh_from_db()
        assert referral.status in (ReferralStatus.ACCEPTED, ReferralStatus.CANCELLED)
        assert _answers(referral) == 1


def test_same_link_used_twice_at_once_works_once():
    for _ in range(ROUNDS):
        service = ServiceFactory(operator=None, courriel="accueil@asso.example")
        referral = ReferralFactory(service=service, recipient_organisation=None, recipient_email="accueil@asso.example")
        token = link_issue(referral=referral, purpose=LinkPurpose.ANSWER)

        outcomes = run_together(_answer_link(token, True), _answer_link(token, False))

        failures = [o for o in outcomes if isinstance(o, Exception)]
        assert len(failures) == 1, outcomes
        assert "déjà servi" in failures[0].messages[0]
        assert _answers(referral) == 1


def test_sweep_and_an_answer_at_once_leave_one_final_state():
    for _ in range(ROUNDS):
        past = timezone.now() - datetime.timedelta(days=11)
        referral, organisation = _new_referral(sent_at=past)
        recipient = MembershipFactory(organisation=organisation)

        outcomes = run_together(_accept(referral, recipient), sweep_deadlines)

        referral.refresh_from_db()
        accept_outcome, sweep_outcome = outcomes
        assert not isinstance(sweep_outcome, Exception), sweep_outcome
        if isinstance(accept_outcome, Exception):
            assert isinstance(accept_outcome, ReferralConflict) and "a expiré" in accept_outcome.messages[0]
            assert referral.status == ReferralStatus.EXPIRED
        else:
            assert referral.status == ReferralStatus.ACCEPTED
            assert sweep_outcome["expired"] == 0
        assert ReferralTransition.objects.filter(referral=referral).count() == 1


def test_same_outcome_link_starting_twice_at_once_starts_once():
    for _ in range(ROUNDS):
        service = ServiceFactory(operator=None, courriel="accueil@asso.example")
        referral = ReferralFactory(
            service=service,
            recipient_organisation=None,
            recipient_email="accueil@asso.example",
            status=ReferralStatus.ACCEPTED,
        )
        token = link_issue(referral=referral, purpose=LinkPurpose.OUTCOME)

        outcomes = run_together(_start_link(token), _start_link(token))

        failures = [o for o in outcomes if isinstance(o, Exception)]
        assert len(failures) == 1, outcomes
        assert isinstance(failures[0], ReferralConflict), failures[0]
        assert "déjà démarré" in failures[0].messages[0]
        assert ReferralTransition.objects.filter(referral=referral, to_status=ReferralStatus.STARTED).count() == 1
        # The link still serves for the outcome.
        link_close(token=token, outcome="completed")
        assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.CLOSED
