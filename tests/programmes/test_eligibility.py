"""The pure eligibility evaluator: every field and operator, missing and consent-hidden data, bad
rules, and properties (hypothesis). No database."""

import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parcours.programmes import eligibility as el
from parcours.programmes.eligibility import (
    HIDDEN_KEY,
    OPERATORS,
    RulesError,
    compile_rules,
    evaluate,
    fields,
    validate_rules,
)

TODAY = datetime.date(2026, 3, 15)


def one(field, op, value=None, **facts):
    criterion = {"field": field, "op": op}
    if value is not None:
        criterion["value"] = value
    return evaluate([criterion], facts, today=TODAY).criteria[0]


# --- fields and operators ---------------------------------------------------------------------------


def test_age_between_met_names_the_value():
    c = one("age", "between", [18, 64], birth_date=datetime.date(1991, 6, 1))
    assert c.status == "met"
    assert c.value == 34
    assert c.reason == "Âge : 34 ans, entre 18 et 64 ans : condition remplie."
    assert c.ask == ""


def test_age_is_computed_on_the_evaluation_date():
    born = datetime.date(2008, 3, 16)  # 18 tomorrow
    assert one("age", "gte", 18, birth_date=born).status == "not_met"
    assert (
        evaluate(
            [{"field": "age", "op": "gte", "value": 18}], {"birth_date": born}, today=born.replace(year=2026)
        ).status
        == "eligible"
    )


def test_age_between_bounds_are_inclusive():
    assert one("age", "between", [18, 64], age=18).status == "met"
    assert one("age", "between", [18, 64], age=64).status == "met"
    c = one("age", "between", [18, 64], age=65)
    assert c.status == "not_met"
    assert c.reason == "Âge : 65 ans, attendu entre 18 et 64 ans : condition non remplie."


@pytest.mark.parametrize(
    ("op", "value", "age", "status"),
    [
        ("gte", 18, 18, "met"),
        ("gte", 18, 17, "not_met"),
        ("lte", 25, 25, "met"),
        ("lte", 25, 26, "not_met"),
        ("gt", 25, 25, "not_met"),
        ("gt", 25, 26, "met"),
        ("lt", 26, 25, "met"),
        ("lt", 26, 26, "not_met"),
        ("eq", 30, 30, "met"),
        ("eq", 30, 31, "not_met"),
        ("in", [20, 30], 30, "met"),
        ("in", [20, 30], 31, "not_met"),
        ("not_in", [20, 30], 31, "met"),
        ("not_in", [20, 30], 30, "not_met"),
    ],
)
def test_number_operators(op, value, age, status):
    assert one("age", op, value, age=age).status == status


def test_years_since_arrival_from_arrival_date():
    c = one("years_since_arrival", "lt", 5, arrival_date=datetime.date(2022, 3, 16))
    assert (c.status, c.value) == ("met", 3)
    assert "3 ans" in c.reason
    assert one("years_since_arrival", "lt", 5, arrival_date=datetime.date(2021, 3, 15)).status == "not_met"


def test_a_future_arrival_date_is_unknown_not_zero():
    assert one("years_since_arrival", "lt", 5, arrival_date=datetime.date(2027, 1, 1)).status == "unknown"


def test_protection_status_in_shows_labels():
    c = one("protection_status", "in", ["refugee", "subsidiary"], protection_status="subsidiary")
    assert c.status == "met"
    assert c.value_display == "Protection subsidiaire (BPI)"
    assert "Réfugié·e (BPI) ou Protection subsidiaire (BPI)" in c.expected_display
    assert c.category == "asylum_history"
    assert one("protection_status", "in", ["refugee"], protection_status="asylum_seeker").status == "not_met"
    assert one("protection_status", "not_in", ["rejected"], protection_status="refugee").status == "met"
    assert one("protection_status", "eq", "refugee", protection_status="refugee").status == "met"


@pytest.mark.parametrize(
    ("op", "value", "fact", "status"),
    [
        ("is_true", None, True, "met"),
        ("is_true", None, False, "not_met"),
        ("is_false", None, False, "met"),
        ("is_false", None, True, "not_met"),
        ("eq", True, True, "met"),
        ("eq", False, True, "not_met"),
    ],
)
@pytest.mark.parametrize("field", ["right_to_work", "enrolled_elsewhere", "has_rqth"])
def test_boolean_operators(field, op, value, fact, status):
    assert one(field, op, value, **{field: fact}).status == status


def test_boolean_reason_reads_yes_or_no():
    assert (
        one("right_to_work", "is_true", right_to_work=True).reason
        == "Autorisé·e à travailler : oui : condition remplie."
    )
    assert (
        one("enrolled_elsewhere", "is_false", enrolled_elsewhere=True).reason
        == "Inscrit·e dans un autre programme : oui, attendu non : condition non remplie."
    )


@pytest.mark.parametrize(
    ("op", "value", "level", "status"),
    [
        ("at_least", "A1", "A1", "met"),
        ("at_least", "A1", "A1.1", "not_met"),
        ("at_least", "A1", "C2", "met"),
        ("at_most", "B1", "B1", "met"),
        ("at_most", "B1", "B2", "not_met"),
        ("between", ["A1", "B1"], "A2", "met"),
        ("between", ["A1", "B1"], "B2", "not_met"),
        ("in", ["A2", "B1"], "A2", "met"),
        ("not_in", ["A2", "B1"], "A2", "not_met"),
        ("eq", "A2", "A2", "met"),
    ],
)
def test_french_level_scale(op, value, level, status):
    assert one("french_level", op, value, french_level=level).status == status


def test_education_level_is_ordered_by_the_national_frame():
    assert one("education_level", "at_least", "3", education_level="4").status == "met"
    c = one("education_level", "at_most", "4", education_level="6")
    assert c.status == "not_met"
    assert c.value_display == "Niveau 6 (licence, bac+3)"
    assert c.expected_display == "au plus Niveau 4 (baccalauréat)"


@pytest.mark.parametrize(
    ("field", "op", "value", "fact", "status"),
    [
        ("departement", "in", ["44", "49"], "44", "met"),
        ("departement", "in", ["44", "49"], "85", "not_met"),
        ("departement", "not_in", ["75"], "44", "met"),
        ("departement", "eq", "2A", "2A", "met"),
        ("residence_permit_kind", "in", ["resident_card", "multiyear_card"], "resident_card", "met"),
        ("residence_permit_kind", "not_in", ["none"], "none", "not_met"),
        ("rsa_status", "eq", "open", "open", "met"),
        ("rsa_status", "in", ["open", "pending"], "none", "not_met"),
        ("are_status", "eq", "open", "suspended", "not_met"),
        ("sex", "eq", "F", "F", "met"),
        ("sex", "in", ["F"], "M", "not_met"),
        ("household", "in", ["single_parent"], "single_parent", "met"),
        ("household", "not_in", ["single_parent"], "alone", "met"),
    ],
)
def test_choice_and_code_fields(field, op, value, fact, status):
    assert one(field, op, value, **{field: fact}).status == status


def test_every_field_has_a_label_a_category_and_something_to_ask():
    for f in fields().values():
        assert f.label and f.ask and f.category
        assert set(f.operators) <= set(OPERATORS)


def test_every_operator_is_usable_by_some_field():
    usable = {op for f in fields().values() for op in f.operators}
    assert usable == set(OPERATORS)


# --- results -----------------------------------------------------------------------------------------


HOPE = [
    {"field": "protection_status", "op": "in", "value": ["refugee", "subsidiary"]},
    {"field": "age", "op": "between", "value": [18, 64]},
    {"field": "french_level", "op": "at_least", "value": "A1"},
    {"field": "right_to_work", "op": "is_true"},
    {"field": "departement", "op": "in", "value": ["44"]},
    {"field": "enrolled_elsewhere", "op": "is_false"},
    {"field": "years_since_arrival", "op": "lt", "value": 5},
]
REFUGEE = {
    "protection_status": "refugee",
    "birth_date": datetime.date(1990, 1, 1),
    "french_level": "A2",
    "right_to_work": True,
    "departement": "44",
    "enrolled_elsewhere": False,
    "arrival_date": datetime.date(2024, 1, 1),
}


def test_all_criteria_met_is_eligible():
    result = evaluate(HOPE, REFUGEE, today=TODAY)
    assert result.status == "eligible"
    assert result.missing == []
    assert [c.status for c in result.criteria] == ["met"] * len(HOPE)


def test_one_unmet_criterion_is_not_eligible_even_with_unknowns():
    facts = {**REFUGEE, "departement": "75"}
    del facts["french_level"]
    result = evaluate(HOPE, facts, today=TODAY)
    assert result.status == "not_eligible"
    assert result.missing == ["Évaluer le niveau de français (diagnostic) ou reporter le niveau au test OFII du CIR."]


@pytest.mark.parametrize("empty", [None, ""])
def test_missing_data_is_undetermined_with_what_to_ask(empty):
    result = evaluate(HOPE, {**REFUGEE, "french_level": empty}, today=TODAY)
    assert result.status == "undetermined"
    c = result.criteria[2]
    assert c.status == "unknown"
    assert c.value is None
    assert c.reason == "Niveau de français (CECRL) : non renseigné : impossible de conclure."
    assert result.missing == [c.ask]


def test_no_facts_at_all_is_undetermined_never_not_eligible():
    result = evaluate(HOPE, {}, today=TODAY)
    assert result.status == "undetermined"
    assert len(result.missing) == len(HOPE)


def test_consent_hidden_data_asks_for_consent():
    facts = {k: v for k, v in REFUGEE.items() if k not in ("protection_status", "right_to_work")}
    facts[HIDDEN_KEY] = frozenset({"asylum_history", "residence_status"})
    result = evaluate(HOPE, facts, today=TODAY)
    assert result.status == "undetermined"
    protection = result.criteria[0]
    assert protection.status == "unknown"
    assert protection.value_display == "non consultable"
    assert "consentement" in protection.ask
    assert "Parcours d'asile et protection" in protection.ask
    assert "consentement" in result.criteria[3].ask
    assert "Droit au séjour" in result.criteria[3].ask


def test_an_unrecognised_fact_value_is_unknown_not_a_no():
    c = one("french_level", "at_least", "A1", french_level="Z9")
    assert c.status == "unknown"
    assert "non reconnue" in c.reason
    assert one("age", "gte", 18, age="trente").status == "unknown"
    assert one("right_to_work", "is_true", right_to_work="oui").status == "unknown"


def test_no_rules_is_eligible():
    assert evaluate([], {}, today=TODAY).status == "eligible"


def test_as_dict_is_json_ready():
    import json

    data = evaluate(HOPE, {**REFUGEE, "french_level": None}, today=TODAY).as_dict()
    assert data["status"] == "undetermined"
    assert data["evaluated_on"] == "2026-03-15"
    assert data["criteria"][1]["value"] == 36
    assert data["criteria"][2]["ask"]
    json.dumps(data)


def test_compiled_rules_give_the_same_result():
    compiled = compile_rules(HOPE)
    assert compile_rules(HOPE) is compiled  # cached
    assert compiled.evaluate(REFUGEE, today=TODAY) == evaluate(HOPE, REFUGEE, today=TODAY)
    assert evaluate(compiled, REFUGEE, today=TODAY).status == "eligible"


def test_evaluating_invalid_rules_raises_with_the_messages():
    with pytest.raises(RulesError) as info:
        evaluate([{"field": "taille", "op": "gte", "value": 1}], {}, today=TODAY)
    assert info.value.messages[0].startswith("Critère n° 1 : champ inconnu")


# --- validation -----------------------------------------------------------------------------------------


def test_valid_rules_have_no_message():
    assert validate_rules(HOPE) == []
    assert validate_rules([]) == []


def test_unknown_field_is_named():
    (message,) = validate_rules([{"field": "nationalite", "op": "eq", "value": "AF"}])
    assert message.startswith('Critère n° 1 : champ inconnu "nationalite". Champs possibles : age,')


def test_unknown_operator_is_named_with_the_possible_ones():
    (message,) = validate_rules([HOPE[0], {"field": "age", "op": ">=", "value": 18}])
    assert message == (
        'Critère n° 2 (Âge) : opérateur inconnu ">=" non applicable à ce champ. '
        "Opérateurs possibles : eq, in, not_in, between, gte, lte, gt, lt."
    )


def test_operator_not_applicable_to_the_field():
    (message,) = validate_rules([{"field": "protection_status", "op": "gte", "value": "refugee"}])
    assert 'opérateur "gte" non applicable' in message
    assert "Opérateurs possibles : in, not_in, eq." in message


@pytest.mark.parametrize(
    ("criterion", "expected"),
    [
        (
            {"field": "protection_status", "op": "in", "value": ["refugie"]},
            'valeur inconnue "refugie". Valeurs possibles : none',
        ),
        ({"field": "protection_status", "op": "in", "value": []}, "la valeur doit être une liste non vide"),
        ({"field": "protection_status", "op": "in", "value": "refugee"}, "la valeur doit être une liste non vide"),
        ({"field": "age", "op": "between", "value": [64, 18]}, "la borne minimale (64) dépasse la borne maximale (18)"),
        ({"field": "age", "op": "between", "value": [18]}, "une liste de deux bornes [min, max]"),
        ({"field": "age", "op": "gte", "value": "18"}, 'la valeur doit être un nombre (reçu : "18")'),
        ({"field": "age", "op": "gte", "value": True}, "la valeur doit être un nombre"),
        ({"field": "age", "op": "gte", "value": -1}, "ne peut pas être négative"),
        ({"field": "age", "op": "gte"}, "la valeur est obligatoire"),
        (
            {"field": "french_level", "op": "at_least", "value": "A3"},
            'valeur inconnue "A3". Valeurs possibles : A1.1, A1, A2',
        ),
        ({"field": "french_level", "op": "between", "value": ["B1", "A1"]}, "la borne minimale (B1) dépasse"),
        ({"field": "right_to_work", "op": "is_true", "value": False}, "cet opérateur ne prend pas de valeur"),
        ({"field": "right_to_work", "op": "eq", "value": "oui"}, "la valeur doit être true ou false"),
        ({"field": "departement", "op": "in", "value": [""]}, "la valeur doit être un code non vide"),
        ({"field": "age", "op": "gte", "value": 18, "valeur": 3}, "clé inconnue 'valeur'"),
    ],
)
def test_bad_values_have_a_french_message(criterion, expected):
    messages = validate_rules([criterion])
    assert len(messages) == 1
    assert expected in messages[0]
    assert messages[0].startswith("Critère n° 1")


def test_rules_must_be_a_list_of_objects():
    assert validate_rules({"field": "age"}) == ["Les règles d'éligibilité doivent être une liste de critères."]
    assert validate_rules(["age >= 18"])[0].startswith("Critère n° 1 : un critère doit être un objet")


def test_missing_field_or_operator():
    assert "champ inconnu (absent)" in validate_rules([{"op": "eq", "value": 1}])[0]
    assert "opérateur (absent) non applicable" in validate_rules([{"field": "age", "value": 1}])[0]


def test_every_problem_is_reported():
    messages = validate_rules([{"field": "x", "op": "eq"}, {"field": "age", "op": "zz"}, HOPE[0]])
    assert [m.split(" ")[2] for m in messages] == ["1", "2"]


# --- properties ---------------------------------------------------------------------------------------


PROTECTION = [s.value for s in el.ProtectionStatus]
LEVELS = list(el.CECRL_ORDER)

facts_strategy = st.fixed_dictionaries(
    {},
    optional={
        "age": st.integers(min_value=0, max_value=110),
        "protection_status": st.sampled_from(PROTECTION),
        "french_level": st.sampled_from(LEVELS),
        "right_to_work": st.booleans(),
        "enrolled_elsewhere": st.booleans(),
        "departement": st.sampled_from(["44", "49", "85", "75", "2A"]),
        "years_since_arrival": st.integers(min_value=0, max_value=40),
    },
)


@st.composite
def criterion_strategy(draw):
    kind = draw(st.sampled_from(["age", "protection", "french", "bool", "departement", "arrival"]))
    if kind == "age":
        low = draw(st.integers(0, 100))
        high = draw(st.integers(low, 110))
        op = draw(st.sampled_from(["between", "gte", "lte", "gt", "lt", "eq"]))
        return {"field": "age", "op": op, "value": [low, high] if op == "between" else low}
    if kind == "protection":
        op = draw(st.sampled_from(["in", "not_in"]))
        return {
            "field": "protection_status",
            "op": op,
            "value": draw(st.lists(st.sampled_from(PROTECTION), min_size=1)),
        }
    if kind == "french":
        op = draw(st.sampled_from(["at_least", "at_most"]))
        return {"field": "french_level", "op": op, "value": draw(st.sampled_from(LEVELS))}
    if kind == "bool":
        return {
            "field": draw(st.sampled_from(["right_to_work", "enrolled_elsewhere"])),
            "op": draw(st.sampled_from(["is_true", "is_false"])),
        }
    if kind == "departement":
        return {
            "field": "departement",
            "op": "in",
            "value": draw(st.lists(st.sampled_from(["44", "49", "75"]), min_size=1)),
        }
    return {"field": "years_since_arrival", "op": "lt", "value": draw(st.integers(0, 20))}


rules_strategy = st.lists(criterion_strategy(), max_size=6)


@settings(max_examples=200, deadline=None)
@given(rules=rules_strategy, facts=facts_strategy)
def test_generated_rules_are_valid(rules, facts):
    assert validate_rules(rules) == []


@settings(max_examples=300, deadline=None)
@given(rules=rules_strategy, facts=facts_strategy)
def test_status_follows_the_criteria(rules, facts):
    result = evaluate(rules, facts, today=TODAY)
    statuses = [c.status for c in result.criteria]
    assert len(statuses) == len(rules)
    assert (result.status == "not_eligible") == ("not_met" in statuses)
    assert (result.status == "eligible") == all(s == "met" for s in statuses)
    # An unknown criterion always comes with something to ask; a known one never does.
    for c in result.criteria:
        assert bool(c.ask) == (c.status == "unknown")
        assert c.reason


@settings(max_examples=300, deadline=None)
@given(rules=rules_strategy, facts=facts_strategy, extra=criterion_strategy())
def test_adding_a_satisfied_criterion_never_changes_the_status(rules, facts, extra):
    added = evaluate([extra], facts, today=TODAY)
    if added.status != "eligible":
        return
    before = evaluate(rules, facts, today=TODAY).status
    assert evaluate([*rules, extra], facts, today=TODAY).status == before


@settings(max_examples=200, deadline=None)
@given(rules=rules_strategy, facts=facts_strategy)
def test_missing_data_never_turns_a_yes_into_a_no(rules, facts):
    """Removing a fact can only move a criterion to unknown: an eligible person becomes
    undetermined, never not eligible."""
    full = evaluate(rules, facts, today=TODAY)
    for key in facts:
        partial = evaluate(rules, {k: v for k, v in facts.items() if k != key}, today=TODAY)
        if full.status == "eligible":
            assert partial.status in ("eligible", "undetermined")
        if full.status == "undetermined":
            assert partial.status == "undetermined"


@settings(max_examples=200, deadline=None)
@given(rules=rules_strategy, facts=facts_strategy)
def test_rule_order_does_not_change_the_status(rules, facts):
    assert evaluate(rules, facts, today=TODAY).status == evaluate(rules[::-1], facts, today=TODAY).status


# --- non-finite and very large numbers (review fix) ------------------------------------------------------


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
@pytest.mark.parametrize("op", ["gte", "eq", "in", "between"])
def test_non_finite_numbers_are_refused(bad, op):
    value = [bad] if op == "in" else [18, bad] if op == "between" else bad
    (message,) = validate_rules([{"field": "age", "op": op, "value": value}])
    assert message.startswith(f"Critère n° 1 (Âge, {op}) : la valeur doit être un nombre fini")


def test_very_large_numbers_are_refused_without_overflow():
    (message,) = validate_rules([{"field": "age", "op": "between", "value": [18, 10**400]}])
    assert message == "Critère n° 1 (Âge, between) : la valeur est trop grande (au plus 1000)."
    assert validate_rules([{"field": "years_since_arrival", "op": "lt", "value": 1000}]) == []


# --- groups: one criterion suffices ("any") -----------------------------------------------------------------

RSA = {"field": "rsa_status", "op": "in", "value": ["open", "suspended"]}
RQTH = {"field": "has_rqth", "op": "is_true"}
LOW_EDUCATION = {"field": "education_level", "op": "at_most", "value": "3"}
AGE_26 = {"field": "age", "op": "gte", "value": 26}
PLIE = [AGE_26, {"any": [RSA, RQTH, LOW_EDUCATION], "label": "Public prioritaire"}]


def group_of(facts, rules=PLIE):
    result = evaluate(rules, facts, today=TODAY)
    return result, result.criteria[1]


def test_group_met_by_one_criterion_names_it():
    result, group = group_of({"age": 30, "rsa_status": "open", "has_rqth": False, "education_level": "5"})
    assert result.status == "eligible"
    assert (group.field, group.op, group.status, group.label) == ("any", "any", "met", "Public prioritaire")
    assert [i.status for i in group.items] == ["met", "not_met", "not_met"]
    assert group.reason == (
        "Au moins une condition parmi : RSA, Reconnaissance de travailleur handicapé (RQTH), Niveau de formation "
        "— remplie par « RSA »."
    )
    assert group.ask == ""
    assert group.value_display == "RSA : Droits ouverts"


def test_group_met_despite_unknown_criteria():
    """One criterion met settles the group: the others may be missing or hidden."""
    result, group = group_of({"age": 30, "education_level": "1", HIDDEN_KEY: frozenset({"disability"})})
    assert result.status == "eligible"
    assert group.status == "met"
    assert [i.status for i in group.items] == ["unknown", "unknown", "met"]
    assert result.missing == []


def test_group_not_met_when_every_criterion_is_known_and_not_met():
    result, group = group_of({"age": 30, "rsa_status": "none", "has_rqth": False, "education_level": "5"})
    assert result.status == "not_eligible"
    assert group.status == "not_met"
    assert "aucune n'est remplie" in group.reason
    assert "RSA : Non, attendu parmi Droits ouverts ou Suspendus" in group.reason
    assert group.ask == ""


def test_group_unknown_when_some_are_unknown_and_none_met_asks_for_them():
    result, group = group_of(
        {"age": 30, "rsa_status": "none", "education_level": "", HIDDEN_KEY: frozenset({"disability"})}
    )
    assert result.status == "undetermined"
    assert group.status == "unknown"
    assert [i.status for i in group.items] == ["not_met", "unknown", "unknown"]
    assert "impossible de conclure" in group.reason
    assert group.ask.startswith("« Public prioritaire » (une seule condition suffit) : Recueillir le consentement")
    assert "; ou Demander le niveau de formation (diplôme le plus élevé)." in group.ask
    assert result.missing == [group.ask]


def test_group_unknown_never_hides_an_unmet_criterion_outside():
    result, _group = group_of({"age": 20})
    assert result.status == "not_eligible"


def test_group_without_label_is_named_by_its_criteria():
    result = evaluate([{"any": [RSA, LOW_EDUCATION]}], {"rsa_status": "open"}, today=TODAY)
    assert result.criteria[0].label == "RSA ou Niveau de formation"
    assert compile_rules([{"any": [RSA, LOW_EDUCATION]}]).criteria[0].expected_display == (
        "au moins une condition parmi : RSA : parmi Droits ouverts ou Suspendus ; "
        "Niveau de formation : au plus Niveau 3 (CAP, BEP)"
    )


def test_group_category_is_the_most_sensitive_and_lists_all():
    group = evaluate(PLIE, {}, today=TODAY).criteria[1]
    assert group.category == "disability"
    assert group.categories == {"situation", "disability"}


def test_group_as_dict_keeps_the_criterion_shape_with_items():
    import json

    result, _group = group_of({"age": 30, "rsa_status": "open"})
    data = json.loads(json.dumps(result.as_dict()))
    first, group = data["criteria"]
    assert "items" not in first  # plain criteria keep the shape of the stored snapshots
    assert group["field"] == group["op"] == "any"
    assert [i["field"] for i in group["items"]] == ["rsa_status", "has_rqth", "education_level"]
    assert set(group) == set(first) | {"items"}


def test_groups_are_compiled_once():
    assert compile_rules(PLIE) is compile_rules([dict(c) for c in PLIE])
    assert compile_rules(PLIE).criteria[1].is_group and not compile_rules(PLIE).criteria[0].is_group


@pytest.mark.parametrize(
    ("group", "expected"),
    [
        ({"any": []}, "Groupe n° 1 : le groupe est vide ; il lui faut au moins deux critères, dont un suffira."),
        ({"any": [RSA]}, "Groupe n° 1 : le groupe n'a qu'un critère ; il lui en faut au moins deux"),
        ({"any": "rsa"}, "Groupe n° 1 : « any » doit être une liste d'au moins deux critères"),
        (
            {"any": [RSA, {"any": [RQTH, LOW_EDUCATION]}]},
            "Groupe n° 1, critère n° 2 : un groupe ne peut pas contenir un autre groupe",
        ),
        (
            {"any": [RSA, RQTH], "all": []},
            "Groupe n° 1 : clé inconnue 'all' (clés possibles d'un groupe : any, label).",
        ),
        ({"any": [RSA, RQTH], "label": ""}, "Groupe n° 1 : le libellé (label) doit être un texte non vide."),
        ({"any": [RSA, RQTH], "label": "x" * 201}, "Groupe n° 1 : le libellé (label) ne peut dépasser 200"),
        (
            {"any": [{"field": "agee", "op": "gte", "value": 1}, RSA]},
            'Groupe n° 1, critère n° 1 : champ inconnu "agee".',
        ),
        (
            {"any": [RSA, {"field": "age", "op": ">=", "value": 26}]},
            'Groupe n° 1, critère n° 2 (Âge) : opérateur inconnu ">=" non applicable à ce champ.',
        ),
        (
            {"any": [RSA, {"field": "age", "op": "gte", "value": "26"}]},
            "Groupe n° 1, critère n° 2 (Âge, gte) : la valeur doit être un nombre",
        ),
    ],
)
def test_bad_groups_have_a_french_message_with_the_position(group, expected):
    messages = validate_rules([group])
    assert len(messages) == 1
    assert messages[0].startswith(expected)
    with pytest.raises(RulesError):
        compile_rules([group])


def test_group_position_is_its_place_in_the_rules():
    messages = validate_rules([AGE_26, {"any": [RSA, {"field": "sex", "op": "eq", "value": "Z"}]}])
    assert messages == ['Groupe n° 2, critère n° 2 (Sexe, eq) : valeur inconnue "Z". Valeurs possibles : F, M, X.']


group_strategy = st.lists(criterion_strategy(), min_size=2, max_size=4).map(lambda items: {"any": items})
element_strategy = st.one_of(criterion_strategy(), group_strategy)
grouped_rules_strategy = st.lists(element_strategy, max_size=5)


@settings(max_examples=200, deadline=None)
@given(rules=grouped_rules_strategy)
def test_generated_grouped_rules_are_valid(rules):
    assert validate_rules(rules) == []


@settings(max_examples=300, deadline=None)
@given(rules=grouped_rules_strategy, facts=facts_strategy)
def test_group_status_follows_its_criteria(rules, facts):
    result = evaluate(rules, facts, today=TODAY)
    statuses = [c.status for c in result.criteria]
    assert (result.status == "not_eligible") == ("not_met" in statuses)
    assert (result.status == "eligible") == all(s == "met" for s in statuses)
    for c in result.criteria:
        assert bool(c.ask) == (c.status == "unknown")
        if c.items:
            inner = [i.status for i in c.items]
            expected = "met" if "met" in inner else "not_met" if all(s == "not_met" for s in inner) else "unknown"
            assert c.status == expected


@settings(max_examples=300, deadline=None)
@given(rules=grouped_rules_strategy, facts=facts_strategy, satisfied=criterion_strategy(), others=st.data())
def test_a_group_with_one_satisfied_criterion_is_met(rules, facts, satisfied, others):
    """A group holding one satisfied criterion plus anything is met, wherever it stands."""
    if evaluate([satisfied], facts, today=TODAY).status != "eligible":
        return
    rest = others.draw(st.lists(criterion_strategy(), min_size=1, max_size=3))
    position = others.draw(st.integers(0, len(rest)))
    group = {"any": [*rest[:position], satisfied, *rest[position:]]}
    result = evaluate([*rules, group], facts, today=TODAY)
    assert result.criteria[-1].status == "met"
    assert result.status == evaluate(rules, facts, today=TODAY).status


@settings(max_examples=200, deadline=None)
@given(rules=grouped_rules_strategy, facts=facts_strategy)
def test_missing_data_never_turns_a_yes_into_a_no_with_groups(rules, facts):
    full = evaluate(rules, facts, today=TODAY)
    for key in facts:
        partial = evaluate(rules, {k: v for k, v in facts.items() if k != key}, today=TODAY)
        if full.status == "eligible":
            assert partial.status in ("eligible", "undetermined")
        if full.status == "undetermined":
            assert partial.status == "undetermined"
