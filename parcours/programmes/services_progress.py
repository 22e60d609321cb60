"""Writes on an enrolment's progress: step evidence (housing obtained, French hours, training
modules…), certifications obtained, work-study contracts and the exit outcome; and `step_progress`,
the programme's step template with what was done.

Who: the operator staff of the session or a follow-up member of the person's pathway
(access.can_view_enrolment), and only once the person was enrolled (evidence on a candidacy is
refused). Each function is keyword-only and atomic: it locks the enrolment row, checks the input,
writes the row, a pathway event (PROGRAMME_PROGRESS) and an audit entry. Permission failures raise
PermissionDenied, invalid input ValidationError, both with a French message and nothing written."""

import datetime
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.audit.models import AuditAction
from parcours.audit.services import audit_log
from parcours.diagnostics.enums import CecrlLevel
from parcours.occupations.models import RomeJob
from parcours.organisations.models import Membership
from parcours.pathways.enums import EventKind
from parcours.pathways.services import event_record

from . import access, enums
from .models import Certification, Enrolment, ProgrammeStep, StepRecord, WorkStudyContract

EVIDENCE_MAX_LENGTH = 500
# More hours than this in one record is a typing error (a full year of full-time training is ~1,600 h).
MAX_HOURS_PER_RECORD = Decimal("2000")
RNCP_PATTERN = re.compile(r"^RNCP[0-9]{1,8}$")
SIRET_PATTERN = re.compile(r"^[0-9]{14}$")


def _fr(value: datetime.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _label(enum, value: str) -> str:
    try:
        return str(enum(value).label)
    except ValueError:
        return value


def _lock(enrolment: Enrolment) -> Enrolment:
    """The enrolment row locked, read afresh with what the checks and the messages need."""
    Enrolment.objects.select_for_update(no_key=True).filter(pk=enrolment.pk).values_list("pk", flat=True).get()
    return Enrolment.objects.select_related("session", "programme", "pathway__person").get(pk=enrolment.pk)


def _require_viewer(membership: Membership | None, enrolment: Enrolment) -> Membership:
    if membership is None or not access.can_view_enrolment(membership, enrolment):
        raise PermissionDenied(
            _(
                "Seul·es les professionnel·les du centre opérateur de la session et les membres du groupe de suivi "
                "de la personne peuvent renseigner son parcours dans le programme."
            )
        )
    return membership


def _require_enrolled(enrolment: Enrolment) -> None:
    if enrolment.enrolled_on is None:
        raise ValidationError(
            _(
                "La personne n'est pas (encore) inscrite dans ce programme (état : %(state)s) : les étapes, "
                "certifications et contrats se renseignent après l'inscription."
            )
            % {"state": enrolment.get_state_display()}
        )


def _start(membership: Membership | None, enrolment: Enrolment) -> tuple[Membership, Enrolment]:
    """Lock, then check the right and the enrolment's state on the fresh row."""
    enrolment = _lock(enrolment)
    membership = _require_viewer(membership, enrolment)
    _require_enrolled(enrolment)
    return membership, enrolment


def _check_date(errors: dict, key: str, value, *, label: str, not_before: datetime.date | None) -> None:
    today = timezone.localdate()
    if not isinstance(value, datetime.date):
        errors[key] = _("Indiquez la date (%(label)s).") % {"label": label}
    elif value > today:
        errors[key] = _("La date (%(label)s) ne peut pas être dans le futur.") % {"label": label}
    elif not_before is not None and value < not_before:
        errors[key] = _("La date (%(label)s) ne peut pas être antérieure à l'inscription du %(date)s.") % {
            "label": label,
            "date": _fr(not_before),
        }


def _evidence_errors(errors: dict, evidence: str) -> None:
    if len(evidence or "") > EVIDENCE_MAX_LENGTH:
        errors["evidence"] = _("Le justificatif ne doit pas dépasser %(n)s caractères.") % {"n": EVIDENCE_MAX_LENGTH}


def _record(*, membership: Membership, enrolment: Enrolment, obj, summary: str, payload: dict, fields) -> None:
    event_record(
        pathway=enrolment.pathway,
        kind=EventKind.PROGRAMME_PROGRESS,
        actor=membership.user,
        membership=membership,
        summary=summary,
        payload={"enrolment": enrolment.pk, "programme": enrolment.programme_id, **payload},
    )
    audit_log(
        actor=membership.user,
        organisation=membership.organisation,
        action=AuditAction.CREATE,
        obj=obj,
        person=enrolment.pathway.person,
        fields=fields,
    )


# --- steps ----------------------------------------------------------------------------------------


def _hours(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({"hours": _("Indiquez un nombre d'heures (par exemple 12 ou 3,5).")}) from None


@transaction.atomic
def step_record(
    *,
    membership: Membership | None,
    enrolment: Enrolment,
    step: ProgrammeStep,
    done_on: datetime.date,
    hours: Decimal | int | float | str | None = None,
    evidence: str = "",
    details: dict | None = None,
) -> StepRecord:
    """Evidence that a step of the programme's template was (partly) done. Hour-counted steps
    (French learning, or any step with target hours) need hours; several records add up."""
    membership, enrolment = _start(membership, enrolment)
    errors: dict[str, str] = {}
    if step.programme_id != enrolment.programme_id:
        raise ValidationError({"step": _("Cette étape n'appartient pas au programme de l'inscription.")})
    _check_date(errors, "done_on", done_on, label=_("réalisation de l'étape"), not_before=enrolment.enrolled_on)
    amount = _hours(hours)
    if amount is not None and not amount.is_finite():
        errors["hours"] = _("Indiquez un nombre d'heures (par exemple 12 ou 3,5).")
    elif amount is not None and amount < 0:
        errors["hours"] = _("Le nombre d'heures ne peut pas être négatif.")
    elif amount is not None and amount > MAX_HOURS_PER_RECORD:
        errors["hours"] = _("Plus de %(n)s heures en une fois : vérifiez le nombre d'heures.") % {
            "n": MAX_HOURS_PER_RECORD
        }
    elif amount is None and (step.kind == enums.StepKind.FRENCH or step.target_hours):
        errors["hours"] = _("Indiquez le nombre d'heures réalisées pour cette étape.")
    elif amount is not None and amount != amount.quantize(Decimal("0.1")):
        errors["hours"] = _("Indiquez les heures à la demi-heure ou au dixième d'heure près (par exemple 3,5).")
    _evidence_errors(errors, evidence)
    if details is not None and not isinstance(details, dict):
        errors["details"] = _("Les précisions de l'étape sont mal formées.")
    if errors:
        raise ValidationError(errors)
    record = StepRecord.objects.create(
        enrolment=enrolment,
        step=step,
        done_on=done_on,
        hours=amount,
        evidence=(evidence or "").strip(),
        details=details or {},
        recorded_by=membership.user,
    )
    summary = _("Programme %(programme)s : étape « %(step)s » réalisée le %(date)s") % {
        "programme": enrolment.programme.name,
        "step": step.label,
        "date": _fr(done_on),
    }
    if amount is not None:
        summary += _(" (%(hours)s h)") % {"hours": f"{amount.normalize():f}".replace(".", ",")}
    _record(
        membership=membership,
        enrolment=enrolment,
        obj=record,
        summary=summary,
        payload={"step": step.pk, "step_record": record.pk},
        fields=["done_on", "hours", "evidence"],
    )
    return record


# --- certifications -------------------------------------------------------------------------------


@transaction.atomic
def certification_record(
    *,
    membership: Membership | None,
    enrolment: Enrolment,
    kind: str,
    exam: str,
    level: str = "",
    title: str = "",
    rncp_code: str = "",
    obtained_on: datetime.date,
    evidence: str = "",
) -> Certification:
    """A certification obtained during the programme: in French (DILF/DELF/DALF/TCF with its CECRL
    level) or professional (titre professionnel, CCP, bloc de compétences, with its title)."""
    membership, enrolment = _start(membership, enrolment)
    errors: dict[str, str] = {}
    title = (title or "").strip()
    rncp_code = (rncp_code or "").strip().upper().replace(" ", "")
    level = (level or "").strip()
    language_exams = {str(e) for e in enums.LANGUAGE_EXAMS}
    if kind not in enums.CertificationKind.values:
        errors["kind"] = _("Choisissez le type de certification : en français ou professionnelle.")
    elif exam not in enums.CertificationExam.values:
        errors["exam"] = _("Choisissez la certification dans la liste.")
    elif kind == enums.CertificationKind.LANGUAGE:
        if exam not in language_exams:
            errors["exam"] = _("Une certification en français est un DILF, un DELF, un DALF ou un TCF.")
        if not level:
            errors["level"] = _("Indiquez le niveau CECRL obtenu (par exemple A2) pour une certification en français.")
        elif level not in CecrlLevel.values:
            errors["level"] = _("Choisissez un niveau CECRL de la liste (A1 à C2).")
    else:
        if exam in language_exams:
            errors["exam"] = _("Un DILF, DELF, DALF ou TCF est une certification en français, pas professionnelle.")
        if not title:
            errors["title"] = _("Indiquez l'intitulé de la certification professionnelle (titre, CCP ou bloc).")
        if level:
            errors["level"] = _("Le niveau CECRL ne concerne que les certifications en français.")
    if len(title) > 200:
        errors["title"] = _("L'intitulé ne doit pas dépasser 200 caractères.")
    if rncp_code and not RNCP_PATTERN.match(rncp_code):
        errors["rncp_code"] = _("Le code RNCP s'écrit « RNCP » suivi de chiffres (par exemple RNCP37274).")
    _check_date(errors, "obtained_on", obtained_on, label=_("obtention"), not_before=enrolment.enrolled_on)
    _evidence_errors(errors, evidence)
    if errors:
        raise ValidationError(errors)
    certification = Certification.objects.create(
        enrolment=enrolment,
        kind=kind,
        exam=exam,
        level=level,
        title=title,
        rncp_code=rncp_code,
        obtained_on=obtained_on,
        evidence=(evidence or "").strip(),
        recorded_by=membership.user,
    )
    name = _label(enums.CertificationExam, exam)
    what = f"{name} {level}" if kind == enums.CertificationKind.LANGUAGE else f"{name} — {title}"
    _record(
        membership=membership,
        enrolment=enrolment,
        obj=certification,
        summary=_("Programme %(programme)s : certification obtenue le %(date)s (%(what)s)")
        % {"programme": enrolment.programme.name, "date": _fr(obtained_on), "what": what},
        payload={"certification": certification.pk},
        fields=["kind", "exam", "level", "title", "rncp_code", "obtained_on", "evidence"],
    )
    return certification


# --- work-study contracts -------------------------------------------------------------------------


@transaction.atomic
def work_study_record(
    *,
    membership: Membership | None,
    enrolment: Enrolment,
    company: str,
    contract_kind: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    siret: str = "",
    rome: RomeJob | None = None,
) -> WorkStudyContract:
    """The work-study (alternance) contract signed during the programme: company, kind, dates."""
    membership, enrolment = _start(membership, enrolment)
    errors: dict[str, str] = {}
    company = (company or "").strip()
    siret = (siret or "").replace(" ", "").strip()
    if not company:
        errors["company"] = _("Indiquez l'entreprise qui signe le contrat.")
    elif len(company) > 200:
        errors["company"] = _("Le nom de l'entreprise ne doit pas dépasser 200 caractères.")
    if contract_kind not in enums.WorkStudyKind.values:
        errors["contract_kind"] = _("Choisissez le type de contrat : apprentissage ou professionnalisation.")
    if siret and not SIRET_PATTERN.match(siret):
        errors["siret"] = _("Le SIRET compte 14 chiffres.")
    if not isinstance(starts_on, datetime.date):
        errors["starts_on"] = _("Indiquez la date de début du contrat.")
    elif starts_on < enrolment.enrolled_on:  # type: ignore[operator]  # _start checked enrolled_on
        errors["starts_on"] = _("Le contrat ne peut pas commencer avant l'inscription du %(date)s.") % {
            "date": _fr(enrolment.enrolled_on)
        }
    if not isinstance(ends_on, datetime.date):
        errors["ends_on"] = _("Indiquez la date de fin du contrat.")
    elif isinstance(starts_on, datetime.date) and ends_on <= starts_on:
        errors["ends_on"] = _(
            "Le contrat ne peut pas se terminer avant de commencer (fin le %(end)s, début le %(start)s)."
        ) % {
            "end": _fr(ends_on),
            "start": _fr(starts_on),
        }
    if errors:
        raise ValidationError(errors)
    contract = WorkStudyContract.objects.create(
        enrolment=enrolment,
        company=company,
        siret=siret,
        contract_kind=contract_kind,
        rome=rome,
        starts_on=starts_on,
        ends_on=ends_on,
        recorded_by=membership.user,
    )
    _record(
        membership=membership,
        enrolment=enrolment,
        obj=contract,
        summary=_("Programme %(programme)s : %(kind)s chez %(company)s du %(start)s au %(end)s")
        % {
            "programme": enrolment.programme.name,
            "kind": _label(enums.WorkStudyKind, contract_kind).lower(),
            "company": company,
            "start": _fr(starts_on),
            "end": _fr(ends_on),
        },
        payload={"work_study_contract": contract.pk},
        fields=["company", "siret", "contract_kind", "rome", "starts_on", "ends_on"],
    )
    return contract


# --- exit outcome ---------------------------------------------------------------------------------


@transaction.atomic
def exit_outcome_record(*, membership: Membership | None, enrolment: Enrolment, outcome: str) -> Enrolment:
    """The person's situation at the exit of the programme (completed or abandoned); it may be
    corrected later (the audit log keeps each change)."""
    membership, enrolment = _start(membership, enrolment)
    if enrolment.state not in enums.EXITED_STATES:
        raise ValidationError(
            _(
                "La situation à la sortie se renseigne une fois le parcours terminé ou abandonné (état actuel : "
                "%(state)s)."
            )
            % {"state": enrolment.get_state_display()}
        )
    if outcome not in enums.ExitOutcome.values:
        raise ValidationError({"outcome": _("Choisissez la situation à la sortie dans la liste.")})
    previous = enrolment.exit_outcome
    enrolment.exit_outcome = outcome
    enrolment.exit_outcome_recorded_at = timezone.now()
    enrolment.save(update_fields=["exit_outcome", "exit_outcome_recorded_at"])
    event_record(
        pathway=enrolment.pathway,
        kind=EventKind.PROGRAMME_PROGRESS,
        actor=membership.user,
        membership=membership,
        summary=_("Programme %(programme)s : situation à la sortie — %(outcome)s")
        % {"programme": enrolment.programme.name, "outcome": _label(enums.ExitOutcome, outcome)},
        payload={"enrolment": enrolment.pk, "programme": enrolment.programme_id, "exit_outcome": outcome},
    )
    audit_log(
        actor=membership.user,
        organisation=membership.organisation,
        action=AuditAction.UPDATE,
        obj=enrolment,
        person=enrolment.pathway.person,
        fields=["exit_outcome"],
        reason=_("correction (avant : %(previous)s)") % {"previous": previous} if previous else "",
    )
    return enrolment


# --- reading: the step template with what was done ------------------------------------------------


@dataclass
class StepProgress:
    step: ProgrammeStep
    records: list[StepRecord] = field(default_factory=list)
    hours_done: Decimal = Decimal("0")
    target_hours: int | None = None
    done: bool = False
    # Certifications / contracts that also count for this step (certification and work-study steps).
    linked: list = field(default_factory=list)

    @property
    def percent(self) -> int | None:
        """Hours done against target hours, capped at 100 (None for steps not counted in hours)."""
        if not self.target_hours:
            return None
        return min(100, int(self.hours_done * 100 / self.target_hours))


def step_progress(enrolment: Enrolment) -> list[StepProgress]:
    """One entry per step of the programme's template, in order: the records, hours done, done?

    A step with target hours is done when the hours reach the target; a certification step when a
    record or a certification of that kind exists; a work-study step when a record or a contract
    exists; any other step as soon as one record exists. Four queries whatever the number of steps."""
    steps = list(ProgrammeStep.objects.filter(programme_id=enrolment.programme_id).order_by("position", "id"))
    records = list(
        StepRecord.objects.filter(enrolment=enrolment).select_related("recorded_by").order_by("done_on", "id")
    )
    certifications = list(Certification.objects.filter(enrolment=enrolment).order_by("obtained_on", "id"))
    contracts = list(WorkStudyContract.objects.filter(enrolment=enrolment).order_by("starts_on", "id"))
    by_step: dict[int, list[StepRecord]] = {}
    for record in records:
        by_step.setdefault(record.step_id, []).append(record)
    result = []
    for step in steps:
        own = by_step.get(step.pk, [])
        hours = sum((r.hours for r in own if r.hours is not None), Decimal("0"))
        linked: list = []
        if step.kind == enums.StepKind.LANGUAGE_CERTIFICATION:
            linked = [c for c in certifications if c.kind == enums.CertificationKind.LANGUAGE]
        elif step.kind == enums.StepKind.PROFESSIONAL_CERTIFICATION:
            linked = [c for c in certifications if c.kind == enums.CertificationKind.PROFESSIONAL]
        elif step.kind == enums.StepKind.WORK_STUDY:
            linked = contracts
        if step.target_hours:
            done = hours >= step.target_hours
        else:
            done = bool(own or linked)
        result.append(
            StepProgress(
                step=step, records=own, hours_done=hours, target_hours=step.target_hours, done=done, linked=linked
            )
        )
    return result
