from django.db import models
from django.utils.translation import gettext_lazy as _


class Theme(models.TextChoices):
    """Themes of the diagnostic socio-professionnel (Carnet de bord's national nomenclature)."""

    EMPLOI = "emploi", _("Emploi")
    FORMATION = "formation", _("Formation")
    LOGEMENT = "logement", _("Logement")
    SANTE = "sante", _("Santé")
    MOBILITE = "mobilite", _("Mobilité")
    CONTRAINTES_FAMILIALES = "contraintes_familiales", _("Contraintes familiales")
    DIFFICULTES_ADMINISTRATIVES = "difficultes_administratives", _("Difficultés administratives")
    DIFFICULTES_FINANCIERES = "difficultes_financieres", _("Difficultés financières")
    MAITRISE_LANGUE = "maitrise_langue", _("Maîtrise de la langue")
    NUMERIQUE = "numerique", _("Numérique")


# The health theme holds health data: shown only where consent covers the health category.
SENSITIVE_THEMES = frozenset({Theme.SANTE})


class NeedLevel(models.TextChoices):
    NOT_ASSESSED = "not_assessed", _("Non abordé")
    NONE = "none", _("Pas de besoin")
    TO_WORK_ON = "to_work_on", _("À travailler")
    PRIORITY = "priority", _("Prioritaire")


class CecrlLevel(models.TextChoices):
    """CECRL (CEFR) levels; A1.1 is the first level of French as a foreign language (DILF)."""

    A1_1 = "A1.1", "A1.1"
    A1 = "A1", "A1"
    A2 = "A2", "A2"
    B1 = "B1", "B1"
    B2 = "B2", "B2"
    C1 = "C1", "C1"
    C2 = "C2", "C2"


CECRL_ORDER = [level.value for level in CecrlLevel]


class AssessmentMethod(models.TextChoices):
    OFII_TEST = "ofii_test", _("Test de positionnement OFII")
    TCF = "tcf", _("TCF")
    DELF = "delf", _("DELF / DALF / DILF")
    COUNSELLOR = "counsellor", _("Évaluation par le·la professionnel·le")
    SELF_DECLARED = "self_declared", _("Déclaratif")
