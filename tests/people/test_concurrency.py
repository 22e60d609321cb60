"""Two consent decisions for the same person at the same moment are serialised: the ledger keeps
exactly one current entry per grantee, category and purpose."""

import pytest
from django.core.exceptions import ValidationError

from parcours.people.enums import ConsentChannel, ConsentDecision, ConsentPurpose, DataCategory
from parcours.people.models import Consent
from parcours.people.services import consent_record
from tests.concurrency import run_together
from tests.factories import MembershipFactory, PathwayFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_identical_consents_recorded_at_once_leave_one_current_entry():
    membership = MembershipFactory()
    person = PathwayFactory(referent=membership).person

    def give():
        return consent_record(
            person=person,
            category=DataCategory.HEALTH,
            purpose=ConsentPurpose.ACCOMPANIMENT,
            decision=ConsentDecision.GIVEN,
            channel=ConsentChannel.IN_PERSON,
            organisation=membership.organisation,
            membership=membership,
            acting_user=membership.user,
        )

    outcomes = run_together(give, give)

    recorded = [o for o in outcomes if isinstance(o, Consent)]
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(recorded) == 1 and len(refused) == 1, outcomes
    assert isinstance(refused[0], ValidationError)
    assert refused[0].messages == ["Ce consentement est déjà enregistré dans cet état."]
    assert Consent.objects.filter(person=person).count() == 1
