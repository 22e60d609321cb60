"""Declaring and changing a programme as data, and the programme_load command: who may, what is
refused (with a French message), and that nothing is written on a refusal."""

import copy
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from parcours.audit.models import AuditEntry
from parcours.organisations.enums import OrganisationKind
from parcours.programmes.models import Programme, ProgrammeStep
from parcours.programmes.services_programme import (
    RESERVED_CODES,
    programme_as_data,
    programme_declare,
    programme_update,
)
from tests.factories import MembershipFactory, OrganisationFactory, RomeJobFactory
from tests.programmes.factories import EnrolmentFactory, SessionFactory

pytestmark = pytest.mark.django_db

DATA = {
    "code": "hope-44",
    "name": "HOPE Loire-Atlantique",
    "kind": "general",
    "description": "Parcours de 8 mois vers l'emploi.",
    "target_publics": ["bpi"],
    "duration_months": 8,
    "rome_codes": ["J1501"],
    "operators": [],
    "eligibility_rules": [
        {"field": "protection_status", "op": "in", "value": ["refugee", "subsidiary"]},
        {"field": "age", "op": "between", "value": [18, 64]},
    ],
    "positive_outcomes": ["sustainable_employment", "work_study"],
    "indicators": ["entrants", "completion_rate"],
    "steps": [
        {"kind": "housing", "label": "Hébergement", "week": 0},
        {"kind": "french", "label": "Français", "week": 1, "target_hours": 400, "is_required": True},
    ],
}


@pytest.fixture
def owner(db):
    return OrganisationFactory(kind=OrganisationKind.DDETS, name="DDETS 44", siret="13000000000011")


@pytest.fixture
def pilote(owner):
    return MembershipFactory(organisation=owner, pilote=True)


@pytest.fixture
def operator(db):
    return OrganisationFactory(
        kind=OrganisationKind.ORGANISME_FORMATION, name="AFPA Saint-Herblain", siret="82422814200016"
    )


@pytest.fixture
def data(db, operator):
    RomeJobFactory(code="J1501")
    d = copy.deepcopy(DATA)
    d["operators"] = [operator.siret]
    return d


def test_a_pilote_declares_a_programme_with_its_steps(pilote, data, operator):
    programme = programme_declare(membership=pilote, data=data)
    assert programme.owner == pilote.organisation
    assert programme.created_by == pilote.user
    assert programme.eligibility_rules == data["eligibility_rules"]
    assert list(programme.operators.all()) == [operator]
    assert [j.code for j in programme.rome_jobs.all()] == ["J1501"]
    steps = list(programme.steps.order_by("position"))
    assert [(s.position, s.kind, s.target_hours, s.is_required) for s in steps] == [
        (1, "housing", None, True),
        (2, "french", 400, True),
    ]
    entry = AuditEntry.objects.get(object_type="programmes.programme", object_id=str(programme.pk))
    assert entry.action == "create"


def test_the_data_round_trips(pilote, data, operator):
    programme = programme_declare(membership=pilote, data=data)
    exported = programme_as_data(programme)
    assert exported["operators"] == [operator.pk]
    assert exported["steps"][1] == {
        "kind": "french",
        "label": "Français",
        "week": 1,
        "target_hours": 400,
        "is_required": True,
    }
    assert exported["eligibility_rules"] == data["eligibility_rules"]


def test_an_administrator_of_the_structure_may_declare(owner, data):
    admin = MembershipFactory(organisation=owner, admin=True)
    assert programme_declare(membership=admin, data=data).owner == owner


def test_a_counsellor_may_not_declare(owner, data):
    counsellor = MembershipFactory(organisation=owner)
    with pytest.raises(PermissionDenied, match="pilote ou administrateur"):
        programme_declare(membership=counsellor, data=data)
    assert not Programme.objects.exists()


def test_an_inactive_membership_may_not_declare(owner, data):
    pilote = MembershipFactory(organisation=owner, pilote=True, is_active=False)
    with pytest.raises(PermissionDenied):
        programme_declare(membership=pilote, data=data)


def errors_of(exc: ValidationError) -> dict[str, list[str]]:
    return {k: [m for e in v for m in e.messages] for k, v in exc.error_dict.items()}


@pytest.mark.parametrize("code", sorted(RESERVED_CODES))
def test_reserved_codes_are_refused(pilote, data, code):
    with pytest.raises(ValidationError) as info:
        programme_declare(membership=pilote, data={**data, "code": code})
    assert errors_of(info.value)["code"] == [
        f"Le code « {code} » est réservé (il désigne une page) ; choisissez-en un autre."
    ]
    assert not Programme.objects.exists()


def test_unknown_rule_field_and_operator_are_refused_and_nothing_written(pilote, data):
    bad = {
        **data,
        "eligibility_rules": [
            {"field": "nationalite", "op": "eq", "value": "AF"},
            {"field": "age", "op": "~", "value": 3},
        ],
    }
    with pytest.raises(ValidationError) as info:
        programme_declare(membership=pilote, data=bad)
    messages = errors_of(info.value)["eligibility_rules"]
    assert messages[0].startswith('Critère n° 1 : champ inconnu "nationalite"')
    assert messages[1].startswith('Critère n° 2 (Âge) : opérateur inconnu "~"')
    assert not Programme.objects.exists()
    assert not ProgrammeStep.objects.exists()
    assert not AuditEntry.objects.filter(object_type="programmes.programme").exists()


def test_every_problem_is_reported_at_once(pilote, data):
    bad = {
        **data,
        "code": "Hope 44",
        "duration_months": 0,
        "rome_codes": ["J1501", "Z9999"],
        "operators": ["12345678901234", "abc"],
        "target_publics": ["martiens"],
        "positive_outcomes": ["unknown"],
        "indicators": ["bonheur"],
        "steps": [{"kind": "yoga", "label": ""}, {"kind": "french", "label": "Français", "target_hours": -3}],
        "couleur": "bleu",
    }
    with pytest.raises(ValidationError) as info:
        programme_declare(membership=pilote, data=bad)
    errors = errors_of(info.value)
    assert "lettres minuscules" in errors["code"][0]
    assert errors["duration_months"] == ["La durée est un nombre entier de mois entre 1 et 60."]
    assert errors["rome_codes"] == ["Métiers : code(s) ROME inconnu(s) Z9999."]
    assert "aucune organisation n'a le SIRET 12345678901234" in " ".join(errors["operators"])
    assert "abc n'est ni un identifiant" in " ".join(errors["operators"])
    assert "martiens" in errors["target_publics"][0]
    assert "situation inconnue ne peut pas compter" in errors["positive_outcomes"][0]
    assert "bonheur" in errors["indicators"][0]
    steps = " ".join(errors["steps"])
    assert "Étape n° 1 : type inconnu « yoga »" in steps
    assert "Étape n° 1 : l'intitulé est obligatoire" in steps
    assert "Étape n° 2 : les heures prévues" in steps
    assert "couleur" in errors["__all__"][0]
    assert not Programme.objects.exists()


def test_required_fields(pilote):
    with pytest.raises(ValidationError) as info:
        programme_declare(membership=pilote, data={})
    assert set(errors_of(info.value)) == {"code", "name", "duration_months"}


def test_a_code_already_taken_is_refused(pilote, data):
    programme_declare(membership=pilote, data=data)
    with pytest.raises(ValidationError) as info:
        programme_declare(membership=pilote, data={**data, "name": "Autre"})
    assert errors_of(info.value)["code"] == ["Un programme porte déjà le code « hope-44 »."]
    assert Programme.objects.count() == 1


def test_an_operator_given_by_id(pilote, data, operator):
    programme = programme_declare(membership=pilote, data={**data, "operators": [operator.pk]})
    assert list(programme.operators.all()) == [operator]


def test_update_changes_fields_and_steps_and_is_audited(pilote, data):
    programme = programme_declare(membership=pilote, data=data)
    french = programme.steps.get(position=2)
    changed = {**data, "name": "HOPE 44 (2026)", "steps": [data["steps"][0], {**data["steps"][1], "target_hours": 300}]}
    changed["eligibility_rules"] = [{"field": "age", "op": "gte", "value": 18}]
    programme_update(membership=pilote, programme=programme, data=changed)
    programme.refresh_from_db()
    assert programme.name == "HOPE 44 (2026)"
    assert programme.eligibility_rules == [{"field": "age", "op": "gte", "value": 18}]
    french.refresh_from_db()  # same row, kept with its records
    assert french.target_hours == 300
    entry = AuditEntry.objects.filter(object_type="programmes.programme", action="update").get()
    assert set(entry.fields) == {"name", "eligibility_rules", "steps"}


def test_update_may_remove_an_unused_step(pilote, data):
    programme = programme_declare(membership=pilote, data=data)
    programme_update(membership=pilote, programme=programme, data={**data, "steps": data["steps"][:1]})
    assert programme.steps.count() == 1


def test_update_refuses_to_remove_a_step_with_records(pilote, data):
    from parcours.programmes.models import StepRecord

    programme = programme_declare(membership=pilote, data=data)
    enrolment = EnrolmentFactory(session=SessionFactory(programme=programme))
    step = programme.steps.get(position=2)
    StepRecord.objects.create(
        enrolment=enrolment, step=step, done_on=enrolment.proposed_at.date(), recorded_by=pilote.user
    )
    with pytest.raises(ValidationError) as info:
        programme_update(membership=pilote, programme=programme, data={**data, "name": "X", "steps": data["steps"][:1]})
    assert errors_of(info.value)["steps"] == [
        "L'étape « Français » a déjà des suivis enregistrés : elle ne peut pas être supprimée."
    ]
    programme.refresh_from_db()
    assert programme.name == "HOPE Loire-Atlantique"
    assert programme.steps.count() == 2


def test_update_keeps_its_own_code(pilote, data):
    programme = programme_declare(membership=pilote, data=data)
    programme_update(membership=pilote, programme=programme, data=data)
    assert Programme.objects.get().code == "hope-44"


def test_update_refused_to_a_pilote_of_another_organisation(pilote, data):
    programme = programme_declare(membership=pilote, data=data)
    other = MembershipFactory(pilote=True)
    with pytest.raises(PermissionDenied):
        programme_update(membership=other, programme=programme, data={**data, "name": "Détourné"})
    programme.refresh_from_db()
    assert programme.name == "HOPE Loire-Atlantique"


def test_update_with_bad_rules_writes_nothing(pilote, data):
    programme = programme_declare(membership=pilote, data=data)
    bad = {**data, "name": "Nouveau nom", "eligibility_rules": [{"field": "age", "op": "between", "value": [64, 18]}]}
    with pytest.raises(ValidationError):
        programme_update(membership=pilote, programme=programme, data=bad)
    programme.refresh_from_db()
    assert programme.name == "HOPE Loire-Atlantique"
    assert programme.eligibility_rules == data["eligibility_rules"]


# --- the command ----------------------------------------------------------------------------------------


def test_command_declares_then_updates(tmp_path, pilote, data, capsys):
    path = tmp_path / "hope.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    call_command("programme_load", str(path), "--owner-siret", pilote.organisation.siret)
    assert "déclaré : hope-44" in capsys.readouterr().out
    path.write_text(json.dumps([{**data, "name": "HOPE 44 bis"}]), encoding="utf-8")
    call_command("programme_load", str(path), "--owner-id", str(pilote.organisation.pk))
    assert "mis à jour : hope-44" in capsys.readouterr().out
    assert Programme.objects.get().name == "HOPE 44 bis"


def test_command_loads_the_example_file(pilote):
    from pathlib import Path

    import parcours.programmes

    for code in ("F1703", "G1602", "N1103", "K2204"):
        RomeJobFactory(code=code)
    example = Path(parcours.programmes.__file__).parent / "data" / "programme_example_hope.json"
    call_command("programme_load", str(example), "--owner-siret", pilote.organisation.siret)
    programme = Programme.objects.get(code="hope-exemple")
    assert programme.steps.count() == 6


def test_command_with_a_bad_programme_writes_none(tmp_path, pilote, data):
    path = tmp_path / "two.json"
    second = {**data, "code": "second", "eligibility_rules": [{"field": "age", "op": "plus_que", "value": 3}]}
    path.write_text(json.dumps([data, second]), encoding="utf-8")
    with pytest.raises(CommandError) as info:
        call_command("programme_load", str(path), "--owner-siret", pilote.organisation.siret)
    message = str(info.value)
    assert "Programme n° 2 (second) refusé, rien n'a été enregistré" in message
    assert 'opérateur inconnu "plus_que"' in message
    assert not Programme.objects.exists()


def test_command_clear_errors_for_file_and_owner(tmp_path, pilote):
    with pytest.raises(CommandError, match="Fichier introuvable"):
        call_command("programme_load", str(tmp_path / "absent.json"), "--owner-siret", pilote.organisation.siret)
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(CommandError, match="n'est pas un fichier JSON valide"):
        call_command("programme_load", str(broken), "--owner-siret", pilote.organisation.siret)
    empty = tmp_path / "empty.json"
    empty.write_text("[]", encoding="utf-8")
    with pytest.raises(CommandError, match="Aucune organisation n'a le SIRET 99999999999999"):
        call_command("programme_load", str(empty), "--owner-siret", "99999999999999")


def test_command_refuses_an_owner_without_manager(tmp_path, data):
    org = OrganisationFactory(siret="13000000000029")
    MembershipFactory(organisation=org)  # a counsellor only
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CommandError, match="aucun·e pilote ni administrateur"):
        call_command("programme_load", str(path), "--owner-siret", org.siret)
    counsellor = org.memberships.get().user.username
    with pytest.raises(CommandError, match="refusé : Seul·e un·e pilote"):
        call_command("programme_load", str(path), "--owner-siret", org.siret, "--user", counsellor)
    assert not Programme.objects.exists()


# --- non-finite numbers (review fix) --------------------------------------------------------------------


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_declare_refuses_a_non_finite_number_in_the_rules(pilote, data, bad):
    data["eligibility_rules"] = [{"field": "age", "op": "gte", "value": bad}]
    with pytest.raises(ValidationError, match="la valeur doit être un nombre fini"):
        programme_declare(membership=pilote, data=data)
    assert not Programme.objects.exists()
    assert not AuditEntry.objects.filter(object_type="programmes.programme").exists()


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_command_refuses_a_non_finite_number(tmp_path, pilote, data, constant):
    path = tmp_path / "nan.json"
    text = json.dumps({**data, "eligibility_rules": [{"field": "age", "op": "gte", "value": 18}]})
    path.write_text(text.replace('"value": 18', f'"value": {constant}'), encoding="utf-8")
    with pytest.raises(CommandError, match=f"« {constant} » n'est pas un nombre accepté"):
        call_command("programme_load", str(path), "--owner-siret", pilote.organisation.siret)
    assert not Programme.objects.exists()


# --- a group of criteria of which one suffices ------------------------------------------------------------

PLIE_GROUP = {
    "any": [
        {"field": "rsa_status", "op": "in", "value": ["open", "suspended"]},
        {"field": "education_level", "op": "at_most", "value": "3"},
    ],
    "label": "Public prioritaire",
}


def test_a_programme_is_declared_with_a_group_and_round_trips(pilote, data):
    rules = [{"field": "age", "op": "gte", "value": 26}, PLIE_GROUP]
    programme = programme_declare(membership=pilote, data={**data, "eligibility_rules": rules})
    programme.refresh_from_db()
    assert programme.eligibility_rules == rules
    assert programme_as_data(programme)["eligibility_rules"] == rules


def test_a_group_of_one_criterion_is_refused_with_its_position_and_nothing_written(pilote, data):
    bad = {"any": [PLIE_GROUP["any"][0]]}
    with pytest.raises(ValidationError) as info:
        programme_declare(
            membership=pilote, data={**data, "eligibility_rules": [{"field": "age", "op": "gte", "value": 26}, bad]}
        )
    messages = errors_of(info.value)["eligibility_rules"]
    assert len(messages) == 1
    assert messages[0].startswith("Groupe n° 2 : le groupe n'a qu'un critère ; il lui en faut au moins deux")
    assert not Programme.objects.exists()
    assert not AuditEntry.objects.filter(object_type="programmes.programme").exists()
