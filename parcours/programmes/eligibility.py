"""The eligibility evaluator: a pure function from a programme's rules (data) and a person's facts
(a plain mapping) to eligible / not eligible / undetermined, with, for every criterion, the value
used, why, and what to ask when the value is missing. No ORM, no request: the facts are gathered
by parcours/programmes/facts.py, which leaves out what the reader may not see.

Rules are a list of criteria, all required:
    [{"field": "age", "op": "between", "value": [18, 64]},
     {"field": "protection_status", "op": "in", "value": ["refugee", "subsidiary"]}]
An element of the list may also be a group of at least two criteria of which one suffices (one
level only, no group in a group), with an optional French label:
    {"any": [{"field": "rsa_status", "op": "in", "value": ["open", "suspended"]},
             {"field": "education_level", "op": "at_most", "value": "3"}],
     "label": "Public prioritaire"}
A group is met when one of its criteria is met, not met when none is and all are known, unknown
otherwise (so that missing data still says what to ask). Its result is one CriterionResult (field
and op "any") whose `items` hold its criteria's results.

Facts are keyed by field name (see FIELDS); `age` may be given as `birth_date` and
`years_since_arrival` as `arrival_date` (both derived on the evaluation date). A missing key, None
or "" means "not known": the criterion is "unknown" and the result "undetermined", never a silent
no. The key HIDDEN_KEY lists the data categories the reader may not see, so that the "what to
ask" of a hidden field says that the person's consent is needed rather than that the data is
missing.

Rules are compiled once (`compile_rules`, cached on the rules' JSON text) into closures, so that
evaluating many people against the same programme costs a few comparisons and one sentence per
criterion (bench/bench_eligibility.py)."""

from __future__ import annotations

import datetime
import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar, NamedTuple

from parcours.diagnostics.enums import CECRL_ORDER
from parcours.people.enums import (
    ORDINARY_CATEGORIES,
    DataCategory,
    EducationLevel,
    HouseholdKind,
    ProtectionStatus,
    ResidencePermitKind,
    RightsStatus,
    Sex,
)

ELIGIBLE = "eligible"
NOT_ELIGIBLE = "not_eligible"
UNDETERMINED = "undetermined"
MET = "met"
NOT_MET = "not_met"
UNKNOWN = "unknown"

# The facts key holding the data categories the reader may not see (a collection of DataCategory values).
HIDDEN_KEY = "hidden_categories"

# Field types: what values and operators a field accepts.
NUMBER = "number"  # int or float, compared numerically
# The largest value a number criterion may hold (the numbers are ages and years).
NUMBER_MAX = 1000
BOOLEAN = "boolean"
CHOICE = "choice"  # one value of a closed list, unordered
SCALE = "scale"  # one value of a closed, ordered list (CECRL, education level)
CODE = "code"  # a free code (département)

OPERATORS: dict[str, str] = {
    "in": "parmi une liste de valeurs",
    "not_in": "hors d'une liste de valeurs",
    "eq": "égal à une valeur",
    "between": "entre deux bornes incluses [min, max]",
    "gte": "supérieur ou égal à",
    "lte": "inférieur ou égal à",
    "gt": "strictement supérieur à",
    "lt": "strictement inférieur à",
    "at_least": "au moins (échelle ordonnée)",
    "at_most": "au plus (échelle ordonnée)",
    "is_true": "vrai (oui)",
    "is_false": "faux (non)",
}

OPERATORS_BY_TYPE: dict[str, tuple[str, ...]] = {
    NUMBER: ("eq", "in", "not_in", "between", "gte", "lte", "gt", "lt"),
    BOOLEAN: ("is_true", "is_false", "eq"),
    CHOICE: ("in", "not_in", "eq"),
    SCALE: ("in", "not_in", "eq", "at_least", "at_most", "between"),
    CODE: ("in", "not_in", "eq"),
}
NO_VALUE_OPERATORS = frozenset({"is_true", "is_false"})

# A group of criteria of which one suffices: {"any": [criterion, …], "label": "…"}.
ANY = "any"
GROUP_KEYS = ("any", "label")
GROUP_LABEL_MAX = 200


@dataclass(frozen=True)
class Field:
    """One field a rule may test: its French label, type, the data category it belongs to (for
    consent), its closed list or ordered scale, its unit, and what to ask when it is missing."""

    name: str
    label: str
    type: str
    category: str
    ask: str
    choices: Mapping[str, str] = field(default_factory=dict)  # value -> French label, in scale order
    unit: str = ""
    source: str = ""  # the fact from which the field is derived on the evaluation date, if any

    @property
    def scale(self) -> tuple[str, ...]:
        return tuple(self.choices) if self.type == SCALE else ()

    @property
    def operators(self) -> tuple[str, ...]:
        return OPERATORS_BY_TYPE[self.type]


def _labels(choices) -> dict[str, str]:
    return {str(c.value): str(c.label) for c in choices}


@lru_cache(maxsize=1)
def fields() -> dict[str, Field]:
    """The registry of fields (built on first use: the labels are translated strings)."""
    cecrl = {level: level for level in CECRL_ORDER}
    items = [
        Field(
            "age",
            "Âge",
            NUMBER,
            DataCategory.IDENTITY.value,
            "Renseigner la date de naissance de la personne.",
            unit="ans",
            source="birth_date",
        ),
        Field(
            "sex",
            "Sexe",
            CHOICE,
            DataCategory.IDENTITY.value,
            "Renseigner le sexe de la personne.",
            choices=_labels(Sex),
        ),
        Field(
            "departement",
            "Département de résidence",
            CODE,
            DataCategory.CONTACT.value,
            "Renseigner la commune de résidence de la personne.",
        ),
        Field(
            "household",
            "Composition du foyer",
            CHOICE,
            DataCategory.SITUATION.value,
            "Demander la composition du foyer.",
            choices=_labels(HouseholdKind),
        ),
        Field(
            "years_since_arrival",
            "Années depuis l'arrivée en France",
            NUMBER,
            DataCategory.SITUATION.value,
            "Demander la date d'arrivée en France.",
            unit="ans",
            source="arrival_date",
        ),
        Field(
            "french_level",
            "Niveau de français (CECRL)",
            SCALE,
            DataCategory.SITUATION.value,
            "Évaluer le niveau de français (diagnostic) ou reporter le niveau au test OFII du CIR.",
            choices=cecrl,
        ),
        Field(
            "education_level",
            "Niveau de formation",
            SCALE,
            DataCategory.SITUATION.value,
            "Demander le niveau de formation (diplôme le plus élevé).",
            choices=_labels(EducationLevel),
        ),
        Field(
            "rsa_status",
            "RSA",
            CHOICE,
            DataCategory.SITUATION.value,
            "Demander si la personne perçoit le RSA.",
            choices=_labels(RightsStatus),
        ),
        Field(
            "are_status",
            "ARE (allocation chômage)",
            CHOICE,
            DataCategory.SITUATION.value,
            "Demander si la personne perçoit l'allocation chômage (ARE).",
            choices=_labels(RightsStatus),
        ),
        Field(
            "enrolled_elsewhere",
            "Inscrit·e dans un autre programme",
            BOOLEAN,
            DataCategory.SITUATION.value,
            "Vérifier si la personne suit déjà un autre programme.",
        ),
        Field(
            "protection_status",
            "Statut de protection",
            CHOICE,
            DataCategory.ASYLUM_HISTORY.value,
            "Demander le statut de protection (décision OFPRA ou CNDA).",
            choices=_labels(ProtectionStatus),
        ),
        Field(
            "right_to_work",
            "Autorisé·e à travailler",
            BOOLEAN,
            DataCategory.RESIDENCE_STATUS.value,
            "Demander le titre de séjour et vérifier qu'il autorise à travailler.",
        ),
        Field(
            "residence_permit_kind",
            "Titre de séjour",
            CHOICE,
            DataCategory.RESIDENCE_STATUS.value,
            "Demander le titre de séjour de la personne.",
            choices=_labels(ResidencePermitKind),
        ),
        Field(
            "has_rqth",
            "Reconnaissance de travailleur handicapé (RQTH)",
            BOOLEAN,
            DataCategory.DISABILITY.value,
            "Demander si la personne a une RQTH.",
        ),
    ]
    return {f.name: f for f in items}


def category_label(category: str) -> str:
    try:
        return str(DataCategory(category).label)
    except ValueError:
        return category


# --- results ------------------------------------------------------------------------------------------


class CriterionResult(NamedTuple):
    """One criterion evaluated: the value used (None when unknown) and its display, the status
    ("met", "not_met", "unknown"), the reason (a French sentence) and what to ask ("" when known).

    A group ("any") is one result too: field and op "any", value None, and `items` the results of
    its criteria; its category is the most sensitive of theirs (a reader must check them all: see
    `categories`)."""

    field: str
    label: str
    op: str
    expected_display: str
    value: Any
    value_display: str
    status: str
    reason: str
    ask: str
    category: str
    items: tuple[CriterionResult, ...] = ()

    @property
    def is_group(self) -> bool:
        return bool(self.items)

    @property
    def categories(self) -> frozenset[str]:
        """The data categories this result depends on (a group's: all of its criteria's)."""
        return frozenset(c for c in (self.category, *(i.category for i in self.items)) if c)

    def as_dict(self) -> dict[str, Any]:
        value = self.value
        if isinstance(value, datetime.date):
            value = value.isoformat()
        data = {
            "field": self.field,
            "label": self.label,
            "op": self.op,
            "expected_display": self.expected_display,
            "value": value,
            "value_display": self.value_display,
            "status": self.status,
            "reason": self.reason,
            "ask": self.ask,
            "category": self.category,
        }
        if self.items:
            data["items"] = [i.as_dict() for i in self.items]
        return data


class EligibilityResult(NamedTuple):
    """Any criterion not met → not eligible; else any unknown → undetermined; else eligible
    (no criterion at all: eligible)."""

    status: str
    criteria: tuple[CriterionResult, ...]
    evaluated_on: datetime.date | None = None

    @property
    def missing(self) -> list[str]:
        """What to ask to conclude, once each, in the rules' order."""
        seen: list[str] = []
        for c in self.criteria:
            if c.ask and c.ask not in seen:
                seen.append(c.ask)
        return seen

    @property
    def is_eligible(self) -> bool:
        return self.status == ELIGIBLE

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "criteria": [c.as_dict() for c in self.criteria],
            "evaluated_on": self.evaluated_on.isoformat() if self.evaluated_on else None,
        }


STATUS_LABELS = {ELIGIBLE: "Éligible", NOT_ELIGIBLE: "Non éligible", UNDETERMINED: "Indéterminé"}


def result_status(statuses: Sequence[str]) -> str:
    if NOT_MET in statuses:
        return NOT_ELIGIBLE
    if UNKNOWN in statuses:
        return UNDETERMINED
    return ELIGIBLE


# --- validation ---------------------------------------------------------------------------------------


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _allowed(f: Field) -> str:
    return ", ".join(f.choices)


def _check_scalar(f: Field, v: object, where: str) -> list[str]:
    """Errors for one value of field f (an element of a list, or the value of eq/gte…)."""
    if f.type == NUMBER:
        if not _is_number(v):
            return [f"{where} : la valeur doit être un nombre (reçu : {json.dumps(v, ensure_ascii=False)})."]
        # NaN and ±Infinity: json.loads accepts them but they compare with nothing and PostgreSQL's
        # jsonb refuses them. Very large integers would overflow float() when ranked.
        if isinstance(v, float) and not math.isfinite(v):
            return [f"{where} : la valeur doit être un nombre fini (reçu : {v})."]
        if v > NUMBER_MAX:  # type: ignore[operator]
            return [f"{where} : la valeur est trop grande (au plus {NUMBER_MAX})."]
        if v < 0:  # type: ignore[operator]
            return [f"{where} : la valeur ne peut pas être négative ({v})."]
        return []
    if f.type == BOOLEAN:
        if not isinstance(v, bool):
            return [f"{where} : la valeur doit être true ou false (reçu : {json.dumps(v, ensure_ascii=False)})."]
        return []
    if f.type == CODE:
        if not isinstance(v, str) or not v.strip():
            return [f"{where} : la valeur doit être un code non vide (reçu : {json.dumps(v, ensure_ascii=False)})."]
        return []
    if not isinstance(v, str) or v not in f.choices:
        return [f"{where} : valeur inconnue {json.dumps(v, ensure_ascii=False)}. Valeurs possibles : {_allowed(f)}."]
    return []


def _criterion_errors(prefix: str, criterion: object) -> list[str]:
    """Errors of one criterion; `prefix` tells where it is ("Critère n° 2", "Groupe n° 3, critère n° 1")."""
    where = prefix
    if not isinstance(criterion, dict):
        return [f'{where} : un critère doit être un objet {{"field", "op", "value"}}.']
    extra = sorted(set(criterion) - {"field", "op", "value"})
    errors = []
    if extra:
        errors.append(
            f"{where} : clé inconnue {', '.join(repr(k) for k in extra)} (clés possibles : field, op, value)."
        )
    name = criterion.get("field")
    registry = fields()
    if name not in registry:
        shown = json.dumps(name, ensure_ascii=False) if name is not None else "(absent)"
        return [*errors, f"{where} : champ inconnu {shown}. Champs possibles : {', '.join(registry)}."]
    f = registry[str(name)]
    where = f"{prefix} ({f.label})"
    op = criterion.get("op")
    if op not in f.operators:
        shown = json.dumps(op, ensure_ascii=False) if op is not None else "(absent)"
        known = "" if op in OPERATORS or op is None else " inconnu"
        return [
            *errors,
            f"{where} : opérateur{known} {shown} non applicable à ce champ. "
            f"Opérateurs possibles : {', '.join(f.operators)}.",
        ]
    where = f"{prefix} ({f.label}, {op})"
    if op in NO_VALUE_OPERATORS:
        if criterion.get("value") not in (None, True):
            errors.append(f"{where} : cet opérateur ne prend pas de valeur.")
        return errors
    if "value" not in criterion:
        return [*errors, f"{where} : la valeur est obligatoire."]
    value = criterion["value"]
    if op in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            return [*errors, f"{where} : la valeur doit être une liste non vide."]
        for v in value:
            errors.extend(_check_scalar(f, v, where))
        return errors
    if op == "between":
        if not isinstance(value, list) or len(value) != 2:
            return [*errors, f"{where} : la valeur doit être une liste de deux bornes [min, max]."]
        bound_errors = _check_scalar(f, value[0], where) + _check_scalar(f, value[1], where)
        if bound_errors:
            return errors + bound_errors
        low, high = _rank_of(f, value[0]), _rank_of(f, value[1])
        if low > high:
            errors.append(f"{where} : la borne minimale ({value[0]}) dépasse la borne maximale ({value[1]}).")
        return errors
    if f.type == BOOLEAN and op == "eq":
        return errors + _check_scalar(f, value, where)
    return errors + _check_scalar(f, value, where)


def _is_group(element: object) -> bool:
    return isinstance(element, dict) and ANY in element


def _group_errors(index: int, group: dict) -> list[str]:
    where = f"Groupe n° {index}"
    errors = []
    extra = sorted(set(group) - set(GROUP_KEYS), key=str)
    if extra:
        errors.append(
            f"{where} : clé inconnue {', '.join(repr(k) for k in extra)} "
            f"(clés possibles d'un groupe : {', '.join(GROUP_KEYS)})."
        )
    label = group.get("label")
    if label is not None:
        if not isinstance(label, str) or not label.strip():
            errors.append(f"{where} : le libellé (label) doit être un texte non vide.")
        elif len(label) > GROUP_LABEL_MAX:
            errors.append(f"{where} : le libellé (label) ne peut dépasser {GROUP_LABEL_MAX} caractères.")
    items = group[ANY]
    if not isinstance(items, list):
        return [
            *errors,
            f'{where} : « any » doit être une liste d\'au moins deux critères {{"field", "op", "value"}}.',
        ]
    if not items:
        errors.append(f"{where} : le groupe est vide ; il lui faut au moins deux critères, dont un suffira.")
    elif len(items) == 1:
        errors.append(
            f"{where} : le groupe n'a qu'un critère ; il lui en faut au moins deux, dont un suffira "
            f"(un critère seul se met directement dans la liste des règles)."
        )
    for position, item in enumerate(items, start=1):
        prefix = f"{where}, critère n° {position}"
        if _is_group(item):
            errors.append(
                f"{prefix} : un groupe ne peut pas contenir un autre groupe "
                f"(un seul niveau de « au moins une condition parmi »)."
            )
            continue
        errors.extend(_criterion_errors(prefix, item))
    return errors


def validate_rules(rules: object) -> list[str]:
    """French messages, one per problem; [] when the rules are valid."""
    if rules is None:
        return []
    if not isinstance(rules, list):
        return ["Les règles d'éligibilité doivent être une liste de critères."]
    errors: list[str] = []
    for index, element in enumerate(rules, start=1):
        if _is_group(element):
            errors.extend(_group_errors(index, element))  # type: ignore[arg-type]
        else:
            errors.extend(_criterion_errors(f"Critère n° {index}", element))
    return errors


class RulesError(ValueError):
    def __init__(self, messages: list[str]):
        super().__init__(" ".join(messages))
        self.messages = messages


# --- compilation --------------------------------------------------------------------------------------


_MISSING = object()


def _rank_of(f: Field, v: Any) -> float:
    if f.type == SCALE:
        return float(f.scale.index(str(v)))
    return float(v)


def _years_between(start: datetime.date, today: datetime.date) -> int:
    return today.year - start.year - ((today.month, today.day) < (start.month, start.day))


def _as_date(v: object) -> datetime.date | None:
    if isinstance(v, datetime.datetime):
        return v.date()
    if isinstance(v, datetime.date):
        return v
    if isinstance(v, str) and v:
        try:
            return datetime.date.fromisoformat(v)
        except ValueError:
            return None
    return None


def _getter(f: Field) -> Callable[[Mapping[str, object], datetime.date], object]:
    """Reads the field's value from the facts (or derives it from its source date)."""
    name, source = f.name, f.source
    if source:

        def derived(facts: Mapping[str, object], today: datetime.date) -> object:
            v = facts.get(name)
            if v is not None and v != "":
                return v
            start = _as_date(facts.get(source))
            if start is None or start > today:
                return _MISSING
            return _years_between(start, today)

        return derived

    def direct(facts: Mapping[str, object], today: datetime.date) -> object:
        v = facts.get(name, _MISSING)
        if v is None or v == "":
            return _MISSING
        return v

    return direct


def _display(f: Field, v: object) -> str:
    if f.type == BOOLEAN:
        return "oui" if v else "non"
    if f.type == NUMBER:
        text = f"{v:g}" if isinstance(v, float) else str(v)
        return f"{text} {f.unit}".strip()
    if f.type in (CHOICE, SCALE):
        return f.choices.get(str(v), str(v))
    return str(v)


def _join(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " ou " + items[-1]


def _expected(f: Field, op: str, value: Any) -> str:
    unit = f" {f.unit}" if f.unit else ""

    def d(v: object) -> str:
        return _display(f, v) if f.type != NUMBER else (f"{v:g}" if isinstance(v, float) else str(v))

    if op == "in":
        return ("parmi " if isinstance(value, list) and len(value) > 1 else "") + _join([d(v) for v in value])
    if op == "not_in":
        return "autre que " + _join([d(v) for v in value])
    if op == "eq":
        return (d(value) + unit) if f.type == NUMBER else d(value)
    if op == "between":
        low, high = value
        return f"entre {d(low)} et {d(high)}{unit}"
    if op in ("gte", "at_least"):
        return f"au moins {d(value)}{unit}"
    if op in ("lte", "at_most"):
        return f"au plus {d(value)}{unit}"
    if op == "gt":
        return f"plus de {d(value)}{unit}"
    if op == "lt":
        return f"moins de {d(value)}{unit}"
    if op == "is_true":
        return "oui"
    return "non"  # is_false


def _predicate(f: Field, op: str, value: Any) -> Callable[[Any], bool | None]:
    """The test of one criterion on a known value: True (met), False (not met), or None when the
    value itself cannot be compared (a value outside the field's list, a non-number)."""
    if f.type == SCALE:
        rank = {v: i for i, v in enumerate(f.scale)}
        if op in ("at_least", "at_most", "between"):
            if op == "between":
                lo, hi = rank[value[0]], rank[value[1]]
            elif op == "at_least":
                lo, hi = rank[str(value)], len(rank)
            else:
                lo, hi = -1, rank[str(value)]

            def ranked(v: Any) -> bool | None:
                r = rank.get(v) if isinstance(v, str) else None
                return None if r is None else lo <= r <= hi

            return ranked
    if f.type == NUMBER:

        def number(test: Callable[[float], bool]) -> Callable[[Any], bool | None]:
            def check(v: Any) -> bool | None:
                if not _is_number(v):
                    return None
                return test(v)

            return check

        if op == "between":
            low, high = value
            return number(lambda v: low <= v <= high)
        if op in ("in", "not_in"):
            members = frozenset(value)
            return number((lambda v: v in members) if op == "in" else (lambda v: v not in members))
        bound: Any = value
        return number(
            {
                "eq": lambda v: v == bound,
                "gte": lambda v: v >= bound,
                "lte": lambda v: v <= bound,
                "gt": lambda v: v > bound,
                "lt": lambda v: v < bound,
            }[op]
        )
    if f.type == BOOLEAN:
        wanted = {"is_true": True, "is_false": False}.get(op, value)

        def boolean(v: Any) -> bool | None:
            if not isinstance(v, bool):
                return None
            return v is wanted

        return boolean
    # CHOICE, CODE, and SCALE with in / not_in / eq
    members = frozenset(value) if op in ("in", "not_in") else frozenset([value])
    known = frozenset(f.choices) if f.type in (CHOICE, SCALE) else None
    negate = op == "not_in"

    def member(v: Any) -> bool | None:
        if known is not None and (not isinstance(v, str) or v not in known):
            return None
        if known is None:
            if isinstance(v, int | float | str) and not isinstance(v, bool):
                v = str(v)
            else:
                return None
        return (v not in members) if negate else (v in members)

    return member


@dataclass(frozen=True)
class CompiledCriterion:
    field: Field
    op: str
    value: object
    expected_display: str
    get: Callable[[Mapping[str, object], datetime.date], object]
    test: Callable[[Any], bool | None]
    is_group: ClassVar[bool] = False

    def evaluate(self, facts: Mapping[str, object], today: datetime.date, displays: dict) -> CriterionResult:
        f = self.field
        v = self.get(facts, today)
        if v is _MISSING:
            hidden = facts.get(HIDDEN_KEY)
            if hidden and f.category in hidden:  # type: ignore[operator]
                value_display = "non consultable"
                reason = (
                    f"{f.label} : donnée sensible que vous ne pouvez pas consulter sans le consentement "
                    f"de la personne : impossible de conclure."
                )
                ask = (
                    f"Recueillir le consentement de la personne pour la catégorie « {category_label(f.category)} », "
                    f"ou demander à un membre du groupe de suivi qui y a accès, pour vérifier « {f.label} »."
                )
            else:
                value_display = "non renseigné"
                reason = f"{f.label} : non renseigné : impossible de conclure."
                ask = f.ask
            return CriterionResult(
                f.name, f.label, self.op, self.expected_display, None, value_display, UNKNOWN, reason, ask, f.category
            )
        ok = self.test(v)
        if isinstance(v, str | int | float):
            key = (f.name, v)
            cached = displays.get(key)
            if cached is None:
                cached = displays[key] = _display(f, v)
            value_display = cached
        else:
            value_display = _display(f, v)
        if ok is None:
            return CriterionResult(
                f.name,
                f.label,
                self.op,
                self.expected_display,
                v,
                value_display,
                UNKNOWN,
                f"{f.label} : valeur non reconnue ({value_display}) : impossible de conclure.",
                f"Vérifier et corriger la donnée « {f.label} ».",
                f.category,
            )
        if ok:
            status = MET
            if f.type == BOOLEAN:
                reason = f"{f.label} : {value_display} : condition remplie."
            else:
                reason = f"{f.label} : {value_display}, {self.expected_display} : condition remplie."
        else:
            status = NOT_MET
            reason = f"{f.label} : {value_display}, attendu {self.expected_display} : condition non remplie."
        return CriterionResult(
            f.name, f.label, self.op, self.expected_display, v, value_display, status, reason, "", f.category
        )


def _sentence(text: str) -> str:
    return text[:-1] if text.endswith(".") else text


def _quoted(labels: list[str]) -> str:
    return " et ".join(f"« {label} »" for label in labels)


@dataclass(frozen=True)
class CompiledGroup:
    """A group of criteria of which one suffices ("any"). `label` is the group's own (or its
    criteria's labels joined by "ou"); `expected_display` lists the criteria and what each expects."""

    items: tuple[CompiledCriterion, ...]
    label: str
    expected_display: str
    category: str
    intro: str  # "Au moins une condition parmi : A, B, C", the start of every reason
    is_group: ClassVar[bool] = True

    @classmethod
    def build(cls, items: tuple[CompiledCriterion, ...], label: str | None) -> CompiledGroup:
        labels = [c.field.label for c in items]
        expected = "au moins une condition parmi : " + " ; ".join(
            f"{c.field.label} : {c.expected_display}" for c in items
        )
        categories = [c.field.category for c in items]
        # The most sensitive category first, for a reader that would look at this one only.
        category = next((c for c in categories if c not in ORDINARY_CATEGORIES), categories[0])
        intro = "Au moins une condition parmi : " + ", ".join(labels)
        return cls(items, (label or "").strip() or _join(labels), expected, category, intro)

    def evaluate(self, facts: Mapping[str, object], today: datetime.date, displays: dict) -> CriterionResult:
        results = tuple(c.evaluate(facts, today, displays) for c in self.items)
        met = [r.label for r in results if r.status == MET]
        unknown = [r for r in results if r.status == UNKNOWN]
        ask = ""
        if met:
            status = MET
            reason = f"{self.intro} — remplie par {_quoted(met)}."
            value_display = " ; ".join(f"{r.label} : {r.value_display}" for r in results if r.status == MET)
        elif not unknown:
            status = NOT_MET
            value_display = " ; ".join(f"{r.label} : {r.value_display}" for r in results)
            reason = (
                f"{self.intro} — aucune n'est remplie ("
                + " ; ".join(f"{r.label} : {r.value_display}, attendu {r.expected_display}" for r in results)
                + ")."
            )
        else:
            status = UNKNOWN
            value_display = " ; ".join(f"{r.label} : {r.value_display}" for r in results)
            reason = (
                f"{self.intro} — aucune remplie à ce jour, "
                f"impossible de conclure sans vérifier {_quoted([r.label for r in unknown])}."
            )
            asks: list[str] = []
            for r in unknown:
                if r.ask and _sentence(r.ask) not in asks:
                    asks.append(_sentence(r.ask))
            ask = f"« {self.label} » (une seule condition suffit) : " + " ; ou ".join(asks) + "."
        return CriterionResult(
            ANY,
            self.label,
            ANY,
            self.expected_display,
            None,
            value_display,
            status,
            reason,
            ask,
            self.category,
            results,
        )


def _compile_criterion(c: dict, registry: Mapping[str, Field]) -> CompiledCriterion:
    f = registry[c["field"]]
    op = c["op"]
    value = c.get("value")
    return CompiledCriterion(f, op, value, _expected(f, op, value), _getter(f), _predicate(f, op, value))


class CompiledRules:
    """Validated rules turned into closures; `evaluate(facts, today=)` as the module function.
    `criteria` holds a CompiledCriterion per criterion and a CompiledGroup per group (`is_group`)."""

    __slots__ = ("criteria", "rules")

    def __init__(self, rules: list[dict]):
        errors = validate_rules(rules)
        if errors:
            raise RulesError(errors)
        registry = fields()
        compiled: list[CompiledCriterion | CompiledGroup] = []
        for c in rules or []:
            if _is_group(c):
                items = tuple(_compile_criterion(i, registry) for i in c[ANY])
                compiled.append(CompiledGroup.build(items, c.get("label")))
            else:
                compiled.append(_compile_criterion(c, registry))
        self.criteria: tuple[CompiledCriterion | CompiledGroup, ...] = tuple(compiled)
        self.rules = rules

    def evaluate(self, facts: Mapping[str, object], *, today: datetime.date) -> EligibilityResult:
        displays = _DISPLAYS
        results = tuple(c.evaluate(facts, today, displays) for c in self.criteria)
        status = ELIGIBLE
        for r in results:
            if r.status == NOT_MET:
                status = NOT_ELIGIBLE
                break
            if r.status == UNKNOWN:
                status = UNDETERMINED
        if len(displays) > 10_000:  # values displayed are few (choices, ages); keep the cache bounded
            displays.clear()
        return EligibilityResult(status, results, today)


# Display of (field, value) pairs, shared: the labels are constant for the process's language.
_DISPLAYS: dict = {}


@lru_cache(maxsize=256)
def _compile_text(text: str) -> CompiledRules:
    return CompiledRules(json.loads(text))


def compile_rules(rules: object) -> CompiledRules:
    """Validated and compiled rules, cached on their JSON text; RulesError (a ValueError with
    French `messages`) when they are invalid."""
    if isinstance(rules, CompiledRules):
        return rules
    try:
        text = json.dumps(rules, sort_keys=True)
    except (TypeError, ValueError):
        raise RulesError(["Les règles d'éligibilité doivent être du JSON."]) from None
    return _compile_text(text)


def evaluate(rules: object, facts: Mapping[str, object], *, today: datetime.date) -> EligibilityResult:
    """Evaluate `rules` (a list of criteria, or compile_rules' result) on `facts` at `today`."""
    return compile_rules(rules).evaluate(facts, today=today)
