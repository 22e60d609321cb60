from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    FEMALE = "F", _("Femme")
    MALE = "M", _("Homme")
    OTHER = "X", _("Non précisé")


class ProtectionStatus(models.TextChoices):
    """International or temporary protection; BPI = bénéficiaire de la protection internationale."""

    NONE = "none", _("Sans objet")
    ASYLUM_SEEKER = "asylum_seeker", _("Demandeur·se d'asile")
    REFUGEE = "refugee", _("Réfugié·e (BPI)")
    SUBSIDIARY = "subsidiary", _("Protection subsidiaire (BPI)")
    STATELESS = "stateless", _("Apatride")
    TEMPORARY = "temporary", _("Protection temporaire")
    REJECTED = "rejected", _("Débouté·e du droit d'asile")


class ResidencePermitKind(models.TextChoices):
    NOT_APPLICABLE = "not_applicable", _("Non concerné·e (ressortissant·e français·e ou UE)")
    RECEIPT = "receipt", _("Récépissé")
    ATTESTATION_ASYLUM = "asylum_certificate", _("Attestation de demande d'asile")
    APS = "aps", _("Autorisation provisoire de séjour")
    TEMPORARY_CARD = "temporary_card", _("Carte de séjour temporaire")
    MULTIYEAR_CARD = "multiyear_card", _("Carte de séjour pluriannuelle")
    RESIDENT_CARD = "resident_card", _("Carte de résident (10 ans)")
    TEMPORARY_PROTECTION = "temporary_protection", _("APS protection temporaire")
    NONE = "none", _("Sans titre")


class EducationLevel(models.TextChoices):
    """Niveaux du cadre national des certifications (2019)."""

    NONE = "0", _("Jamais scolarisé·e")
    INFRA = "1", _("Scolarité primaire ou collège, sans diplôme")
    CAP = "3", _("Niveau 3 (CAP, BEP)")
    BAC = "4", _("Niveau 4 (baccalauréat)")
    BAC2 = "5", _("Niveau 5 (bac+2)")
    BAC3 = "6", _("Niveau 6 (licence, bac+3)")
    BAC5 = "7", _("Niveau 7 (master, bac+5)")
    DOCTORATE = "8", _("Niveau 8 (doctorat)")


class DrivingLicence(models.TextChoices):
    NONE = "none", _("Aucun")
    IN_PROGRESS = "in_progress", _("En cours")
    B = "B", _("Permis B")
    FOREIGN = "foreign", _("Permis étranger (à échanger)")
    PROFESSIONAL = "pro", _("Permis poids lourd / transport")


class HouseholdKind(models.TextChoices):
    ALONE = "alone", _("Personne seule")
    COUPLE = "couple", _("En couple")
    SINGLE_PARENT = "single_parent", _("Parent isolé")
    HOSTED = "hosted", _("Hébergé·e par un tiers")


class ChildcareSolution(models.TextChoices):
    NONE = "none", _("Aucune solution")
    CRECHE = "creche", _("Crèche")
    ASSISTANT = "assistant", _("Assistant·e maternel·le")
    SCHOOL = "school", _("Scolarisé·e")
    FAMILY = "family", _("Famille / entourage")


class RightsStatus(models.TextChoices):
    """RSA (revenu de solidarité active) or ARE (allocation d'aide au retour à l'emploi)."""

    NONE = "none", _("Non")
    PENDING = "pending", _("Demande en cours")
    OPEN = "open", _("Droits ouverts")
    SUSPENDED = "suspended", _("Suspendus")


class DataCategory(models.TextChoices):
    """Categories of personal data. The last four are sensitive: they are shown only to
    members of the follow-up group whose organisation (or role) the person's consent covers."""

    IDENTITY = "identity", _("Identité")
    CONTACT = "contact", _("Coordonnées")
    SITUATION = "situation", _("Situation")
    HEALTH = "health", _("Santé")
    RESIDENCE_STATUS = "residence_status", _("Droit au séjour")
    ASYLUM_HISTORY = "asylum_history", _("Parcours d'asile et protection")
    DISABILITY = "disability", _("Handicap")


SENSITIVE_CATEGORIES = frozenset(
    {DataCategory.HEALTH, DataCategory.RESIDENCE_STATUS, DataCategory.ASYLUM_HISTORY, DataCategory.DISABILITY}
)
ORDINARY_CATEGORIES = frozenset(set(DataCategory) - SENSITIVE_CATEGORIES)


class ConsentPurpose(models.TextChoices):
    ACCOMPANIMENT = "accompaniment", _("Accompagnement")
    ORIENTATION = "orientation", _("Orientation")
    REFERRAL = "referral", _("Prescription vers un service")


class ConsentDecision(models.TextChoices):
    GIVEN = "given", _("Donné")
    WITHDRAWN = "withdrawn", _("Retiré")


class ConsentChannel(models.TextChoices):
    IN_PERSON = "in_person", _("En entretien")
    PAPER = "paper", _("Formulaire signé")
    PHONE = "phone", _("Par téléphone")
    PORTAL = "portal", _("Sur le portail")
