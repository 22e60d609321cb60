"""Organisations, memberships and territory grants: the invariants the database holds."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from parcours.organisations.models import Membership
from tests.factories import MembershipFactory, OrganisationFactory, TerritoryGrantFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_one_user_may_belong_to_several_organisations():
    user = UserFactory()
    MembershipFactory(user=user)
    MembershipFactory(user=user)
    assert user.memberships.count() == 2


def test_database_refuses_two_memberships_in_the_same_organisation():
    membership = MembershipFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(user=membership.user, organisation=membership.organisation)


def test_siret_of_14_digits_is_accepted():
    assert OrganisationFactory(siret="13000548100010").siret == "13000548100010"


@pytest.mark.parametrize("siret", ["1300054810001", "1300054810001A"])
def test_database_refuses_a_malformed_siret(siret):
    with pytest.raises(IntegrityError), transaction.atomic():
        OrganisationFactory(siret=siret)


def test_active_memberships_exclude_deactivated_ones_and_deactivated_organisations():
    live = MembershipFactory()
    MembershipFactory(is_active=False)
    MembershipFactory(organisation=OrganisationFactory(is_active=False))
    assert list(Membership.objects.active()) == [live]


def test_database_refuses_two_active_grants_on_the_same_departement():
    grant = TerritoryGrantFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        TerritoryGrantFactory(membership=grant.membership, departement=grant.departement)


def test_grant_may_be_given_again_after_revocation():
    grant = TerritoryGrantFactory(revoked_at=timezone.now())
    again = TerritoryGrantFactory(membership=grant.membership, departement=grant.departement)
    assert again.revoked_at is None
