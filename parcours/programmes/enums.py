"""Programmes as data: the closed lists (publics, steps, states, outcomes, certifications, VAE
admissibility, call-for-projects types) and the enrolment life cycle."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProgrammeKind(models.TextChoices):
    GENERAL = "general", _("Parcours d'insertion")
    VAE = "vae", _("Validation des acquis de l'expérience (VAE)")


class TargetPublic(models.TextChoices):
    BPI = "bpi", _("Bénéficiaires de la protection internationale")
    NEWCOMERS = "newcomers", _("Personnes primo-arrivantes")
    ASYLUM_SEEKERS = "asylum_seekers", _("Demandeur·ses d'asile de longue date")
    RSA = "rsa", _("Allocataires du RSA")
    LONG_TERM_UNEMPLOYED = "long_term_unemployed", _("Demandeur·ses d'emploi de longue durée")
    YOUTH = "youth", _("Jeunes de moins de 26 ans")
    WOMEN = "women", _("Femmes")
    DISABILITY = "disability", _("Personnes en situation de handicap")
    SENIORS = "seniors", _("Personnes de plus de 50 ans")


class StepKind(models.TextChoices):
    """What a step of a programme's template records as evidence."""

    HOUSING = "housing", _("Hébergement / logement")
    FRENCH = "french", _("Apprentissage du français (heures)")
    TRAINING_MODULE = "training_module", _("Module de formation")
    WORK_STUDY = "work_study", _("Contrat en alternance")
    LANGUAGE_CERTIFICATION = "language_certification", _("Certification en français")
    PROFESSIONAL_CERTIFICATION = "professional_certification", _("Certification professionnelle")
    VAE_ADMISSIBILITY = "vae_admissibility", _("Recevabilité VAE")
    VAE_JURY = "vae_jury", _("Jury VAE")
    OTHER = "other", _("Autre étape")


class SessionStatus(models.TextChoices):
    OPEN = "open", _("Ouverte aux candidatures")
    CLOSED = "closed", _("Candidatures closes")
    CANCELLED = "cancelled", _("Annulée")


class EnrolmentState(models.TextChoices):
    CANDIDATE = "candidate", _("Candidat·e")
    SELECTED = "selected", _("Retenu·e")
    WAITING_LIST = "waiting_list", _("Sur liste d'attente")
    ENROLLED = "enrolled", _("Inscrit·e")
    IN_PROGRESS = "in_progress", _("En cours")
    COMPLETED = "completed", _("Parcours terminé")
    ABANDONED = "abandoned", _("Abandon")
    NOT_SELECTED = "not_selected", _("Non retenu·e")


# Every allowed move; a move not listed is refused. "selected → enrolled" happens only when a place
# is free, otherwise the enrolment goes to the waiting list; a place freed by an abandonment goes to
# the waiting list's first person through "waiting_list → enrolled".
ENROLMENT_TRANSITIONS: dict[str, frozenset[str]] = {
    EnrolmentState.CANDIDATE: frozenset({EnrolmentState.SELECTED, EnrolmentState.NOT_SELECTED}),
    EnrolmentState.SELECTED: frozenset(
        {EnrolmentState.ENROLLED, EnrolmentState.WAITING_LIST, EnrolmentState.NOT_SELECTED}
    ),
    EnrolmentState.WAITING_LIST: frozenset({EnrolmentState.ENROLLED, EnrolmentState.NOT_SELECTED}),
    EnrolmentState.ENROLLED: frozenset({EnrolmentState.IN_PROGRESS, EnrolmentState.ABANDONED}),
    EnrolmentState.IN_PROGRESS: frozenset({EnrolmentState.COMPLETED, EnrolmentState.ABANDONED}),
    EnrolmentState.COMPLETED: frozenset(),
    EnrolmentState.ABANDONED: frozenset(),
    EnrolmentState.NOT_SELECTED: frozenset(),
}
# States that hold one of the session's places.
SEAT_STATES = frozenset({EnrolmentState.ENROLLED, EnrolmentState.IN_PROGRESS, EnrolmentState.COMPLETED})
# States of someone still in the programme or on the way in (for "not enrolled elsewhere").
ACTIVE_STATES = frozenset(
    {
        EnrolmentState.CANDIDATE,
        EnrolmentState.SELECTED,
        EnrolmentState.WAITING_LIST,
        EnrolmentState.ENROLLED,
        EnrolmentState.IN_PROGRESS,
    }
)
EXITED_STATES = frozenset({EnrolmentState.COMPLETED, EnrolmentState.ABANDONED})
FINAL_STATES = frozenset(s for s, targets in ENROLMENT_TRANSITIONS.items() if not targets)


class EligibilityStatus(models.TextChoices):
    ELIGIBLE = "eligible", _("Éligible")
    NOT_ELIGIBLE = "not_eligible", _("Non éligible")
    UNDETERMINED = "undetermined", _("Indéterminé")


class NotSelectedReason(models.TextChoices):
    NOT_ELIGIBLE = "not_eligible", _("Ne remplit pas les conditions")
    PERSON_DECLINED = "person_declined", _("La personne renonce")
    NO_PLACE = "no_place", _("Pas de place sur la session")
    PROJECT_MISMATCH = "project_mismatch", _("Projet professionnel différent")
    OTHER = "other", _("Autre motif (à préciser)")


class AbandonReason(models.TextChoices):
    EMPLOYMENT = "employment", _("A trouvé un emploi")
    HEALTH = "health", _("Raisons de santé")
    FAMILY = "family", _("Contraintes familiales")
    HOUSING = "housing", _("Problème de logement")
    MOBILITY = "mobility", _("Problème de mobilité")
    MOTIVATION = "motivation", _("Projet abandonné")
    MOVED = "moved", _("Déménagement")
    OTHER = "other", _("Autre motif (à préciser)")


class ExitOutcome(models.TextChoices):
    SUSTAINABLE_EMPLOYMENT = "sustainable_employment", _("Emploi durable (CDI, CDD de 6 mois ou plus)")
    OTHER_EMPLOYMENT = "other_employment", _("Autre emploi (CDD court, intérim)")
    WORK_STUDY = "work_study", _("Alternance (apprentissage, professionnalisation)")
    QUALIFYING_TRAINING = "qualifying_training", _("Formation qualifiante")
    JOB_SEARCH = "job_search", _("Recherche d'emploi")
    OTHER = "other", _("Autre situation")
    UNKNOWN = "unknown", _("Situation inconnue")


DEFAULT_POSITIVE_OUTCOMES = (
    ExitOutcome.SUSTAINABLE_EMPLOYMENT,
    ExitOutcome.OTHER_EMPLOYMENT,
    ExitOutcome.WORK_STUDY,
    ExitOutcome.QUALIFYING_TRAINING,
)


class CertificationKind(models.TextChoices):
    LANGUAGE = "language", _("Certification en français")
    PROFESSIONAL = "professional", _("Certification professionnelle")


class CertificationExam(models.TextChoices):
    DILF = "dilf", _("DILF")
    DELF = "delf", _("DELF")
    DALF = "dalf", _("DALF")
    TCF = "tcf", _("TCF")
    TITRE_PRO = "titre_pro", _("Titre professionnel (complet)")
    CCP = "ccp", _("CCP (certificat de compétences professionnelles)")
    BLOC = "bloc", _("Bloc de compétences")
    OTHER_PRO = "other_pro", _("Autre certification professionnelle (RNCP)")


LANGUAGE_EXAMS = (CertificationExam.DILF, CertificationExam.DELF, CertificationExam.DALF, CertificationExam.TCF)


class WorkStudyKind(models.TextChoices):
    APPRENTICESHIP = "apprenticeship", _("Contrat d'apprentissage")
    PROFESSIONALISATION = "professionalisation", _("Contrat de professionnalisation")


class SurveyStatus(models.TextChoices):
    PENDING = "pending", _("À réaliser")
    ANSWERED = "answered", _("Réponse obtenue")
    NO_ANSWER = "no_answer", _("Pas de réponse")


class SurveyEmployment(models.TextChoices):
    SUSTAINABLE_EMPLOYMENT = "sustainable_employment", _("Emploi durable (CDI, CDD de 6 mois ou plus)")
    OTHER_EMPLOYMENT = "other_employment", _("Autre emploi")
    WORK_STUDY = "work_study", _("Alternance")
    NOT_EMPLOYED = "not_employed", _("Sans emploi")


EMPLOYED_ANSWERS = frozenset(
    {SurveyEmployment.SUSTAINABLE_EMPLOYMENT, SurveyEmployment.OTHER_EMPLOYMENT, SurveyEmployment.WORK_STUDY}
)
SURVEY_WAVES = (6, 12)


class VaeAdmissibility(models.TextChoices):
    STANDARD = "standard", _("Recevabilité de droit commun (justificatifs)")
    DECLARATIVE = "declarative", _("Recevabilité dérogatoire déclarative (sans justificatifs)")


class VaeAdmissibilityDecision(models.TextChoices):
    PENDING = "pending", _("En attente")
    ADMISSIBLE = "admissible", _("Recevable")
    NOT_ADMISSIBLE = "not_admissible", _("Non recevable")


class BlocResult(models.TextChoices):
    PENDING = "pending", _("En attente du jury")
    VALIDATED = "validated", _("Validé")
    NOT_VALIDATED = "not_validated", _("Non validé")


class ProjectType(models.TextChoices):
    MEDIATION_TRAINING = "mediation_training", _("Médiation vers la formation qualifiante")
    METROPOLITAN_COORDINATION = "metropolitan_coordination", _("Coordination métropolitaine")
    ENTREPRENEURS = "entrepreneurs", _("Liens avec les entreprises et entrepreneurs")
    CRAFT_ARTS = "craft_arts", _("Compétences artisanales et artistiques")
    WOMEN_MOBILITY = "women_mobility", _("Mobilité géographique des femmes")
    OTHER = "other", _("Autre type de projet")
