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

from .enums import (
    BatchKind,
    BatchStatus,
    DismissReason,
    FeedbackDecision,
    ModelStatus,
    RecommendationKind,
    ScoreSource,
)

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


class OutcomeModel(models.Model):
    """A trained outcome model: the probability that a candidate placed in a session leaves the
    programme with a positive outcome. Stored as numbers (coefficients, scaling, Platt calibration),
    never as a pickle, with its measured quality. `programme` None: trained on every programme."""

    programme = models.ForeignKey(
        "programmes.Programme", on_delete=models.CASCADE, null=True, blank=True, related_name="outcome_models"
    )
    status = models.CharField(max_length=16, choices=ModelStatus.choices)
    trained_at = models.DateTimeField(default=timezone.now)
    trained_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    n_samples = models.PositiveIntegerField(default=0)
    n_positive = models.PositiveIntegerField(default=0)
    # Cross-validated quality: AUC (mean and per fold), Brier score, calibration bins
    # [{"predicted": .., "observed": .., "n": ..}].
    auc = models.FloatField(null=True, blank=True)
    auc_folds = models.JSONField(default=list, blank=True)
    brier = models.FloatField(null=True, blank=True)
    calibration = models.JSONField(default=list, blank=True)
    features = models.JSONField(default=list, blank=True)
    params = models.JSONField(default=dict, blank=True)
    message = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("modèle de réussite")
        ordering = ["-trained_at", "-pk"]


class PlacementBatch(models.Model):
    """One placement run for a programme: its candidates (lines), settings, the proposed assignment,
    its fairness report, then the planner's validation, which turns it into enrolments."""

    programme = models.ForeignKey("programmes.Programme", on_delete=models.PROTECT, related_name="placement_batches")
    kind = models.CharField(max_length=8, choices=BatchKind.choices, default=BatchKind.BATCH)
    status = models.CharField(_("état"), max_length=16, choices=BatchStatus.choices, default=BatchStatus.DRAFT)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    # Optional balancing, in % of a session's (or a territory's) free places:
    # {"session_min": 0-100, "session_max": 0-100, "territory_min": .., "territory_max": ..}.
    balancing = models.JSONField(_("équilibrage"), default=dict, blank=True)
    seed = models.PositiveIntegerField(default=0)
    solver = models.CharField(max_length=16, blank=True)  # "flow", "mip" or "online"
    proven_optimal = models.BooleanField(default=False)
    objective = models.FloatField(null=True, blank=True)
    score_source = models.CharField(max_length=16, choices=ScoreSource.choices, blank=True)
    outcome_model = models.ForeignKey(OutcomeModel, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # The binding constraints when not everybody could be placed (French sentences), and the report
    # comparing the optimiser with first-come first-served and random assignment.
    infeasibility = models.JSONField(default=list, blank=True)
    report = models.JSONField(default=dict, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True)
    validated_at = models.DateTimeField(null=True, blank=True)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("affectation")
        ordering = ["-created_at", "-pk"]


class PlacementLine(models.Model):
    """One candidate of a batch: preferences (set before solving), the proposal with its
    explanation, the planner's override, and the enrolment it became."""

    batch = models.ForeignKey(PlacementBatch, on_delete=models.CASCADE, related_name="lines")
    pathway = models.ForeignKey(Pathway, on_delete=models.PROTECT, related_name="+")
    # The open candidacy the line comes from (moved to the chosen session at validation).
    candidacy = models.ForeignKey(
        "programmes.Enrolment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    arrived_at = models.DateTimeField(default=timezone.now)  # candidacy date: the first-come order
    # Preferences and constraints, editable before solving.
    household = models.CharField(_("foyer"), max_length=20, blank=True)
    accepts_move = models.BooleanField(_("accepte de déménager"), default=False)
    needs_childcare = models.BooleanField(_("a besoin d'une garde d'enfants"), default=False)
    preferred_sessions = models.JSONField(_("sessions souhaitées"), default=list, blank=True)
    refused_sessions = models.JSONField(_("sessions refusées"), default=list, blank=True)
    # The proposal and its explanation.
    proposed_session = models.ForeignKey(
        "programmes.Session", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    predicted = models.FloatField(null=True, blank=True)
    factors = models.JSONField(default=list, blank=True)  # [{"label": .., "effect": ..}]
    price = models.FloatField(null=True, blank=True)
    excluded = models.JSONField(default=list, blank=True)  # [{"session": id, "label": .., "constraint": code}]
    next_best = models.JSONField(default=dict, blank=True)  # {"session": id, "label": .., "predicted": ..}
    unplaced_reason = models.CharField(max_length=500, blank=True)
    # The planner's decision.
    final_session = models.ForeignKey(
        "programmes.Session", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    override_reason = models.CharField(_("motif de la modification"), max_length=500, blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    overridden_at = models.DateTimeField(null=True, blank=True)
    enrolment = models.ForeignKey(
        "programmes.Enrolment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("candidat·e d'une affectation")
        ordering = ["batch", "arrived_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["batch", "pathway"], name="placement_line_unique")]


class PlacementPrices(models.Model):
    """Prices per session for the online mode: the dual values of the capacity constraints of the
    assignment LP solved on the expected arrivals, refreshed on a schedule."""

    programme = models.ForeignKey("programmes.Programme", on_delete=models.CASCADE, related_name="placement_prices")
    computed_at = models.DateTimeField(default=timezone.now)
    expected_arrivals = models.PositiveIntegerField(default=0)
    prices = models.JSONField(default=dict)  # {"<session id>": price}
    score_source = models.CharField(max_length=16, choices=ScoreSource.choices, blank=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("prix des sessions")
        ordering = ["-computed_at", "-pk"]
