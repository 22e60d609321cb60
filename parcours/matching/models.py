"""What the recommendations need to persist: the editable mapping from diagnostic themes to
data·inclusion thématiques, and the counsellors' decisions on proposals (accepted or dismissed,
with a reason) that measure how useful the recommendations are. The ranking itself is pure
(parcours/matching/scoring.py) and computed on each read."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parcours.diagnostics.enums import Theme
from parcours.organisations.models import Organisation
from parcours.pathways.models import Pathway
from parcours.territories.models import Departement

from .enums import DismissReason, FeedbackDecision, RecommendationKind

NOTE_MAX_LENGTH = 500


class ThemeThematique(models.Model):
    """One data·inclusion thématique answering a need of the diagnostic. Seeded from
    parcours/directory/mapping.py; a platform administrator edits it."""

    theme = models.CharField(_("thème du diagnostic"), max_length=32, choices=Theme.choices)
    thematique = models.CharField(_("thématique data·inclusion"), max_length=150)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")

    class Meta:
        verbose_name = _("correspondance thème → thématique")
        ordering = ["theme", "thematique"]
        constraints = [models.UniqueConstraint(fields=["theme", "thematique"], name="theme_thematique_unique")]


class RecommendationFeedback(models.Model):
    """A counsellor's decision on one proposal for one pathway. `key` identifies the proposal within
    its kind: a ROME code (job), a service id (service), a programme code (programme). A decision can
    be revoked ("show it again"): it stays, with `revoked_at`, and still counts in no rate."""

    pathway = models.ForeignKey(Pathway, on_delete=models.CASCADE, related_name="recommendation_feedback")
    kind = models.CharField(_("nature"), max_length=16, choices=RecommendationKind.choices)
    key = models.CharField(_("proposition"), max_length=64)
    label = models.CharField(_("intitulé"), max_length=255)
    # For a service: the diagnostic theme it answered (a health-themed decision is shown only to
    # readers whose consent covers health).
    theme = models.CharField(_("thème du diagnostic"), max_length=32, choices=Theme.choices, blank=True)
    decision = models.CharField(_("décision"), max_length=16, choices=FeedbackDecision.choices)
    reason = models.CharField(_("motif"), max_length=32, choices=DismissReason.choices, blank=True)
    note = models.TextField(_("précision"), max_length=NOTE_MAX_LENGTH, blank=True)
    # The proposal's score and rank when it was decided on (None when decided outside the list).
    score = models.FloatField(null=True, blank=True)
    rank = models.PositiveSmallIntegerField(null=True, blank=True)
    decided_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    # The person's département when decided: the territory the rate is shown to.
    departement = models.ForeignKey(Departement, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    # What an accepted proposal became.
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    enrolment = models.ForeignKey(
        "programmes.Enrolment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("décision sur une proposition")
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["pathway", "kind", "key"],
                condition=Q(revoked_at__isnull=True),
                name="feedback_one_active_per_proposal",
            ),
            models.CheckConstraint(
                condition=(Q(decision="dismissed") & ~Q(reason="")) | (Q(decision="accepted") & Q(reason="")),
                name="feedback_reason_iff_dismissed",
            ),
            models.CheckConstraint(
                condition=~Q(reason="other") | ~Q(note=""),
                name="feedback_other_reason_has_note",
            ),
        ]
        indexes = [models.Index(fields=["departement", "kind", "decided_at"], name="feedback_by_territory")]
