"""Orientation: a chargé·e d'orientation decides the person's accompaniment (orientation, accompanying
structure, referent); a member of the follow-up group may ask for a re-orientation, which the
chargé·e d'orientation accepts or refuses with a reason; people waiting for either form a work
queue. Writes follow the house rules of services.py (keyword-only, atomic, row locks, timeline
event, audit entry, notifications after commit); the queue is one scoped SQL query."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, DurationField, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, ExtractDay, Now
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.audit.models import AuditAction
from parcours.audit.services import audit_log
from parcours.notifications.services import notify
from parcours.organisations.enums import ACCOMPANYING_ROLES, Role
from parcours.organisations.models import Membership, Organisation, TerritoryGrant

from .enums import EventKind, Orientation, PathwayStatus, ReorientationStatus
from .models import FollowUpMember, OrientationDecision, Pathway, ReorientationRequest
from .services import (
    _is_orientation_officer_for,
    _reason_errors,
    _require_open,
    event_record,
    member_name,
    referent_change,
)

REASON_MAX_LENGTH = 500
# ReferentHandover.reason is shorter than a decision's reason: the full reason goes in the note.
HANDOVER_REASON_MAX_LENGTH = 300


def _orientation_label(value: str) -> str:
    return str(Orientation(value).label).lower()


def _officer_users_of(departement_id: str):
    """The live accounts of the chargé·e·s d'orientation holding an active grant on the département."""
    grants = TerritoryGrant.objects.filter(departement_id=departement_id, revoked_at__isnull=True)
    return (
        get_user_model()
        .objects.filter(
            is_active=True,
            memberships__in=Membership.objects.active().filter(
                role=Role.CHARGE_ORIENTATION, pk__in=grants.values("membership_id")
            ),
        )
        .distinct()
    )


def _decision_errors(*, pathway: Pathway, orientation: str, structure, referent, reason: str) -> dict:
    """Every input check of a decision, read live from the database; {} when all is well."""
    errors: dict = {}
    if orientation not in Orientation.values or orientation == Orientation.PENDING:
        errors["orientation"] = _("Choisissez une orientation.")
    if not reason.strip():
        errors["reason"] = _("Motivez la décision d'orientation.")
    errors.update(_reason_errors(reason, max_length=REASON_MAX_LENGTH))
    live_structure = (
        Organisation.objects.filter(pk=structure.pk, is_active=True).first() if structure is not None else None
    )
    if structure is None:
        errors["structure"] = _("Choisissez la structure d'accompagnement.")
    elif live_structure is None:
        errors["structure"] = _("Cette structure n'existe pas ou n'est plus active : choisissez-en une autre.")
    elif live_structure.departement_id != pathway.departement_id:
        errors["structure"] = _("Choisissez une structure du département du parcours.")
    if referent is not None and "structure" not in errors:
        ok = (
            Membership.objects.active()
            .filter(
                pk=referent.pk,
                organisation_id=structure.pk,
                role__in=ACCOMPANYING_ROLES,
                user__is_active=True,
            )
            .exists()
        )
        if not ok:
            errors["referent"] = _(
                "Choisissez un·e référent·e actif·ve de la structure choisie, dont le rôle accompagne les personnes."
            )
    return errors


@transaction.atomic
def orientation_decide(
    *,
    pathway: Pathway,
    orientation: str,
    structure: Organisation | None,
    referent: Membership | None = None,
    reason: str,
    membership: Membership,
    acting_user,
    request: ReorientationRequest | None = None,
) -> OrientationDecision:
    """Decide the orientation, the accompanying structure and (optionally) the referent, who then
    becomes the pathway's referent through the ordinary hand-over. `request` is set only by
    `reorientation_decide`: a pending re-orientation request is answered, not bypassed."""
    pathway = Pathway.objects.select_for_update(no_key=True).select_related("person").get(pk=pathway.pk)
    _require_open(pathway)
    if not _is_orientation_officer_for(pathway=pathway, membership=membership):
        raise PermissionDenied(_("Seul·e un·e chargé·e d'orientation décide de l'orientation."))
    if request is None:
        pending = ReorientationRequest.objects.filter(pathway=pathway, status=ReorientationStatus.PENDING).first()
        if pending is not None:
            raise ValidationError(
                _(
                    "Une demande de réorientation est en attente depuis le %(d)s : répondez-y depuis sa page "
                    "(accepter ou refuser)."
                )
                % {"d": timezone.localtime(pending.requested_at).strftime("%d/%m/%Y")}
            )
    if errors := _decision_errors(
        pathway=pathway, orientation=orientation, structure=structure, referent=referent, reason=reason
    ):
        raise ValidationError(errors)
    reason = reason.strip()
    assert structure is not None  # _decision_errors refuses a missing structure
    decision = OrientationDecision.objects.create(
        pathway=pathway,
        orientation=orientation,
        structure_id=structure.pk,
        referent_id=referent.pk if referent is not None else None,
        reason=reason,
        decided_by=acting_user,
        request=request,
    )
    pathway.orientation = orientation
    pathway.save(update_fields=["orientation"])
    structure = Organisation.objects.get(pk=structure.pk)
    if referent is not None:
        referent = Membership.objects.select_related("user", "organisation").get(pk=referent.pk)
        already = FollowUpMember.objects.filter(
            pathway=pathway, membership=referent, is_referent=True, ended_at__isnull=True
        ).exists()
        if not already:
            referent_change(
                pathway=pathway,
                new_membership=referent,
                reason=(_("Orientation %(o)s : %(r)s") % {"o": _orientation_label(orientation), "r": reason})[
                    :HANDOVER_REASON_MAX_LENGTH
                ],
                handover_note=_("Décision d'orientation (%(o)s, %(s)s) : %(r)s")
                % {"o": _orientation_label(orientation), "s": structure.name, "r": reason},
                membership=membership,
                acting_user=acting_user,
            )
    if referent is not None:
        summary = _("Orientation %(o)s, accompagnement par %(s)s, référent·e : %(who)s. Motif : %(r)s") % {
            "o": _orientation_label(orientation),
            "s": structure.name,
            "who": referent.user.get_full_name(),
            "r": reason,
        }
    else:
        summary = _("Orientation %(o)s, accompagnement par %(s)s. Motif : %(r)s") % {
            "o": _orientation_label(orientation),
            "s": structure.name,
            "r": reason,
        }
    event_record(
        pathway=pathway,
        kind=EventKind.ORIENTATION_DECIDED,
        actor=acting_user,
        membership=membership,
        summary=summary,
        payload={
            "decision": decision.pk,
            "orientation": orientation,
            "structure": structure.pk,
            "referent": referent.pk if referent is not None else None,
            "request": request.pk if request is not None else None,
        },
    )
    audit_log(
        actor=acting_user,
        organisation=membership.organisation,
        action=AuditAction.CREATE,
        obj=decision,
        person=pathway.person,
        fields=["orientation", "structure", "referent"] if referent is not None else ["orientation", "structure"],
        reason=reason,
    )
    return decision


def reorientation_blocker(*, pathway: Pathway) -> str:
    """Why no re-orientation can be asked for now (French), or "" when one can: a request is already
    pending, or no orientation was decided yet. The request page says it before the form."""
    pending = pending_reorientation_request(pathway=pathway)
    if pending is not None:
        return _("Une demande de réorientation est déjà en attente depuis le %(d)s : attendez la réponse.") % {
            "d": timezone.localtime(pending.requested_at).strftime("%d/%m/%Y")
        }
    if pathway.orientation == Orientation.PENDING:
        return _(
            "Aucune orientation n'a encore été décidée : le parcours attend déjà la décision "
            "d'un·e chargé·e d'orientation."
        )
    return ""


@transaction.atomic
def reorientation_request(
    *, pathway: Pathway, proposed_orientation: str, reason: str, membership: Membership, acting_user
) -> ReorientationRequest:
    """A member of the follow-up group asks the chargé·e·s d'orientation of the département to
    change the orientation. One pending request per pathway (the pathway row lock serialises two
    askers; the partial unique index is the last line of defence)."""
    pathway = Pathway.objects.select_for_update(no_key=True).select_related("person").get(pk=pathway.pk)
    _require_open(pathway)
    seated = FollowUpMember.objects.filter(
        pathway=pathway,
        membership=membership,
        ended_at__isnull=True,
        membership__is_active=True,
        membership__organisation__is_active=True,
        membership__user__is_active=True,
    ).exists()
    if not seated:
        raise PermissionDenied(_("Seuls les membres du groupe de suivi peuvent demander une réorientation."))
    if blocker := reorientation_blocker(pathway=pathway):
        raise ValidationError(blocker)
    errors: dict = {}
    if proposed_orientation not in Orientation.values or proposed_orientation == Orientation.PENDING:
        errors["proposed_orientation"] = _("Choisissez l'orientation que vous proposez.")
    elif proposed_orientation == pathway.orientation:
        errors["proposed_orientation"] = _("Proposez une orientation différente de l'orientation actuelle.")
    if not reason.strip():
        errors["reason"] = _("Expliquez pourquoi vous demandez une réorientation.")
    errors.update(_reason_errors(reason, max_length=REASON_MAX_LENGTH))
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            request = ReorientationRequest.objects.create(
                pathway=pathway,
                requested_by=membership,
                proposed_orientation=proposed_orientation,
                reason=reason.strip(),
            )
    except IntegrityError as exc:  # pragma: no cover - guarded by the pathway row lock above
        raise ValidationError(_("Une demande de réorientation vient d'être envoyée ; rechargez la page.")) from exc
    membership = Membership.objects.select_related("user", "organisation").get(pk=membership.pk)
    event_record(
        pathway=pathway,
        kind=EventKind.REORIENTATION_REQUESTED,
        actor=acting_user,
        membership=membership,
        summary=_("%(who)s demande une réorientation %(from)s → %(to)s. Motif : %(r)s")
        % {
            "who": member_name(membership),
            "from": _orientation_label(pathway.orientation),
            "to": _orientation_label(proposed_orientation),
            "r": reason.strip(),
        },
        payload={"request": request.pk, "proposed_orientation": proposed_orientation},
    )
    audit_log(
        actor=acting_user,
        organisation=membership.organisation,
        action=AuditAction.CREATE,
        obj=request,
        person=pathway.person,
        reason=reason.strip(),
    )
    # The mail names no one: the chargé·e d'orientation reads the person on the page, where the
    # read is scoped and audited.
    notify(
        kind="reorientation_requested",
        subject=_("Demande de réorientation à examiner"),
        body=_(
            "%(who)s demande une réorientation (%(to)s) pour une personne de votre département. "
            "Répondez à la demande dans Parcours."
        )
        % {"who": member_name(membership), "to": _orientation_label(proposed_orientation)},
        url=reverse("orientation_request_decide", args=[pathway.pk, request.pk]),
        users=_officer_users_of(pathway.departement_id),
    )
    return request


@transaction.atomic
def reorientation_decide(
    *,
    request: ReorientationRequest,
    accept: bool,
    reason: str,
    membership: Membership,
    acting_user,
    structure: Organisation | None = None,
    referent: Membership | None = None,
) -> ReorientationRequest:
    """Accept (a new orientation decision, with its structure and referent, linked to the request)
    or refuse a re-orientation request, with a reason. The request row is locked: two chargé·e·s
    answering at once are serialised and the second one is told the request was answered."""
    request = (
        ReorientationRequest.objects.select_for_update(of=("self",), no_key=True)
        .select_related("requested_by__user", "requested_by__organisation")
        .get(pk=request.pk)
    )
    pathway = Pathway.objects.select_for_update(no_key=True).select_related("person").get(pk=request.pathway_id)
    _require_open(pathway)
    if not _is_orientation_officer_for(pathway=pathway, membership=membership):
        raise PermissionDenied(_("Seul·e un·e chargé·e d'orientation répond aux demandes de réorientation."))
    if request.status != ReorientationStatus.PENDING:
        raise ValidationError(
            _("Cette demande de réorientation a déjà reçu une réponse (%(s)s) : rechargez la page.")
            % {"s": str(request.get_status_display()).lower()}
        )
    if not reason.strip():
        raise ValidationError({"reason": _("Motivez votre réponse à la demande de réorientation.")})
    if errors := _reason_errors(reason, max_length=REASON_MAX_LENGTH):
        raise ValidationError(errors)
    now = timezone.now()
    if accept:
        orientation_decide(
            pathway=pathway,
            orientation=request.proposed_orientation,
            structure=structure,
            referent=referent,
            reason=reason,
            membership=membership,
            acting_user=acting_user,
            request=request,
        )
    request.status = ReorientationStatus.ACCEPTED if accept else ReorientationStatus.REFUSED
    request.decided_by, request.decided_at, request.decision_reason = acting_user, now, reason.strip()
    request.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    status_label = str(request.get_status_display()).lower()
    event_record(
        pathway=pathway,
        kind=EventKind.REORIENTATION_DECIDED,
        actor=acting_user,
        membership=membership,
        summary=_("Demande de réorientation (%(to)s) de %(who)s : %(status)s. Motif : %(r)s")
        % {
            "to": _orientation_label(request.proposed_orientation),
            "who": member_name(request.requested_by),
            "status": status_label,
            "r": reason.strip(),
        },
        payload={"request": request.pk, "accepted": accept},
    )
    audit_log(
        actor=acting_user,
        organisation=membership.organisation,
        action=AuditAction.UPDATE,
        obj=request,
        person=pathway.person,
        fields=["status", "decision_reason"],
        reason=reason.strip(),
    )
    notify(
        kind="reorientation_decided",
        subject=_("Votre demande de réorientation a été %(status)s") % {"status": status_label},
        body=_("Votre demande de réorientation (%(to)s) a été %(status)s. Motif : %(r)s")
        % {"to": _orientation_label(request.proposed_orientation), "status": status_label, "r": reason.strip()},
        url=reverse("pathway_orientation", args=[pathway.pk]),
        users=[request.requested_by.user],
    )
    return request


# --- reads --------------------------------------------------------------------------------------


def orientation_work_queue(*, membership: Membership | None) -> QuerySet[Pathway]:
    """For a chargé·e d'orientation: the open pathways of the départements they hold an active grant
    on that await a first orientation or have a pending re-orientation request, oldest wait first.
    Each row carries `waiting_since` (opening of the pathway, or the request), `waiting_days`,
    `pending_request_id` and `proposed_orientation` (None for a first orientation). One query."""
    if membership is None or membership.role != Role.CHARGE_ORIENTATION:
        return Pathway.objects.none()
    granted = TerritoryGrant.objects.filter(
        membership=membership,
        revoked_at__isnull=True,
        membership__is_active=True,
        membership__organisation__is_active=True,
        membership__user__is_active=True,
    ).values("departement_id")
    pending = ReorientationRequest.objects.filter(pathway=OuterRef("pk"), status=ReorientationStatus.PENDING)
    return (
        Pathway.objects.filter(departement_id__in=granted, status=PathwayStatus.OPEN)
        .annotate(
            pending_request_id=Subquery(pending.values("pk")[:1]),
            proposed_orientation=Subquery(pending.values("proposed_orientation")[:1]),
            requested_at=Subquery(pending.values("requested_at")[:1], output_field=DateTimeField()),
        )
        .filter(Q(orientation=Orientation.PENDING) | Q(pending_request_id__isnull=False))
        .annotate(waiting_since=Coalesce(F("requested_at"), F("opened_at"), output_field=DateTimeField()))
        .annotate(
            waiting_days=ExtractDay(
                ExpressionWrapper(Now() - F("waiting_since"), output_field=DurationField()),
            )
        )
        .select_related("person", "person__commune")
        .order_by("waiting_since", "id")
    )


def orientation_history(*, pathway: Pathway) -> QuerySet[OrientationDecision]:
    """The pathway's orientation decisions, latest first (for a reader of the pathway)."""
    return OrientationDecision.objects.filter(pathway=pathway).select_related(
        "structure", "referent__user", "decided_by", "request"
    )


def reorientation_requests_of(*, pathway: Pathway) -> QuerySet[ReorientationRequest]:
    """The pathway's re-orientation requests, latest first (for a reader of the pathway)."""
    return (
        ReorientationRequest.objects.filter(pathway=pathway)
        .select_related("requested_by__user", "requested_by__organisation", "decided_by")
        .order_by("-requested_at", "-id")
    )


def pending_reorientation_request(*, pathway: Pathway) -> ReorientationRequest | None:
    return reorientation_requests_of(pathway=pathway).filter(status=ReorientationStatus.PENDING).first()


def structure_choices(*, pathway: Pathway) -> QuerySet[Organisation]:
    """Accompanying structures a decision may name: active organisations of the pathway's département."""
    return Organisation.objects.filter(departement_id=pathway.departement_id, is_active=True).order_by("name")


def referent_choices(*, pathway: Pathway) -> QuerySet[Membership]:
    """Professionals a decision may name as referent: live accounts with an accompanying role in an
    active organisation of the pathway's département (the service checks they belong to the
    chosen structure)."""
    return (
        Membership.objects.active()
        .filter(
            organisation__departement_id=pathway.departement_id,
            role__in=ACCOMPANYING_ROLES,
            user__is_active=True,
        )
        .select_related("user", "organisation")
        .order_by("organisation__name", "user__last_name", "user__first_name", "id")
    )
