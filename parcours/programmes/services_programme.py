"""Declaring a programme as data, and changing it. The input is the JSON shape of a programme file
(docs/programmes.md): the same for the page's form, the `programme_load` command and the demo.

Only the programme's managers may write (access.can_manage_programme: the pilote or structure
administrator of the owner organisation; at declaration the owner is the declaring member's
organisation). Every problem is reported at once, in French, keyed by the field it concerns, and
nothing is written (one transaction)."""

import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from parcours.audit.models import AuditAction
from parcours.audit.services import audit_log
from parcours.occupations.models import RomeJob
from parcours.organisations.models import Membership, Organisation

from . import enums
from .access import can_manage_programme
from .eligibility import validate_rules
from .indicators import CODES as INDICATOR_CODES
from .models import TEXT_MAX_LENGTH, Programme, ProgrammeStep

# Codes that are URL segments under /programmes/ (pages of their own): a programme may not take them.
RESERVED_CODES = frozenset({"declarer", "indicateurs", "enquetes", "sessions", "inscriptions"})
CODE_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SIRET_RE = re.compile(r"^[0-9]{14}$")
ROME_RE = re.compile(r"^[A-Z][0-9]{4}$")

KEYS = frozenset(
    {
        "code",
        "name",
        "kind",
        "description",
        "target_publics",
        "duration_months",
        "rome_codes",
        "operators",
        "eligibility_rules",
        "positive_outcomes",
        "indicators",
        "steps",
        "is_active",
    }
)
REQUIRED_KEYS = ("code", "name", "duration_months")
STEP_KEYS = frozenset({"kind", "label", "week", "target_hours", "is_required"})
MAX_STEPS = 50


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


class _Errors:
    def __init__(self) -> None:
        self.by_key: dict[str, list[str]] = {}

    def add(self, key: str, message: str) -> None:
        self.by_key.setdefault(key, []).append(message)

    def raise_if_any(self) -> None:
        if self.by_key:
            raise ValidationError(self.by_key)


def _string_list(data: dict, key: str, allowed: dict[str, str], errors: _Errors, label: str) -> list[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.add(key, _("%(label)s : une liste de codes est attendue.") % {"label": label})
        return []
    unknown = [v for v in value if v not in allowed]
    if unknown:
        errors.add(
            key,
            _("%(label)s : valeur(s) inconnue(s) %(unknown)s. Valeurs possibles : %(allowed)s.")
            % {"label": label, "unknown": ", ".join(unknown), "allowed": ", ".join(allowed)},
        )
    return list(dict.fromkeys(value))


def _operators(value: object, errors: _Errors) -> list[Organisation]:
    if not isinstance(value, list):
        errors.add("operators", _("Opérateurs : une liste d'identifiants d'organisation ou de SIRET est attendue."))
        return []
    ids = [v for v in value if _is_int(v)]
    sirets = [v.strip() for v in value if isinstance(v, str)]
    bad = [v for v in value if not _is_int(v) and not (isinstance(v, str) and SIRET_RE.match(v.strip()))]
    if bad:
        errors.add(
            "operators",
            _("Opérateurs : %(bad)s n'est ni un identifiant d'organisation ni un SIRET à 14 chiffres.")
            % {"bad": ", ".join(str(b) for b in bad)},
        )
    sirets = [s for s in sirets if SIRET_RE.match(s)]
    found = list(Organisation.objects.filter(Q(pk__in=ids) | Q(siret__in=sirets)))
    by_id = {o.pk: o for o in found}
    by_siret: dict[str, list[Organisation]] = {}
    for o in found:
        if o.siret:
            by_siret.setdefault(o.siret, []).append(o)
    chosen: dict[int, Organisation] = {}
    for i in ids:
        org = by_id.get(i)
        if org is None:
            errors.add("operators", _("Opérateurs : aucune organisation n'a l'identifiant %(id)s.") % {"id": i})
        elif not org.is_active:
            errors.add("operators", _("Opérateurs : l'organisation « %(name)s » est désactivée.") % {"name": org.name})
        else:
            chosen[org.pk] = org
    for s in sirets:
        orgs = by_siret.get(s, [])
        if not orgs:
            errors.add("operators", _("Opérateurs : aucune organisation n'a le SIRET %(siret)s.") % {"siret": s})
        elif len(orgs) > 1:
            errors.add(
                "operators",
                _("Opérateurs : plusieurs organisations ont le SIRET %(siret)s ; indiquez leur identifiant.")
                % {"siret": s},
            )
        elif not orgs[0].is_active:
            errors.add(
                "operators", _("Opérateurs : l'organisation « %(name)s » est désactivée.") % {"name": orgs[0].name}
            )
        else:
            chosen[orgs[0].pk] = orgs[0]
    return list(chosen.values())


def _rome_jobs(value: object, errors: _Errors) -> list[RomeJob]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.add("rome_codes", _("Métiers : une liste de codes ROME est attendue (ex. « F1703 »)."))
        return []
    codes = list(dict.fromkeys(v.strip().upper() for v in value))
    jobs = {j.code: j for j in RomeJob.objects.filter(code__in=codes)}
    unknown = [c for c in codes if c not in jobs]
    if unknown:
        errors.add("rome_codes", _("Métiers : code(s) ROME inconnu(s) %(codes)s.") % {"codes": ", ".join(unknown)})
    return [jobs[c] for c in codes if c in jobs]


def _steps(value: object, errors: _Errors) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        errors.add("steps", _("Étapes : une liste d'étapes est attendue."))
        return []
    if len(value) > MAX_STEPS:
        errors.add("steps", _("Étapes : %(max)d étapes au plus.") % {"max": MAX_STEPS})
        return []
    kinds = {str(k.value) for k in enums.StepKind}
    steps = []
    for position, step in enumerate(value, start=1):
        where = _("Étape n° %(n)d") % {"n": position}
        if not isinstance(step, dict):
            errors.add(
                "steps",
                _("%(where)s : un objet {kind, label, week, target_hours, is_required} est attendu.")
                % {"where": where},
            )
            continue
        extra = sorted(set(step) - STEP_KEYS)
        if extra:
            errors.add("steps", _("%(where)s : clé inconnue %(keys)s.") % {"where": where, "keys": ", ".join(extra)})
        kind = step.get("kind")
        if kind not in kinds:
            errors.add(
                "steps",
                _("%(where)s : type inconnu « %(kind)s ». Types possibles : %(kinds)s.")
                % {"where": where, "kind": kind, "kinds": ", ".join(sorted(kinds))},
            )
        label = step.get("label")
        if not isinstance(label, str) or not label.strip() or len(label) > 200:
            errors.add(
                "steps", _("%(where)s : l'intitulé est obligatoire (200 caractères au plus).") % {"where": where}
            )
        week = step.get("week", 0)
        if not _is_int(week) or not 0 <= week <= 520:
            errors.add("steps", _("%(where)s : la semaine doit être un entier entre 0 et 520.") % {"where": where})
        hours = step.get("target_hours")
        if hours is not None and (not _is_int(hours) or not 0 < hours <= 5000):
            errors.add(
                "steps", _("%(where)s : les heures prévues doivent être un entier entre 1 et 5000.") % {"where": where}
            )
        required = step.get("is_required", True)
        if not isinstance(required, bool):
            errors.add("steps", _("%(where)s : « is_required » doit valoir true ou false.") % {"where": where})
        steps.append(
            {
                "position": position,
                "kind": kind,
                "label": label.strip() if isinstance(label, str) else "",
                "week": week,
                "target_hours": hours,
                "is_required": required,
            }
        )
    return steps


def programme_clean(*, data: object, programme: Programme | None = None) -> dict[str, Any]:
    """Check a programme's data (JSON shape) and return the values to write; ValidationError with
    every problem, keyed by field, otherwise. Reads the referentials, writes nothing."""
    errors = _Errors()
    if not isinstance(data, dict):
        raise ValidationError(_("Le programme doit être un objet JSON."))
    extra = sorted(set(data) - KEYS)
    if extra:
        errors.add(
            "__all__",
            _("Clé(s) inconnue(s) : %(keys)s. Clés possibles : %(known)s.")
            % {"keys": ", ".join(extra), "known": ", ".join(sorted(KEYS))},
        )
    for key in REQUIRED_KEYS:
        if data.get(key) in (None, ""):
            errors.add(key, _("Ce champ est obligatoire."))
    code: Any = data.get("code")
    if isinstance(code, str) and code:
        code = code.strip()
        if code in RESERVED_CODES:
            errors.add(
                "code",
                _("Le code « %(code)s » est réservé (il désigne une page) ; choisissez-en un autre.") % {"code": code},
            )
        elif not CODE_RE.match(code) or len(code) > 60:
            errors.add(
                "code",
                _(
                    "Le code ne peut contenir que des lettres minuscules sans accent, des chiffres et des tirets "
                    "(60 caractères au plus), par exemple « hope-44 »."
                ),
            )
        elif Programme.objects.filter(code=code).exclude(pk=programme.pk if programme else 0).exists():
            errors.add("code", _("Un programme porte déjà le code « %(code)s ».") % {"code": code})
    elif code not in (None, ""):
        errors.add("code", _("Le code doit être un texte."))
    name: Any = data.get("name")
    if name not in (None, "") and (not isinstance(name, str) or len(name.strip()) > 200 or not name.strip()):
        errors.add("name", _("Le nom est un texte de 200 caractères au plus."))
    kind = data.get("kind", enums.ProgrammeKind.GENERAL)
    if kind not in enums.ProgrammeKind.values:
        errors.add(
            "kind",
            _("Type de programme inconnu « %(kind)s ». Types possibles : %(kinds)s.")
            % {"kind": kind, "kinds": ", ".join(enums.ProgrammeKind.values)},
        )
    description = data.get("description", "")
    if not isinstance(description, str) or len(description) > TEXT_MAX_LENGTH:
        errors.add(
            "description", _("La description est un texte de %(n)d caractères au plus.") % {"n": TEXT_MAX_LENGTH}
        )
    duration: Any = data.get("duration_months")
    if duration not in (None, "") and (not _is_int(duration) or not 1 <= duration <= 60):
        errors.add("duration_months", _("La durée est un nombre entier de mois entre 1 et 60."))
    publics = _string_list(
        data, "target_publics", {str(c.value): str(c.label) for c in enums.TargetPublic}, errors, _("Publics visés")
    )
    outcomes = _string_list(
        {"positive_outcomes": data.get("positive_outcomes", [str(o) for o in enums.DEFAULT_POSITIVE_OUTCOMES])},
        "positive_outcomes",
        {str(c.value): str(c.label) for c in enums.ExitOutcome},
        errors,
        _("Sorties positives"),
    )
    if enums.ExitOutcome.UNKNOWN in outcomes:
        errors.add(
            "positive_outcomes", _("Sorties positives : une situation inconnue ne peut pas compter comme positive.")
        )
    indicators = _string_list(
        data, "indicators", {code: code for code in INDICATOR_CODES}, errors, _("Indicateurs suivis")
    )
    rules = data.get("eligibility_rules", [])
    for message in validate_rules(rules):
        errors.add("eligibility_rules", message)
    is_active = data.get("is_active", True)
    if not isinstance(is_active, bool):
        errors.add("is_active", _("« is_active » doit valoir true ou false."))
    rome_jobs = _rome_jobs(data.get("rome_codes", []), errors)
    operators = _operators(data.get("operators", []), errors)
    steps = _steps(data.get("steps", []), errors)
    errors.raise_if_any()
    return {
        "fields": {
            "code": code,
            "name": name.strip(),
            "kind": kind,
            "description": description.strip(),
            "target_publics": publics,
            "duration_months": duration,
            "eligibility_rules": rules or [],
            "positive_outcomes": outcomes,
            "indicators": indicators,
            "is_active": is_active,
        },
        "rome_jobs": rome_jobs,
        "operators": operators,
        "steps": steps,
    }


def _write_steps(programme: Programme, steps: list[dict[str, Any]]) -> None:
    """The template replaced position by position: a step keeps its id (and its records) when its
    position remains; a removed step that already has records cannot go."""
    existing = {s.position: s for s in programme.steps.all()}
    removed = [s for position, s in existing.items() if position > len(steps)]
    used = [s for s in removed if s.records.exists()]
    if used:
        raise ValidationError(
            {
                "steps": [
                    _("L'étape « %(label)s » a déjà des suivis enregistrés : elle ne peut pas être supprimée.")
                    % {"label": s.label}
                    for s in used
                ]
            }
        )
    ProgrammeStep.objects.filter(pk__in=[s.pk for s in removed]).delete()
    for step in steps:
        current = existing.get(step["position"])
        if current is None:
            ProgrammeStep.objects.create(programme=programme, **step)
            continue
        changed = [k for k, v in step.items() if getattr(current, k) != v]
        if changed:
            for k in changed:
                setattr(current, k, step[k])
            current.save(update_fields=changed)


def _require_manager(membership: Membership, programme: Programme) -> None:
    if not can_manage_programme(membership, programme):
        raise PermissionDenied(
            _(
                "Seul·e un·e pilote ou administrateur·rice de structure de l'organisation qui porte le programme "
                "peut le déclarer ou le modifier."
            )
        )


def programme_declare(*, membership: Membership, data: dict) -> Programme:
    """Declare a programme owned by the member's organisation."""
    _require_manager(membership, Programme(owner_id=membership.organisation_id))
    with transaction.atomic():
        values = programme_clean(data=data)
        try:
            with transaction.atomic():
                programme = Programme.objects.create(
                    owner=membership.organisation, created_by=membership.user, **values["fields"]
                )
        except IntegrityError:  # declared meanwhile under the same code
            raise ValidationError(
                {"code": [_("Un programme porte déjà le code « %(code)s ».") % {"code": values["fields"]["code"]}]}
            ) from None
        programme.rome_jobs.set(values["rome_jobs"])
        programme.operators.set(values["operators"])
        _write_steps(programme, values["steps"])
        audit_log(
            actor=membership.user,
            organisation=membership.organisation,
            action=AuditAction.CREATE,
            obj=programme,
            fields=[*values["fields"], "rome_jobs", "operators", "steps"],
        )
    return programme


def programme_as_data(programme: Programme) -> dict[str, Any]:
    """The programme in the JSON shape programme_declare reads (for the edit form and exports)."""
    return {
        "code": programme.code,
        "name": programme.name,
        "kind": programme.kind,
        "description": programme.description,
        "target_publics": list(programme.target_publics or []),
        "duration_months": programme.duration_months,
        "rome_codes": [j.code for j in programme.rome_jobs.order_by("code")],
        "operators": [o.pk for o in programme.operators.order_by("pk")],
        "eligibility_rules": list(programme.eligibility_rules or []),
        "positive_outcomes": list(programme.positive_outcomes or []),
        "indicators": list(programme.indicators or []),
        "steps": [
            {
                "kind": s.kind,
                "label": s.label,
                "week": s.week,
                "target_hours": s.target_hours,
                "is_required": s.is_required,
            }
            for s in programme.steps.order_by("position")
        ],
        "is_active": programme.is_active,
    }


def programme_update(*, membership: Membership, programme: Programme, data: dict) -> Programme:
    """Replace the programme's data by `data` (the whole JSON shape; absent optional keys take
    their defaults). Sessions and enrolments are untouched; eligibility already recorded on an
    enrolment stays as it was when proposed."""
    _require_manager(membership, programme)
    with transaction.atomic():
        programme = Programme.objects.select_for_update().get(pk=programme.pk)
        values = programme_clean(data=data, programme=programme)
        before = programme_as_data(programme)
        changed = [k for k, v in values["fields"].items() if getattr(programme, k) != v]
        for key in changed:
            setattr(programme, key, values["fields"][key])
        try:
            with transaction.atomic():
                if changed:
                    programme.save(update_fields=changed)
        except IntegrityError:
            raise ValidationError(
                {"code": [_("Un programme porte déjà le code « %(code)s ».") % {"code": values["fields"]["code"]}]}
            ) from None
        programme.rome_jobs.set(values["rome_jobs"])
        programme.operators.set(values["operators"])
        _write_steps(programme, values["steps"])
        after = programme_as_data(programme)
        audit_log(
            actor=membership.user,
            organisation=membership.organisation,
            action=AuditAction.UPDATE,
            obj=programme,
            fields=[k for k in after if after[k] != before[k]],
        )
    return programme
