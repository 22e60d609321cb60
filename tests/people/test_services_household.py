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
