"""E-mail notifications: each one is a row first (so a digest can gather them and nothing is lost
if the mail server is down), then sent by a background task after the transaction commits."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DeliveryMode(models.TextChoices):
    IMMEDIATE = "immediate", _("Un courriel à chaque événement")
    DIGEST = "digest", _("Un récapitulatif par jour")


class NotificationPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    mode = models.CharField(_("réception"), max_length=16, choices=DeliveryMode.choices, default=DeliveryMode.IMMEDIATE)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("préférence de notification")


class Notification(models.Model):
    # A user of Parcours, or an address outside it (a structure answering through a signed link).
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    email = models.EmailField()
    kind = models.CharField(max_length=48)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # Held for the daily digest rather than sent on its own.
    digest = models.BooleanField(default=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("notification")
        constraints = [
            models.CheckConstraint(
                condition=Q(recipient__isnull=False) | Q(digest=False), name="notification_digest_needs_user"
            )
        ]
        indexes = [
            models.Index(
                fields=["recipient", "created_at"], condition=Q(sent_at__isnull=True), name="notification_unsent_idx"
            ),
        ]
