"""The referral (prescription / mise en relation) life cycle, as data: states, the transitions
allowed between them, and the closed lists of refusal reasons and outcomes."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReferralStatus(models.TextChoices):
    SENT = "sent", _("Envoyée")
    SEEN = "seen", _("Vue")
    ACCEPTED = "accepted", _("Acceptée")
    REFUSED = "refused", _("Refusée")
    EXPIRED = "expired", _("Expirée")
    STARTED = "started", _("Démarrée")
    CLOSED = "closed", _("Clôturée")
    CANCELLED = "cancelled", _("Annulée")


# Every allowed move. A move not listed here is refused; a finished referral never moves again.
# "accepted → closed" is the person who never came (outcome "did not come"), before any start.
REFERRAL_TRANSITIONS: dict[str, frozenset[str]] = {
    ReferralStatus.SENT: frozenset(
        {
            ReferralStatus.SEEN,
            ReferralStatus.ACCEPTED,
            ReferralStatus.REFUSED,
            ReferralStatus.EXPIRED,
            ReferralStatus.CANCELLED,
        }
    ),
    ReferralStatus.SEEN: frozenset(
        {ReferralStatus.ACCEPTED, ReferralStatus.REFUSED, ReferralStatus.EXPIRED, ReferralStatus.CANCELLED}
    ),
    ReferralStatus.ACCEPTED: frozenset({ReferralStatus.STARTED, ReferralStatus.CLOSED}),
    ReferralStatus.STARTED: frozenset({ReferralStatus.CLOSED}),
    ReferralStatus.REFUSED: frozenset(),
    ReferralStatus.EXPIRED: frozenset(),
    ReferralStatus.CLOSED: frozenset(),
    ReferralStatus.CANCELLED: frozenset(),
}
# Waiting for the recipient's answer: the SLA clock runs.
AWAITING_ANSWER = frozenset({ReferralStatus.SENT, ReferralStatus.SEEN})
FINAL_STATUSES = frozenset(s for s, targets in REFERRAL_TRANSITIONS.items() if not targets)


class RefusalReason(models.TextChoices):
    NO_PLACE = "no_place", _("Pas de place disponible")
    NOT_ELIGIBLE = "not_eligible", _("La personne n'est pas éligible")
    UNREACHABLE = "unreachable", _("Personne injoignable")
    ALREADY_FOLLOWED = "already_followed", _("Déjà accompagnée par ailleurs")
    OTHER = "other", _("Autre motif (à préciser)")


class ReferralOutcome(models.TextChoices):
    HELP_RECEIVED = "help_received", _("Aide reçue")
    DID_NOT_COME = "did_not_come", _("Ne s'est pas présentée")
    ABANDONED = "abandoned", _("Abandon en cours d'accompagnement")
    COMPLETED = "completed", _("Accompagnement mené à son terme")


class TransitionChannel(models.TextChoices):
    APP = "app", _("Parcours")
    LINK = "link", _("Lien sécurisé")
    SYSTEM = "system", _("Automatique")


class LinkPurpose(models.TextChoices):
    ANSWER = "answer", _("Répondre à la prescription")
    OUTCOME = "outcome", _("Indiquer l'issue")
