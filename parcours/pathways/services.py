"""Writes on pathways. Each function is keyword-only, atomic, checks the actor's right, writes the
timeline event and the audit entry. Permission failures raise PermissionDenied, invalid requests
ValidationError, both with a French message and nothing written."""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.audit.models import AuditAction
from parcours.audit.services import audit_log
from parcours.diagnostics.enums import SENSITIVE_THEMES
from parcours.organisations.enums import ACCOMPANYING_ROLES, Role
from parcours.organisations.models import Membership
from parcours.people.enums import DataCategory
from parcours.people.models import Person
from parcours.people.selectors import consented_categories

from .enums import (
    ACTION_TRANSITIONS,
    FINISHED_ACTION_STATUSES,
    ActionKind,
    ActionStatus,
    AppointmentStatus,
    EventKind,
    GoalStatus,
    JoinRequestStatus,
    PathwayStatus,
)
from .models import (
    Action,
    Appointment,
    BreakGlassAccess,
    Event,
    FollowUpMember,
    Goal,
    JoinRequest,
    Note,
    Pathway,
    ReferentHandover,
)


def event_record(
    *,
    pathway: Pathway,
    kind: EventKind,
    actor,
    membership: Membership | None,
    summary: str,
    payload: dict | None = None,
    category: str = "",
    is_activity: bool = True,
) -> Event:
    """Append to the timeline. An event that is activity (the default) also stamps the pathway's
    last activity, which the inactivity break rule reads; what others do to the pathway without the
    group acting (a referral being seen, the scan's own alerts) passes `is_activity=False`."""
    now = timezone.now()
    event = Event.objects.create(
        pathway=pathway,
        at=now,
        kind=kind,
        actor=actor,
        organisation_id=membership.organisation_id if membership else None,
        summary=summary[:500],
        payload=payload or {},
        category=category,
    )
    if is_activity:
        Pathway.objects.filter(pk=pathway.pk).update(last_activity_at=now)
    return event


def _membership_can_accompany(membership: Membership) -> bool:
    """Re-read from the database: the account, the membership and the organisation are active and
    the role accompanies people (an in-memory object may be stale)."""
    return (
        Membership.objects.active().filter(pk=membership.pk, user__is_active=True, role__in=ACCOMPANYING_ROLES).exists()
    )


def goal_category(theme: str) -> str:
    """Goals (and their actions) of a sensitive theme carry the health category."""
    return DataCategory.HEALTH if theme in SENSITIVE_THEMES else ""


def _require_theme_readable(*, pathway: Pathway, theme: str, membership: Membership) -> None:
    """Goals of a sensitive theme (health) and their actions are written only by a member the
    person's consent covers: one check here for every goal and action service."""
    category = goal_category(theme)
    if category and category not in consented_categories(person=pathway.person_id, membership=membership):
        raise PermissionDenied(_("La personne n'a pas consenti au partage de ses données de santé avec vous."))


def _require_seat(*, pathway: Pathway, membership: Membership | None) -> FollowUpMember:
    if membership is None:
        raise PermissionDenied(_("Vous devez agir au nom d'une organisation."))
    seat = FollowUpMember.objects.filter(
        pathway=pathway,
        membership=membership,
        ended_at__isnull=True,
        membership__is_active=True,
        membership__organisation__is_active=True,
    ).first()
    if seat is None:
        raise PermissionDenied(_("Seuls les membres du groupe de suivi peuvent modifier ce parcours."))
    return seat


def _reason_errors(reason: str, *, field: str = "reason", max_length: int = 300) -> dict:
    """A reason longer than its column would fail in the database with an untranslated error:
    refuse it with a French message instead."""
    if len(reason.strip()) > max_length:
        return {field: _("Ce motif ne peut dépasser %(n)s caractères.") % {"n": max_length}}
    return {}


# Row locks serialise writers without deadlocking them: they are FOR NO KEY UPDATE (`no_key=True`),
# which does not block the KEY SHARE lock PostgreSQL takes on a row when another transaction
# inserts a row pointing to it (an event on the pathway, an audit entry on the person); and they
# name their own table (`of=("self",)`) so that a join does not also lock the person, the pathway
# or the professional's membership.


def _require_open(pathway: Pathway) -> None:
    if pathway.status != PathwayStatus.OPEN:
        raise ValidationError(_("Ce parcours est clos : il ne peut plus être modifié."))


def _is_orientation_officer_for(*, pathway: Pathway, membership: Membership | None) -> bool:
    """A chargé·e d'orientation acting on this pathway: seated in its group, or holding an active
    grant on its département; account, membership and organisation read live from the database."""
    if membership is None or membership.role != Role.CHARGE_ORIENTATION:
        return False
    return (
        Membership.objects.active()
        .filter(pk=membership.pk, user__is_active=True)
        .filter(
            Q(follow_ups__pathway=pathway, follow_ups__ended_at__isnull=True)
            | Q(territory_grants__departement_id=pathway.departement_id, territory_grants__revoked_at__isnull=True)
        )
        .exists()
    )


def member_name(membership: Membership) -> str:
    return f"{membership.user.get_full_name()} ({membership.organisation.name})"


@transaction.atomic
def pathway_open(*, person: Person, membership: Membership, acting_user, as_referent: bool = True) -> Pathway:
    """Open the person's pathway; the professional who opens it joins the group (as referent by
    default, when their role accompanies people)."""
    # Lock the person so that two professionals opening at once are serialised: the second one
    # gets the French message, not the unique index's IntegrityError.
    Person.objects.select_for_update(no_key=True).filter(pk=person.pk).first()
    if Pathway.objects.filter(person=person, status=PathwayStatus.OPEN).exists():
        raise ValidationError(_("Cette personne a déjà un parcours en cours."))
    departement_id = (
        person.commune.departement_id if person.commune is not None else membership.organisation.departement_id
    )
    pathway = Pathway.objects.create(person=person, departement_id=departement_id)
    is_referent = as_referent and membership.role in ACCOMPANYING_ROLES
    FollowUpMember.objects.create(
        pathway=pathway,
        membership=membership,
        is_referent=is_referent,
        start_reason=_("Ouverture du parcours"),
    )
    event_record(
        pathway=pathway,
        kind=EventKind.PATHWAY_OPENED,
        actor=acting_user,
        membership=membership,
        summary=_("Parcours ouvert par %(who)s") % {"who": member_name(membership)},
    )
    audit_log(
        actor=acting_user, organisation=membership.organisation, action=AuditAction.CREATE, obj=pathway, person=person
    )
    return pathway


@transaction.atomic
def pathway_close(*, pathway: Pathway, reason: str, membership: Membership, acting_user) -> Pathway:
    pathway = Pathway.objects.select_for_update(no_key=True).get(pk=pathway.pk)
    _require_open(pathway)
    seat = FollowUpMember.objects.filter(
        pathway=pathway, membership=membership, ended_at__isnull=True, membership__is_active=True
    ).first()
    if not (seat and seat.is_referent) and not _is_orientation_officer_for(pathway=pathway, membership=membership):
        raise PermissionDenied(_("Seul·e le·la référent·e ou un·e chargé·e d'orientation peut clore le parcours."))
    if not reason.strip():
        raise ValidationError({"reason": _("Indiquez le motif de clôture.")})
    if errors := _reason_errors(reason):
        raise ValidationError(errors)
    now = timezone.now()
    pathway.status, pathway.closed_at, pathway.closure_reason = PathwayStatus.CLOSED, now, reason.strip()
    pathway.save(update_fields=["status", "closed_at", "closure_reason"])
    FollowUpMember.objects.filter(pathway=pathway, ended_at__isnull=True).update(
        ended_at=now, end_reason=_("Clôture du parcours")
    )
    event_record(
        pathway=pathway,
        kind=EventKind.PATHWAY_CLOSED,
        actor=acting_user,
        membership=membership,
        summary=_("Parcours clos : %(reason)s") % {"reason": reason.strip()},
    )
    audit_log(
        actor=acting_user,
        organisation=membership.organisation,
        action=AuditAction.UPDATE,
        obj=pathway,
        person=pathway.person,
        fields=["status", "closure_reason"],
    )
    return pathway


@transaction.atomic
def referent_change(
    *,
    pathway: Pathway,
    new_membership: Membership,
    reason: str,
    handover_note: str,
    membership: Membership,
    acting_user,
    keep_previous_in_group: bool = True,
) -> ReferentHandover:
    """Hand the pathway over to a new referent. Only the current referent or a chargé·e
    d'orientation may do it. The pathway row is locked so that two concurrent changes are
    serialised; the partial unique index on active referents is the last line of defence."""
    pathway = Pathway.objects.select_for_update(no_key=True).get(pk=pathway.pk)
    _require_open(pathway)
    current = (
        FollowUpMember.objects.select_for_update(of=("self",), no_key=True)
        .filter(pathway=pathway, is_referent=True, ended_at__isnull=True)
        .select_related("membership")
        .first()
    )
    is_referent = current is not None and current.membership_id == membership.pk
    if not is_referent and not _is_orientation_officer_for(pathway=pathway, membership=membership):
        raise PermissionDenied(_("Seul·e le·la référent·e ou un·e chargé·e d'orientation peut changer de référent."))
    errors = {}
    if not reason.strip():
        errors["reason"] = _("Indiquez le motif du changement de référent.")
    errors.update(_reason_errors(reason))
    if not handover_note.strip():
        errors["handover_note"] = _("Rédigez une note de passation pour le·la nouveau·elle référent·e.")
    if len(handover_note) > 5000:
        errors["handover_note"] = _("La note de passation ne peut dépasser 5 000 caractères.")
    if not _membership_can_accompany(new_membership):
        errors["new_membership"] = _("Ce·tte professionnel·le ne peut pas être référent·e (rôle ou compte inactif).")
    elif current is not None and current.membership_id == new_membership.pk:
        errors["new_membership"] = _("Cette personne est déjà le·la référent·e du parcours.")
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    if current is not None:
        end_reason = _("Passation de référence : %(r)s") % {"r": reason.strip()}
        current.ended_at, current.end_reason = now, end_reason[:300]
        current.save(update_fields=["ended_at", "end_reason"])
        if keep_previous_in_group:
            FollowUpMember.objects.create(
                pathway=pathway,
                membership=current.membership,
                is_referent=False,
                started_at=now,
                start_reason=_("Ancien·ne référent·e, reste dans le groupe"),
            )
    # The new referent may already sit in the group as a plain member: close that seat first.
    FollowUpMember.objects.filter(pathway=pathway, membership=new_membership, ended_at__isnull=True).update(
        ended_at=now, end_reason=_("Devient référent·e")
    )
    try:
        with transaction.atomic():
            new_seat = FollowUpMember.objects.create(
                pathway=pathway,
                membership=new_membership,
                is_referent=True,
                started_at=now,
                start_reason=reason.strip(),
            )
    except IntegrityError as exc:  # pragma: no cover - guarded by the row lock above
        raise ValidationError(_("Un·e autre référent·e vient d'être désigné·e ; rechargez la page.")) from exc
    handover = ReferentHandover.objects.create(
        pathway=pathway,
        previous=current,
        new=new_seat,
        reason=reason.strip(),
        handover_note=handover_note.strip(),
        decided_by=acting_user,
        decided_at=now,
    )
    new_membership = Membership.objects.select_related("user", "organisation").get(pk=new_membership.pk)
    event_record(
        pathway=pathway,
        kind=EventKind.REFERENT_CHANGED,
        actor=acting_user,
        membership=membership,
        summary=_("Nouveau·elle référent·e : %(who)s. Motif : %(reason)s")
        % {"who": member_name(new_membership), "reason": reason.strip()},
        payload={"handover": handover.pk},
    )
    audit_log(
        actor=acting_user,
        organisation=membership.organisation,
        action=AuditAction.UPDATE,
        obj=pathway,
        person=pathway.person,
        fields=["referent"],
        reason=reason.strip(),
    )
    return handover


@transaction.atomic
def member_add(
    *, pathway: Pathway, new_membership: Membership, reason: str, membership: Membership, acting_user
) -> FollowUpMember:
    pathway = Pathway.objects.select_for_update(no_key=True).get(pk=pathway.pk)
    _require_open(pathway)
    seat = FollowUpMember.objects.filter(pathway=pathway, membership=membership, ended_at__isnull=True).first()
    if not (seat and seat.is_referent) and not _is_orientation_officer_for(pathway=pathway, membership=membership):
        raise PermissionDenied(_("Seul·e le·la référent·e ou un·e chargé·e d'orientation peut ajouter un membre."))
    if not reason.strip():
        raise ValidationError({"reason": _("Indiquez pourquoi ce·tte professionnel·le rejoint le groupe.")})
    if errors := _reason_errors(reason):
        raise ValidationError(errors)
    if not _membership_can_accompany(new_membership):
        raise ValidationError(
            {"new_membership": _("Ce·tte professionnel·le ne peut pas rejoindre un groupe de suivi.")}
        )
    if FollowUpMember.objects.filter(pathway=pathway, membership=new_membership, ended_at__isnull=True).exists():
        raise ValidationError({"new_membership": _("Ce·tte professionnel·le fait déjà partie du groupe de suivi.")})
    new_seat = FollowUpMember.objects.create(pathway=pathway, membership=new_membership, start_reason=reason.strip())
    new_membership = Membership.objects.select_related("user", "organisation").get(pk=new_membership.pk)
    event_record(
        pathway=pathway,
        kind=EventKind.MEMBER_ADDED,
        actor=acting_user,
        membership=membership,
        summary=_("%(who)s rejoint le groupe de suivi : %(reason)s")
        % {"who": member_name(new_membership), "reason": reason.strip()},
    )
    audit_log(
        actor=acting_user,
        organisation=membership.organisation,
        action=AuditAction.UPDATE,
        obj=pathway,
        person=pathway.person,
        fields=["members"],
    )
    return new_seat


@transaction.atomic
def member_end(*, seat: FollowUpMember, reason: str, membership: Membership, acting_user) -> FollowUpMember:
    pathway = Pathway.objects.select_for_update(no_key=True).get(pk=seat.pathway_id)
    seat = FollowUpMember.objects.select_related("membership__user", "membership__organisation").get(pk=seat.pk)
    if seat.ended_at is not None:
        raise ValidationError(_("Ce·tte membre a déjà quitté le groupe."))
    if seat.is_referent:
        raise ValidationError(_("Le·la référent·e ne quitte le groupe qu'après un changement de référent."))
    own = seat.membership_id == membership.pk
    acting_seat = FollowUpMember.objects.filter(pathway=pathway, membership=membership, ended_at__isnull=True).first()
    if (
        not own
        and not (acting_seat and acting_seat.is_referent)
        and not _is_orientation_officer_for(pathway=pathway, membership=membership)
    ):
        raise PermissionDenied(_("Seul·e le·la référent·e peut retirer un membre du groupe."))
    if not reason.strip():
        raise ValidationError({"reason": _("Indiquez le motif de sortie du groupe.")})
    if errors := _reason_errors(reason):
        raise ValidationError(errors)
    seat.ended_at, seat.end_reason = timezone.now(), reason.strip()
    seat.save(update_fields=["ended_at", "end_reason"])
    event_record(
        pathway=pathway,
        kind=EventKind.MEMBER_LEFT,
        actor=acting_user,
        membership=membership,
        summary=_("%(who)s quitte le groupe de suivi : %(reason)s")
        % {"who": member_name(seat.membership), "reason": reason.strip()},
    )
    audit_log(
        actor=acting_user,
        organisation=membership.organisation,
        action=AuditAction.UPDATE,
        obj=pathway,
        person=pathway.person,
        fields=["members"],
    )
    return seat


@transaction.atomic
def goal_create(
    *, pathway: Pathway, theme: str, text: str, agreed_by_person: bool, membership: Membership, acting_user
) -> Goal:
    _require_open(pathway)
    _require_seat(pathway=pathway, membership=membership)
    _require_theme_readable(pathway=pathway, theme=theme, membership=membership)
    goal = Goal(
        pathway=pathway, theme=theme, text=text.strip(), agreed_by_person=agreed_by_person, created_by=acting_user
    )
    goal.full_clean()
    goal.save()
    agreed = _("validé avec la personne") if agreed_by_person else _("non encore validé avec la personne")
    event_record(
        pathway=pathway,
        kind=EventKind.GOAL_ADDED,
        actor=acting_user,
        membership=membership,
        summary=_("Objectif « %(text)s » (%(agreed)s)") % {"text": goal.text, "agreed": agreed},
        payload={"goal": goal.pk},
        category=goal_category(goal.theme),
    )
    audit_log(
        actor=acting_user,
        organisation=membership.organisation,
        action=AuditAction.CREATE,
        obj=goal,
        person=pathway.person,
    )
    return goal


@transaction.atomic
def goal_update(*, goal: Goal, status: str, agreed_by_person: bool, membership: Membership, acting_user) -> Goal:
    goal = Goal.objects.select_for_update(of=("self",), no_key=True).select_related("pathway__person").get(pk=goal.pk)
    _require_open(goal.pathway)
    _require_seat(pathway=goal.pathway, membership=membership)
    _require_theme_readable(pathway=goal.pathway, theme=goal.theme, membership=membership)
    if status not in GoalStatus.values:
        raise ValidationError({"status": _("Statut d'objectif inconnu.")})
    changed = [f for f, v in (("status", status), ("agreed_by_person", agreed_by_person)) if getattr(goal, f) != v]
    if not changed:
        return goal
    goal.status, goal.agreed_by_person = status, agreed_by_person
    goal.save(update_fields=changed)
    event_record(
        pathway=goal.pathway,
        kind=EventKind.GOAL_UPDATED,
        actor=acting_user,
        membership=membership,
        summary=_("Objectif « %(text)s » : %(status)s") % {"text": goal.text, "status": goal.get_status_display()},
        payload={"goal": goal.pk},
        category=goal_category(goal.theme),
    )
    audit_log(
        actor=acting_user,
        organisation=membership.organisation,
        action=AuditAction.UPDATE,
        obj=goal,
        person=goal.pathway.person,
        fields=changed,
    )
    return goal


@transaction.atomic
def action_create(
    *,
    goal: Goal,
    text: str,
    due_on: datetime.date | None,
    membership: Membership,
    acting_user,
    kind: str = ActionKind.OTHER,
) -> Action:
    pathway = goal.pathway
    _require_open(pathway)
    _require_seat(pathway=pathway, membership=membership)
    _require_theme_readable(pathway=pathway, theme=goal.theme, membership=membership)
    if goal.status != GoalStatus.IN_PROGRESS:
        raise ValidationError(_("On n'ajoute pas d'action à un objectif atteint ou abandonné."))
    if due_on is not None and due_on < timezone.localdate():
        raise ValidationError({"due_on": _("L'échéance ne peut pas être dans le passé.")})
    if kind not in ActionKind.values:
        raise ValidationError({"kind": _("Choisissez un type d'action proposé.")})
    action = Action(
        goal=goal,
        text=text.strip(),
        kind=kind,
        due_on=due_on,
        carried_by=membership.organisation,
        created_by=acting_user,
    )
    action.full_clean()
    action.save()
    due = _(", échéance le %(d)s") % {"d": due_on.strftime("%d/%m/%Y")} if due_on else ""
    event_record(
        pathway=pathway,
        kind=EventKind.ACTION_ADDED,
        actor=acting_user,
        membership=membership,
        summary=_("Action « %(text)s »%(due)s") % {"text": action.text, "due": due},
        payload={"action": action.pk},
        category=goal_category(goal.theme),
    )
    audit_log(
        actor=acting_user,
        organisation=membership.organisation,
        action=AuditAction.CREATE,
        obj=action,
        person=pathway.person,
    )
    return action


@transaction.atomic
def action_set_status(
    *, action: Action, status: str, membership: Membership, acting_user, done_on: datetime.date | None = None
) -> Action:
    """Move an action along its lifecycle; the row is locked and the transition checked against
    ACTION_TRANSITIONS, so a finished action cannot be finished twice."""
    action = (
        Action.objects.select_for_update(of=("self",), no_key=True)
        .select_related("goal__pathway__person")
        .get(pk=action.pk)
    )
    pathway = action.goal.pathway
    _require_open(pathway)
    _require_seat(pathway=pathway, membership=membership)
    _require_theme_readable(pathway=pathway, theme=action.goal.theme, membership=membership)
    if status not in ActionStatus.values:
        raise ValidationError({"status": _("Statut d'action inconnu.")})
    if status not in ACTION_TRANSITIONS[ActionStatus(action.status)]:
        raise ValidationError(
            {
                "status": _("Une action « %(from)s » ne peut pas passer à « %(to)s ».")
                % {"from": action.get_status_display(), "to": ActionStatus(status).label}
            }
        )
    today = timezone.localdate()
    if status == ActionStatus.DONE:
        done_on = done_on or today
        if done_on > today:
            raise ValidationError({"done_on": _("La date de réalisation ne peut pas être dans le futur.")})
    else:
        done_on = None
    previous = action.get_status_display()
    action.status, action.done_on = status, done_on
    action.finished_at = timezone.now() if status in FINISHED_ACTION_STATUSES else None
    action.save(update_fields=["status", "done_on", "finished_at"])
    event_record(
        pathway=pathway,
        kind=EventKind.ACTION_UPDATED,
        actor=acting_user,
        membership=membership,
        summary=_("Action « %(text)s » : %(from)s → %(to)s")
        % {"text": action.text, "from": previous, "to": action.get_status_display()},
        payload={"action": action.pk, "status": status},
        category=goal_category(action.goal.theme),
    )
    audit_log(
        actor=acting_user,
        organisation=membership.organisation,
        action=AuditAction.UPDATE,
        obj=action,
        person=pathway.person,
        fields=["status"],
    )
    return action


@transaction.atomic
def appointment_create(
    *,
    pathway: Pathway,
    starts_at: datetime.datetime,
    duration_minutes: int,
    mode: str,
    subject: str,
    place: str,
    interpreter_booked: bool,
    membership: Membership,
    acting_user,
) -> Appointment:
    _require_open(pathway)
    _require_seat(pathway=pathway, membership=membership)
    if not 5 <= duration_minutes <= 480:
        raise ValidationError({"duration_minutes": _("La durée d'un rendez-vous va de 5 minutes à 8 heures.")})
    appointment = Appointment(
        pathway=pathway,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        mode=mode,
        with_member=membership,
        subject=subject.strip(),
        place=place.strip(),
        interpreter_booked=interpreter_booked,
    )
    appointment.full_clean()
    appointment.save()
    event_record(
        pathway=pathway,
        kind=EventKind.APPOINTMENT_ADDED,
        actor=acting_user,
        membership=membership,
        summary=_("Rendez-vous le %(at)s : %(subject)s")
        % {"at": timezone.localtime(starts_at).strftime("%d/%m/%Y %H:%M"), "subject": appointment.subject},
        payload={"appointment": appointment.pk},
    )
    audit_log(
        actor=acting_user,
        organisation=membership.organisation,
        action=AuditAction.CREATE,
        obj=appointment,
        person=pathway.person,
    )
    return appointment


@transaction.atomic
def appointment_set_status(
    *, appointment: Appointment, status: str, membership: Membership, acting_user
) -> Appointment:
    appointment = (
        Appointment.objects.select_for_update(of=("self",), no_key=True)
        .select_related("pathway__person")
        .get(pk=appointment.pk)
    )
    _require_open(appointment.pathway)
    _require_seat(pathway=appointment.pathway, membership=membership)
    if (
        status not in AppointmentStatus.values
        or status == AppointmentStatus.PLANNED
        or appointment.status != AppointmentStatus.PLANNED
    ):
        raise ValidationError({"status": _("Seul un rendez-vous prévu peut être marqué honoré, non honoré ou annulé.")})
    appointment.status = status
    appointment.save(update_fields=["status"])
    event_record(
        pathway=appointment.pathway,
        kind=EventKind.APPOINTMENT_UPDATED,
        actor=acting_user,
        membership=membership,
        summary=_("Rendez-vous « %(subject)s » : %(status)s")
        % {"subject": appointment.subject, "status": appointment.get_status_display()},
    )
    audit_log(
        actor=acting_user,
        organisation=membership.organisation,
        action=AuditAction.UPDATE,
        obj=appointment,
        person=appointment.pathway.person,
        fields=["status"],
    )
    return appointment


@transaction.atomic
def note_create(*, pathway: Pathway, text: str, membership: Membership, acting_user) -> Note:
    _require_open(pathway)
    _require_seat(pathway=pathway, membership=membership)
    note = Note(pathway=pathway, author=acting_user, organisation=membership.organisation, text=text.strip())
    note.full_clean()
    note.save()
    event_record(
        pathway=pathway,
        kind=EventKind.NOTE_ADDED,
        actor=acting_user,
        membership=membership,
        summary=_("Note ajoutée"),
        payload={"note": note.pk},
    )
    audit_log(
        actor=acting_user,
        organisation=membership.organisation,
        action=AuditAction.CREATE,
        obj=note,
        person=pathway.person,
    )
    return note


@transaction.atomic
def join_request_create(*, pathway: Pathway, reason: str, membership: Membership, acting_user) -> JoinRequest:
    """Ask to join a group found through the coordination lookup. The requester learns nothing
    more until the referent accepts."""
    if membership.role not in ACCOMPANYING_ROLES or not membership.is_active:
        raise PermissionDenied(_("Votre rôle ne permet pas de rejoindre un groupe de suivi."))
    _require_open(pathway)
    if FollowUpMember.objects.filter(pathway=pathway, membership=membership, ended_at__isnull=True).exists():
        raise ValidationError(_("Vous faites déjà partie du groupe de suivi."))
    if not reason.strip():
        raise ValidationError({"reason": _("Indiquez pourquoi vous souhaitez rejoindre le groupe de suivi.")})
    if errors := _reason_errors(reason):
        raise ValidationError(errors)
    if JoinRequest.objects.filter(pathway=pathway, membership=membership, status=JoinRequestStatus.PENDING).exists():
        raise ValidationError(_("Une demande est déjà en attente pour ce parcours."))
    request = JoinRequest.objects.create(pathway=pathway, membership=membership, reason=reason.strip())
    event_record(
        pathway=pathway,
        kind=EventKind.JOIN_REQUESTED,
        actor=acting_user,
        membership=membership,
        summary=_("%(who)s demande à rejoindre le groupe : %(reason)s")
        % {"who": member_name(membership), "reason": reason.strip()},
    )
    audit_log(
        actor=acting_user,
        organisation=membership.organisation,
        action=AuditAction.CREATE,
        obj=request,
        person=pathway.person,
    )
    return request


@transaction.atomic
def join_request_decide(*, join_request: JoinRequest, accept: bool, membership: Membership, acting_user) -> JoinRequest:
    join_request = (
        JoinRequest.objects.select_for_update(of=("self",), no_key=True)
        .select_related("pathway__person", "membership__user", "membership__organisation")
        .get(pk=join_request.pk)
    )
    pathway = (
        Pathway.objects.select_for_update(of=("self",), no_key=True)
        .select_related("person")
        .get(pk=join_request.pathway_id)
    )
    _require_open(pathway)
    seat = FollowUpMember.objects.filter(pathway=pathway, membership=membership, ended_at__isnull=True).first()
    if not (seat and seat.is_referent):
        raise PermissionDenied(_("Seul·e le·la référent·e répond aux demandes d'accès."))
    if join_request.status != JoinRequestStatus.PENDING:
        raise ValidationError(_("Cette demande a déjà reçu une réponse."))
    if accept and not _membership_can_accompany(join_request.membership):
        raise ValidationError(_("Ce compte ou cette appartenance n'est plus actif : la demande ne peut être acceptée."))
    if (
        accept
        and FollowUpMember.objects.filter(
            pathway=pathway, membership_id=join_request.membership_id, ended_at__isnull=True
        ).exists()
    ):
        raise ValidationError(_("Ce·tte professionnel·le fait déjà partie du groupe de suivi."))
    join_request.status = JoinRequestStatus.ACCEPTED if accept else JoinRequestStatus.REFUSED
    join_request.decided_by, join_request.decided_at = acting_user, timezone.now()
    join_request.save(update_fields=["status", "decided_by", "decided_at"])
    if accept:
        FollowUpMember.objects.create(
            pathway=pathway, membership=join_request.membership, start_reason=join_request.reason
        )
    event_record(
        pathway=pathway,
        kind=EventKind.JOIN_DECIDED,
        actor=acting_user,
        membership=membership,
        summary=_("Demande de %(who)s : %(status)s")
        % {"who": member_name(join_request.membership), "status": join_request.get_status_display()},
    )
    audit_log(
        actor=acting_user,
        organisation=membership.organisation,
        action=AuditAction.UPDATE,
        obj=join_request,
        person=pathway.person,
        fields=["status"],
    )
    return join_request


@transaction.atomic
def break_glass_open(*, pathway: Pathway, reason: str, acting_user) -> BreakGlassAccess:
    """A platform administrator's exceptional access: reasoned, time-limited, shown to the person."""
    if not acting_user.is_superuser:
        raise PermissionDenied(_("Réservé aux administrateur·rices de la plateforme."))
    if len(reason.strip()) < 20:
        raise ValidationError({"reason": _("Motivez l'accès exceptionnel (20 caractères au moins).")})
    if errors := _reason_errors(reason, max_length=500):
        raise ValidationError(errors)
    now = timezone.now()
    access = BreakGlassAccess.objects.create(
        pathway=pathway,
        user=acting_user,
        reason=reason.strip(),
        opened_at=now,
        expires_at=now + datetime.timedelta(minutes=settings.BREAK_GLASS_MINUTES),
    )
    event_record(
        pathway=pathway,
        kind=EventKind.BREAK_GLASS,
        actor=acting_user,
        membership=None,
        summary=_("Accès exceptionnel d'un·e administrateur·rice : %(reason)s") % {"reason": reason.strip()},
    )
    audit_log(
        actor=acting_user, action=AuditAction.BREAK_GLASS, obj=pathway, person=pathway.person, reason=reason.strip()
    )
    return access
