"""Referrals (prescriptions / mises en relation): a pathway sends the person to a service of the
directory, for a goal or a need, with a sharing profile; the receiving organisation answers within
the service's SLA, and the referral ends with an outcome. Every move is logged."""

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parcours.diagnostics.enums import Theme
from parcours.directory.models import Service
from parcours.organisations.models import Membership, Organisation
from parcours.pathways.models import Goal, Pathway

from .enums import LinkPurpose, ReferralOutcome, ReferralStatus, RefusalReason, TransitionChannel

MESSAGE_MAX_LENGTH = 2000


class Referral(models.Model):
    pathway = models.ForeignKey(Pathway, on_delete=models.PROTECT, related_name="referrals")
    # The need the referral answers: the diagnostic theme (always), and the goal when sent for one.
    # "The same need" for the break rules is (pathway, theme).
    theme = models.CharField(_("besoin"), max_length=32, choices=Theme.choices)
    goal = models.ForeignKey(
        Goal, on_delete=models.SET_NULL, null=True, blank=True, related_name="referrals", verbose_name=_("objectif")
    )
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="referrals", verbose_name=_("service"))
    # The organisation that answers in Parcours (the service's operator when sent); NULL when the
    # structure has no Parcours account: it answers through a signed link sent to `recipient_email`.
    recipient_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals_received"
    )
    recipient_email = models.EmailField(_("courriel du destinataire"), blank=True)
    sender = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="referrals_sent")
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    message = models.TextField(_("message"), validators=[MaxLengthValidator(MESSAGE_MAX_LENGTH)])
    # Sharing profile: the data categories that travel with the referral, and what they held when
    # sent (the recipient reads this snapshot, never the live record).
    shared_categories = models.JSONField(_("données partagées"), default=list)
    shared_data = models.JSONField(default=dict, blank=True)
    # Sensitive categories sent without the person's consent for this recipient: who decided and why.
    override_reason = models.CharField(_("motif de la dérogation"), max_length=500, blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The person agreed that the professional who takes them in joins their follow-up group.
    person_agrees_follow_up = models.BooleanField(_("accord pour rejoindre le groupe de suivi"), default=False)

    status = models.CharField(_("état"), max_length=16, choices=ReferralStatus.choices, default=ReferralStatus.SENT)
    sent_at = models.DateTimeField(default=timezone.now)
    sla_days = models.PositiveSmallIntegerField(_("délai de réponse (jours)"))
    due_at = models.DateTimeField(_("réponse attendue avant le"))
    status_changed_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="referrals_answered"
    )
    refusal_reason = models.CharField(_("motif du refus"), max_length=32, choices=RefusalReason.choices, blank=True)
    refusal_detail = models.CharField(_("précision"), max_length=500, blank=True)
    outcome = models.CharField(_("issue"), max_length=32, choices=ReferralOutcome.choices, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("prescription")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ReferralStatus.values), name="referral_status_valid"),
            models.CheckConstraint(
                condition=~Q(status=ReferralStatus.REFUSED) | ~Q(refusal_reason=""), name="referral_refusal_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(refusal_reason=RefusalReason.OTHER) | ~Q(refusal_detail=""),
                name="referral_other_reason_has_detail",
            ),
            models.CheckConstraint(
                condition=~Q(status=ReferralStatus.CLOSED) | (~Q(outcome="") & Q(closed_at__isnull=False)),
                name="referral_closed_has_outcome",
            ),
            models.CheckConstraint(
                condition=Q(overridden_by__isnull=True) | ~Q(override_reason=""), name="referral_override_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(recipient_organisation__isnull=False) | ~Q(recipient_email=""),
                name="referral_has_a_recipient",
            ),
            models.CheckConstraint(condition=Q(sla_days__gte=1), name="referral_sla_at_least_one_day"),
        ]
        indexes = [
            # The inbox: one organisation's referrals by state and deadline.
            models.Index(fields=["recipient_organisation", "status", "due_at"], name="referral_inbox_idx"),
            # The inbox without a state filter, in its display order (latest deadline first).
            models.Index(fields=["recipient_organisation", "-due_at", "-id"], name="referral_inbox_due_idx"),
            # The SLA sweep and the break scan: referrals awaiting an answer, by deadline.
            models.Index(fields=["due_at"], condition=Q(status__in=["sent", "seen"]), name="referral_awaiting_due_idx"),
            models.Index(fields=["pathway", "theme", "sent_at"], name="referral_pathway_need_idx"),
            models.Index(fields=["sender", "sent_at"], name="referral_sender_idx"),
        ]

    def __str__(self) -> str:
        return _("Prescription n° %(id)s vers %(service)s") % {"id": self.pk, "service": self.service_id}


class ReferralTransition(models.Model):
    """Append-only log of every move: who (a user, a link, or the system), when, why."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=16, choices=ReferralStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=ReferralStatus.choices)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, null=True, related_name="+")
    channel = models.CharField(max_length=16, choices=TransitionChannel.choices, default=TransitionChannel.APP)
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("changement d'état de prescription")
        ordering = ["at", "id"]
        constraints = [
            # No transition twice: a referral enters each state at most once.
            models.UniqueConstraint(fields=["referral", "to_status"], name="referral_transition_once"),
        ]


class ReferralLink(models.Model):
    """A signed, single-purpose link for a structure without a Parcours account. The token carries
    this row's id and nonce; the row says what the link may do, until when, and whether it was used."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="links")
    purpose = models.CharField(max_length=16, choices=LinkPurpose.choices)
    nonce = models.CharField(max_length=32, unique=True)
    email = models.EmailField()
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("lien de réponse")
        constraints = [
            models.UniqueConstraint(
                fields=["referral", "purpose"],
                condition=Q(used_at__isnull=True),
                name="referral_link_one_live_per_purpose",
            ),
        ]
