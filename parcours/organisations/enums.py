from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    """The kinds of organisations of the Service public de l'insertion et de l'emploi."""

    FRANCE_TRAVAIL = "france_travail", _("France Travail")
    MISSION_LOCALE = "mission_locale", _("Mission locale")
    CAP_EMPLOI = "cap_emploi", _("Cap emploi")
    APEC = "apec", _("APEC")
    CONSEIL_DEPARTEMENTAL = "conseil_departemental", _("Conseil départemental")
    CCAS = "ccas", _("CCAS / CIAS")
    CAF = "caf", _("CAF")
    OFII = "ofii", _("OFII")
    ASSOCIATION = "association", _("Association")
    ORGANISME_FORMATION = "organisme_formation", _("Organisme de formation / AFPA")
    DDETS = "ddets", _("DDETS")


class Role(models.TextChoices):
    """A professional's role inside one organisation (a membership)."""

    CONSEILLER = "conseiller", _("Conseiller·ère")
    REFERENT_RSA = "referent_rsa", _("Référent·e RSA")
    CHARGE_ORIENTATION = "charge_orientation", _("Chargé·e d'orientation")
    ENCADRANT = "encadrant", _("Encadrant·e")
    PILOTE = "pilote", _("Pilote territorial·e")
    ADMIN_STRUCTURE = "admin_structure", _("Administrateur·rice de structure")


# Roles that accompany people and may therefore sit in a follow-up group.
ACCOMPANYING_ROLES = frozenset({Role.CONSEILLER, Role.REFERENT_RSA, Role.CHARGE_ORIENTATION, Role.ENCADRANT})
