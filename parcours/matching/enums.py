from django.db import models
from django.utils.translation import gettext_lazy as _


class RecommendationKind(models.TextChoices):
    JOB = "job", _("Métier")
    SERVICE = "service", _("Service")
    PROGRAMME = "programme", _("Programme")


class FeedbackDecision(models.TextChoices):
    ACCEPTED = "accepted", _("Retenue")
    DISMISSED = "dismissed", _("Écartée")


class DismissReason(models.TextChoices):
    NOT_RELEVANT = "not_relevant", _("Ne correspond pas au projet de la personne")
    PERSON_REFUSES = "person_refuses", _("La personne ne le souhaite pas")
    ALREADY_DONE = "already_done", _("Déjà fait ou déjà en cours")
    TOO_FAR = "too_far", _("Trop loin ou pas accessible")
    NOT_AVAILABLE = "not_available", _("Pas de place ou pas disponible à temps")
    LANGUAGE = "language", _("Niveau de français insuffisant pour l'instant")
    NOT_ELIGIBLE = "not_eligible", _("La personne n'y a pas droit")
    OTHER = "other", _("Autre raison (à préciser)")


class BatchKind(models.TextChoices):
    BATCH = "batch", _("Affectation groupée")
    ONLINE = "online", _("Arrivée au fil de l'eau")


class BatchStatus(models.TextChoices):
    DRAFT = "draft", _("En préparation")
    SOLVED = "solved", _("Affectation proposée")
    VALIDATED = "validated", _("Validée")
    CANCELLED = "cancelled", _("Abandonnée")


class ScoreSource(models.TextChoices):
    MODEL = "model", _("Modèle de réussite entraîné sur l'historique")
    FALLBACK = "fallback", _("Score transparent (historique insuffisant)")


class Exclusion(models.IntegerChoices):
    """Why a session is not an option for a candidate (0: it is one). The constraints are checked in
    the order ALREADY_ENROLLED, REFUSED, FRENCH_LEVEL, … NO_PLACE: the first that fails is shown."""

    NONE = 0, _("Possible")
    REFUSED = 1, _("Session refusée par la personne")
    FRENCH_LEVEL = 2, _("Niveau de français inférieur au minimum de la session")
    CHILDCARE = 3, _("Garde d'enfants nécessaire, la session n'en propose pas")
    DISTANCE = 4, _("Au-delà de la distance acceptée, et la personne n'accepte pas de déménager")
    HOUSEHOLD = 5, _("La session n'accueille pas les familles (foyer à placer ensemble)")
    NO_PLACE = 6, _("Aucune place libre sur la session")
    # Checked first: a live enrolment (enrolled, in progress, completed, abandoned) on the session.
    ALREADY_ENROLLED = 7, _("Déjà inscrit·e sur cette session, ou en est sorti·e")


class ModelStatus(models.TextChoices):
    ACTIVE = "active", _("En service")
    SUPERSEDED = "superseded", _("Remplacé")
    INSUFFICIENT = "insufficient", _("Historique insuffisant")
