"""Consent ledger: which categories a membership may read, how decisions supersede each other,
and how sensitive fields are hidden (parcours/people/selectors.py, services.consent_record)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from parcours.audit.models import AuditEntry
from parcours.organisations.enums import Role
from parcours.pathways.enums import EventKind
from parcours.pathways.models import Event
from parcours.people.enums import (
    ORDINARY_CATEGORIES,
    ConsentChannel,
    ConsentDecision,
    ConsentPurpose,
    DataCategory,
)
from parcours.people.models import Consent, Person
from parcours.people.selectors import RedactedPerson, consent_ledger, consented_categories
from parcours.people.services import consent_record, person_update
from tests.factories import ConsentFactory, FollowUpMemberFactory, MembershipFactory, PersonFactory

pytestmark = pytest.mark.django_db

RESIDENCE = DataCategory.RESIDENCE_STATUS


def _record(person, membership, decision=ConsentDecision.GIVEN, category=RESIDENCE, **grantee):
    if not grantee:
        grantee = {"organisation": membership.organisation}
    return consent_record(
        person=person,
        category=category,
        purpose=ConsentPurpose.ACCOMPANIMENT,
        decision=decision,
        channel=ConsentChannel.IN_PERSON,
        membership=membership,
        acting_user=membership.user,
        **grantee,
    )


# --- consented_categories ---------------------------------------------------------------------


def test_ordinary_categories_are_always_readable(pathway, membership):
    assert consented_categories(person=pathway.person, membership=membership) == ORDINARY_CATEGORIES


def test_sensitive_category_readable_with_consent_for_the_organisation(pathway, membership):
    ConsentFactory(person=pathway.person, organisation=membership.organisation, category=RESIDENCE)
    assert RESIDENCE in consented_categories(person=pathway.person, membership=membership)


def test_consent_for_another_organisation_does_not_open_the_category(pathway, membership):
    ConsentFactory(person=pathway.person, category=RESIDENCE)  # some other organisation
    assert RESIDENCE not in consented_categories(person=pathway.person, membership=membership)


def test_consent_for_another_person_does_not_open_the_category(pathway, membership):
    ConsentFactory(organisation=membership.organisation, category=RESIDENCE)
    assert RESIDENCE not in consented_categories(person=pathway.person, membership=membership)


def test_sensitive_category_readable_with_consent_for_the_role(pathway, membership):
    ConsentFactory(person=pathway.person, organisation=None, role=Role.CONSEILLER, category=DataCategory.HEALTH)
    assert DataCategory.HEALTH in consented_categories(person=pathway.person, membership=membership)


def test_consent_for_another_role_does_not_open_the_category(pathway, membership):
    ConsentFactory(person=pathway.person, organisation=None, role=Role.REFERENT_RSA, category=DataCategory.HEALTH)
    assert DataCategory.HEALTH not in consented_categories(person=pathway.person, membership=membership)


def test_withdrawn_consent_does_not_open_the_category(pathway, membership):
    ConsentFactory(
        person=pathway.person,
        organisation=membership.organisation,
        category=RESIDENCE,
        decision=ConsentDecision.WITHDRAWN,
    )
    assert RESIDENCE not in consented_categories(person=pathway.person, membership=membership)


def test_superseded_given_consent_does_not_open_the_category(pathway, membership):
    ConsentFactory(person=pathway.person, organisation=membership.organisation, category=RESIDENCE, is_current=False)
    assert RESIDENCE not in consented_categories(person=pathway.person, membership=membership)


def test_consented_categories_accepts_a_person_id_in_one_query(pathway, membership, django_assert_num_queries):
    ConsentFactory(person=pathway.person, organisation=membership.organisation, category=RESIDENCE)
    with django_assert_num_queries(1):
        categories = consented_categories(person=pathway.person_id, membership=membership)
    assert RESIDENCE in categories


# --- consent_record ---------------------------------------------------------------------------


def test_giving_consent_opens_the_category(pathway, membership):
    consent = _record(pathway.person, membership)
    assert consent.is_current and consent.recorded_by == membership.user
    assert RESIDENCE in consented_categories(person=pathway.person, membership=membership)


def test_withdrawal_takes_effect_on_the_next_call(pathway, membership):
    _record(pathway.person, membership)
    assert RESIDENCE in consented_categories(person=pathway.person, membership=membership)
    _record(pathway.person, membership, decision=ConsentDecision.WITHDRAWN)
    assert RESIDENCE not in consented_categories(person=pathway.person, membership=membership)


def test_withdrawal_supersedes_without_deleting(pathway, membership):
    given = _record(pathway.person, membership)
    withdrawn = _record(pathway.person, membership, decision=ConsentDecision.WITHDRAWN)
    given.refresh_from_db()
    assert not given.is_current
    assert given.superseded_at is not None
    assert given.decision == ConsentDecision.GIVEN
    assert withdrawn.is_current and withdrawn.superseded_at is None
    assert list(consent_ledger(person=pathway.person)) == [withdrawn, given]


def test_consent_can_be_given_again_after_withdrawal(pathway, membership):
    _record(pathway.person, membership)
    _record(pathway.person, membership, decision=ConsentDecision.WITHDRAWN)
    _record(pathway.person, membership)
    assert Consent.objects.filter(person=pathway.person).count() == 3
    assert Consent.objects.filter(person=pathway.person, is_current=True).count() == 1
    assert RESIDENCE in consented_categories(person=pathway.person, membership=membership)


def test_recording_the_same_state_twice_is_refused_and_writes_nothing(pathway, membership):
    first = _record(pathway.person, membership)
    audit_count = AuditEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        _record(pathway.person, membership)
    assert "déjà enregistré dans cet état" in str(exc.value)
    assert list(Consent.objects.filter(person=pathway.person)) == [first]
    first.refresh_from_db()
    assert first.is_current and first.superseded_at is None
    assert AuditEntry.objects.count() == audit_count


def test_withdrawing_with_nothing_to_withdraw_is_refused(pathway, membership):
    with pytest.raises(ValidationError) as exc:
        _record(pathway.person, membership, decision=ConsentDecision.WITHDRAWN)
    assert "Aucun consentement en cours à retirer" in str(exc.value)
    assert not Consent.objects.filter(person=pathway.person).exists()


def test_grantee_must_be_organisation_or_role_not_both(pathway, membership):
    with pytest.raises(ValidationError) as exc:
        _record(pathway.person, membership, organisation=membership.organisation, role=Role.CONSEILLER)
    assert "pas les deux" in exc.value.message_dict["grantee"][0]
    assert not Consent.objects.exists()


def test_grantee_is_required(pathway, membership):
    with pytest.raises(ValidationError) as exc:
        _record(pathway.person, membership, organisation=None, role="")
    assert "grantee" in exc.value.message_dict
    assert not Consent.objects.exists()


def test_unknown_category_is_refused_in_french(pathway, membership):
    with pytest.raises(ValidationError) as exc:
        _record(pathway.person, membership, category="religion")
    assert exc.value.message_dict["category"] == ["Catégorie de données inconnue."]
    assert not Consent.objects.exists()


def test_database_refuses_a_consent_with_both_organisation_and_role(pathway, membership):
    with pytest.raises(IntegrityError), transaction.atomic():
        ConsentFactory(person=pathway.person, organisation=membership.organisation, role=Role.CONSEILLER)


def test_database_refuses_a_consent_without_grantee(pathway):
    with pytest.raises(IntegrityError), transaction.atomic():
        ConsentFactory(person=pathway.person, organisation=None, role="")


def test_database_refuses_two_current_consents_for_the_same_grantee(pathway, membership):
    ConsentFactory(person=pathway.person, organisation=membership.organisation)
    with pytest.raises(IntegrityError), transaction.atomic():
        ConsentFactory(person=pathway.person, organisation=membership.organisation)


def test_consent_for_a_role_is_recorded(pathway, membership):
    consent = _record(pathway.person, membership, category=DataCategory.HEALTH, role=Role.CONSEILLER)
    assert consent.organisation is None and consent.role == Role.CONSEILLER
    assert DataCategory.HEALTH in consented_categories(person=pathway.person, membership=membership)


def test_consent_with_pathway_writes_a_timeline_event(pathway, membership):
    consent_record(
        person=pathway.person,
        category=RESIDENCE,
        purpose=ConsentPurpose.ACCOMPANIMENT,
        decision=ConsentDecision.GIVEN,
        channel=ConsentChannel.IN_PERSON,
        organisation=membership.organisation,
        membership=membership,
        acting_user=membership.user,
        pathway=pathway,
    )
    assert Event.objects.filter(pathway=pathway, kind=EventKind.CONSENT_RECORDED).count() == 1


def test_consent_on_a_pathway_by_a_non_member_is_refused(pathway):
    outsider = MembershipFactory()
    with pytest.raises(PermissionDenied):
        consent_record(
            person=pathway.person,
            category=RESIDENCE,
            purpose=ConsentPurpose.ACCOMPANIMENT,
            decision=ConsentDecision.GIVEN,
            channel=ConsentChannel.IN_PERSON,
            organisation=outsider.organisation,
            membership=outsider,
            acting_user=outsider.user,
            pathway=pathway,
        )
    assert not Consent.objects.exists()


# --- RedactedPerson ---------------------------------------------------------------------------


def test_redacted_person_hides_sensitive_fields_without_consent(pathway, membership):
    person = PersonFactory(refugee=True)
    categories = consented_categories(person=person, membership=membership)
    view = RedactedPerson(person, categories)
    assert view.residence_permit_valid_until is None
    assert view.protection_status is None
    assert view.get_protection_status_display is None
    assert view.first_name == person.first_name


def test_redacted_person_shows_sensitive_fields_with_consent(membership):
    person = PersonFactory(refugee=True)
    ConsentFactory(person=person, organisation=membership.organisation, category=RESIDENCE)
    view = RedactedPerson(person, consented_categories(person=person, membership=membership))
    assert view.residence_permit_valid_until == person.residence_permit_valid_until
    assert view.right_to_work is True
    assert view.protection_status is None  # asylum history not consented


# --- person_update and sensitive fields -------------------------------------------------------


def test_person_update_of_a_sensitive_field_without_consent_is_refused(membership):
    seat = FollowUpMemberFactory(membership=membership, is_referent=False, pathway__person=PersonFactory(refugee=True))
    person, pathway = seat.pathway.person, seat.pathway
    before = person.residence_permit_kind
    audit_count = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied):
        person_update(
            person=person,
            changes={"residence_permit_kind": "temporary_card"},
            membership=membership,
            acting_user=membership.user,
            pathway=pathway,
        )
    assert Person.objects.get(pk=person.pk).residence_permit_kind == before
    assert AuditEntry.objects.count() == audit_count
    assert not Event.objects.filter(pathway=pathway, kind=EventKind.PERSON_UPDATED).exists()


def test_person_update_of_a_sensitive_field_with_consent_is_written(pathway, membership):
    ConsentFactory(person=pathway.person, organisation=membership.organisation, category=RESIDENCE)
    person_update(
        person=pathway.person,
        changes={"residence_permit_kind": "temporary_card"},
        membership=membership,
        acting_user=membership.user,
        pathway=pathway,
    )
    assert Person.objects.get(pk=pathway.person_id).residence_permit_kind == "temporary_card"


def test_person_update_timeline_names_the_category_not_the_value(pathway, membership):
    ConsentFactory(person=pathway.person, organisation=membership.organisation, category=RESIDENCE)
    person_update(
        person=pathway.person,
        changes={"residence_permit_kind": "temporary_card"},
        membership=membership,
        acting_user=membership.user,
        pathway=pathway,
    )
    event = Event.objects.get(pathway=pathway, kind=EventKind.PERSON_UPDATED)
    assert "Droit au séjour" in event.summary
    assert "temporary" not in event.summary and "temporaire" not in event.summary


def test_consent_cannot_be_recorded_on_another_persons_pathway(pathway, membership):
    from django.core.exceptions import PermissionDenied

    from tests.factories import PersonFactory

    with pytest.raises(PermissionDenied):
        consent_record(
            person=PersonFactory(),
            organisation=membership.organisation,
            category=RESIDENCE,
            purpose="accompaniment",
            decision="given",
            channel="in_person",
            membership=membership,
            acting_user=membership.user,
            pathway=pathway,
        )
    assert not Consent.objects.exists()


def test_consent_needs_an_open_pathway_when_recorded_by_a_professional(membership):
    from django.core.exceptions import PermissionDenied

    from tests.factories import PersonFactory

    with pytest.raises(PermissionDenied, match="parcours en cours"):
        consent_record(
            person=PersonFactory(),
            organisation=membership.organisation,
            category=RESIDENCE,
            purpose="accompaniment",
            decision="given",
            channel="in_person",
            membership=membership,
            acting_user=membership.user,
        )
    assert not Consent.objects.exists()
