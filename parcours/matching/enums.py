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
