"""consent_exists: the rule of consented_categories as a per-row SQL condition
(parcours/people/selectors.py), used by the referral and alert selectors."""

import pytest
from django.db.models import OuterRef

from parcours.organisations.enums import Role
from parcours.people.enums import ConsentDecision, ConsentPurpose, DataCategory
from parcours.people.models import Person
from parcours.people.selectors import consent_exists, consented_categories
from tests.factories import ConsentFactory, PersonFactory

pytestmark = pytest.mark.django_db

RESIDENCE = DataCategory.RESIDENCE_STATUS


def test_consent_exists_allows_the_organisation_or_the_role_and_refuses_everything_else(membership):
    assert membership.role != Role.REFERENT_RSA
    org = membership.organisation
    people = {name: PersonFactory() for name in ("org", "role", "withdrawn", "superseded", "purpose", "other_org")}
    people |= {name: PersonFactory() for name in ("other_role", "other_category", "none")}
    ConsentFactory(person=people["org"], organisation=org, category=RESIDENCE)
    ConsentFactory(person=people["role"], organisation=None, role=membership.role, category=RESIDENCE)
    ConsentFactory(person=people["withdrawn"], organisation=org, category=RESIDENCE, decision=ConsentDecision.WITHDRAWN)
    ConsentFactory(person=people["superseded"], organisation=org, category=RESIDENCE, is_current=False)
    ConsentFactory(person=people["purpose"], organisation=org, category=RESIDENCE, purpose=ConsentPurpose.REFERRAL)
    ConsentFactory(person=people["other_org"], category=RESIDENCE)  # another organisation
    ConsentFactory(person=people["other_role"], organisation=None, role=Role.REFERENT_RSA, category=RESIDENCE)
    ConsentFactory(person=people["other_category"], organisation=org, category=DataCategory.HEALTH)

    readable = Person.objects.filter(
        consent_exists(person_ref=OuterRef("pk"), category=RESIDENCE, membership=membership),
        pk__in=[p.pk for p in people.values()],
    )

    assert set(readable.values_list("pk", flat=True)) == {people["org"].pk, people["role"].pk}
    # The same answer as consented_categories, person by person: the rule lives once.
    for name, person in people.items():
        allowed = RESIDENCE in consented_categories(person=person, membership=membership)
        assert allowed == (name in {"org", "role"}), name
    # Another purpose is asked for explicitly.
    by_referral = Person.objects.filter(
        consent_exists(
            person_ref=OuterRef("pk"), category=RESIDENCE, membership=membership, purpose=ConsentPurpose.REFERRAL
        ),
        pk__in=[p.pk for p in people.values()],
    )
    assert list(by_referral.values_list("pk", flat=True)) == [people["purpose"].pk]
