"""Writes on sessions and enrolments. Each function is keyword-only and atomic and checks the
actor's right (parcours/programmes/access.py). An enrolment moves only along
enums.ENROLMENT_TRANSITIONS; every move writes the transition log, a timeline event on the pathway
(without sensitive data: no eligibility detail, no reason), an audit entry, and tells the pathway's
referent. Places are never oversold: a move that takes a seat locks the session row first, so two
operators enrolling the last place at once are serialised and the second one gets the French
message. Permission failures raise PermissionDenied, bad input ValidationError; nothing is written
on error."""

import calendar
import datetime
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from parcours.audit.models import AuditAction
from parcours.audit.services import audit_log
from parcours.diagnostics.enums import CecrlLevel
from parcours.notifications.services import notify
from parcours.occupations.models import RomeJob
from parcours.organisations.enums import ACCOMPANYING_ROLES
from parcours.organisations.models import Membership, Organisation
from parcours.pathways.enums import EventKind, PathwayStatus
from parcours.pathways.models import FollowUpMember, Pathway
from parcours.pathways.services import event_record, member_name
from parcours.territories.models import Commune

from . import access
from .enums import (
    ENROLMENT_TRANSITIONS,
    EXITED_STATES,
    SEAT_STATES,
    SURVEY_WAVES,
    AbandonReason,
    EligibilityStatus,
    EnrolmentState,
    NotSelectedReason,
    SessionStatus,
)
from .models import Enrolment, EnrolmentTransition, FollowUpSurvey, Programme, Session

REASON_MAX_LENGTH = 500
LABEL_MAX_LENGTH = 200
MAX_PLACES = 10000
MAX_PARTNERS = 50

# The button of each move on the session page (operator staff).
TRANSITION_LABELS: dict[str, object] = {
    EnrolmentState.SELECTED: gettext_lazy("Retenir la candidature"),
    EnrolmentState.NOT_SELECTED: gettext_lazy("Ne pas retenir"),
    EnrolmentState.WAITING_LIST: gettext_lazy("Placer sur liste d'attente"),
    EnrolmentState.ENROLLED: gettext_lazy("Inscrire"),
    EnrolmentState.IN_PROGRESS: gettext_lazy("Enregistrer l'entrée en parcours"),
    EnrolmentState.COMPLETED: gettext_lazy("Enregistrer la fin du parcours"),
    EnrolmentState.ABANDONED: gettext_lazy("Enregistrer un abandon"),
}
WITHDRAW_LABEL = gettext_lazy("Retirer la candidature (la personne renonce)")
# Moves that carry a date (the day it happened; today by default).
DATED_STATES = frozenset(
    {EnrolmentState.ENROLLED, EnrolmentState.IN_PROGRESS, EnrolmentState.COMPLETED, EnrolmentState.ABANDONED}
)
# Moves refused on a cancelled session (nobody takes a seat or starts there any more).
NO_ENTRY_WHEN_CANCELLED = frozenset({EnrolmentState.ENROLLED, EnrolmentState.IN_PROGRESS})
# The states a follow-up member may withdraw a candidacy from (before the person holds a seat).
WITHDRAWABLE = frozenset({EnrolmentState.CANDIDATE, EnrolmentState.SELECTED, EnrolmentState.WAITING_LIST})


# ---------------------------------------------------------------------------------------------
# Small helpers


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` plus `months` calendar months; a day that the target month lacks becomes its last day
    (31 August + 6 months = 28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _fmt(day: datetime.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def _state_label(state: str) -> str:
    try:
        return str(EnrolmentState(state).label)
    except ValueError:
        return state


def places_left(session: Session) -> int:
    """Places not held by an enrolled, in-progress or completed enrolment (never below 0). Read it
    after locking the session row (enrolment_move does) when the answer decides a write."""
    taken = Enrolment.objects.filter(session_id=session.pk, state__in=SEAT_STATES).count()
    return max(session.places - taken, 0)


def waiting_queue(session: Session | int) -> list[int]:
    """The ids of the session's waiting-list enrolments, first in line first: by the time they
    joined the list, then candidacy date (the order of the session page). Only the first one may
    take a freed place. Read it after locking the session row when the answer decides a write."""
    pk = session if isinstance(session, int) else session.pk
    return list(
        Enrolment.objects.filter(session_id=pk, state=EnrolmentState.WAITING_LIST)
        .order_by(F("waiting_since").asc(nulls_last=True), "proposed_at", "id")
        .values_list("pk", flat=True)
    )


def eligibility_readable(eligibility: object, categories: Collection[str]) -> bool:
    """Whether a reader with these data categories (people.selectors.consented_categories) may
    see the overall result of an eligibility snapshot: not when one of its criteria is on a
    category the reader may not see, since "eligible" to a rule on the protection status tells
    that status. The override reason is hidden with it (it explains the same criteria). A group
    ("any") counts with every category of its criteria."""
    criteria = eligibility.get("criteria", []) if isinstance(eligibility, dict) else []
    return all(snapshot_categories(c) <= set(categories) for c in criteria)


def snapshot_categories(criterion: object) -> set[str]:
    """The data categories one criterion of a stored eligibility snapshot depends on: its own and,
    for a group ("any"), those of its criteria."""
    if not isinstance(criterion, dict):
        return set()
    found = {criterion["category"]} if criterion.get("category") else set()
    items = criterion.get("items")
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and item.get("category"):
            found.add(item["category"])
    return found


def _seats_taken(session: Session) -> int:
    return Enrolment.objects.filter(session_id=session.pk, state__in=SEAT_STATES).count()


def _lock_session(session: Session | int) -> Session:
    pk = session if isinstance(session, int) else session.pk
    Session.objects.select_for_update(no_key=True).filter(pk=pk).values_list("pk", flat=True).get()
    return Session.objects.select_related("programme", "operator", "commune").get(pk=pk)


def _rome_jobs(codes: Iterable[str]) -> tuple[list[RomeJob], dict]:
    wanted = list(dict.fromkeys(str(c).strip().upper() for c in codes if str(c).strip()))
    jobs = list(RomeJob.objects.filter(code__in=wanted))
    unknown = sorted(set(wanted) - {j.code for j in jobs})
    if unknown:
        return [], {"target_rome_codes": _("Code ROME inconnu : %(codes)s.") % {"codes": ", ".join(unknown)}}
    return jobs, {}


def _partners(companies: Iterable[str]) -> tuple[list[str], dict]:
    cleaned = list(dict.fromkeys(str(c).strip() for c in companies if str(c).strip()))
    if len(cleaned) > MAX_PARTNERS:
        return [], {"partner_companies": _("Indiquez au plus %(n)s entreprises partenaires.") % {"n": MAX_PARTNERS}}
    if any(len(c) > LABEL_MAX_LENGTH for c in cleaned):
        return [], {
            "partner_companies": _("Le nom d'une entreprise ne peut dépasser %(n)s caractères.")
            % {"n": LABEL_MAX_LENGTH}
        }
    return cleaned, {}


def _session_errors(
    *, programme: Programme, label: str, operator: Organisation | None, starts_on, ends_on, places
) -> dict:
    errors: dict = {}
    if not label:
        errors["label"] = _("Donnez un intitulé à la session.")
    elif len(label) > LABEL_MAX_LENGTH:
        errors["label"] = _("L'intitulé ne peut dépasser %(n)s caractères.") % {"n": LABEL_MAX_LENGTH}
    if operator is None or not programme.operators.filter(pk=operator.pk).exists():
        errors["operator"] = _("Choisissez un centre opérateur du programme.")
    if starts_on is None:
        errors["starts_on"] = _("Indiquez la date de début de la session.")
    if ends_on is None:
        errors["ends_on"] = _("Indiquez la date de fin de la session.")
    if starts_on is not None and ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = _("La session ne peut pas se terminer avant de commencer.")
    if not isinstance(places, int) or isinstance(places, bool) or places < 1:
        errors["places"] = _("Une session compte au moins une place.")
    elif places > MAX_PLACES:
        errors["places"] = _("Une session compte au plus %(n)s places.") % {"n": MAX_PLACES}
    return errors


def _require_session_manager(membership: Membership | None, programme: Programme, operator: Organisation | None):
    if not access.can_manage_sessions(membership, programme):
        raise PermissionDenied(
            _(
                "Seul·es les gestionnaires du programme et les professionnel·les de ses centres opérateurs "
                "peuvent gérer ses sessions."
            )
        )
    assert membership is not None
    # A centre manages its own sessions; the programme's managers manage every centre's.
    if (
        not access.can_manage_programme(membership, programme)
        and operator is not None
        and operator.pk != membership.organisation_id
    ):
        raise PermissionDenied(_("Vous ne pouvez gérer que les sessions de votre propre centre."))


# ---------------------------------------------------------------------------------------------
# Sessions


def _french_level_errors(level: str) -> dict[str, str]:
    if level and level not in CecrlLevel.values:
        return {
            "min_french_level": _(
                "Niveau de français inconnu : %(level)s. Choisissez un niveau du CECRL (A1.1 à C2) ou aucun minimum."
            )
            % {"level": level}
        }
    return {}


@transaction.atomic
def session_create(
    *,
    membership: Membership,
    programme: Programme,
    label: str,
    operator: Organisation,
    commune: Commune,
    starts_on: datetime.date,
    ends_on: datetime.date,
    places: int,
    target_rome_codes: Sequence[str] = (),
    partner_companies: Sequence[str] = (),
    offers_childcare: bool = False,
    offers_housing: bool = False,
    min_french_level: str = "",
    hosts_households: bool = False,
) -> Session:
    """Open a session. `min_french_level` is the CECRL level needed to follow it (blank: none) and
    `hosts_households` says whether a household can be placed there together: both are constraints
    of the placement optimiser."""
    _require_session_manager(membership, programme, operator)
    min_french_level = (min_french_level or "").strip()
    label = (label or "").strip()
    errors = _session_errors(
        programme=programme, label=label, operator=operator, starts_on=starts_on, ends_on=ends_on, places=places
    )
    if commune is None:
        errors["commune"] = _("Indiquez la commune de la session.")
    if not programme.is_active:
        errors["programme"] = _("Ce programme n'est plus actif : il n'ouvre plus de session.")
    jobs, job_errors = _rome_jobs(target_rome_codes)
    partners, partner_errors = _partners(partner_companies)
    errors.update(job_errors)
    errors.update(partner_errors)
    errors.update(_french_level_errors(min_french_level))
    if errors:
        raise ValidationError(errors)
    session = Session.objects.create(
        programme=programme,
        operator=operator,
        commune=commune,
        label=label,
        starts_on=starts_on,
        ends_on=ends_on,
        places=places,
        partner_companies=partners,
        offers_childcare=bool(offers_childcare),
        offers_housing=bool(offers_housing),
        min_french_level=min_french_level,
        hosts_households=bool(hosts_households),
        created_by=membership.user,
    )
    session.target_jobs.set(jobs)
    audit_log(
        actor=membership.user,
        organisation=membership.organisation,
        action=AuditAction.CREATE,
        obj=session,
        fields=["label", "operator", "commune", "starts_on", "ends_on", "places"],
    )
    return session


@transaction.atomic
def session_update(
    *,
    membership: Membership,
    session: Session,
    label: str | None = None,
    operator: Organisation | None = None,
    commune: Commune | None = None,
    starts_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
    places: int | None = None,
    target_rome_codes: Sequence[str] | None = None,
    partner_companies: Sequence[str] | None = None,
    offers_childcare: bool | None = None,
    offers_housing: bool | None = None,
    min_french_level: str | None = None,
    hosts_households: bool | None = None,
    status: str | None = None,
) -> Session:
    """Change the fields passed (None leaves one as it is). The session row is locked so that the
    places cannot drop below the seats taken while someone is being enrolled."""
    session = _lock_session(session)
    programme = session.programme
    _require_session_manager(membership, programme, session.operator)
    if operator is not None:
        _require_session_manager(membership, programme, operator)
    new: dict[str, Any] = {
        "label": (label or "").strip() if label is not None else session.label,
        "operator": operator if operator is not None else session.operator,
        "commune": commune if commune is not None else session.commune,
        "starts_on": starts_on if starts_on is not None else session.starts_on,
        "ends_on": ends_on if ends_on is not None else session.ends_on,
        "places": places if places is not None else session.places,
        "offers_childcare": bool(offers_childcare) if offers_childcare is not None else session.offers_childcare,
        "offers_housing": bool(offers_housing) if offers_housing is not None else session.offers_housing,
        "min_french_level": (min_french_level or "").strip()
        if min_french_level is not None
        else session.min_french_level,
        "hosts_households": bool(hosts_households) if hosts_households is not None else session.hosts_households,
        "status": status if status is not None else session.status,
    }
    errors = _session_errors(
        programme=programme,
        label=new["label"],
        operator=new["operator"],
        starts_on=new["starts_on"],
        ends_on=new["ends_on"],
        places=new["places"],
    )
    if new["status"] not in SessionStatus.values:
        errors["status"] = _("Choisissez un statut de session dans la liste.")
    errors.update(_french_level_errors(new["min_french_level"]))
    if "places" not in errors:
        taken = _seats_taken(session)
        if new["places"] < taken:
            errors["places"] = _(
                "%(taken)s personnes occupent déjà une place : la session ne peut pas compter moins de %(taken)s "
                "places."
            ) % {"taken": taken}
    if new["operator"].pk != session.operator_id and session.enrolments.exists():
        errors["operator"] = _("Cette session a déjà des candidatures : son centre opérateur ne peut plus changer.")
    jobs: list[RomeJob] | None = None
    if target_rome_codes is not None:
        jobs, job_errors = _rome_jobs(target_rome_codes)
        errors.update(job_errors)
    partners: list[str] | None = None
    if partner_companies is not None:
        partners, partner_errors = _partners(partner_companies)
        errors.update(partner_errors)
    if errors:
        raise ValidationError(errors)
    changed = [name for name, value in new.items() if getattr(session, name) != value]
    for name in changed:
        setattr(session, name, new[name])
    if partners is not None and partners != session.partner_companies:
        session.partner_companies = partners
        changed.append("partner_companies")
    if changed:
        session.save(update_fields=changed)
    if jobs is not None and {j.pk for j in jobs} != set(session.target_jobs.values_list("pk", flat=True)):
        session.target_jobs.set(jobs)
        changed.append("target_jobs")
    if changed:
        audit_log(
            actor=membership.user,
            organisation=membership.organisation,
            action=AuditAction.UPDATE,
            obj=session,
            fields=changed,
        )
    return session


# ---------------------------------------------------------------------------------------------
# Enrolments


def _enrolment_url(enrolment: Enrolment) -> str:
    return reverse("enrolment_detail", args=[enrolment.pk])


def _referent_users(pathway: Pathway, *, except_user) -> list:
    seats = FollowUpMember.objects.filter(
        pathway=pathway,
        is_referent=True,
        ended_at__isnull=True,
        membership__is_active=True,
        membership__organisation__is_active=True,
    ).select_related("membership__user")
    return [s.membership.user for s in seats if s.membership.user_id != getattr(except_user, "pk", None)]


def _operator_staff_users(session: Session, *, except_user) -> list:
    memberships = (
        Membership.objects.active()
        .filter(organisation_id=session.operator_id, role__in=ACCOMPANYING_ROLES, user__is_active=True)
        .select_related("user")
        .order_by("pk")
    )
    return list(dict.fromkeys(m.user for m in memberships if m.user_id != getattr(except_user, "pk", None)))


def _session_title(session: Session) -> str:
    return _("« %(session)s » du programme « %(programme)s »") % {
        "session": session.label,
        "programme": session.programme.name,
    }


def _criteria_text(result, statuses: set[str]) -> str:
    parts = []
    for criterion in result.criteria:
        if criterion.status in statuses:
            parts.append(f"{criterion.label} ({criterion.reason})" if criterion.reason else str(criterion.label))
    return " ; ".join(parts)


@transaction.atomic
def enrolment_propose(
    *, membership: Membership, session: Session, pathway: Pathway, override_reason: str = ""
) -> Enrolment:
    """A follow-up member proposes the person's candidacy to a session. The eligibility is computed
    with what the member may see and stored as a snapshot; a person not (or not provably) eligible
    needs an override reason."""
    from .facts import eligibility_for  # written alongside (helper A); imported late on purpose

    # Lock the pathway: two members proposing the same person at once are serialised, and the
    # second one gets the French message rather than the unique index's IntegrityError.
    Pathway.objects.select_for_update(no_key=True).filter(pk=pathway.pk).values_list("pk", flat=True).get()
    pathway = Pathway.objects.select_related("person").get(pk=pathway.pk)
    session = Session.objects.select_related("programme", "operator").get(pk=session.pk)
    programme = session.programme
    if not access.is_follow_up_member(membership, pathway):
        raise PermissionDenied(
            _("Seul·es les professionnel·les du groupe de suivi de la personne peuvent proposer sa candidature.")
        )
    if pathway.status != PathwayStatus.OPEN:
        raise ValidationError(_("Ce parcours est clos : il ne peut plus être modifié."))
    if not programme.is_active:
        raise ValidationError(_("Ce programme n'est plus actif : il ne reçoit plus de candidatures."))
    if session.status != SessionStatus.OPEN:
        raise ValidationError(
            _("Cette session n'est pas ouverte aux candidatures (%(status)s).")
            % {"status": SessionStatus(session.status).label}
        )
    if session.ends_on < timezone.localdate():
        raise ValidationError(_("Cette session est terminée : elle ne reçoit plus de candidatures."))
    existing = (
        Enrolment.objects.filter(session=session, pathway=pathway).exclude(state=EnrolmentState.NOT_SELECTED).first()
    )
    if existing is not None:
        raise ValidationError(
            _("Cette personne a déjà une candidature sur cette session (%(state)s).")
            % {"state": _state_label(existing.state)}
        )
    override_reason = (override_reason or "").strip()
    if len(override_reason) > REASON_MAX_LENGTH:
        raise ValidationError(
            {"override_reason": _("Ce texte ne peut dépasser %(n)s caractères.") % {"n": REASON_MAX_LENGTH}}
        )
    result = eligibility_for(pathway=pathway, programme=programme, membership=membership)
    status = str(result.status)
    if status == EligibilityStatus.NOT_ELIGIBLE and not override_reason:
        raise ValidationError(
            {
                "override_reason": _(
                    "La personne ne remplit pas les conditions du programme : %(criteria)s. Pour proposer quand "
                    "même sa candidature, indiquez le motif de la dérogation."
                )
                % {"criteria": _criteria_text(result, {"not_met"})}
            }
        )
    if status == EligibilityStatus.UNDETERMINED and not override_reason:
        raise ValidationError(
            {
                "override_reason": _(
                    "L'éligibilité ne peut pas être établie, il manque : %(criteria)s. Complétez le dossier, ou "
                    "indiquez le motif de la dérogation pour proposer quand même la candidature."
                )
                % {"criteria": _criteria_text(result, {"unknown"})}
            }
        )
    overridden = status != EligibilityStatus.ELIGIBLE
    now = timezone.now()
    try:
        with transaction.atomic():
            enrolment = Enrolment.objects.create(
                session=session,
                programme=programme,
                pathway=pathway,
                state=EnrolmentState.CANDIDATE,
                state_changed_at=now,
                eligibility_status=status,
                eligibility=result.as_dict(),
                override_reason=override_reason if overridden else "",
                proposed_by=membership,
                proposed_at=now,
            )
    except IntegrityError as exc:  # pragma: no cover - guarded by the pathway lock above
        raise ValidationError(_("Cette personne a déjà une candidature sur cette session.")) from exc
    EnrolmentTransition.objects.create(
        enrolment=enrolment,
        from_state="",
        to_state=EnrolmentState.CANDIDATE,
        at=now,
        actor=membership.user,
        reason=_("Éligibilité dérogatoire") if overridden else "",
    )
    event_record(
        pathway=pathway,
        kind=EventKind.ENROLMENT_UPDATED,
        actor=membership.user,
        membership=membership,
        summary=_("Candidature proposée à la session %(session)s") % {"session": _session_title(session)},
        payload={"enrolment": enrolment.pk, "state": EnrolmentState.CANDIDATE},
    )
    audit_log(
        actor=membership.user,
        organisation=membership.organisation,
        action=AuditAction.CREATE,
        obj=enrolment,
        person=pathway.person,
        fields=["state", "eligibility"],
        reason=(_("Dérogation à l'éligibilité : %(r)s") % {"r": override_reason})[:REASON_MAX_LENGTH]
        if overridden
        else "",
    )
    users = _operator_staff_users(session, except_user=membership.user)
    if users:
        notify(
            kind="enrolment_new",
            subject=_("Nouvelle candidature : %(session)s") % {"session": session.label},
            body=_("Bonjour,\n\n%(who)s propose une candidature à la session %(session)s.")
            % {"who": member_name(membership), "session": _session_title(session)},
            url=_enrolment_url(enrolment),
            users=users,
        )
    return enrolment


def _reason_errors(to_state: str, reason: str, detail: str) -> dict:
    if to_state == EnrolmentState.NOT_SELECTED:
        if reason not in NotSelectedReason.values:
            return {"reason": _("Choisissez le motif pour lequel la candidature n'est pas retenue.")}
        if reason == NotSelectedReason.OTHER and not detail:
            return {"detail": _("Précisez le motif pour lequel la candidature n'est pas retenue.")}
    elif to_state == EnrolmentState.ABANDONED:
        if reason not in AbandonReason.values:
            return {"reason": _("Choisissez le motif de l'abandon dans la liste.")}
        if reason == AbandonReason.OTHER and not detail:
            return {"detail": _("Précisez le motif de l'abandon.")}
    if len(detail) > REASON_MAX_LENGTH:
        return {"detail": _("Ce texte ne peut dépasser %(n)s caractères.") % {"n": REASON_MAX_LENGTH}}
    return {}


def _previous_date(enrolment: Enrolment, to_state: str) -> tuple[datetime.date, str]:
    """The date the move may not precede, and what it is (for the message)."""
    if to_state == EnrolmentState.ENROLLED:
        return timezone.localdate(enrolment.proposed_at), _("la candidature")
    if to_state == EnrolmentState.IN_PROGRESS:
        assert enrolment.enrolled_on is not None
        return enrolment.enrolled_on, _("l'inscription")
    if enrolment.entered_on is not None:
        return enrolment.entered_on, _("l'entrée en parcours")
    assert enrolment.enrolled_on is not None
    return enrolment.enrolled_on, _("l'inscription")


def _move_permission(membership: Membership | None, enrolment: Enrolment, to_state: str, reason: str) -> None:
    if access.is_operator_staff(membership, enrolment.session):
        return
    if access.is_follow_up_member(membership, enrolment.pathway):
        if to_state == EnrolmentState.NOT_SELECTED and reason == NotSelectedReason.PERSON_DECLINED:
            return
        raise PermissionDenied(
            _(
                "Le groupe de suivi peut seulement retirer une candidature quand la personne renonce ; les autres "
                "décisions reviennent au centre opérateur de la session."
            )
        )
    raise PermissionDenied(_("Seul·es les professionnel·les du centre opérateur de la session peuvent faire cela."))


def _check_queue(session: Session, enrolment: Enrolment) -> None:
    """A freed place goes to the waiting list's first person: a selected candidacy may not take it
    while someone waits, nor may a later person on the list. Called under the session row lock."""
    queue = waiting_queue(session)
    if not queue or (enrolment.state == EnrolmentState.WAITING_LIST and queue[0] == enrolment.pk):
        return
    first = Enrolment.objects.select_related("pathway__person").get(pk=queue[0])
    who = {"name": first.pathway.person.full_name, "n": len(queue)}
    if enrolment.state == EnrolmentState.WAITING_LIST and enrolment.pk in queue:
        raise ValidationError(
            _(
                "Cette personne est au rang %(rank)s de la liste d'attente : la prochaine place libérée revient "
                "d'abord à la personne au rang 1 (%(name)s). Inscrivez-la, ou retirez-la de la liste si elle renonce."
            )
            % {"rank": queue.index(enrolment.pk) + 1, **who}
        )
    raise ValidationError(
        _(
            "%(n)s personne(s) attendent sur la liste d'attente de cette session : la prochaine place libérée revient "
            "à la personne au rang 1 (%(name)s). Placez cette candidature sur la liste d'attente."
        )
        % who
    )


@transaction.atomic
def enrolment_move(
    *,
    membership: Membership,
    enrolment: Enrolment,
    to_state: str,
    reason: str = "",
    detail: str = "",
    on_date: datetime.date | None = None,
) -> Enrolment:
    """Move an enrolment along ENROLMENT_TRANSITIONS. The session row is locked before the
    enrolment (always in this order: no deadlock), then the seats are counted."""
    session = _lock_session(enrolment.session_id)
    Enrolment.objects.select_for_update(no_key=True).filter(pk=enrolment.pk).values_list("pk", flat=True).get()
    enrolment = Enrolment.objects.select_related("pathway__person").get(pk=enrolment.pk)
    enrolment.session = session
    reason = (reason or "").strip()
    detail = (detail or "").strip()
    _move_permission(membership, enrolment, to_state, reason)
    assert membership is not None

    current = enrolment.state
    if to_state not in EnrolmentState.values:
        raise ValidationError(_("État inconnu : %(state)s.") % {"state": to_state})
    if to_state not in ENROLMENT_TRANSITIONS[EnrolmentState(current)]:
        raise ValidationError(
            _("Cette inscription est « %(current)s » : elle ne peut pas passer à « %(target)s ».")
            % {"current": _state_label(current), "target": _state_label(to_state)}
        )
    if errors := _reason_errors(to_state, reason, detail):
        raise ValidationError(errors)

    today = timezone.localdate()
    day = on_date or today
    changes: dict = {}
    if to_state in DATED_STATES:
        if day > today:
            raise ValidationError({"on_date": _("La date ne peut pas être dans le futur.")})
        floor, what = _previous_date(enrolment, to_state)
        if day < floor:
            raise ValidationError(
                {
                    "on_date": _("La date ne peut pas précéder celle de %(what)s (%(date)s).")
                    % {"what": what, "date": _fmt(floor)}
                }
            )
    if to_state in NO_ENTRY_WHEN_CANCELLED and session.status == SessionStatus.CANCELLED:
        raise ValidationError(
            _("Cette session est annulée : personne ne peut plus y être inscrit·e ni y entrer en parcours.")
        )
    if to_state == EnrolmentState.ENROLLED:
        left = places_left(session)
        if left <= 0:
            raise ValidationError(
                _(
                    "Plus aucune place sur cette session (%(n)s places, toutes occupées) : placez la personne sur "
                    "la liste d'attente, ou attendez qu'une place se libère."
                )
                % {"n": session.places}
            )
        _check_queue(session, enrolment)
        changes["enrolled_on"] = day
    elif to_state == EnrolmentState.IN_PROGRESS:
        changes["entered_on"] = day
    elif to_state in EXITED_STATES:
        changes["exited_on"] = day
    elif to_state == EnrolmentState.WAITING_LIST:
        changes["waiting_since"] = timezone.now()
    if to_state == EnrolmentState.NOT_SELECTED:
        changes["not_selected_reason"] = reason
        changes["reason_detail"] = detail
    elif to_state == EnrolmentState.ABANDONED:
        changes["abandon_reason"] = reason
        changes["reason_detail"] = detail

    now = timezone.now()
    fields = {"state": to_state, "state_changed_at": now, **changes}
    for name, value in fields.items():
        setattr(enrolment, name, value)
    enrolment.save(update_fields=list(fields))

    reason_label = ""
    if to_state == EnrolmentState.NOT_SELECTED:
        reason_label = str(NotSelectedReason(reason).label)
    elif to_state == EnrolmentState.ABANDONED:
        reason_label = str(AbandonReason(reason).label)
    # A health reason is health data: the log and the audit entry keep its label, never the
    # free text (the enrolment row keeps it, shown only to readers with the health consent).
    log_detail = "" if to_state == EnrolmentState.ABANDONED and reason == AbandonReason.HEALTH else detail
    log_reason = " — ".join(p for p in (reason_label, log_detail) if p)
    if to_state in DATED_STATES:
        log_reason = " — ".join(p for p in (_("le %(date)s") % {"date": _fmt(day)}, log_reason) if p)
    EnrolmentTransition.objects.create(
        enrolment=enrolment,
        from_state=current,
        to_state=to_state,
        at=now,
        actor=membership.user,
        reason=log_reason[:REASON_MAX_LENGTH],
    )
    if to_state in EXITED_STATES:
        FollowUpSurvey.objects.bulk_create(
            [FollowUpSurvey(enrolment=enrolment, wave_months=n, due_on=add_months(day, n)) for n in SURVEY_WAVES]
        )

    # The timeline is read by every member of the group: the state and the date only (a reason
    # may be health or family matters).
    summary = _("Programme : %(session)s — %(state)s") % {
        "session": _session_title(session),
        "state": _state_label(to_state).lower(),
    }
    if to_state in DATED_STATES:
        summary += _(" le %(date)s") % {"date": _fmt(day)}
    event_record(
        pathway=enrolment.pathway,
        kind=EventKind.ENROLMENT_UPDATED,
        actor=membership.user,
        membership=membership,
        summary=summary,
        payload={"enrolment": enrolment.pk, "from": current, "state": to_state},
    )
    audit_log(
        actor=membership.user,
        organisation=membership.organisation,
        action=AuditAction.UPDATE,
        obj=enrolment,
        person=enrolment.pathway.person,
        fields=sorted(fields),
        reason=log_reason[:REASON_MAX_LENGTH],
    )
    users = _referent_users(enrolment.pathway, except_user=membership.user)
    if to_state == EnrolmentState.NOT_SELECTED and reason == NotSelectedReason.PERSON_DECLINED:
        users += [u for u in _operator_staff_users(session, except_user=membership.user) if u not in users]
    if users:
        body = _(
            "Bonjour,\n\nLa candidature de la personne que vous accompagnez à la session %(session)s : %(state)s."
        ) % {
            "session": _session_title(session),
            "state": _state_label(to_state).lower(),
        }
        if to_state in EXITED_STATES:
            body += "\n" + _(
                "Des enquêtes de suivi sont prévues à 6 et 12 mois après la sortie ; vous serez prévenu·e le moment venu."
            )
        notify(
            kind="enrolment_updated",
            subject=_("Programme %(programme)s : %(state)s")
            % {
                "programme": session.programme.name,
                "state": _state_label(to_state).lower(),
            },
            body=body,
            url=_enrolment_url(enrolment),
            users=users,
        )
    return enrolment


def transitions_for(
    *,
    membership: Membership | None,
    enrolment: Enrolment,
    free_places: int | None = None,
    queue: Sequence[int] | None = None,
) -> list[tuple[str, str]]:
    """The moves this membership may make now, as (to_state, French button label). "Inscrire" is
    offered only while a place is free (the waiting list otherwise), and then only to the waiting
    list's first person, or to a selected candidacy when nobody waits; nothing that takes a seat
    or starts the programme on a cancelled session. A page listing many enrolments of one session
    passes `free_places` and `queue` (waiting_queue's ids) once instead of counting per row."""
    allowed = ENROLMENT_TRANSITIONS[EnrolmentState(enrolment.state)]
    session = enrolment.session
    if access.is_operator_staff(membership, session):
        moves = [s for s in TRANSITION_LABELS if s in allowed]
        if session.status == SessionStatus.CANCELLED:
            moves = [s for s in moves if s not in NO_ENTRY_WHEN_CANCELLED]
        if EnrolmentState.ENROLLED in moves:
            left = free_places if free_places is not None else places_left(session)
            waiting = list(queue) if queue is not None else (waiting_queue(session) if left > 0 else [])
            first_in_line = enrolment.state == EnrolmentState.WAITING_LIST and waiting[:1] == [enrolment.pk]
            if left <= 0 or (waiting and not first_in_line):
                moves.remove(EnrolmentState.ENROLLED)
        return [(str(s), str(TRANSITION_LABELS[s])) for s in moves]
    if enrolment.state in WITHDRAWABLE and access.is_follow_up_member(membership, enrolment.pathway):
        return [(str(EnrolmentState.NOT_SELECTED), str(WITHDRAW_LABEL))]
    return []
