"""diagnostic_record (versioned, never edited) and integration_contract_save (the OFII CIR)."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from parcours.audit.models import AuditAction, AuditEntry
from parcours.diagnostics.enums import AssessmentMethod, NeedLevel, Theme
from parcours.diagnostics.models import Diagnostic, IntegrationContract, LanguageLevel, ThemeAssessment
from parcours.diagnostics.services import diagnostic_record, integration_contract_save
from parcours.pathways.enums import EventKind
from parcours.pathways.models import Event
from parcours.people.enums import DataCategory
from tests.factories import ConsentFactory, MembershipFactory, PathwayFactory, SituationFactory

pytestmark = pytest.mark.django_db


def _record(pathway, membership, *, themes=None, languages=None, person=None, **kwargs):
    params = {
        "interpreting_needed": False,
        "interpreting_language": "",
        "summary": "Première rencontre.",
    }
    params.update(kwargs)
    return diagnostic_record(
        person=person or pathway.person,
        pathway=pathway,
        themes=themes if themes is not None else {Theme.LOGEMENT: {"need": NeedLevel.PRIORITY, "note": "Hébergé"}},
        languages=languages if languages is not None else [],
        membership=membership,
        acting_user=membership.user,
        **params,
    )


def _french(level="A2", language="fr"):
    return {"language": language, "level": level, "method": AssessmentMethod.OFII_TEST}


def _nothing_written():
    return not Diagnostic.objects.exists() and not AuditEntry.objects.filter(object_type="diagnostics.diagnostic")


# --- versions ---------------------------------------------------------------------------------


def test_first_diagnostic_is_version_one(pathway, membership):
    diagnostic = _record(pathway, membership, languages=[_french()])
    assert diagnostic.version == 1
    assert diagnostic.organisation == membership.organisation and diagnostic.recorded_by == membership.user
    assert list(diagnostic.themes.values_list("theme", "need")) == [(Theme.LOGEMENT, NeedLevel.PRIORITY)]
    assert list(diagnostic.language_levels.values_list("language", "level")) == [("fr", "A2")]


def test_new_diagnostic_increments_the_version_and_leaves_the_earlier_one_untouched(pathway, membership):
    situation = SituationFactory(theme=Theme.LOGEMENT)
    first = _record(
        pathway,
        membership,
        themes={Theme.LOGEMENT: {"need": NeedLevel.PRIORITY, "situations": [situation.pk], "note": "Hébergé"}},
        languages=[_french("A1")],
    )
    second = _record(pathway, membership, themes={Theme.LOGEMENT: {"need": NeedLevel.NONE}}, languages=[_french("B1")])
    assert second.version == 2
    first_theme = ThemeAssessment.objects.get(diagnostic=first)
    assert first_theme.need == NeedLevel.PRIORITY and first_theme.note == "Hébergé"
    assert list(first_theme.situations.all()) == [situation]
    assert LanguageLevel.objects.get(diagnostic=first).level == "A1"
    assert LanguageLevel.objects.get(diagnostic=second).level == "B1"


def test_versions_are_counted_per_person(pathway, membership):
    _record(pathway, membership)
    other = PathwayFactory(referent=membership)
    assert _record(other, membership).version == 1


def test_diagnostic_writes_an_event_and_one_audit_entry(pathway, membership):
    diagnostic = _record(pathway, membership)
    assert Event.objects.get(pathway=pathway, kind=EventKind.DIAGNOSTIC_RECORDED).payload == {
        "diagnostic": diagnostic.pk
    }
    entry = AuditEntry.objects.get(object_type="diagnostics.diagnostic")
    assert entry.object_id == str(diagnostic.pk) and entry.person_id == pathway.person_id
    assert entry.action == AuditAction.CREATE


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["D1", "A0", "", None, "a2"])
def test_cecrl_level_out_of_range_is_refused(pathway, membership, level):
    with pytest.raises(ValidationError) as exc:
        _record(pathway, membership, languages=[_french(level)])
    assert exc.value.message_dict["language_0"] == ["Niveau CECRL hors échelle (A1.1 à C2)."]
    assert _nothing_written()


def test_same_language_twice_is_refused(pathway, membership):
    with pytest.raises(ValidationError) as exc:
        _record(pathway, membership, languages=[_french("A1"), _french("B1")])
    assert exc.value.message_dict["language_1"] == ["Cette langue est déjà évaluée dans ce diagnostic."]
    assert _nothing_written()


def test_language_assessment_needs_a_method(pathway, membership):
    with pytest.raises(ValidationError) as exc:
        _record(pathway, membership, languages=[{"language": "fr", "level": "A1", "method": "intuition"}])
    assert exc.value.message_dict["language_0"] == ["Indiquez comment le niveau a été évalué."]
    assert _nothing_written()


@pytest.mark.parametrize("code", ["francais", "FR", "zz", ""])
def test_unknown_language_code_is_refused(pathway, membership, code):
    with pytest.raises(ValidationError) as exc:
        _record(pathway, membership, languages=[_french("A1", language=code)])
    assert "language_0" in exc.value.message_dict
    assert _nothing_written()


def test_language_assessed_in_the_future_is_refused(pathway, membership):
    future = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        _record(pathway, membership, languages=[{**_french(), "assessed_on": future}])
    assert exc.value.message_dict["language_0"] == ["La date d'évaluation ne peut pas être dans le futur."]
    assert _nothing_written()


def test_unknown_theme_is_refused(pathway, membership):
    with pytest.raises(ValidationError) as exc:
        _record(pathway, membership, themes={"astrologie": {"need": NeedLevel.PRIORITY}})
    assert exc.value.message_dict["themes"] == ["Thème inconnu : astrologie."]
    assert _nothing_written()


def test_unknown_need_level_is_refused(pathway, membership):
    with pytest.raises(ValidationError) as exc:
        _record(pathway, membership, themes={Theme.LOGEMENT: {"need": "urgent"}})
    assert exc.value.message_dict["need_logement"] == ["Niveau de besoin inconnu."]
    assert _nothing_written()


def test_unknown_situation_is_refused(pathway, membership):
    with pytest.raises(ValidationError) as exc:
        _record(pathway, membership, themes={Theme.LOGEMENT: {"need": NeedLevel.PRIORITY, "situations": [999999]}})
    assert exc.value.message_dict["situations_logement"] == ["Situation inconnue pour ce thème."]
    assert _nothing_written()


def test_situation_of_another_theme_is_refused(pathway, membership):
    mobility = SituationFactory(theme=Theme.MOBILITE)
    with pytest.raises(ValidationError) as exc:
        _record(pathway, membership, themes={Theme.LOGEMENT: {"need": NeedLevel.PRIORITY, "situations": [mobility.pk]}})
    assert "situations_logement" in exc.value.message_dict
    assert _nothing_written()


def test_deactivated_situation_is_refused(pathway, membership):
    retired = SituationFactory(theme=Theme.LOGEMENT, is_active=False)
    with pytest.raises(ValidationError):
        _record(pathway, membership, themes={Theme.LOGEMENT: {"need": NeedLevel.PRIORITY, "situations": [retired.pk]}})
    assert _nothing_written()


def test_interpreting_need_requires_a_language(pathway, membership):
    with pytest.raises(ValidationError) as exc:
        _record(pathway, membership, interpreting_needed=True, interpreting_language="")
    assert exc.value.message_dict["interpreting_language"] == ["Précisez la langue d'interprétariat."]
    assert _nothing_written()


def test_interpreting_in_an_unknown_language_is_refused(pathway, membership):
    with pytest.raises(ValidationError) as exc:
        _record(pathway, membership, interpreting_needed=True, interpreting_language="zz")
    assert "interpreting_language" in exc.value.message_dict
    assert _nothing_written()


def test_oversized_note_is_refused(pathway, membership):
    with pytest.raises(ValidationError) as exc:
        _record(pathway, membership, themes={Theme.LOGEMENT: {"need": NeedLevel.PRIORITY, "note": "x" * 2001}})
    assert exc.value.message_dict["note_logement"] == ["La note ne peut dépasser 2 000 caractères."]
    assert _nothing_written()


# --- permissions ------------------------------------------------------------------------------


def test_non_member_cannot_record_a_diagnostic(pathway):
    outsider = MembershipFactory()
    with pytest.raises(PermissionDenied):
        _record(pathway, outsider)
    assert _nothing_written()


def test_diagnostic_cannot_target_another_person_than_the_pathways(pathway, membership):
    stranger = PathwayFactory().person
    with pytest.raises(PermissionDenied):
        _record(pathway, membership, person=stranger)
    assert not Diagnostic.objects.exists()


def test_diagnostic_on_a_closed_pathway_is_refused(pathway, membership):
    pathway.status, pathway.closed_at = "closed", timezone.now()
    pathway.save(update_fields=["status", "closed_at"])
    with pytest.raises(ValidationError):
        _record(pathway, membership)
    assert not Diagnostic.objects.exists()


# --- health theme and consent -----------------------------------------------------------------


def test_recorder_with_health_consent_records_the_health_theme(pathway, membership):
    ConsentFactory(person=pathway.person, organisation=membership.organisation, category=DataCategory.HEALTH)
    diagnostic = _record(pathway, membership, themes={Theme.SANTE: {"need": NeedLevel.PRIORITY, "note": "Suivi"}})
    assert diagnostic.themes.get().theme == Theme.SANTE


def test_recorder_without_health_consent_cannot_write_the_health_theme(pathway, membership):
    diagnostic = _record(pathway, membership, themes={Theme.SANTE: {"need": NeedLevel.PRIORITY, "note": "Suivi"}})
    assert not diagnostic.themes.filter(theme=Theme.SANTE).exists()


def test_health_theme_is_carried_over_when_the_recorder_lacks_health_consent(pathway, membership):
    doctor_side = MembershipFactory()
    from parcours.pathways.models import FollowUpMember

    FollowUpMember.objects.create(pathway=pathway, membership=doctor_side)
    ConsentFactory(person=pathway.person, organisation=doctor_side.organisation, category=DataCategory.HEALTH)
    situation = SituationFactory(theme=Theme.SANTE)
    _record(
        pathway,
        doctor_side,
        themes={Theme.SANTE: {"need": NeedLevel.PRIORITY, "situations": [situation.pk], "note": "Suivi CMP"}},
    )

    second = _record(pathway, membership, themes={Theme.LOGEMENT: {"need": NeedLevel.NONE}})

    health = second.themes.get(theme=Theme.SANTE)
    assert health.need == NeedLevel.PRIORITY and health.note == "Suivi CMP"
    assert list(health.situations.all()) == [situation]
    assert second.themes.get(theme=Theme.LOGEMENT).need == NeedLevel.NONE


# --- integration contract (CIR) ---------------------------------------------------------------


def _cir(pathway, membership, person=None, **values):
    data = {"signed_on": datetime.date(2024, 1, 15), "french_hours_prescribed": 200, "french_hours_done": 50}
    data.update(values)
    return integration_contract_save(
        person=person or pathway.person,
        pathway=pathway,
        values=data,
        membership=membership,
        acting_user=membership.user,
    )


def test_member_records_the_integration_contract(pathway, membership):
    contract = _cir(pathway, membership)
    assert contract.french_hours_done == 50
    entry = AuditEntry.objects.get(object_type="diagnostics.integrationcontract")
    assert entry.action == AuditAction.CREATE and entry.person_id == pathway.person_id


def test_updating_the_contract_audits_the_changed_fields(pathway, membership):
    _cir(pathway, membership)
    _cir(pathway, membership, french_hours_done=120)
    entry = AuditEntry.objects.filter(object_type="diagnostics.integrationcontract").latest("id")
    assert entry.action == AuditAction.UPDATE and entry.fields == ["french_hours_done"]
    assert IntegrationContract.objects.get(person=pathway.person).french_hours_done == 120


def test_hours_done_above_prescribed_are_refused(pathway, membership):
    with pytest.raises(ValidationError) as exc:
        _cir(pathway, membership, french_hours_prescribed=100, french_hours_done=101)
    assert exc.value.message_dict["french_hours_done"] == [
        "Les heures réalisées ne peuvent dépasser les heures prescrites."
    ]
    assert not IntegrationContract.objects.exists()
    assert not Event.objects.filter(kind=EventKind.CIR_UPDATED).exists()


def test_contract_signed_in_the_future_is_refused(pathway, membership):
    with pytest.raises(ValidationError) as exc:
        _cir(pathway, membership, signed_on=timezone.localdate() + datetime.timedelta(days=1))
    assert exc.value.message_dict["signed_on"] == ["La date ne peut pas être dans le futur."]
    assert not IntegrationContract.objects.exists()


def test_non_member_cannot_record_the_contract(pathway):
    outsider = MembershipFactory()
    with pytest.raises(PermissionDenied):
        _cir(pathway, outsider)
    assert not IntegrationContract.objects.exists()


def test_contract_cannot_target_another_person_than_the_pathways(pathway, membership):
    stranger = PathwayFactory().person
    with pytest.raises(PermissionDenied):
        _cir(pathway, membership, person=stranger)
    assert not IntegrationContract.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_diagnostics_recorded_at_once_get_consecutive_versions():
    from tests.concurrency import run_together

    membership = MembershipFactory()
    pathway = PathwayFactory(referent=membership)

    outcomes = run_together(lambda: _record(pathway, membership), lambda: _record(pathway, membership))

    assert sorted(o.version for o in outcomes) == [1, 2], outcomes
