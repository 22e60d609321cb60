"""person_create (duplicate detection, validation) and person_update (group members only)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from parcours.audit.models import AuditAction, AuditEntry
from parcours.pathways.enums import PathwayStatus
from parcours.pathways.models import FollowUpMember, Pathway
from parcours.people.models import Person
from parcours.people.services import DuplicateSuspected, person_create, person_update
from tests.factories import CommuneFactory, MembershipFactory, PathwayFactory, PersonFactory

pytestmark = pytest.mark.django_db


def _data(**overrides):
    data = {
        "first_name": "Amina",
        "last_name": "Haidari",
        "birth_date": datetime.date(1990, 3, 14),
        "sex": "F",
        "commune": CommuneFactory(),
        "languages": ["prs", "fr"],
    }
    data.update(overrides)
    return data


def _create(membership, force=False, **overrides):
    return person_create(data=_data(**overrides), membership=membership, acting_user=membership.user, force=force)


def _nothing_written(person_count, audit_count):
    return Person.objects.count() == person_count and AuditEntry.objects.count() == audit_count


# --- creation ---------------------------------------------------------------------------------


def test_person_create_opens_a_pathway_with_the_creator_as_referent(membership):
    person, pathway = _create(membership)
    assert pathway.person == person and pathway.status == PathwayStatus.OPEN
    seat = FollowUpMember.objects.get(pathway=pathway)
    assert seat.membership == membership and seat.is_referent and seat.ended_at is None
    assert person.created_by == membership.user


def test_person_create_by_a_non_accompanying_role_joins_without_being_referent():
    admin = MembershipFactory(admin=True)
    _person, pathway = _create(admin)
    seat = FollowUpMember.objects.get(pathway=pathway)
    assert seat.membership == admin and not seat.is_referent


def test_person_create_pathway_departement_is_the_persons(membership):
    _person, pathway = _create(membership)
    assert pathway.departement_id == "44"


def test_person_create_audits_the_person_and_the_pathway(membership):
    person, pathway = _create(membership)
    entries = list(AuditEntry.objects.filter(person=person).order_by("id"))
    assert [(e.object_type, e.object_id, e.action) for e in entries] == [
        ("people.person", str(person.pk), AuditAction.CREATE),
        ("pathways.pathway", str(pathway.pk), AuditAction.CREATE),
    ]
    assert entries[0].actor == membership.user
    assert entries[0].organisation == membership.organisation
    assert set(entries[0].fields) >= {"first_name", "last_name", "birth_date"}


# --- duplicates -------------------------------------------------------------------------------


def test_same_name_and_birth_date_is_a_suspected_duplicate(membership):
    existing = PersonFactory(first_name="Amina", last_name="Haidari", birth_date=datetime.date(1990, 3, 14))
    counts = Person.objects.count(), AuditEntry.objects.count()
    with pytest.raises(DuplicateSuspected) as exc:
        _create(membership, first_name="AMINA", last_name="haidari")
    assert exc.value.candidates == [existing]
    assert str(exc.value) == "Une personne semblable existe déjà."
    assert _nothing_written(*counts)
    assert not Pathway.objects.exists()


def test_same_name_but_other_birth_date_is_not_a_duplicate(membership):
    PersonFactory(first_name="Amina", last_name="Haidari", birth_date=datetime.date(1991, 3, 14))
    person, _pathway = _create(membership)
    assert person.pk


@pytest.mark.parametrize(
    "field,value",
    [
        ("nir", "2900375056123"),
        ("france_travail_id", "1234567A"),
        ("caf_number", "7654321"),
        ("ofii_number", "7500000001"),
    ],
)
def test_same_identifier_is_a_suspected_duplicate(membership, field, value):
    existing = PersonFactory(first_name="Zoé", last_name="Autre", **{field: value})
    counts = Person.objects.count(), AuditEntry.objects.count()
    with pytest.raises(DuplicateSuspected) as exc:
        _create(membership, **{field: value})
    assert exc.value.candidates == [existing]
    assert _nothing_written(*counts)


def test_anonymised_person_is_not_a_duplicate_candidate(membership):
    PersonFactory(
        first_name="Amina", last_name="Haidari", birth_date=datetime.date(1990, 3, 14), anonymised_at=timezone.now()
    )
    person, _pathway = _create(membership)
    assert person.pk


def test_force_creates_despite_a_suspected_duplicate(membership):
    existing = PersonFactory(first_name="Amina", last_name="Haidari", birth_date=datetime.date(1990, 3, 14))
    person, _pathway = _create(membership, force=True)
    assert person.pk != existing.pk
    entry = AuditEntry.objects.get(object_type="people.person", object_id=str(person.pk))
    assert entry.reason == "création malgré un doublon possible"


# --- bad input --------------------------------------------------------------------------------


def test_birth_date_in_the_future_is_refused_and_nothing_written(membership):
    counts = Person.objects.count(), AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        _create(membership, birth_date=timezone.localdate() + datetime.timedelta(days=1))
    assert exc.value.message_dict["birth_date"] == ["La date ne peut pas être dans le futur."]
    assert _nothing_written(*counts)
    assert not Pathway.objects.exists()


def test_permit_expiry_before_issue_is_refused_and_nothing_written(membership):
    counts = Person.objects.count(), AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        _create(
            membership,
            residence_permit_issued_on=datetime.date(2024, 5, 1),
            residence_permit_valid_until=datetime.date(2024, 4, 30),
        )
    assert exc.value.message_dict["residence_permit_valid_until"] == [
        "La date d'expiration doit suivre la date de délivrance."
    ]
    assert _nothing_written(*counts)


@pytest.mark.parametrize("code", ["Français", "f", "english", "12"])
def test_malformed_language_code_is_refused_and_nothing_written(membership, code):
    counts = Person.objects.count(), AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        _create(membership, languages=["fr", code])
    assert exc.value.message_dict["languages"] == [f"Code de langue inconnu : {code}."]
    assert _nothing_written(*counts)


def test_unknown_but_well_formed_language_code_is_refused(membership):
    counts = Person.objects.count(), AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        _create(membership, languages=["zz"])
    assert exc.value.message_dict["languages"] == ["Code de langue inconnu : zz."]
    assert _nothing_written(*counts)


def test_arrival_before_birth_is_refused(membership):
    with pytest.raises(ValidationError) as exc:
        _create(membership, arrival_date=datetime.date(1989, 1, 1))
    assert exc.value.message_dict["arrival_date"] == ["La date d'arrivée ne peut pas précéder la date de naissance."]
    assert not Person.objects.exists()


def test_malformed_identifier_is_refused_in_french(membership):
    with pytest.raises(ValidationError) as exc:
        _create(membership, caf_number="12AB")
    assert exc.value.message_dict["caf_number"] == ["Le numéro d'allocataire CAF compte 7 chiffres."]
    assert not Person.objects.exists()


# --- person_update ----------------------------------------------------------------------------


def test_member_updates_an_ordinary_field(pathway, membership):
    person_update(
        person=pathway.person,
        changes={"phone": "06 12 34 56 78"},
        membership=membership,
        acting_user=membership.user,
        pathway=pathway,
    )
    assert Person.objects.get(pk=pathway.person_id).phone == "06 12 34 56 78"
    entry = AuditEntry.objects.get(object_type="people.person", action=AuditAction.UPDATE)
    assert entry.fields == ["phone"] and entry.person_id == pathway.person_id


def test_non_member_cannot_update_the_person(pathway):
    outsider = MembershipFactory()
    with pytest.raises(PermissionDenied):
        person_update(
            person=pathway.person,
            changes={"phone": "06 12 34 56 78"},
            membership=outsider,
            acting_user=outsider.user,
            pathway=pathway,
        )
    assert Person.objects.get(pk=pathway.person_id).phone == ""


def test_member_cannot_update_a_person_through_another_persons_pathway(pathway, membership):
    stranger = PathwayFactory().person
    with pytest.raises(PermissionDenied):
        person_update(
            person=stranger,
            changes={"phone": "06 12 34 56 78"},
            membership=membership,
            acting_user=membership.user,
            pathway=pathway,
        )
    assert Person.objects.get(pk=stranger.pk).phone == ""


def test_person_update_with_bad_value_writes_nothing(pathway, membership):
    audit_count = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        person_update(
            person=pathway.person,
            changes={"birth_date": timezone.localdate() + datetime.timedelta(days=3)},
            membership=membership,
            acting_user=membership.user,
            pathway=pathway,
        )
    assert exc.value.message_dict["birth_date"] == ["La date ne peut pas être dans le futur."]
    assert Person.objects.get(pk=pathway.person_id).birth_date == pathway.person.birth_date
    assert AuditEntry.objects.count() == audit_count


def test_person_update_without_change_writes_nothing(pathway, membership):
    audit_count = AuditEntry.objects.count()
    person_update(
        person=pathway.person,
        changes={"first_name": pathway.person.first_name},
        membership=membership,
        acting_user=membership.user,
        pathway=pathway,
    )
    assert AuditEntry.objects.count() == audit_count
