"""Follow-up surveys 6 and 12 months after a programme exit: the referent's answers, the list of
surveys due for a referent, and the daily notification of the surveys that fell due.

The survey rows are scheduled by services_enrolment.enrolment_move at the exit. "No answer" (the
person could not be reached) is kept apart from an answer "not employed": the indicators count a
survey's response rate from it.

A survey may be answered from SURVEY_EARLY_DAYS days before its due date (the referent reaches
the person a little early, e.g. at a planned appointment), never in the future."""

import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from parcours.audit.models import AuditAction
from parcours.audit.services import audit_log
from parcours.notifications.services import notify
from parcours.organisations.models import Membership
from parcours.pathways.enums import EventKind
from parcours.pathways.models import FollowUpMember
from parcours.pathways.services import event_record

from . import access, enums
from .models import Enrolment, FollowUpSurvey

# How early, before its due date, a survey may be answered.
SURVEY_EARLY_DAYS = 30
# How many surveys a grouped notification lists before "and N more".
NOTIFY_LIST_LIMIT = 20


def _fr(value: datetime.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


def _lock(survey: FollowUpSurvey) -> FollowUpSurvey:
    FollowUpSurvey.objects.select_for_update(no_key=True).filter(pk=survey.pk).values_list("pk", flat=True).get()
    return FollowUpSurvey.objects.select_related(
        "enrolment__session", "enrolment__programme", "enrolment__pathway__person"
    ).get(pk=survey.pk)


@transaction.atomic
def survey_answer(
    *,
    membership: Membership | None,
    survey: FollowUpSurvey,
    status: str,
    employment: str = "",
    answered_on: datetime.date,
) -> FollowUpSurvey:
    """Record the survey's result: "answered" with the person's employment situation, or "no
    answer" (employment left empty). A survey already recorded may be corrected (audited)."""
    survey = _lock(survey)
    enrolment = survey.enrolment
    if membership is None or not access.can_view_enrolment(membership, enrolment):
        raise PermissionDenied(
            _(
                "Seul·es les membres du groupe de suivi de la personne et les professionnel·les du centre opérateur "
                "peuvent renseigner ses enquêtes de suivi."
            )
        )
    if enrolment.enrolled_on is None or enrolment.exited_on is None:
        raise ValidationError(
            _(
                "Cette personne n'a jamais été inscrite dans le programme ou n'en est pas sortie : il n'y a pas "
                "d'enquête de suivi à renseigner."
            )
        )
    errors: dict[str, str] = {}
    employment = employment or ""
    if status == enums.SurveyStatus.ANSWERED:
        if not employment:
            errors["employment"] = _("Indiquez la situation d'emploi donnée par la personne.")
        elif employment not in enums.SurveyEmployment.values:
            errors["employment"] = _("Choisissez la situation d'emploi dans la liste.")
    elif status == enums.SurveyStatus.NO_ANSWER:
        if employment:
            errors["employment"] = _(
                "Sans réponse de la personne, ne renseignez pas de situation d'emploi : « pas de réponse » n'est "
                "pas « sans emploi »."
            )
    else:
        errors["status"] = _("Indiquez si la personne a répondu ou non.")
    today = timezone.localdate()
    earliest = survey.due_on - datetime.timedelta(days=SURVEY_EARLY_DAYS)
    if not isinstance(answered_on, datetime.date):
        errors["answered_on"] = _("Indiquez la date de l'enquête.")
    elif answered_on > today:
        errors["answered_on"] = _("La date de l'enquête ne peut pas être dans le futur.")
    elif answered_on < earliest:
        errors["answered_on"] = _(
            "Cette enquête est prévue à partir du %(due)s : elle peut être réalisée au plus tôt le %(earliest)s."
        ) % {"due": _fr(survey.due_on), "earliest": _fr(earliest)}
    elif answered_on < enrolment.exited_on:
        errors["answered_on"] = _("La date de l'enquête ne peut pas précéder la sortie du programme (%(date)s).") % {
            "date": _fr(enrolment.exited_on)
        }
    if errors:
        raise ValidationError(errors)
    correction = survey.status != enums.SurveyStatus.PENDING
    survey.status = status
    survey.employment = employment if status == enums.SurveyStatus.ANSWERED else ""
    survey.answered_on = answered_on
    survey.recorded_by = membership.user
    survey.save(update_fields=["status", "employment", "answered_on", "recorded_by"])
    if status == enums.SurveyStatus.ANSWERED:
        result = enums.SurveyEmployment(survey.employment).label
    else:
        result = enums.SurveyStatus.NO_ANSWER.label
    event_record(
        pathway=enrolment.pathway,
        kind=EventKind.PROGRAMME_PROGRESS,
        actor=membership.user,
        membership=membership,
        summary=_("Programme %(programme)s : enquête à %(wave)s mois — %(result)s")
        % {"programme": enrolment.programme.name, "wave": survey.wave_months, "result": result},
        payload={"enrolment": enrolment.pk, "programme": enrolment.programme_id, "survey": survey.pk},
    )
    audit_log(
        actor=membership.user,
        organisation=membership.organisation,
        action=AuditAction.UPDATE if correction else AuditAction.CREATE,
        obj=survey,
        person=enrolment.pathway.person,
        fields=["status", "employment", "answered_on"],
        reason=_("correction d'une enquête déjà renseignée") if correction else "",
    )
    return survey


# --- reading: the referent's surveys ------------------------------------------------------------------


def _referent_seat(membership: Membership) -> Exists:
    return Exists(
        FollowUpMember.objects.filter(
            pathway=OuterRef("enrolment__pathway"), membership=membership, is_referent=True, ended_at__isnull=True
        )
    )


def surveys_due_for(*, membership: Membership | None, today: datetime.date | None = None) -> QuerySet[FollowUpSurvey]:
    """The referent's to-do list: pending surveys due (due_on ≤ today) of the pathways where the
    membership is the active referent, oldest first. Scoped in SQL; empty for anyone else."""
    if (
        membership is None
        or not membership.is_active
        or not membership.organisation.is_active
        or not membership.user.is_active
    ):
        return FollowUpSurvey.objects.none()
    today = today or timezone.localdate()
    return (
        FollowUpSurvey.objects.filter(
            _referent_seat(membership),
            status=enums.SurveyStatus.PENDING,
            due_on__lte=today,
            enrolment__pathway__person__anonymised_at__isnull=True,
        )
        .select_related("enrolment__programme", "enrolment__session", "enrolment__pathway__person")
        .order_by("due_on", "id")
    )


def survey_get_for(*, membership: Membership | None, survey_id: int) -> FollowUpSurvey:
    """One survey of an enrolment the membership may see (access.enrolments_visible_q, in SQL);
    Http404 otherwise, as for a survey that does not exist."""
    visible = Enrolment.objects.filter(access.enrolments_visible_q(membership)).values("pk")
    survey = (
        FollowUpSurvey.objects.filter(pk=survey_id, enrolment__in=visible)
        .select_related("enrolment__programme", "enrolment__session", "enrolment__pathway__person")
        .first()
    )
    if survey is None:
        raise Http404(_("Enquête introuvable."))
    return survey


# --- the daily notification ----------------------------------------------------------------------------


def surveys_notify_due(*, today: datetime.date | None = None) -> int:
    """Notify each pathway's current referent of the surveys that fell due (pending, due_on ≤ today)
    and were not notified yet: one notification per referent listing them, and `notified_at` set so
    that each survey is notified once. Surveys of a pathway without an active referent wait for one.
    Idempotent; the rows are locked (skipped when another run holds them). Returns how many surveys
    were notified."""
    today = today or timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        due = FollowUpSurvey.objects.filter(
            status=enums.SurveyStatus.PENDING,
            due_on__lte=today,
            notified_at__isnull=True,
            enrolment__pathway__person__anonymised_at__isnull=True,
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        rows = list(
            due.values_list(
                "pk", "wave_months", "due_on", "enrolment__programme__name", "enrolment__pathway_id"
            ).order_by("due_on", "pk")
        )
        if not rows:
            return 0
        seats = dict(
            FollowUpMember.objects.filter(
                pathway_id__in={r[4] for r in rows},
                is_referent=True,
                ended_at__isnull=True,
                membership__is_active=True,
            ).values_list("pathway_id", "membership__user_id")
        )
        users = get_user_model().objects.in_bulk(set(seats.values()))
        by_user: dict[int, list[tuple]] = {}
        for row in rows:
            user_id = seats.get(row[4])
            if user_id is not None:
                by_user.setdefault(user_id, []).append(row)
        notified: list[int] = []
        url = reverse("survey_todo")
        for user_id, items in by_user.items():
            lines = [
                _("- enquête à %(wave)s mois, %(programme)s (à réaliser depuis le %(due)s)")
                % {"wave": wave, "programme": programme, "due": _fr(due_on)}
                for _pk, wave, due_on, programme, _pathway in items[:NOTIFY_LIST_LIMIT]
            ]
            if len(items) > NOTIFY_LIST_LIMIT:
                lines.append(_("… et %(n)s autres.") % {"n": len(items) - NOTIFY_LIST_LIMIT})
            subject = ngettext(
                "%(n)s enquête de suivi à réaliser", "%(n)s enquêtes de suivi à réaliser", len(items)
            ) % {"n": len(items)}
            body = (
                _("Des personnes que vous accompagnez sont sorties d'un programme : prenez de leurs nouvelles.")
                + "\n\n"
                + "\n".join(lines)
            )
            notify(kind="survey_due", subject=subject, body=body, url=url, users=[users[user_id]])
            notified += [item[0] for item in items]
        FollowUpSurvey.objects.filter(pk__in=notified, notified_at__isnull=True).update(notified_at=now)
    return len(notified)
