"""Household, qualifications and experience writes: only a member of an open pathway's group."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from parcours.people.models import Child, WorkExperience
from parcours.people.services_household import child_add, experience_add
from tests.factories import MembershipFactory, RomeJobFactory


@pytest.mark.django_db
def test_child_add_allowed_for_a_group_member(membership, pathway):
    child = child_add(
        pathway=pathway,
        birth_date=datetime.date(2021, 5, 1),
        childcare="none",
        membership=membership,
        acting_user=membership.user,
    )
    assert child.person_id == pathway.person_id


@pytest.mark.django_db
def test_child_add_refused_outside_the_group(pathway):
    outsider = MembershipFactory()
    with pytest.raises(PermissionDenied):
        child_add(
            pathway=pathway,
            birth_date=datetime.date(2021, 5, 1),
            childcare="none",
            membership=outsider,
            acting_user=outsider.user,
        )
    assert not Child.objects.exists()


@pytest.mark.django_db
def test_child_born_before_the_parent_is_refused(membership, pathway):
    with pytest.raises(ValidationError) as exc:
        child_add(
            pathway=pathway,
            birth_date=pathway.person.birth_date - datetime.timedelta(days=1),
            childcare="none",
            membership=membership,
            acting_user=membership.user,
        )
    assert "birth_date" in exc.value.error_dict
    assert not Child.objects.exists()


@pytest.mark.django_db
def test_experience_add_refuses_an_unknown_rome_code(membership, pathway):
    with pytest.raises(ValidationError) as exc:
        experience_add(
            pathway=pathway,
            rome_code="X0000",
            years=Decimal("1"),
            country="",
            membership=membership,
            acting_user=membership.user,
        )
    assert exc.value.message_dict["rome_code"] == ["Code ROME inconnu."]
    assert not WorkExperience.objects.exists()


@pytest.mark.django_db
def test_experience_add_accepts_a_known_rome_code(membership, pathway):
    RomeJobFactory(code="J1501")
    experience = experience_add(
        pathway=pathway,
        rome_code="j1501",
        years=Decimal("2.5"),
        country="fr",
        membership=membership,
        acting_user=membership.user,
    )
    assert experience.rome_id == "J1501"
    assert experience.country == "FR"


def _household_rows(person):
    from parcours.people.models import ForeignQualification

    return (
        Child.objects.filter(person=person).count(),
        ForeignQualification.objects.filter(person=person).count(),
        WorkExperience.objects.filter(person=person).count(),
    )


@pytest.fixture
def household(membership, pathway):
    """One child, one qualification and one experience recorded by the referent."""
    from parcours.people import services_household as sh

    acting = {"pathway": pathway, "membership": membership, "acting_user": membership.user}
    return {
        "child_id": sh.child_add(birth_date=datetime.date(2020, 1, 1), childcare="none", **acting).pk,
        "qualification_id": sh.qualification_add(
            title="Licence de chimie", country="SY", year=2012, recognition="none", **acting
        ).pk,
        "experience_id": sh.experience_add(
            rome_code=RomeJobFactory().code, years=Decimal("2"), country="SY", **acting
        ).pk,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("service", "kwargs"),
    [
        ("child_remove", lambda h: {"child_id": h["child_id"]}),
        ("qualification_add", lambda h: {"title": "Master", "country": "SY", "year": 2015, "recognition": "none"}),
        ("qualification_remove", lambda h: {"qualification_id": h["qualification_id"]}),
        ("experience_add", lambda h: {"rome_code": "J1501", "years": Decimal("1"), "country": "SY"}),
        ("experience_remove", lambda h: {"experience_id": h["experience_id"]}),
    ],
)
def test_household_writes_are_refused_outside_the_group(pathway, household, service, kwargs):
    from parcours.people import services_household as sh

    outsider = MembershipFactory()
    before = _household_rows(pathway.person)
    with pytest.raises(PermissionDenied):
        getattr(sh, service)(pathway=pathway, membership=outsider, acting_user=outsider.user, **kwargs(household))
    assert _household_rows(pathway.person) == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("service", "key", "position"),
    [
        ("child_remove", "child_id", 0),
        ("qualification_remove", "qualification_id", 1),
        ("experience_remove", "experience_id", 2),
    ],
)
def test_household_removals_are_allowed_for_a_group_member(membership, pathway, household, service, key, position):
    from parcours.people import services_household as sh

    getattr(sh, service)(pathway=pathway, membership=membership, acting_user=membership.user, **{key: household[key]})
    assert _household_rows(pathway.person)[position] == 0


@pytest.mark.django_db
def test_unknown_country_is_refused_by_the_domain_not_only_by_forms(membership, pathway):
    from parcours.people.models import ForeignQualification
    from parcours.people.services_household import qualification_add

    with pytest.raises(ValidationError) as exc:
        qualification_add(
            pathway=pathway,
            title="Licence",
            country="ZZ",
            year=2010,
            recognition="none",
            membership=membership,
            acting_user=membership.user,
        )
    assert "Code pays inconnu" in exc.value.message_dict["country"][0]
    assert not ForeignQualification.objects.exists()
