from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parcours.diagnostics.enums import Theme
from parcours.organisations.models import Membership, Organisation
from parcours.people.models import Person
from parcours.territories.models import Departement

from .enums import (
    ActionKind,
    ActionStatus,
    AlertAssignee,
    AppointmentMode,
    AppointmentStatus,
    BreakKind,
    EventKind,
    GoalStatus,
    JoinRequestStatus,
    Orientation,
    PathwayStatus,
    ReorientationStatus,
)

NOTE_MAX_LENGTH = 5000


class Pathway(models.Model):
    """The shared record of one person's accompaniment. At most one open pathway per person."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="pathways")
    status = models.CharField(_("statut"), max_length=16, choices=PathwayStatus.choices, default=PathwayStatus.OPEN)
    orientation = models.CharField(
        _("orientation"), max_length=32, choices=Orientation.choices, default=Orientation.PENDING
    )
    # Département of the person when the pathway was opened: territory scoping happens on it.
    departement = models.ForeignKey(Departement, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closure_reason = models.CharField(_("motif de clôture"), max_length=300, blank=True)
    last_activity_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("parcours")
        verbose_name_plural = _("parcours")
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(status=PathwayStatus.OPEN), name="pathway_one_open_per_person"
            ),
            models.CheckConstraint(
                condition=Q(status=PathwayStatus.OPEN, closed_at__isnull=True)
                | Q(status=PathwayStatus.CLOSED, closed_at__isnull=False),
                name="pathway_closed_iff_closed_at",
            ),
        ]
        indexes = [models.Index(fields=["departement", "orientation", "status"], name="pathway_territory_idx")]

    def __str__(self) -> str:
        return _("Parcours de %(person)s") % {"person": self.person}


class FollowUpMember(models.Model):
    """A professional (through one membership) in a pathway's follow-up group, for a period.
    Exactly one active member is the referent; the database refuses a second one."""

    pathway = models.ForeignKey(Pathway, on_delete=models.CASCADE, related_name="members")
    membership = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="follow_ups")
    is_referent = models.BooleanField(_("référent·e"), default=False)
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    start_reason = models.CharField(_("motif d'entrée"), max_length=300, blank=True)
    end_reason = models.CharField(_("motif de sortie"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("membre du groupe de suivi")
        constraints = [
            models.UniqueConstraint(
                fields=["pathway"],
                condition=Q(is_referent=True, ended_at__isnull=True),
                name="follow_up_one_active_referent",
            ),
            models.UniqueConstraint(
                fields=["pathway", "membership"],
                condition=Q(ended_at__isnull=True),
                name="follow_up_one_active_seat_per_membership",
            ),
        ]
        indexes = [
            models.Index(
                fields=["membership", "pathway"], condition=Q(ended_at__isnull=True), name="follow_up_active_idx"
            )
        ]


class ReferentHandover(models.Model):
    """An explicit change of referent, with its reason and the note handed to the next referent."""

    pathway = models.ForeignKey(Pathway, on_delete=models.CASCADE, related_name="handovers")
    previous = models.ForeignKey(FollowUpMember, on_delete=models.PROTECT, null=True, related_name="+")
    new = models.ForeignKey(FollowUpMember, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("motif"), max_length=300)
    handover_note = models.TextField(_("note de passation"), validators=[MaxLengthValidator(NOTE_MAX_LENGTH)])
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at"]


class Goal(models.Model):
    pathway = models.ForeignKey(Pathway, on_delete=models.CASCADE, related_name="goals")
    theme = models.CharField(_("thème"), max_length=32, choices=Theme.choices)
    text = models.CharField(_("objectif"), max_length=300)
    agreed_by_person = models.BooleanField(_("validé avec la personne"), default=False)
    status = models.CharField(_("statut"), max_length=16, choices=GoalStatus.choices, default=GoalStatus.IN_PROGRESS)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("objectif")
        ordering = ["created_at", "id"]


class Action(models.Model):
    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="actions")
    text = models.CharField(_("action"), max_length=300)
    kind = models.CharField(_("type d'action"), max_length=32, choices=ActionKind.choices, default=ActionKind.OTHER)
    status = models.CharField(_("statut"), max_length=16, choices=ActionStatus.choices, default=ActionStatus.PLANNED)
    # When the action reached a finished status (done, abandoned, cancelled): the break rules read it.
    finished_at = models.DateTimeField(null=True, blank=True)
    due_on = models.DateField(_("échéance"), null=True, blank=True)
    done_on = models.DateField(_("réalisée le"), null=True, blank=True)
    carried_by = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("portée par"),
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("action")
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(done_on__isnull=True) | Q(status=ActionStatus.DONE), name="action_done_on_only_when_done"
            ),
        ]


class Appointment(models.Model):
    pathway = models.ForeignKey(Pathway, on_delete=models.CASCADE, related_name="appointments")
    starts_at = models.DateTimeField(_("date et heure"))
    duration_minutes = models.PositiveSmallIntegerField(_("durée (minutes)"), default=45)
    mode = models.CharField(_("modalité"), max_length=16, choices=AppointmentMode.choices)
    with_member = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+", verbose_name=_("avec"))
    subject = models.CharField(_("objet"), max_length=200)
    place = models.CharField(_("lieu"), max_length=200, blank=True)
    interpreter_booked = models.BooleanField(_("interprète réservé"), default=False)
    status = models.CharField(
        _("statut"), max_length=16, choices=AppointmentStatus.choices, default=AppointmentStatus.PLANNED
    )

    class Meta:
        verbose_name = _("rendez-vous")
        ordering = ["starts_at"]


class Note(models.Model):
    pathway = models.ForeignKey(Pathway, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("note"), validators=[MaxLengthValidator(NOTE_MAX_LENGTH)])
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("note")
        ordering = ["-created_at"]


class Event(models.Model):
    """The pathway's timeline, append-only. `summary` is written for a reader of the pathway and
    never carries sensitive data (sensitive changes say only which category changed)."""

    # Indexed by event_pathway_at_idx (pathway, -at), which also serves lookups by pathway alone.
    pathway = models.ForeignKey(Pathway, on_delete=models.CASCADE, related_name="events", db_index=False)
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=32, choices=EventKind.choices)
    # Not indexed: the timeline is read by pathway only (event_pathway_at_idx).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+", db_index=False
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, related_name="+", db_index=False
    )
    summary = models.CharField(max_length=500)
    payload = models.JSONField(default=dict, blank=True)
    # The sensitive data category the event is about ("" for ordinary ones): readers without
    # consent for it do not see the event at all.
    category = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["pathway", "-at"], name="event_pathway_at_idx")]


class JoinRequest(models.Model):
    """A professional outside the group asks to join it; the referent (or the person) agrees."""

    pathway = models.ForeignKey(Pathway, on_delete=models.CASCADE, related_name="join_requests")
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("motif"), max_length=300)
    status = models.CharField(max_length=16, choices=JoinRequestStatus.choices, default=JoinRequestStatus.PENDING)
    requested_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["pathway", "membership"],
                condition=Q(status=JoinRequestStatus.PENDING),
                name="join_request_one_pending",
            ),
        ]


class BreakGlassAccess(models.Model):
    """A platform administrator's exceptional, reasoned and time-limited read access to a pathway.
    Shown in the person's access log."""

    pathway = models.ForeignKey(Pathway, on_delete=models.CASCADE, related_name="break_glass_accesses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("motif"), max_length=500)
    opened_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()


class OrientationDecision(models.Model):
    """A chargé·e d'orientation's decision: the accompaniment, the accompanying structure and the
    referent. The latest one is the pathway's orientation; earlier ones stay as history."""

    pathway = models.ForeignKey(Pathway, on_delete=models.CASCADE, related_name="orientation_decisions")
    orientation = models.CharField(_("orientation"), max_length=32, choices=Orientation.choices)
    structure = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("structure d'accompagnement")
    )
    referent = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("référent·e")
    )
    reason = models.CharField(_("motif"), max_length=500)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)
    # Set when the decision answers a re-orientation request.
    request = models.OneToOneField(
        "ReorientationRequest", on_delete=models.PROTECT, null=True, blank=True, related_name="decision"
    )

    class Meta:
        verbose_name = _("décision d'orientation")
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(orientation=Orientation.PENDING), name="orientation_decision_not_pending"
            )
        ]


class ReorientationRequest(models.Model):
    """A professional asks the chargé·e d'orientation to change the person's orientation."""

    pathway = models.ForeignKey(Pathway, on_delete=models.CASCADE, related_name="reorientation_requests")
    requested_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    proposed_orientation = models.CharField(_("orientation proposée"), max_length=32, choices=Orientation.choices)
    reason = models.CharField(_("motif"), max_length=500)
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=16, choices=ReorientationStatus.choices, default=ReorientationStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(_("motif de la réponse"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("demande de réorientation")
        constraints = [
            models.UniqueConstraint(
                fields=["pathway"],
                condition=Q(status=ReorientationStatus.PENDING),
                name="reorientation_one_pending_per_pathway",
            ),
            models.CheckConstraint(
                condition=Q(status=ReorientationStatus.PENDING)
                | (Q(decided_at__isnull=False) & ~Q(decision_reason="")),
                name="reorientation_decided_with_reason",
            ),
        ]


class PathwayAlert(models.Model):
    """A pathway break caught by the scan. Opened when a rule matches, closed by the scan itself when
    the condition clears; at most one open alert per (pathway, kind, subject)."""

    pathway = models.ForeignKey(Pathway, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(_("type"), max_length=32, choices=BreakKind.choices)
    # What the alert is about within the pathway ("referral:12", "action:40"), or "" for the pathway.
    subject = models.CharField(max_length=64, blank=True, default="")
    # Since when the condition holds (not when the scan saw it).
    since = models.DateTimeField(_("depuis"))
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Who should act: the referent's seat, or the chargé·e d'orientation of the département.
    assignee = models.CharField(max_length=16, choices=AlertAssignee.choices)
    assignee_membership = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts_to_handle"
    )
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("alerte de rupture")
        constraints = [
            models.UniqueConstraint(
                fields=["pathway", "kind", "subject"],
                condition=Q(closed_at__isnull=True),
                name="alert_one_open_per_subject",
            ),
        ]
        indexes = [
            models.Index(
                fields=["assignee_membership"], condition=Q(closed_at__isnull=True), name="alert_open_assignee_idx"
            ),
            models.Index(fields=["kind"], condition=Q(closed_at__isnull=True), name="alert_open_kind_idx"),
            models.Index(fields=["pathway"], name="alert_pathway_idx"),
        ]
