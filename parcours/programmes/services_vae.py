"""VAE pathways (validation des acquis de l'expérience) carried by an enrolment in a VAE programme.

The recognition routes and the target certifications with their blocs are reference data
(data/vae_reference.json, loaded by `vae_reference_load`). A pathway moves through four stages:
opened (admissibility pending) → admissible (or not) → jury scheduled → jury results per bloc.

With the declarative (derogatory) admissibility, the person's statement of experience, written with
the counsellor, replaces the documentary evidence: it is required, long enough to describe real
experience, and stored with the pathway.

Every write is keyword-only and atomic, checks `access.can_view_enrolment` (the session's operator
staff or the pathway's follow-up members), refuses an enrolment that is not enrolled or in progress
in a VAE programme, and writes a timeline event (EventKind.VAE_UPDATED) and an audit entry. Bad input
raises ValidationError with a French message and writes nothing. When the jury validates blocs,
the matching professional Certification rows are written in the same transaction (obtained on the
jury date) so that the programme indicators count them."""

import datetime
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.audit.models import AuditAction
from parcours.audit.services import audit_log
from parcours.occupations.models import RomeJob
from parcours.organisations.models import Membership
from parcours.pathways.enums import EventKind
from parcours.pathways.services import event_record
from parcours.people.models import ForeignQualification

from . import access
from .enums import (
    BlocResult,
    CertificationExam,
    CertificationKind,
    EnrolmentState,
    ProgrammeKind,
    VaeAdmissibility,
    VaeAdmissibilityDecision,
)
from .models import (
    TEXT_MAX_LENGTH,
    Certification,
    CompetenceBloc,
    Enrolment,
    TargetCertification,
    VaeBlocResult,
    VaePathway,
    VaeRoute,
)

REFERENCE_PATH = Path(__file__).resolve().parent / "data" / "vae_reference.json"
# A declarative statement replaces documentary evidence: a few lines at least (jobs held, tasks,
# where and for how long). 200 characters is about three sentences.
STATEMENT_MIN_LENGTH = 200
HOURS_PLANNED_MAX = 500
# One entry of accompaniment hours: a day's work at most would be 10 h; a few sessions grouped 40 h.
HOURS_ENTRY_MAX = Decimal("40")
HOURS_DONE_MAX = Decimal("9999.9")
# The enrolment states in which the VAE pathway may be written.
WRITABLE_STATES = frozenset({EnrolmentState.ENROLLED, EnrolmentState.IN_PROGRESS})


# --- reference data -----------------------------------------------------------------------------


def _reference_errors(data: object) -> list[str]:
    if not isinstance(data, dict):
        return [_("Le référentiel VAE doit être un objet JSON.")]
    errors: list[str] = []
    for route in data.get("routes", []):
        if not isinstance(route, dict) or not route.get("code") or not route.get("label"):
            errors.append(_("Chaque voie de reconnaissance doit avoir un code et un intitulé."))
    for cert in data.get("certifications", []):
        if not isinstance(cert, dict) or not cert.get("rncp_code") or not cert.get("title"):
            errors.append(_("Chaque certification doit avoir un code RNCP et un intitulé."))
            continue
        if not isinstance(cert.get("level"), int) or not 1 <= cert["level"] <= 8:
            errors.append(_("Le niveau de %(code)s doit être un entier de 1 à 8.") % {"code": cert["rncp_code"]})
        blocs = cert.get("blocs") or []
        codes = [b.get("code") for b in blocs if isinstance(b, dict)]
        if not blocs or len(codes) != len(blocs) or not all(codes) or len(set(codes)) != len(codes):
            errors.append(
                _("La certification %(code)s doit avoir des blocs aux codes uniques.") % {"code": cert["rncp_code"]}
            )
    return errors


@transaction.atomic
def vae_reference_load(*, path: Path = REFERENCE_PATH) -> None:
    """Create or update the recognition routes, the target certifications and their blocs from the
    reference file. Idempotent: running it twice changes nothing. Blocs no longer listed are kept
    (a VAE pathway may target them); ROME jobs are linked only when the ROME referential has them."""
    data = json.loads(path.read_text(encoding="utf-8"))
    errors = _reference_errors(data)
    if errors:
        raise ValidationError(errors)
    for route in data.get("routes", []):
        VaeRoute.objects.update_or_create(
            code=route["code"],
            defaults={
                "label": route["label"],
                "description": route.get("description", ""),
                "by_blocs": bool(route.get("by_blocs", False)),
                "needs_foreign_diploma": bool(route.get("needs_foreign_diploma", False)),
            },
        )
    for cert in data.get("certifications", []):
        certification, _created = TargetCertification.objects.update_or_create(
            rncp_code=cert["rncp_code"], defaults={"title": cert["title"], "level": cert["level"]}
        )
        certification.rome_jobs.set(RomeJob.objects.filter(code__in=cert.get("rome_codes", [])))
        for position, bloc in enumerate(cert["blocs"]):
            CompetenceBloc.objects.update_or_create(
                certification=certification,
                code=bloc["code"],
                defaults={"label": bloc["label"], "position": position},
            )


# --- helpers ------------------------------------------------------------------------------------


def _fmt(day: datetime.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def _require_viewer(membership: Membership | None, enrolment: Enrolment) -> Membership:
    if membership is None or not access.can_view_enrolment(membership, enrolment):
        raise PermissionDenied(
            _(
                "Seul·es les professionnel·les du centre qui porte la session ou les membres du groupe de suivi "
                "de la personne peuvent agir sur ce parcours VAE."
            )
        )
    return membership


def _lock_enrolment(enrolment: Enrolment) -> Enrolment:
    """The enrolment row locked, read afresh with what the checks and messages need."""
    Enrolment.objects.select_for_update(no_key=True).filter(pk=enrolment.pk).values_list("pk", flat=True).get()
    return Enrolment.objects.select_related("programme", "session", "pathway__person").get(pk=enrolment.pk)


def _require_writable(enrolment: Enrolment) -> None:
    if enrolment.programme.kind != ProgrammeKind.VAE:
        raise ValidationError(_("Ce programme n'est pas un programme de VAE : il ne porte pas de parcours VAE."))
    if enrolment.state not in WRITABLE_STATES:
        raise ValidationError(
            _("Le parcours VAE ne peut être modifié que pendant l'inscription (état actuel : %(state)s).")
            % {"state": EnrolmentState(enrolment.state).label}
        )


def _lock_vae(membership: Membership | None, vae: VaePathway) -> tuple[Membership, VaePathway]:
    """Check the right on the enrolment, lock the enrolment then the VAE pathway (the same order
    everywhere, so that two writers never deadlock), and check the enrolment may be written."""
    enrolment = Enrolment.objects.select_related("session", "pathway").get(pk=vae.enrolment_id)
    actor = _require_viewer(membership, enrolment)
    enrolment = _lock_enrolment(enrolment)
    _require_writable(enrolment)
    locked = VaePathway.objects.select_for_update(no_key=True).select_related("certification", "route").get(pk=vae.pk)
    locked.enrolment = enrolment
    return actor, locked


def _check_date(day: object, *, field_name: str, label: str) -> datetime.date:
    if not isinstance(day, datetime.date):
        raise ValidationError({field_name: _("Indiquez %(label)s.") % {"label": label}})
    if isinstance(day, datetime.datetime):
        day = day.date()
    if day > timezone.localdate():
        raise ValidationError(
            {field_name: _("%(label)s ne peut pas être dans le futur.") % {"label": label.capitalize()}}
        )
    return day


def _not_before_enrolment(day: datetime.date, enrolment: Enrolment, *, field_name: str) -> None:
    if enrolment.enrolled_on and day < enrolment.enrolled_on:
        raise ValidationError(
            {
                field_name: _("Cette date ne peut pas précéder l'inscription dans le programme (le %(date)s).")
                % {"date": _fmt(enrolment.enrolled_on)}
            }
        )


def _record(*, actor: Membership, vae: VaePathway, summary: str, payload: dict, fields: Iterable[str], action) -> None:
    enrolment = vae.enrolment
    event_record(
        pathway=enrolment.pathway,
        kind=EventKind.VAE_UPDATED,
        actor=actor.user,
        membership=actor,
        summary=summary,
        payload={"enrolment": enrolment.pk, "vae": vae.pk, **payload},
    )
    audit_log(
        actor=actor.user,
        organisation=actor.organisation,
        action=action,
        obj=vae,
        person=enrolment.pathway.person,
        fields=fields,
    )


# --- opening ------------------------------------------------------------------------------------


def _int_ids(values: Iterable[object]) -> list[int]:
    ids: list[int] = []
    for value in values:
        try:
            ids.append(int(str(value)))
        except (TypeError, ValueError):
            raise ValidationError({"bloc_ids": _("Bloc de compétences inconnu.")}) from None
    return ids


@transaction.atomic
def vae_open(
    *,
    membership: Membership | None,
    enrolment: Enrolment,
    certification: TargetCertification,
    route: VaeRoute,
    admissibility: str,
    experience_statement: str = "",
    bloc_ids: Iterable[object] = (),
    foreign_diploma: ForeignQualification | None = None,
    accompaniment_hours_planned: int = 0,
) -> VaePathway:
    """Open the VAE pathway of an enrolment: the target certification, the route, the blocs aimed at
    (all of them unless the route goes by blocs), the admissibility kind and the statement."""
    actor = _require_viewer(membership, enrolment)
    enrolment = _lock_enrolment(enrolment)
    _require_writable(enrolment)
    if VaePathway.objects.filter(enrolment=enrolment).exists():
        raise ValidationError(_("Un parcours VAE est déjà ouvert pour cette inscription."))

    errors: dict[str, str] = {}
    if not route.is_active:
        errors["route"] = _("Cette voie de reconnaissance n'est plus proposée.")
    if admissibility not in VaeAdmissibility.values:
        errors["admissibility"] = _("Choisissez le type de recevabilité.")
    statement = (experience_statement or "").strip()
    if len(statement) > TEXT_MAX_LENGTH:
        errors["experience_statement"] = _("La déclaration d'expérience ne peut dépasser %(n)s caractères.") % {
            "n": TEXT_MAX_LENGTH
        }
    elif admissibility == VaeAdmissibility.DECLARATIVE and len(statement) < STATEMENT_MIN_LENGTH:
        errors["experience_statement"] = _(
            "La recevabilité déclarative remplace les justificatifs par la déclaration d'expérience de la "
            "personne : rédigez-la avec elle (emplois occupés, tâches, lieux, durées), au moins %(n)s caractères."
        ) % {"n": STATEMENT_MIN_LENGTH}
    if not isinstance(accompaniment_hours_planned, int) or not 0 <= accompaniment_hours_planned <= HOURS_PLANNED_MAX:
        errors["accompaniment_hours_planned"] = _(
            "Les heures d'accompagnement prévues doivent être un nombre entier entre 0 et %(n)s."
        ) % {"n": HOURS_PLANNED_MAX}

    all_blocs = list(CompetenceBloc.objects.filter(certification=certification).order_by("position", "pk"))
    requested = _int_ids(bloc_ids)
    by_id = {b.pk: b for b in all_blocs}
    if not all_blocs:
        errors["certification"] = _("Cette certification n'a aucun bloc de compétences enregistré.")
    elif any(pk not in by_id for pk in requested):
        errors["bloc_ids"] = _("Ces blocs de compétences n'appartiennent pas à la certification « %(title)s ».") % {
            "title": certification.title
        }
    elif route.by_blocs and not requested:
        errors["bloc_ids"] = _("La voie « %(route)s » demande de choisir au moins un bloc de compétences.") % {
            "route": route.label
        }
    targeted = [by_id[pk] for pk in dict.fromkeys(requested) if pk in by_id] if route.by_blocs else all_blocs

    if foreign_diploma is not None and foreign_diploma.person_id != enrolment.pathway.person_id:
        errors["foreign_diploma"] = _("Ce diplôme n'est pas un diplôme de la personne.")
    elif route.needs_foreign_diploma and foreign_diploma is None:
        errors["foreign_diploma"] = _(
            "La voie « %(route)s » s'appuie sur un diplôme obtenu à l'étranger : choisissez-le parmi les diplômes "
            "de la personne (ajoutez-le d'abord à sa fiche s'il n'y figure pas)."
        ) % {"route": route.label}
    if errors:
        raise ValidationError(errors)

    vae = VaePathway.objects.create(
        enrolment=enrolment,
        certification=certification,
        route=route,
        foreign_diploma=foreign_diploma,
        admissibility=admissibility,
        experience_statement=statement,
        accompaniment_hours_planned=accompaniment_hours_planned,
    )
    VaeBlocResult.objects.bulk_create([VaeBlocResult(vae=vae, bloc=bloc) for bloc in targeted])
    vae.enrolment = enrolment
    _record(
        actor=actor,
        vae=vae,
        summary=_("Parcours VAE ouvert : %(title)s (%(route)s, %(admissibility)s).")
        % {
            "title": certification.title,
            "route": route.label,
            "admissibility": VaeAdmissibility(admissibility).label,
        },
        payload={
            "certification": certification.rncp_code,
            "route": route.code,
            "admissibility": admissibility,
            "blocs": [b.code for b in targeted],
        },
        fields=[
            "certification",
            "route",
            "admissibility",
            "experience_statement",
            "blocs",
            "foreign_diploma",
            "accompaniment_hours_planned",
        ],
        action=AuditAction.CREATE,
    )
    return vae


# --- admissibility, hours, jury -----------------------------------------------------------------


@transaction.atomic
def vae_admissibility_decide(
    *, membership: Membership | None, vae: VaePathway, decision: str, decided_on: datetime.date
) -> VaePathway:
    """Record the admissibility decision (recevable / non recevable), once."""
    actor, vae = _lock_vae(membership, vae)
    if vae.admissibility_decision != VaeAdmissibilityDecision.PENDING:
        raise ValidationError(
            _("La recevabilité a déjà été décidée le %(date)s (%(decision)s).")
            % {
                "date": _fmt(vae.admissibility_decided_on),
                "decision": VaeAdmissibilityDecision(vae.admissibility_decision).label,
            }
        )
    if decision not in (VaeAdmissibilityDecision.ADMISSIBLE, VaeAdmissibilityDecision.NOT_ADMISSIBLE):
        raise ValidationError({"decision": _("Choisissez la décision : recevable ou non recevable.")})
    day = _check_date(decided_on, field_name="decided_on", label=_("la date de la décision"))
    _not_before_enrolment(day, vae.enrolment, field_name="decided_on")
    vae.admissibility_decision = decision
    vae.admissibility_decided_on = day
    vae.save(update_fields=["admissibility_decision", "admissibility_decided_on"])
    _record(
        actor=actor,
        vae=vae,
        summary=_("VAE : %(decision)s le %(date)s.")
        % {"decision": VaeAdmissibilityDecision(decision).label.lower(), "date": _fmt(day)},
        payload={"admissibility_decision": decision, "decided_on": day.isoformat()},
        fields=["admissibility_decision", "admissibility_decided_on"],
        action=AuditAction.UPDATE,
    )
    return vae


def _hours(value: object, *, field_name: str) -> Decimal:
    try:
        hours = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({field_name: _("Indiquez un nombre d'heures.")}) from None
    if not hours.is_finite():
        raise ValidationError({field_name: _("Indiquez un nombre d'heures.")})
    if hours < 0:
        raise ValidationError({field_name: _("Le nombre d'heures ne peut pas être négatif.")})
    if hours != hours.quantize(Decimal("0.1")):
        raise ValidationError({field_name: _("Indiquez les heures à la demi-heure ou au dixième d'heure près.")})
    return hours


@transaction.atomic
def vae_hours_record(
    *,
    membership: Membership | None,
    vae: VaePathway,
    hours: object,
    done_on: datetime.date,
    planned: int | None = None,
) -> VaePathway:
    """Add accompaniment hours done on a day (building the statement, preparing the dossier and the
    jury); optionally change the hours planned. The day is kept in the timeline event."""
    actor, vae = _lock_vae(membership, vae)
    amount = _hours(hours, field_name="hours")
    if amount == 0 and planned is None:
        raise ValidationError({"hours": _("Indiquez les heures d'accompagnement réalisées (plus de 0).")})
    if amount > HOURS_ENTRY_MAX:
        raise ValidationError(
            {"hours": _("Enregistrez au plus %(n)s heures à la fois, séance par séance.") % {"n": HOURS_ENTRY_MAX}}
        )
    day = _check_date(done_on, field_name="done_on", label=_("la date de l'accompagnement"))
    _not_before_enrolment(day, vae.enrolment, field_name="done_on")
    if planned is not None and (not isinstance(planned, int) or not 0 <= planned <= HOURS_PLANNED_MAX):
        raise ValidationError(
            {
                "planned": _("Les heures prévues doivent être un nombre entier entre 0 et %(n)s.")
                % {"n": HOURS_PLANNED_MAX}
            }
        )
    total = vae.accompaniment_hours_done + amount
    if total > HOURS_DONE_MAX:
        raise ValidationError({"hours": _("Le total des heures réalisées dépasserait %(n)s.") % {"n": HOURS_DONE_MAX}})
    vae.accompaniment_hours_done = total
    fields = ["accompaniment_hours_done"]
    if planned is not None:
        vae.accompaniment_hours_planned = planned
        fields.append("accompaniment_hours_planned")
    vae.save(update_fields=fields)
    _record(
        actor=actor,
        vae=vae,
        summary=_("VAE : %(hours)s h d'accompagnement le %(date)s (total %(total)s h sur %(planned)s h prévues).")
        % {"hours": amount, "date": _fmt(day), "total": total, "planned": vae.accompaniment_hours_planned},
        payload={"hours": str(amount), "done_on": day.isoformat(), "total": str(total), "planned": planned},
        fields=fields,
        action=AuditAction.UPDATE,
    )
    return vae


def _last_result_date(vae: VaePathway) -> datetime.date | None:
    dates = [r.decided_on for r in VaeBlocResult.objects.filter(vae=vae) if r.decided_on is not None]
    return max(dates) if dates else None


@transaction.atomic
def vae_jury_schedule(*, membership: Membership | None, vae: VaePathway, jury_date: datetime.date) -> VaePathway:
    """Set (or move) the jury date: only once the pathway is admissible, never before the
    admissibility decision nor before a previous jury's results; a pathway whose blocs are all
    validated has no further jury."""
    actor, vae = _lock_vae(membership, vae)
    if vae.admissibility_decision != VaeAdmissibilityDecision.ADMISSIBLE:
        raise ValidationError(_("Le jury ne peut être programmé qu'après une décision de recevabilité favorable."))
    if not isinstance(jury_date, datetime.date):
        raise ValidationError({"jury_date": _("Indiquez la date du jury.")})
    assert vae.admissibility_decided_on is not None  # the database constraint vae_decision_dated
    if jury_date < vae.admissibility_decided_on:
        raise ValidationError(
            {
                "jury_date": _("La date du jury ne peut pas précéder la décision de recevabilité (le %(date)s).")
                % {"date": _fmt(vae.admissibility_decided_on)}
            }
        )
    results = list(VaeBlocResult.objects.filter(vae=vae))
    if results and all(r.result == BlocResult.VALIDATED for r in results):
        raise ValidationError(_("Tous les blocs visés sont déjà validés : aucun nouveau jury n'est nécessaire."))
    last = _last_result_date(vae)
    if last is not None and jury_date <= last:
        raise ValidationError(
            {
                "jury_date": _("Un nouveau jury doit avoir lieu après les derniers résultats (le %(date)s).")
                % {"date": _fmt(last)}
            }
        )
    previous = vae.jury_date
    vae.jury_date = jury_date
    vae.save(update_fields=["jury_date"])
    summary = (
        _("VAE : jury déplacé du %(old)s au %(new)s.") % {"old": _fmt(previous), "new": _fmt(jury_date)}
        if previous and last is None
        else _("VAE : jury programmé le %(date)s.") % {"date": _fmt(jury_date)}
    )
    _record(
        actor=actor,
        vae=vae,
        summary=summary,
        payload={"jury_date": jury_date.isoformat(), "previous": previous.isoformat() if previous else None},
        fields=["jury_date"],
        action=AuditAction.UPDATE,
    )
    return vae


# --- jury results -------------------------------------------------------------------------------


@transaction.atomic
def vae_bloc_results_record(
    *,
    membership: Membership | None,
    vae: VaePathway,
    results: Mapping[object, str],
    decided_on: datetime.date,
) -> VaePathway:
    """Record the jury's result for some or all of the blocs aimed at ({bloc_id: BlocResult}).

    A validated bloc is final; a bloc not validated may be presented again at a later jury. The
    certifications obtained are written at once, dated on the jury date: one "titre_pro" row when
    the jury completes the whole titre (every bloc of the certification validated), otherwise one
    "bloc" row per bloc validated by this jury."""
    actor, vae = _lock_vae(membership, vae)
    if vae.admissibility_decision != VaeAdmissibilityDecision.ADMISSIBLE:
        raise ValidationError(
            _("Les résultats du jury ne peuvent être enregistrés qu'après une recevabilité favorable.")
        )
    if vae.jury_date is None:
        raise ValidationError(_("Programmez d'abord la date du jury."))
    day = _check_date(decided_on, field_name="decided_on", label=_("la date des résultats"))
    if day < vae.jury_date:
        raise ValidationError(
            {
                "decided_on": _("Les résultats ne peuvent pas précéder la date du jury (le %(date)s).")
                % {"date": _fmt(vae.jury_date)}
            }
        )
    rows = {r.bloc_id: r for r in VaeBlocResult.objects.filter(vae=vae).select_related("bloc")}
    chosen: dict[int, str] = {}
    for key, value in results.items():
        try:
            bloc_id = int(str(key))
        except (TypeError, ValueError):
            raise ValidationError(_("Bloc de compétences inconnu.")) from None
        if value in ("", None, BlocResult.PENDING):
            continue
        if bloc_id not in rows:
            bloc = CompetenceBloc.objects.filter(pk=bloc_id).first()
            name = f"{bloc.code} · {bloc.label}" if bloc else str(bloc_id)
            raise ValidationError(
                _("Le bloc « %(bloc)s » ne fait pas partie des blocs visés par ce parcours VAE (%(title)s).")
                % {"bloc": name, "title": vae.certification.title}
            )
        if value not in (BlocResult.VALIDATED, BlocResult.NOT_VALIDATED):
            raise ValidationError(_("Résultat inconnu pour le bloc %(code)s.") % {"code": rows[bloc_id].bloc.code})
        row = rows[bloc_id]
        if row.result == BlocResult.VALIDATED:
            raise ValidationError(
                _("Le bloc %(code)s est déjà validé depuis le %(date)s : ce résultat est définitif.")
                % {"code": row.bloc.code, "date": _fmt(row.decided_on)}
            )
        if row.decided_on is not None and row.decided_on >= vae.jury_date:
            raise ValidationError(
                _("Le résultat du bloc %(code)s pour le jury du %(date)s est déjà enregistré.")
                % {"code": row.bloc.code, "date": _fmt(vae.jury_date)}
            )
        chosen[bloc_id] = value
    if not chosen:
        raise ValidationError(_("Indiquez le résultat du jury pour au moins un bloc."))

    for bloc_id, value in chosen.items():
        row = rows[bloc_id]
        row.result = value
        row.decided_on = day
    VaeBlocResult.objects.bulk_update([rows[pk] for pk in chosen], ["result", "decided_on"])

    certification = vae.certification
    newly_validated = [rows[pk].bloc for pk, value in chosen.items() if value == BlocResult.VALIDATED]
    all_bloc_ids = set(CompetenceBloc.objects.filter(certification=certification).values_list("pk", flat=True))
    validated_ids = {pk for pk, r in rows.items() if r.result == BlocResult.VALIDATED}
    titre_complete = bool(newly_validated) and all_bloc_ids <= validated_ids
    obtained: list[Certification] = []
    if titre_complete:
        obtained.append(
            Certification(
                enrolment=vae.enrolment,
                kind=CertificationKind.PROFESSIONAL,
                exam=CertificationExam.TITRE_PRO,
                title=certification.title[:200],
                rncp_code=certification.rncp_code,
                obtained_on=vae.jury_date,
                evidence=_("Jury VAE du %(date)s") % {"date": _fmt(vae.jury_date)},
                recorded_by=actor.user,
            )
        )
    else:
        for bloc in sorted(newly_validated, key=lambda b: (b.position, b.pk)):
            obtained.append(
                Certification(
                    enrolment=vae.enrolment,
                    kind=CertificationKind.PROFESSIONAL,
                    exam=CertificationExam.BLOC,
                    title=f"{certification.title} — {bloc.code} {bloc.label}"[:200],
                    rncp_code=certification.rncp_code,
                    obtained_on=vae.jury_date,
                    evidence=_("Jury VAE du %(date)s") % {"date": _fmt(vae.jury_date)},
                    recorded_by=actor.user,
                )
            )
    Certification.objects.bulk_create(obtained)
    for cert in obtained:
        audit_log(
            actor=actor.user,
            organisation=actor.organisation,
            action=AuditAction.CREATE,
            obj=cert,
            person=vae.enrolment.pathway.person,
            fields=["kind", "exam", "title", "rncp_code", "obtained_on"],
            reason=_("résultat du jury VAE"),
        )

    status = vae_status(vae)
    _record(
        actor=actor,
        vae=vae,
        summary=_("VAE : résultats du jury du %(date)s — %(stage)s.")
        % {"date": _fmt(vae.jury_date), "stage": status.label},
        payload={
            "jury_date": vae.jury_date.isoformat(),
            "decided_on": day.isoformat(),
            "results": {rows[pk].bloc.code: value for pk, value in chosen.items()},
            "certifications": [c.exam for c in obtained],
        },
        fields=["bloc_results"],
        action=AuditAction.UPDATE,
    )
    return vae


# --- status -------------------------------------------------------------------------------------


class VaeStage:
    ADMISSIBILITY_PENDING = "admissibility_pending"
    NOT_ADMISSIBLE = "not_admissible"
    ADMISSIBLE = "admissible"
    JURY_SCHEDULED = "jury_scheduled"
    RESULT_FULL = "result_full"
    RESULT_PARTIAL = "result_partial"
    RESULT_NONE = "result_none"


@dataclass(frozen=True)
class VaeStatus:
    stage: str
    label: str
    validated: tuple[CompetenceBloc, ...] = ()
    not_validated: tuple[CompetenceBloc, ...] = ()
    pending: tuple[CompetenceBloc, ...] = ()
    # Which next actions the pathway allows (the rights and the enrolment state are checked apart).
    next_actions: frozenset[str] = field(default_factory=frozenset)


def vae_status(vae: VaePathway) -> VaeStatus:
    """Where the pathway stands: admissibility pending / not admissible / admissible (jury to
    schedule) / jury scheduled / result full, partial (which blocs) or none. Reads
    `vae.bloc_results` (prefetch it with its blocs for a list)."""
    rows = sorted(vae.bloc_results.all(), key=lambda r: (r.bloc.position, r.bloc_id))
    validated = tuple(r.bloc for r in rows if r.result == BlocResult.VALIDATED)
    not_validated = tuple(r.bloc for r in rows if r.result == BlocResult.NOT_VALIDATED)
    pending = tuple(r.bloc for r in rows if r.result == BlocResult.PENDING)
    blocs = {"validated": validated, "not_validated": not_validated, "pending": pending}
    decision = vae.admissibility_decision
    if decision == VaeAdmissibilityDecision.PENDING:
        return VaeStatus(
            VaeStage.ADMISSIBILITY_PENDING,
            _("Recevabilité en attente de décision"),
            **blocs,
            next_actions=frozenset({"admissibility", "hours"}),
        )
    if decision == VaeAdmissibilityDecision.NOT_ADMISSIBLE:
        return VaeStatus(VaeStage.NOT_ADMISSIBLE, _("Non recevable"), **blocs, next_actions=frozenset({"hours"}))
    jury = vae.jury_date

    def for_current_jury(row: VaeBlocResult) -> bool:
        return jury is not None and row.decided_on is not None and row.decided_on >= jury

    # Blocs still awaiting the result of the scheduled jury (a validated bloc is final).
    awaiting = [r for r in rows if r.result != BlocResult.VALIDATED and not for_current_jury(r)]
    actions = {"hours"}
    if len(validated) < len(rows):
        actions.add("jury")
    if jury is not None and awaiting:
        actions.add("results")
    next_actions = frozenset(actions)
    if jury is not None and not any(for_current_jury(r) for r in rows):
        return VaeStatus(
            VaeStage.JURY_SCHEDULED,
            _("Jury programmé le %(date)s") % {"date": _fmt(jury)},
            **blocs,
            next_actions=next_actions,
        )
    if not any(r.decided_on for r in rows):
        return VaeStatus(VaeStage.ADMISSIBLE, _("Recevable : jury à programmer"), **blocs, next_actions=next_actions)
    if rows and len(validated) == len(rows):
        return VaeStatus(
            VaeStage.RESULT_FULL, _("Résultat : validation totale des blocs visés"), **blocs, next_actions=next_actions
        )
    if validated:
        return VaeStatus(
            VaeStage.RESULT_PARTIAL,
            _("Résultat : validation partielle (%(blocs)s)") % {"blocs": ", ".join(b.code for b in validated)},
            **blocs,
            next_actions=next_actions,
        )
    return VaeStatus(VaeStage.RESULT_NONE, _("Résultat : aucun bloc validé"), **blocs, next_actions=next_actions)
