from django.db import models
from django.utils.translation import gettext_lazy as _


class PathwayStatus(models.TextChoices):
    OPEN = "open", _("En cours")
    CLOSED = "closed", _("Clos")


class Orientation(models.TextChoices):
    """The accompaniment decided for the person (orientation RSA / France Travail)."""

    PENDING = "pending", _("En attente d'orientation")
    PROFESSIONAL = "professional", _("Professionnelle")
    SOCIO_PROFESSIONAL = "socio_professional", _("Socio-professionnelle")
    SOCIAL = "social", _("Sociale")


class GoalStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("En cours")
    ACHIEVED = "achieved", _("Atteint")
    ABANDONED = "abandoned", _("Abandonné")


class ActionStatus(models.TextChoices):
    PLANNED = "planned", _("Prévue")
    IN_PROGRESS = "in_progress", _("En cours")
    DONE = "done", _("Réalisée")
    ABANDONED = "abandoned", _("Abandonnée")
    CANCELLED = "cancelled", _("Annulée")


# Allowed action transitions: a finished action is not reopened; a new action is created instead
# so that the history stays readable.
ACTION_TRANSITIONS = {
    ActionStatus.PLANNED: {ActionStatus.IN_PROGRESS, ActionStatus.DONE, ActionStatus.ABANDONED, ActionStatus.CANCELLED},
    ActionStatus.IN_PROGRESS: {ActionStatus.DONE, ActionStatus.ABANDONED, ActionStatus.CANCELLED},
    ActionStatus.DONE: set(),
    ActionStatus.ABANDONED: set(),
    ActionStatus.CANCELLED: set(),
}
FINISHED_ACTION_STATUSES = frozenset({ActionStatus.DONE, ActionStatus.ABANDONED, ActionStatus.CANCELLED})


class AppointmentMode(models.TextChoices):
    IN_PERSON = "in_person", _("Sur place")
    PHONE = "phone", _("Téléphone")
    VIDEO = "video", _("Visio")
    HOME = "home", _("À domicile")


class AppointmentStatus(models.TextChoices):
    PLANNED = "planned", _("Prévu")
    HELD = "held", _("Honoré")
    MISSED = "missed", _("Non honoré")
    CANCELLED = "cancelled", _("Annulé")


class JoinRequestStatus(models.TextChoices):
    PENDING = "pending", _("En attente")
    ACCEPTED = "accepted", _("Acceptée")
    REFUSED = "refused", _("Refusée")


class EventKind(models.TextChoices):
    PATHWAY_OPENED = "pathway_opened", _("Parcours ouvert")
    PATHWAY_CLOSED = "pathway_closed", _("Parcours clos")
    PERSON_UPDATED = "person_updated", _("Fiche mise à jour")
    DIAGNOSTIC_RECORDED = "diagnostic_recorded", _("Diagnostic enregistré")
    CIR_UPDATED = "cir_updated", _("Contrat d'intégration mis à jour")
    MEMBER_ADDED = "member_added", _("Membre ajouté au groupe de suivi")
    MEMBER_LEFT = "member_left", _("Membre sorti du groupe de suivi")
    REFERENT_CHANGED = "referent_changed", _("Changement de référent")
    GOAL_ADDED = "goal_added", _("Objectif ajouté")
    GOAL_UPDATED = "goal_updated", _("Objectif mis à jour")
    ACTION_ADDED = "action_added", _("Action ajoutée")
    ACTION_UPDATED = "action_updated", _("Action mise à jour")
    APPOINTMENT_ADDED = "appointment_added", _("Rendez-vous planifié")
    APPOINTMENT_UPDATED = "appointment_updated", _("Rendez-vous mis à jour")
    NOTE_ADDED = "note_added", _("Note ajoutée")
    CONSENT_RECORDED = "consent_recorded", _("Consentement enregistré")
    JOIN_REQUESTED = "join_requested", _("Demande pour rejoindre le groupe")
    JOIN_DECIDED = "join_decided", _("Réponse à une demande d'accès")
    ORIENTATION_DECIDED = "orientation_decided", _("Orientation décidée")
    BREAK_GLASS = "break_glass", _("Accès exceptionnel administrateur")
    REORIENTATION_REQUESTED = "reorientation_requested", _("Demande de réorientation")
    REORIENTATION_DECIDED = "reorientation_decided", _("Réponse à une demande de réorientation")
    REFERRAL_SENT = "referral_sent", _("Prescription envoyée")
    REFERRAL_UPDATED = "referral_updated", _("Prescription mise à jour")
    ALERT_OPENED = "alert_opened", _("Alerte de rupture ouverte")
    ALERT_CLOSED = "alert_closed", _("Alerte de rupture levée")
    ENROLMENT_UPDATED = "enrolment_updated", _("Programme : candidature ou inscription")
    PROGRAMME_PROGRESS = "programme_progress", _("Programme : étape, certification ou contrat")
    SURVEY_RECORDED = "survey_recorded", _("Programme : enquête de suivi")
    VAE_UPDATED = "vae_updated", _("Parcours VAE mis à jour")
    PROJECT_JOINED = "project_joined", _("Participation à un projet financé")
    RECOMMENDATION_DECIDED = "recommendation_decided", _("Piste retenue, écartée ou réaffichée")


class ActionKind(models.TextChoices):
    """Actions the break rules recognise; everything else is "other"."""

    OTHER = "other", _("Autre action")
    PERMIT_RENEWAL = "permit_renewal", _("Renouvellement du titre de séjour")
    FRENCH_COURSE = "french_course", _("Cours de français (CIR)")


class ReorientationStatus(models.TextChoices):
    PENDING = "pending", _("En attente")
    ACCEPTED = "accepted", _("Acceptée")
    REFUSED = "refused", _("Refusée")


class BreakKind(models.TextChoices):
    """The ways a pathway breaks (ruptures de parcours), each detected by one rule of the scan."""

    NO_REFERENT = "no_referent", _("Sans référent·e")
    INACTIVE = "inactive", _("Sans activité")
    REFERRAL_UNANSWERED = "referral_unanswered", _("Prescription sans réponse")
    REFERRAL_REFUSED = "referral_refused", _("Prescription refusée sans nouvelle proposition")
    NO_NEXT_STEP = "no_next_step", _("Action, prescription ou programme terminé sans suite prévue")
    PERMIT_EXPIRING = "permit_expiring", _("Titre de séjour à renouveler")
    CIR_FRENCH_NOT_STARTED = "cir_french_not_started", _("Cours de français du CIR non commencés")


class AlertAssignee(models.TextChoices):
    REFERENT = "referent", _("Référent·e")
    ORIENTATION = "orientation", _("Chargé·e d'orientation")
