"""The facts gathered for the evaluator: only what the reader may see (consent), the latest French
level, "enrolled elsewhere" from the live enrolments of other programmes."""

import datetime

import pytest
from django.utils import timezone

from parcours.diagnostics.models import Diagnostic, IntegrationContract, LanguageLevel
from parcours.people.enums import DataCategory
from parcours.programmes.eligibility import HIDDEN_KEY
from parcours.programmes.enums import EnrolmentState
from parcours.programmes.facts import eligibility_for, eligibility_for_programmes, person_facts
from tests.factories import ConsentFactory, MembershipFactory, PathwayFactory, PersonFactory
from tests.programmes.factories import EnrolmentFactory, ProgrammeFactory, SessionFactory

pytestmark = pytest.mark.django_db

HOPE_RULES = [
    {"field": "protection_status", "op": "in", "value": ["refugee", "subsidiary"]},
    {"field": "age", "op": "between", "value": [18, 64]},
    {"field": "right_to_work", "op": "is_true"},
    {"field": "departement", "op": "in", "value": ["44"]},
    {"field": "enrolled_elsewhere", "op": "is_false"},
]


@pytest.fixture
def referent(db):
    return MembershipFactory()


@pytest.fixture
def refugee_pathway(referent):
    return PathwayFactory(person=PersonFactory(refugee=True), referent=referent)


def consent(pathway, membership, category):
    return ConsentFactory(person=pathway.person, organisation=membership.organisation, category=category)


def diagnostic(person, version, level, recorded_by):
    d = Diagnostic.objects.create(
        person=person,
        version=version,
        recorded_at=timezone.now(),
        recorded_by=recorded_by.user,
        organisation=recorded_by.organisation,
    )
    LanguageLevel.objects.create(diagnostic=d, language="fr", level=level, method="counsellor")
    return d


def test_ordinary_facts_are_read(refugee_pathway, referent):
    facts = person_facts(pathway=refugee_pathway, membership=referent)
    person = refugee_pathway.person
    assert facts["birth_date"] == person.birth_date
    assert facts["arrival_date"] == person.arrival_date
    assert facts["departement"] == "44"
    assert facts["enrolled_elsewhere"] is False
    assert facts["french_level"] is None


def test_sensitive_facts_are_absent_without_consent(refugee_pathway, referent):
    facts = person_facts(pathway=refugee_pathway, membership=referent)
    for name in ("protection_status", "right_to_work", "residence_permit_kind", "has_rqth"):
        assert name not in facts
    assert facts[HIDDEN_KEY] == {"asylum_history", "residence_status", "disability"}


def test_sensitive_facts_are_read_with_consent(refugee_pathway, referent):
    consent(refugee_pathway, referent, DataCategory.ASYLUM_HISTORY)
    consent(refugee_pathway, referent, DataCategory.RESIDENCE_STATUS)
    facts = person_facts(pathway=refugee_pathway, membership=referent)
    assert facts["protection_status"] == "refugee"
    assert facts["right_to_work"] is True
    assert facts["residence_permit_kind"] == "resident_card"
    assert "has_rqth" not in facts
    assert facts[HIDDEN_KEY] == {"disability"}


def test_consent_given_to_another_organisation_does_not_open_the_data(refugee_pathway, referent):
    other = MembershipFactory()
    consent(refugee_pathway, other, DataCategory.ASYLUM_HISTORY)
    assert "protection_status" not in person_facts(pathway=refugee_pathway, membership=referent)
    assert person_facts(pathway=refugee_pathway, membership=other)["protection_status"] == "refugee"


def test_without_consent_the_refugee_is_undetermined_and_asked_for_consent(refugee_pathway, referent):
    programme = ProgrammeFactory(eligibility_rules=HOPE_RULES)
    result = eligibility_for(pathway=refugee_pathway, programme=programme, membership=referent)
    assert result.status == "undetermined"
    assert all("consentement" in ask for ask in result.missing)
    assert len(result.missing) == 2


def test_with_consent_the_refugee_is_eligible(refugee_pathway, referent):
    consent(refugee_pathway, referent, DataCategory.ASYLUM_HISTORY)
    consent(refugee_pathway, referent, DataCategory.RESIDENCE_STATUS)
    programme = ProgrammeFactory(eligibility_rules=HOPE_RULES)
    result = eligibility_for(pathway=refugee_pathway, programme=programme, membership=referent)
    assert result.status == "eligible"
    assert result.criteria[0].value_display == "Réfugié·e (BPI)"


def test_french_level_is_the_latest_diagnostic(refugee_pathway, referent):
    person = refugee_pathway.person
    IntegrationContract.objects.create(
        person=person,
        signed_on=datetime.date(2025, 1, 1),
        french_hours_prescribed=400,
        french_level_at_signature="A1.1",
    )
    assert person_facts(pathway=refugee_pathway, membership=referent)["french_level"] == "A1.1"
    diagnostic(person, 1, "A1", referent)
    diagnostic(person, 2, "A2", referent)
    assert person_facts(pathway=refugee_pathway, membership=referent)["french_level"] == "A2"


def test_enrolled_elsewhere_counts_live_enrolments_of_other_programmes(refugee_pathway, referent):
    session = SessionFactory()
    enrolment = EnrolmentFactory(session=session, pathway=refugee_pathway, state=EnrolmentState.IN_PROGRESS)
    other = ProgrammeFactory()
    assert person_facts(pathway=refugee_pathway, membership=referent, exclude_programme_id=other.pk)[
        "enrolled_elsewhere"
    ]
    # The same programme is not "elsewhere".
    assert not person_facts(pathway=refugee_pathway, membership=referent, exclude_programme_id=session.programme_id)[
        "enrolled_elsewhere"
    ]
    enrolment.state = EnrolmentState.NOT_SELECTED
    enrolment.not_selected_reason = "other"
    enrolment.save()
    assert not person_facts(pathway=refugee_pathway, membership=referent, exclude_programme_id=other.pk)[
        "enrolled_elsewhere"
    ]


def test_many_programmes_read_the_facts_once(refugee_pathway, referent, django_assert_num_queries):
    programmes = [ProgrammeFactory(eligibility_rules=HOPE_RULES) for _ in range(5)]
    EnrolmentFactory(session=SessionFactory(programme=programmes[0]), pathway=refugee_pathway)
    with django_assert_num_queries(3):
        results = eligibility_for_programmes(pathway=refugee_pathway, programmes=programmes, membership=referent)
    # Enrolled in programme 0: "elsewhere" for the others only.
    assert results[programmes[0].pk].criteria[4].status == "met"
    assert results[programmes[1].pk].criteria[4].status == "not_met"
    assert results[programmes[1].pk].status == "not_eligible"


def test_rules_stored_invalid_give_undetermined_with_the_reason(refugee_pathway, referent):
    programme = ProgrammeFactory(eligibility_rules=[{"field": "taille", "op": "gte", "value": 150}])
    result = eligibility_for(pathway=refugee_pathway, programme=programme, membership=referent)
    assert result.status == "undetermined"
    assert 'champ inconnu "taille"' in result.criteria[0].reason
    assert result.missing == ["Signaler le problème au porteur du programme, qui doit corriger ses règles."]


# --- groups: consent applies to each of their criteria ---------------------------------------------------

RQTH_OR_RSA = [
    {
        "any": [
            {"field": "has_rqth", "op": "is_true"},
            {"field": "rsa_status", "op": "in", "value": ["open", "suspended"]},
        ]
    }
]


def test_a_group_on_hidden_data_is_undetermined_and_asks_for_consent(referent):
    pathway = PathwayFactory(person=PersonFactory(has_rqth=True, rsa_status="none"), referent=referent)
    programme = ProgrammeFactory(eligibility_rules=RQTH_OR_RSA)
    result = eligibility_for(pathway=pathway, programme=programme, membership=referent)
    assert result.status == "undetermined"
    group = result.criteria[0]
    assert [i.status for i in group.items] == ["unknown", "not_met"]
    assert "Recueillir le consentement de la personne pour la catégorie « Handicap »" in result.missing[0]
    consent(pathway, referent, DataCategory.DISABILITY)
    result = eligibility_for(pathway=pathway, programme=programme, membership=referent)
    assert result.status == "eligible"
    assert result.criteria[0].reason.endswith("remplie par « Reconnaissance de travailleur handicapé (RQTH) ».")


def test_a_group_met_by_visible_data_needs_no_consent(referent):
    pathway = PathwayFactory(person=PersonFactory(has_rqth=False, rsa_status="open"), referent=referent)
    programme = ProgrammeFactory(eligibility_rules=RQTH_OR_RSA)
    result = eligibility_for(pathway=pathway, programme=programme, membership=referent)
    assert result.status == "eligible"
    assert result.missing == []
