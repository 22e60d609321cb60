"""Programmes declared as data (eligibility rules, step template, indicators), their sessions and
enrolments with step evidence, certifications, work-study contracts, exit outcomes and follow-up
surveys; VAE pathways; calls for projects with their projects and participants.

Lifecycles are explicit (see enums.ENROLMENT_TRANSITIONS) and every move is logged in
EnrolmentTransition; the database enforces what it can."""

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parcours.diagnostics.enums import CecrlLevel
from parcours.occupations.models import RomeJob
from parcours.organisations.models import Membership, Organisation
from parcours.pathways.models import Pathway
from parcours.people.models import ForeignQualification
from parcours.territories.models import Commune, Departement

from . import enums
from .enums import EnrolmentState

TEXT_MAX_LENGTH = 4000


def default_positive_outcomes() -> list[str]:
    return [str(o) for o in enums.DEFAULT_POSITIVE_OUTCOMES]


class Programme(models.Model):
    """A programme declared by a territory or the State. Eligibility rules are data, read by the pure
    evaluator (parcours/programmes/eligibility.py): a list of criteria, all required, where a criterion
    may be a group {"any": [...]} of which one suffices."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("nom"), max_length=200)
    kind = models.CharField(
        _("type"), max_length=16, choices=enums.ProgrammeKind.choices, default=enums.ProgrammeKind.GENERAL
    )
    description = models.TextField(_("description"), validators=[MaxLengthValidator(TEXT_MAX_LENGTH)], blank=True)
    # The organisation that declared the programme and maintains it.
    owner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="programmes_owned")
    operators = models.ManyToManyField(Organisation, related_name="programmes_operated", verbose_name=_("opérateurs"))
    target_publics = models.JSONField(_("publics visés"), default=list, blank=True)
    duration_months = models.PositiveSmallIntegerField(
        _("durée (mois)"), validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    rome_jobs = models.ManyToManyField(RomeJob, blank=True, related_name="+", verbose_name=_("métiers préparés"))
    eligibility_rules = models.JSONField(_("règles d'éligibilité"), default=list, blank=True)
    # The exit outcomes counted as a positive exit (ExitOutcome values).
    positive_outcomes = models.JSONField(_("sorties positives"), default=default_positive_outcomes)
    # The indicator codes shown for this programme (parcours/programmes/indicators.py).
    indicators = models.JSONField(_("indicateurs suivis"), default=list, blank=True)
    is_active = models.BooleanField(_("actif"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("programme")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProgrammeStep(models.Model):
    """One step of a programme's template (housing, French hours, training module…)."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("ordre"))
    kind = models.CharField(_("type d'étape"), max_length=32, choices=enums.StepKind.choices)
    label = models.CharField(_("intitulé"), max_length=200)
    # Expected start, in weeks after entry; and hours to reach for hour-counted steps.
    week = models.PositiveSmallIntegerField(_("semaine de début prévue"), default=0)
    target_hours = models.PositiveSmallIntegerField(_("heures prévues"), null=True, blank=True)
    is_required = models.BooleanField(_("obligatoire"), default=True)

    class Meta:
        verbose_name = _("étape de programme")
        ordering = ["programme", "position"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "position"], name="programme_step_unique_position"),
        ]

    def __str__(self) -> str:
        return self.label


class Session(models.Model):
    """A session of a programme run by one operator centre, with a number of places."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="sessions")
    operator = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="programme_sessions", verbose_name=_("centre opérateur")
    )
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="+", verbose_name=_("commune"))
    label = models.CharField(_("intitulé"), max_length=200)
    starts_on = models.DateField(_("début"))
    ends_on = models.DateField(_("fin"))
    places = models.PositiveIntegerField(_("places"), validators=[MinValueValidator(1), MaxValueValidator(10000)])
    target_jobs = models.ManyToManyField(RomeJob, blank=True, related_name="+", verbose_name=_("métiers visés"))
    partner_companies = models.JSONField(_("entreprises partenaires"), default=list, blank=True)
    offers_childcare = models.BooleanField(_("solution de garde d'enfants"), default=False)
    offers_housing = models.BooleanField(_("hébergement proposé"), default=False)
    # Placement constraints: the minimum French level to follow the session (blank: none), and
    # whether it can host a household whose members are placed together.
    min_french_level = models.CharField(
        _("niveau de français minimum"), max_length=4, choices=CecrlLevel.choices, blank=True
    )
    hosts_households = models.BooleanField(_("accueille les familles"), default=False)
    status = models.CharField(
        _("statut"), max_length=16, choices=enums.SessionStatus.choices, default=enums.SessionStatus.OPEN
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("session")
        ordering = ["starts_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="session_ends_after_start"),
            models.CheckConstraint(condition=Q(places__gte=1), name="session_at_least_one_place"),
        ]
        indexes = [models.Index(fields=["programme", "starts_on"], name="session_programme_idx")]

    def __str__(self) -> str:
        return self.label


class Enrolment(models.Model):
    """One person's candidacy to, and passage through, a session. `programme` repeats the session's
    programme so that indicators and the "enrolled elsewhere" check read one table."""

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="enrolments")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="enrolments")
    pathway = models.ForeignKey(Pathway, on_delete=models.PROTECT, related_name="enrolments")
    state = models.CharField(_("état"), max_length=16, choices=EnrolmentState.choices, default=EnrolmentState.CANDIDATE)
    state_changed_at = models.DateTimeField(default=timezone.now)
    # The eligibility result when proposed (EligibilityResult.as_dict()), and the override reason
    # required when the person was not (or not provably) eligible.
    eligibility_status = models.CharField(max_length=16, choices=enums.EligibilityStatus.choices)
    eligibility = models.JSONField(default=dict)
    override_reason = models.CharField(_("motif de la dérogation"), max_length=500, blank=True)
    proposed_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now)
    waiting_since = models.DateTimeField(null=True, blank=True)
    enrolled_on = models.DateField(_("inscrit·e le"), null=True, blank=True)
    # Entry in the programme (start of the person's first step): the cohort is its period.
    entered_on = models.DateField(_("entrée le"), null=True, blank=True)
    exited_on = models.DateField(_("sortie le"), null=True, blank=True)
    not_selected_reason = models.CharField(max_length=32, choices=enums.NotSelectedReason.choices, blank=True)
    abandon_reason = models.CharField(
        _("motif d'abandon"), max_length=32, choices=enums.AbandonReason.choices, blank=True
    )
    reason_detail = models.CharField(_("précision"), max_length=500, blank=True)
    exit_outcome = models.CharField(
        _("situation à la sortie"), max_length=32, choices=enums.ExitOutcome.choices, blank=True
    )
    exit_outcome_recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("inscription")
        constraints = [
            models.CheckConstraint(condition=Q(state__in=EnrolmentState.values), name="enrolment_state_valid"),
            models.UniqueConstraint(
                fields=["session", "pathway"],
                condition=~Q(state=EnrolmentState.NOT_SELECTED),
                name="enrolment_one_live_per_session",
            ),
            models.CheckConstraint(
                condition=Q(eligibility_status=enums.EligibilityStatus.ELIGIBLE) | ~Q(override_reason=""),
                name="enrolment_override_reason_when_not_eligible",
            ),
            models.CheckConstraint(
                condition=~Q(state=EnrolmentState.ABANDONED) | ~Q(abandon_reason=""),
                name="enrolment_abandon_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(state=EnrolmentState.NOT_SELECTED) | ~Q(not_selected_reason=""),
                name="enrolment_not_selected_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(state__in=[EnrolmentState.COMPLETED, EnrolmentState.ABANDONED], exited_on__isnull=False)
                | (~Q(state__in=[EnrolmentState.COMPLETED, EnrolmentState.ABANDONED]) & Q(exited_on__isnull=True)),
                name="enrolment_exited_on_iff_exited",
            ),
            models.CheckConstraint(
                condition=Q(exit_outcome="") | Q(state__in=[EnrolmentState.COMPLETED, EnrolmentState.ABANDONED]),
                name="enrolment_outcome_only_after_exit",
            ),
            models.CheckConstraint(
                condition=Q(entered_on__isnull=True) | Q(enrolled_on__isnull=False, entered_on__gte=F("enrolled_on")),
                name="enrolment_entered_after_enrolled",
            ),
            models.CheckConstraint(
                condition=Q(exited_on__isnull=True) | Q(enrolled_on__isnull=False, exited_on__gte=F("enrolled_on")),
                name="enrolment_exited_after_enrolled",
            ),
        ]
        indexes = [
            models.Index(fields=["session", "state"], name="enrolment_session_state_idx"),
            models.Index(fields=["programme", "entered_on"], name="enrolment_programme_entry_idx"),
            models.Index(fields=["pathway", "state"], name="enrolment_pathway_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.pathway.person} · {self.session}"


class EnrolmentTransition(models.Model):
    """The enrolment's log: one row per move, never updated."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=16, choices=EnrolmentState.choices, blank=True)
    to_state = models.CharField(max_length=16, choices=EnrolmentState.choices)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]


class StepRecord(models.Model):
    """Evidence that a step of the template was (partly) done: a date, hours for hour-counted
    steps, and what proves it. Several records may add up the hours of one step."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="step_records")
    step = models.ForeignKey(ProgrammeStep, on_delete=models.PROTECT, related_name="records")
    done_on = models.DateField(_("date"))
    hours = models.DecimalField(
        _("heures"), max_digits=6, decimal_places=1, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    evidence = models.CharField(_("justificatif"), max_length=500, blank=True)
    # Kind-specific details (housing: {"kind", "commune"}, training module: {"module"}).
    details = models.JSONField(default=dict, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("étape réalisée")
        ordering = ["done_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__isnull=True) | Q(hours__gte=0), name="step_record_hours_positive"
            ),
        ]


class Certification(models.Model):
    """A certification obtained during the programme: French (DILF/DELF/DALF/TCF with a level) or
    professional (titre professionnel, CCP, bloc de compétences)."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="certifications")
    kind = models.CharField(_("type"), max_length=16, choices=enums.CertificationKind.choices)
    exam = models.CharField(_("certification"), max_length=16, choices=enums.CertificationExam.choices)
    level = models.CharField(_("niveau CECRL"), max_length=4, choices=CecrlLevel.choices, blank=True)
    title = models.CharField(_("intitulé"), max_length=200, blank=True)
    rncp_code = models.CharField(_("code RNCP"), max_length=12, blank=True)
    obtained_on = models.DateField(_("obtenue le"))
    evidence = models.CharField(_("justificatif"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("certification obtenue")
        ordering = ["obtained_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind=enums.CertificationKind.LANGUAGE)
                    & Q(exam__in=[str(e) for e in enums.LANGUAGE_EXAMS])
                    & ~Q(level="")
                )
                | (
                    Q(kind=enums.CertificationKind.PROFESSIONAL)
                    & ~Q(exam__in=[str(e) for e in enums.LANGUAGE_EXAMS])
                    & ~Q(title="")
                ),
                name="certification_kind_matches_exam",
            ),
        ]
        indexes = [models.Index(fields=["enrolment", "kind"], name="certification_enrolment_idx")]


class WorkStudyContract(models.Model):
    """The work-study (alternance) contract signed during the programme."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="work_study_contracts")
    company = models.CharField(_("entreprise"), max_length=200)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    contract_kind = models.CharField(_("type de contrat"), max_length=32, choices=enums.WorkStudyKind.choices)
    rome = models.ForeignKey(
        RomeJob, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("métier")
    )
    starts_on = models.DateField(_("début"))
    ends_on = models.DateField(_("fin"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("contrat en alternance")
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gt=F("starts_on")), name="work_study_ends_after_start"),
            models.CheckConstraint(
                condition=Q(siret="") | Q(siret__regex=r"^[0-9]{14}$"), name="work_study_siret_14_digits"
            ),
        ]


class FollowUpSurvey(models.Model):
    """A follow-up survey 6 or 12 months after exit, a task for the pathway's referent. "No answer"
    (the person could not be reached) is kept apart from an answer "not employed"."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.CASCADE, related_name="surveys")
    wave_months = models.PositiveSmallIntegerField(_("vague (mois après la sortie)"))
    due_on = models.DateField(_("à réaliser à partir du"))
    status = models.CharField(
        _("statut"), max_length=16, choices=enums.SurveyStatus.choices, default=enums.SurveyStatus.PENDING
    )
    employment = models.CharField(
        _("situation d'emploi"), max_length=32, choices=enums.SurveyEmployment.choices, blank=True
    )
    answered_on = models.DateField(_("réalisée le"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("enquête de suivi")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "wave_months"], name="survey_one_per_wave"),
            models.CheckConstraint(condition=Q(wave_months__in=enums.SURVEY_WAVES), name="survey_wave_valid"),
            models.CheckConstraint(
                condition=(Q(status=enums.SurveyStatus.ANSWERED) & ~Q(employment="") & Q(answered_on__isnull=False))
                | (Q(status=enums.SurveyStatus.NO_ANSWER) & Q(employment="") & Q(answered_on__isnull=False))
                | (Q(status=enums.SurveyStatus.PENDING) & Q(employment="") & Q(answered_on__isnull=True)),
                name="survey_answer_consistent",
            ),
        ]
        indexes = [
            models.Index(fields=["due_on"], condition=Q(status="pending"), name="survey_pending_due_idx"),
        ]


# --- VAE -------------------------------------------------------------------------------------------


class VaeRoute(models.Model):
    """A recognition route, configured as data (full titre by VAE, CCP by blocs, comparability of a
    foreign diploma…)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    label = models.CharField(_("intitulé"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # Whether the route targets some blocs only (CCP by blocs) and whether it needs a foreign diploma.
    by_blocs = models.BooleanField(_("par blocs de compétences"), default=False)
    needs_foreign_diploma = models.BooleanField(_("s'appuie sur un diplôme étranger"), default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("voie de reconnaissance VAE")
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class TargetCertification(models.Model):
    """A certification that VAE can lead to (a titre professionnel and its blocs / CCP)."""

    rncp_code = models.CharField(_("code RNCP"), max_length=12, unique=True)
    title = models.CharField(_("intitulé"), max_length=200)
    level = models.PositiveSmallIntegerField(_("niveau"), validators=[MinValueValidator(1), MaxValueValidator(8)])
    rome_jobs = models.ManyToManyField(RomeJob, blank=True, related_name="+", verbose_name=_("métiers"))

    class Meta:
        verbose_name = _("certification visée")
        ordering = ["title"]

    def __str__(self) -> str:
        return f"{self.title} ({self.rncp_code})"


class CompetenceBloc(models.Model):
    certification = models.ForeignKey(TargetCertification, on_delete=models.CASCADE, related_name="blocs")
    code = models.CharField(_("code"), max_length=20)
    label = models.CharField(_("intitulé"), max_length=300)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("bloc de compétences")
        ordering = ["certification", "position"]
        constraints = [
            models.UniqueConstraint(fields=["certification", "code"], name="bloc_unique_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} · {self.label}"


class VaePathway(models.Model):
    """A VAE pathway, carried by an enrolment in a VAE programme. With declarative admissibility,
    the person's statement of experience (written with the counsellor) replaces documentary
    evidence."""

    enrolment = models.OneToOneField(Enrolment, on_delete=models.CASCADE, related_name="vae")
    certification = models.ForeignKey(TargetCertification, on_delete=models.PROTECT, related_name="+")
    route = models.ForeignKey(VaeRoute, on_delete=models.PROTECT, related_name="+")
    foreign_diploma = models.ForeignKey(
        ForeignQualification, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    admissibility = models.CharField(_("recevabilité"), max_length=16, choices=enums.VaeAdmissibility.choices)
    experience_statement = models.TextField(
        _("déclaration d'expérience"), validators=[MaxLengthValidator(TEXT_MAX_LENGTH)], blank=True
    )
    admissibility_decision = models.CharField(
        _("décision de recevabilité"),
        max_length=16,
        choices=enums.VaeAdmissibilityDecision.choices,
        default=enums.VaeAdmissibilityDecision.PENDING,
    )
    admissibility_decided_on = models.DateField(_("décidée le"), null=True, blank=True)
    accompaniment_hours_planned = models.PositiveSmallIntegerField(
        _("heures d'accompagnement prévues"), default=0, validators=[MaxValueValidator(500)]
    )
    accompaniment_hours_done = models.DecimalField(
        _("heures d'accompagnement réalisées"), max_digits=5, decimal_places=1, default=0
    )
    jury_date = models.DateField(_("date du jury"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("parcours VAE")
        constraints = [
            models.CheckConstraint(
                condition=~Q(admissibility=enums.VaeAdmissibility.DECLARATIVE) | ~Q(experience_statement=""),
                name="vae_declarative_needs_statement",
            ),
            models.CheckConstraint(
                condition=Q(admissibility_decision=enums.VaeAdmissibilityDecision.PENDING)
                | Q(admissibility_decided_on__isnull=False),
                name="vae_decision_dated",
            ),
            models.CheckConstraint(condition=Q(accompaniment_hours_done__gte=0), name="vae_hours_done_positive"),
        ]


class VaeBlocResult(models.Model):
    """A bloc targeted by the VAE pathway and the jury's result for it."""

    vae = models.ForeignKey(VaePathway, on_delete=models.CASCADE, related_name="bloc_results")
    bloc = models.ForeignKey(CompetenceBloc, on_delete=models.PROTECT, related_name="+")
    result = models.CharField(
        _("résultat"), max_length=16, choices=enums.BlocResult.choices, default=enums.BlocResult.PENDING
    )
    decided_on = models.DateField(_("décidé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("résultat par bloc")
        ordering = ["bloc__position"]
        constraints = [
            models.UniqueConstraint(fields=["vae", "bloc"], name="vae_bloc_once"),
            models.CheckConstraint(
                condition=Q(result=enums.BlocResult.PENDING) | Q(decided_on__isnull=False), name="vae_bloc_result_dated"
            ),
        ]


# --- Calls for projects ----------------------------------------------------------------------------


class CallForProjects(models.Model):
    """A funder's call for projects (appel à projets): budget, period, publics, project types."""

    funder = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="calls_funded")
    title = models.CharField(_("intitulé"), max_length=200)
    description = models.TextField(_("description"), validators=[MaxLengthValidator(TEXT_MAX_LENGTH)], blank=True)
    budget = models.DecimalField(_("budget (€)"), max_digits=14, decimal_places=2)
    starts_on = models.DateField(_("début de la période"))
    ends_on = models.DateField(_("fin de la période"))
    publics = models.JSONField(_("publics visés"), default=list, blank=True)
    project_types = models.JSONField(_("types de projets"), default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("appel à projets")
        ordering = ["-starts_on", "title"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="call_ends_after_start"),
            models.CheckConstraint(condition=Q(budget__gt=0), name="call_budget_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class Project(models.Model):
    """A project granted under a call, carried by a lead organisation with a consortium."""

    call = models.ForeignKey(CallForProjects, on_delete=models.PROTECT, related_name="projects")
    title = models.CharField(_("intitulé"), max_length=200)
    project_type = models.CharField(_("type de projet"), max_length=32, choices=enums.ProjectType.choices)
    lead = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="projects_led")
    consortium = models.ManyToManyField(
        Organisation, blank=True, related_name="projects_joined", verbose_name=_("membres du consortium")
    )
    departements = models.ManyToManyField(Departement, related_name="+", verbose_name=_("territoires"))
    granted_amount = models.DecimalField(_("financement accordé (€)"), max_digits=14, decimal_places=2)
    target_beneficiaries = models.PositiveIntegerField(_("bénéficiaires visés"))
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("projet")
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(condition=Q(granted_amount__gte=0), name="project_granted_positive"),
            models.CheckConstraint(condition=Q(target_beneficiaries__gte=1), name="project_target_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class ProjectParticipant(models.Model):
    """A person accompanied by a project, linked through their pathway."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="participants")
    pathway = models.ForeignKey(Pathway, on_delete=models.PROTECT, related_name="project_participations")
    joined_on = models.DateField(_("entré·e le"))
    added_by = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("participant·e à un projet")
        constraints = [
            models.UniqueConstraint(fields=["project", "pathway"], name="project_participant_once"),
        ]
