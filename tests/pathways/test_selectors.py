"""Access rules on pathways (parcours/pathways/selectors.py): each rule with its allowed and its
refused case. Scoping is per membership, in the query."""

import datetime

import pytest
from django.http import Http404
from django.utils import timezone

from parcours.organisations.enums import Role
from parcours.pathways.enums import Orientation, PathwayStatus
from parcours.pathways.models import FollowUpMember, Pathway
from parcours.pathways.selectors import (
    caseload_for,
    pathway_get_for,
    pathways_visible_to,
    people_followed_by_organisation,
    person_directory_lookup,
    territory_aggregates,
)
from tests.factories import (
    BreakGlassAccessFactory,
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


def _visible(membership=None, user=None):
    return set(pathways_visible_to(membership=membership, user=user).values_list("pk", flat=True))


@pytest.fixture
def vendee():
    return DepartementFactory(code="85", name="Vendée", region_code="52")


# --- pathways_visible_to: follow-up group ----------------------------------------------------


def test_referent_sees_the_pathway(pathway, membership):
    assert _visible(membership) == {pathway.pk}


def test_active_group_member_sees_the_pathway(pathway):
    seat = FollowUpMemberFactory(pathway=pathway)
    assert _visible(seat.membership) == {pathway.pk}


def test_member_whose_seat_ended_no_longer_sees_the_pathway(pathway):
    seat = FollowUpMemberFactory(pathway=pathway, ended_at=timezone.now())
    assert _visible(seat.membership) == set()


def test_colleague_of_another_organisation_does_not_see_the_pathway(pathway):
    outsider = MembershipFactory()
    assert _visible(outsider) == set()


def test_colleague_of_the_same_organisation_outside_the_group_does_not_see_the_pathway(pathway, membership):
    colleague = MembershipFactory(organisation=membership.organisation)
    assert _visible(colleague) == set()


def test_same_user_under_another_membership_does_not_see_the_pathway(pathway, membership):
    other_membership = MembershipFactory(user=membership.user)
    assert _visible(other_membership) == set()


def test_deactivated_membership_sees_nothing(pathway, membership):
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    assert _visible(membership) == set()


def test_member_of_a_deactivated_organisation_sees_nothing(pathway, membership):
    membership.organisation.is_active = False
    membership.organisation.save(update_fields=["is_active"])
    assert _visible(membership) == set()


def test_no_membership_and_no_user_sees_nothing(pathway):
    assert _visible(None, None) == set()


def test_pathway_get_for_raises_404_outside_scope(pathway):
    outsider = MembershipFactory()
    with pytest.raises(Http404):
        pathway_get_for(membership=outsider, user=outsider.user, pathway_id=pathway.pk)


def test_pathway_get_for_returns_the_pathway_to_a_member(pathway, membership):
    assert pathway_get_for(membership=membership, user=membership.user, pathway_id=pathway.pk) == pathway


def test_visibility_is_one_query(pathway, membership, django_assert_num_queries):
    with django_assert_num_queries(1):
        list(pathways_visible_to(membership=membership))


# --- pathways_visible_to: chargé·e d'orientation with a territory grant -----------------------


def test_orientation_officer_with_grant_sees_open_pathways_of_the_departement(pathway):
    grant = TerritoryGrantFactory(departement=pathway.departement)
    assert _visible(grant.membership) == {pathway.pk}


def test_orientation_officer_with_grant_does_not_see_closed_pathways(pathway):
    grant = TerritoryGrantFactory(departement=pathway.departement)
    Pathway.objects.filter(pk=pathway.pk).update(status=PathwayStatus.CLOSED, closed_at=timezone.now())
    assert _visible(grant.membership) == set()


def test_orientation_officer_does_not_see_another_departement(pathway, vendee):
    grant = TerritoryGrantFactory(departement=vendee)
    assert _visible(grant.membership) == set()


def test_orientation_officer_without_grant_sees_nothing(pathway):
    officer = MembershipFactory(orientation=True, organisation__departement=pathway.departement)
    assert _visible(officer) == set()


def test_orientation_officer_no_longer_sees_after_revocation(pathway):
    grant = TerritoryGrantFactory(departement=pathway.departement)
    grant.revoked_at = timezone.now()
    grant.save(update_fields=["revoked_at"])
    assert _visible(grant.membership) == set()


def test_grant_on_a_non_orientation_role_gives_nothing(pathway):
    grant = TerritoryGrantFactory(departement=pathway.departement, membership__role=Role.CONSEILLER)
    assert _visible(grant.membership) == set()


@pytest.mark.parametrize("role", [Role.PILOTE, Role.ADMIN_STRUCTURE])
def test_pilote_and_structure_admin_do_not_see_pathways(pathway, membership, role):
    steering = MembershipFactory(role=role, organisation=membership.organisation)
    assert _visible(steering) == set()


# --- pathways_visible_to: platform administrator, break-glass only ----------------------------


def test_superuser_without_break_glass_sees_nothing(pathway):
    admin = UserFactory(is_superuser=True)
    assert _visible(None, admin) == set()


def test_superuser_with_unexpired_break_glass_sees_the_pathway(pathway):
    access = BreakGlassAccessFactory(pathway=pathway)
    assert _visible(None, access.user) == {pathway.pk}


def test_superuser_with_expired_break_glass_sees_nothing(pathway):
    access = BreakGlassAccessFactory(pathway=pathway, expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert _visible(None, access.user) == set()


def test_break_glass_of_another_administrator_gives_nothing(pathway):
    BreakGlassAccessFactory(pathway=pathway)
    other_admin = UserFactory(is_superuser=True)
    assert _visible(None, other_admin) == set()


def test_break_glass_row_of_a_non_superuser_gives_nothing(pathway):
    access = BreakGlassAccessFactory(pathway=pathway, user__is_superuser=False)
    assert _visible(None, access.user) == set()


# --- caseload_for -----------------------------------------------------------------------------


def _caseload(membership, **filters):
    return list(caseload_for(membership=membership, **filters).values_list("pk", flat=True))


def test_caseload_contains_only_my_active_seats(membership):
    mine = PathwayFactory(referent=membership)
    member_of = FollowUpMemberFactory(membership=membership).pathway
    FollowUpMemberFactory(membership=membership, ended_at=timezone.now())  # left that group
    PathwayFactory()  # somebody else's
    MembershipFactory(user=membership.user)  # same user, other organisation
    PathwayFactory(referent=MembershipFactory(user=membership.user))
    assert set(_caseload(membership)) == {mine.pk, member_of.pk}


def test_caseload_role_filter_referent_and_member(membership):
    mine = PathwayFactory(referent=membership)
    member_of = FollowUpMemberFactory(membership=membership).pathway
    assert _caseload(membership, role="referent") == [mine.pk]
    assert _caseload(membership, role="membre") == [member_of.pk]


def test_caseload_status_filter(membership):
    open_one = PathwayFactory(referent=membership)
    closed = PathwayFactory(referent=membership)
    Pathway.objects.filter(pk=closed.pk).update(status=PathwayStatus.CLOSED, closed_at=timezone.now())
    assert _caseload(membership) == [open_one.pk]
    assert _caseload(membership, status=PathwayStatus.CLOSED) == [closed.pk]
    assert set(_caseload(membership, status="")) == {open_one.pk, closed.pk}


def test_caseload_orientation_filter(membership):
    pending = PathwayFactory(referent=membership)
    social = PathwayFactory(referent=membership, orientation=Orientation.SOCIAL)
    assert _caseload(membership, orientation=Orientation.SOCIAL) == [social.pk]
    assert _caseload(membership, orientation=Orientation.PENDING) == [pending.pk]


def test_caseload_query_matches_names_word_by_word(membership):
    amina = PathwayFactory(referent=membership, person__first_name="Amina", person__last_name="Haidari")
    PathwayFactory(referent=membership, person__first_name="Jean", person__last_name="Martin")
    assert _caseload(membership, query="haid") == [amina.pk]
    assert _caseload(membership, query="amina HAIDARI") == [amina.pk]
    assert _caseload(membership, query="amina martin") == []


def test_caseload_sorts_by_name_and_activity(membership):
    now = timezone.now()
    b = PathwayFactory(referent=membership, person__last_name="Bernard")
    a = PathwayFactory(referent=membership, person__last_name="Adam")
    c = PathwayFactory(referent=membership, person__last_name="Colin")
    for pw, minutes in ((a, 30), (b, 10), (c, 20)):
        Pathway.objects.filter(pk=pw.pk).update(last_activity_at=now - datetime.timedelta(minutes=minutes))
    assert _caseload(membership, sort="nom") == [a.pk, b.pk, c.pk]
    assert _caseload(membership, sort="-nom") == [c.pk, b.pk, a.pk]
    assert _caseload(membership, sort="-activite") == [b.pk, c.pk, a.pk]
    assert _caseload(membership, sort="activite") == [a.pk, c.pk, b.pk]
    assert _caseload(membership, sort="n'importe quoi") == [b.pk, c.pk, a.pk]


def test_caseload_prefetches_the_referent_in_constant_queries(membership, django_assert_num_queries):
    for _ in range(5):
        FollowUpMemberFactory(membership=membership)
    with django_assert_num_queries(2):
        rows = list(caseload_for(membership=membership))
        referents = [row.referent_seats[0].membership.user.username for row in rows]
    assert len(referents) == 5


# --- person_directory_lookup ------------------------------------------------------------------


@pytest.fixture
def known_person_pathway(membership):
    person = PersonFactory(
        first_name="Amina",
        last_name="Haidari",
        birth_date=datetime.date(1990, 3, 14),
        france_travail_id="1234567A",
        caf_number="7654321",
    )
    return PathwayFactory(person=person, referent=membership)


def _lookup(**kwargs):
    return [p.pk for p in person_directory_lookup(**kwargs)]


def test_lookup_by_exact_identifier_finds_the_pathway(known_person_pathway):
    assert _lookup(identifier="1234567a") == [known_person_pathway.pk]
    assert _lookup(identifier="7654321") == [known_person_pathway.pk]


def test_lookup_shows_who_the_referent_is(known_person_pathway, membership):
    (row,) = person_directory_lookup(identifier="7654321")
    assert row.referent_seats[0].membership == membership


def test_lookup_by_identifier_prefix_finds_nothing(known_person_pathway):
    assert _lookup(identifier="1234567") == []
    assert _lookup(identifier="765") == []


def test_lookup_by_exact_name_and_birth_date_finds_the_pathway(known_person_pathway):
    found = _lookup(last_name="HAIDARI", first_name="amina", birth_date=datetime.date(1990, 3, 14))
    assert found == [known_person_pathway.pk]


def test_lookup_by_name_prefix_finds_nothing(known_person_pathway):
    assert _lookup(last_name="Haid", first_name="Amina", birth_date=datetime.date(1990, 3, 14)) == []


def test_lookup_with_wrong_birth_date_finds_nothing(known_person_pathway):
    assert _lookup(last_name="Haidari", first_name="Amina", birth_date=datetime.date(1990, 3, 15)) == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"identifier": "   "},
        {"last_name": "Haidari"},
        {"last_name": "Haidari", "first_name": "Amina"},
        {"last_name": "Haidari", "birth_date": datetime.date(1990, 3, 14)},
    ],
)
def test_lookup_with_partial_input_finds_nothing(known_person_pathway, kwargs):
    assert _lookup(**kwargs) == []


def test_lookup_ignores_closed_pathways(known_person_pathway):
    Pathway.objects.filter(pk=known_person_pathway.pk).update(status=PathwayStatus.CLOSED, closed_at=timezone.now())
    assert _lookup(identifier="7654321") == []


# --- people_followed_by_organisation ----------------------------------------------------------


def test_structure_admin_lists_pathways_followed_by_the_organisation(pathway, membership):
    admin = MembershipFactory(admin=True, organisation=membership.organisation)
    FollowUpMemberFactory(pathway=pathway, membership=MembershipFactory(organisation=membership.organisation))
    PathwayFactory()  # followed by another organisation
    assert list(people_followed_by_organisation(membership=admin)) == [pathway]


def test_structure_admin_does_not_list_pathways_whose_seats_ended(pathway, membership):
    admin = MembershipFactory(admin=True, organisation=membership.organisation)
    FollowUpMember.objects.filter(pathway=pathway).update(ended_at=timezone.now())
    FollowUpMemberFactory(pathway=pathway)  # another organisation still follows it
    assert list(people_followed_by_organisation(membership=admin)) == []


@pytest.mark.parametrize("role", [Role.CONSEILLER, Role.PILOTE, Role.CHARGE_ORIENTATION])
def test_other_roles_get_no_organisation_list(pathway, membership, role):
    other = MembershipFactory(role=role, organisation=membership.organisation)
    assert list(people_followed_by_organisation(membership=other)) == []


# --- territory_aggregates ---------------------------------------------------------------------


def test_territory_aggregates_count_without_persons(pathway, vendee):
    PathwayFactory(orientation=Orientation.SOCIAL)
    PathwayFactory(referent=False)
    closed = PathwayFactory()
    Pathway.objects.filter(pk=closed.pk).update(status=PathwayStatus.CLOSED, closed_at=timezone.now())
    PathwayFactory(departement=vendee)
    figures = territory_aggregates(departement_code="44")
    assert figures == {
        "open": 3,
        "closed": 1,
        "by_orientation": {Orientation.PENDING: 2, Orientation.SOCIAL: 1},
        "without_referent": 1,
    }


def test_territory_aggregates_hold_only_numbers(pathway):
    figures = territory_aggregates(departement_code="44")
    values = [figures["open"], figures["closed"], figures["without_referent"], *figures["by_orientation"].values()]
    assert all(isinstance(v, int) for v in values)


def test_organisation_factory_default_departement_is_44():
    # Guard for the tests above, which rely on every factory sharing département 44.
    assert OrganisationFactory().departement_id == "44"


# --- query counts -----------------------------------------------------------------------------


def test_directory_lookup_is_two_queries(known_person_pathway, django_assert_num_queries):
    with django_assert_num_queries(2):
        rows = list(person_directory_lookup(identifier="7654321"))
        assert rows[0].referent_seats[0].membership.user.username


def test_structure_admin_list_is_one_query(pathway, membership, django_assert_num_queries):
    admin = MembershipFactory(admin=True, organisation=membership.organisation)
    for _ in range(3):
        PathwayFactory(referent=MembershipFactory(organisation=membership.organisation))
    with django_assert_num_queries(1):
        names = [p.person.last_name for p in people_followed_by_organisation(membership=admin)]
    assert len(names) == 4


def test_territory_aggregates_take_a_fixed_number_of_queries(pathway, django_assert_num_queries):
    for _ in range(5):
        PathwayFactory()
    with django_assert_num_queries(4):
        territory_aggregates(departement_code="44")


def test_referent_candidates_are_live_accompanying_members_or_the_searched_professional(db):
    from parcours.organisations.enums import Role
    from parcours.pathways.selectors import member_candidates, referent_candidates
    from tests.factories import FollowUpMemberFactory, MembershipFactory, PathwayFactory

    referent = MembershipFactory()
    pathway = PathwayFactory(referent=referent)
    member = FollowUpMemberFactory(pathway=pathway).membership
    gone = FollowUpMemberFactory(pathway=pathway).membership
    gone.user.is_active = False
    gone.user.save(update_fields=["is_active"])
    pilote = MembershipFactory(role=Role.PILOTE)
    outsider = MembershipFactory()

    assert set(referent_candidates(pathway=pathway)) == {member}
    assert set(referent_candidates(pathway=pathway, email=outsider.user.email)) == {member, outsider}
    assert not referent_candidates(pathway=pathway, email=pilote.user.email).filter(pk=pilote.pk).exists()
    assert list(member_candidates(pathway=pathway, email="")) == []
    assert list(member_candidates(pathway=pathway, email=member.user.email)) == []  # already seated
    assert list(member_candidates(pathway=pathway, email=outsider.user.email)) == [outsider]
