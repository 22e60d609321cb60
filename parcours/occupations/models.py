"""The ROME 4.0 referential (France Travail), recruitment tension, and the French level a job domain
usually requires.

Two layers:
- **Release tables** (`RomeRelease` and the rows that point to it: `ReleaseSheet`,
  `ReleaseAppellation`, `Skill`, `SheetSkill`, `Mobility`): a release is loaded beside the current
  one, checked, then switched to in one transaction (parcours/occupations/rome_import.py). Readers
  of competences and mobility links read the current release only.
- **Stable tables** (`RomeJob`, `Appellation`, `ProfessionalDomain`): what the rest of the platform
  points to (experiences, wishes, programmes, sessions). Their keys never change; the switch
  updates their labels and tags from the new release and marks codes absent from it
  `in_release=False` (never deleted: a person's experience must keep its job).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parcours.diagnostics.enums import CecrlLevel


class ReleaseStatus(models.TextChoices):
    LOADING = "loading", _("Chargement")
    READY = "ready", _("Chargée, pas encore en service")
    CURRENT = "current", _("En service")
    SUPERSEDED = "superseded", _("Remplacée")
    FAILED = "failed", _("Refusée")


class RomeRelease(models.Model):
    """One import of a ROME 4.0 open-data release (the `unix_*_utf8.csv` files)."""

    version = models.CharField(_("version"), max_length=32)
    title = models.CharField(_("titre"), max_length=255, blank=True)
    published_on = models.DateField(_("publiée le"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=500, blank=True)
    status = models.CharField(_("état"), max_length=16, choices=ReleaseStatus.choices, default=ReleaseStatus.LOADING)
    # {"sheets": 1584, "appellations": 13120, "skills": ..., "sheet_skills": ..., "mobilities": ...}
    counts = models.JSONField(_("effectifs"), default=dict, blank=True)
    # French messages explaining why a release was refused (status FAILED).
    errors = models.JSONField(_("erreurs"), default=list, blank=True)
    # The grands domaines and domaines professionnels of the release: [{"code","label","grand_domaine","grand_domaine_label"}].
    domains = models.JSONField(_("domaines professionnels"), default=list, blank=True)
    loaded_at = models.DateTimeField(_("chargée le"), default=timezone.now)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    switched_at = models.DateTimeField(_("mise en service le"), null=True, blank=True)
    duration_s = models.FloatField(_("durée (s)"), null=True, blank=True)

    class Meta:
        verbose_name = _("version du ROME")
        ordering = ["-loaded_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["status"], condition=Q(status="current"), name="rome_release_one_current"),
        ]

    def __str__(self) -> str:
        return f"ROME 4.0 v{self.version} ({self.get_status_display()})"


class ProfessionalDomain(models.Model):
    """A domaine professionnel of the ROME (e.g. "J15 Soins"), with the French level a job of the
    domain usually requires: a default per domain, editable by a platform administrator, used by
    the job recommendations (never a hard rule: a reason shown to the counsellor)."""

    code = models.CharField(_("code"), max_length=3, primary_key=True)
    label = models.CharField(_("libellé"), max_length=255)
    grand_domain_code = models.CharField(_("grand domaine"), max_length=1)
    grand_domain_label = models.CharField(_("libellé du grand domaine"), max_length=255)
    french_level = models.CharField(
        _("niveau de français habituellement requis"), max_length=4, choices=CecrlLevel.choices, default=CecrlLevel.A2
    )
    french_level_updated_at = models.DateTimeField(null=True, blank=True)
    french_level_updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("domaine professionnel")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} · {self.label}"


class RomeJob(models.Model):
    """A ROME 4.0 job sheet (fiche métier), e.g. "J1501 Aide-soignant / Aide-soignante".
    Stable: updated from the current release at each switch, never deleted."""

    code = models.CharField(_("code ROME"), max_length=5, primary_key=True)
    label = models.CharField(_("intitulé"), max_length=255)
    is_regulated = models.BooleanField(_("métier réglementé"), default=False)
    domain = models.ForeignKey(
        ProfessionalDomain,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="jobs",
        verbose_name=_("domaine professionnel"),
    )
    # The ROME v3 sheet this 4.0 sheet comes from (`code_rome_parent`; equal to `code` for the 532 v3 sheets).
    parent_code = models.CharField(_("fiche parente (ROME v3)"), max_length=5, blank=True)
    ogr_code = models.PositiveIntegerField(_("code OGR"), null=True, blank=True)
    is_cadre = models.BooleanField(_("emploi cadre"), default=False)
    # "Emploi Vert", "Emploi Brun", "Emploi stratégique pour la Transition écologique", "Emploi Blanc" or "".
    transition_eco = models.CharField(_("transition écologique"), max_length=64, blank=True)
    transition_num = models.BooleanField(_("transition numérique"), default=False)
    transition_demo = models.BooleanField(_("transition démographique"), default=False)
    riasec_major = models.CharField(_("RIASEC majeur"), max_length=1, blank=True)
    riasec_minor = models.CharField(_("RIASEC mineur"), max_length=1, blank=True)
    in_release = models.BooleanField(_("présente dans la version en service"), default=True)

    class Meta:
        verbose_name = _("fiche métier ROME")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} · {self.label}"


class Appellation(models.Model):
    """An appellation (job title) of the ROME, e.g. "Maçon / Maçonne" (code OGR 12345) under F1703.
    Experiences, wishes and target jobs are recorded as appellations. Stable like RomeJob."""

    code = models.PositiveIntegerField(_("code OGR"), primary_key=True)
    label = models.CharField(_("appellation"), max_length=255)
    short_label = models.CharField(_("appellation courte"), max_length=255, blank=True)
    rome = models.ForeignKey(RomeJob, on_delete=models.PROTECT, related_name="appellations", verbose_name=_("fiche"))
    # Tags at the appellation level; None when the release leaves them empty (then the sheet's apply).
    is_regulated = models.BooleanField(_("emploi réglementé"), null=True, blank=True)
    is_cadre = models.BooleanField(_("emploi cadre"), null=True, blank=True)
    transition_eco = models.CharField(_("transition écologique"), max_length=64, blank=True)
    transition_num = models.BooleanField(_("transition numérique"), null=True, blank=True)
    transition_demo = models.BooleanField(_("transition démographique"), null=True, blank=True)
    is_principal = models.BooleanField(_("appellation principale"), default=False)
    rarely_used = models.BooleanField(_("peu usitée"), default=False)
    # Lower-case, unaccented, punctuation as spaces, framed by spaces: " macon maconne " (search.normalise).
    search_text = models.CharField(max_length=600, db_index=True)
    in_release = models.BooleanField(_("présente dans la version en service"), default=True)

    class Meta:
        verbose_name = _("appellation ROME")
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label

    @property
    def regulated(self) -> bool:
        """Regulated at the appellation level when the release says so, else as the sheet."""
        return self.is_regulated if self.is_regulated is not None else self.rome.is_regulated


# --- release tables --------------------------------------------------------------------------------


class ReleaseSheet(models.Model):
    release = models.ForeignKey(RomeRelease, on_delete=models.CASCADE, related_name="+")
    code = models.CharField(max_length=5)
    ogr_code = models.PositiveIntegerField(null=True)
    label = models.CharField(max_length=255)
    domain_code = models.CharField(max_length=3)
    parent_code = models.CharField(max_length=5, blank=True)
    is_regulated = models.BooleanField(default=False)
    is_cadre = models.BooleanField(default=False)
    transition_eco = models.CharField(max_length=64, blank=True)
    transition_num = models.BooleanField(default=False)
    transition_demo = models.BooleanField(default=False)
    riasec_major = models.CharField(max_length=1, blank=True)
    riasec_minor = models.CharField(max_length=1, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["release", "code"], name="release_sheet_unique")]


class ReleaseAppellation(models.Model):
    release = models.ForeignKey(RomeRelease, on_delete=models.CASCADE, related_name="+")
    code = models.PositiveIntegerField()
    label = models.CharField(max_length=255)
    short_label = models.CharField(max_length=255, blank=True)
    rome_code = models.CharField(max_length=5)
    is_regulated = models.BooleanField(null=True)
    is_cadre = models.BooleanField(null=True)
    transition_eco = models.CharField(max_length=64, blank=True)
    transition_num = models.BooleanField(null=True)
    transition_demo = models.BooleanField(null=True)
    is_principal = models.BooleanField(default=False)
    rarely_used = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["release", "code"], name="release_appellation_unique")]


class SkillKind(models.TextChoices):
    COMPETENCE = "competence", _("Compétence (savoir-faire)")
    SAVOIR_ETRE = "savoir_etre", _("Savoir-être professionnel")
    MACRO = "macro", _("Macro-compétence")
    SAVOIR = "savoir", _("Savoir")


class Skill(models.Model):
    """A competence (referentiel_competence) or a savoir (referentiel_savoir) of one release."""

    release = models.ForeignKey(RomeRelease, on_delete=models.CASCADE, related_name="+")
    code = models.PositiveIntegerField(_("code OGR"))
    kind = models.CharField(_("nature"), max_length=16, choices=SkillKind.choices)
    label = models.CharField(_("libellé"), max_length=500)
    category = models.CharField(_("catégorie"), max_length=255, blank=True)
    subcategory = models.CharField(_("sous-catégorie"), max_length=255, blank=True)
    transition_eco = models.BooleanField(null=True)
    transition_num = models.BooleanField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["release", "code"], name="skill_unique")]


class SkillRole(models.TextChoices):
    """How a competence or savoir sits in a sheet (`coeur_metier` of coherence_item)."""

    CORE = "core", _("Cœur de métier")
    EMERGING = "emerging", _("Émergente")
    OTHER = "other", _("Autre")


class SheetSkill(models.Model):
    """A competence or savoir linked to a sheet in one release (liens_rome_referentiels blocs 5,
    with coherence_item's core/emerging flag)."""

    release = models.ForeignKey(RomeRelease, on_delete=models.CASCADE, related_name="+")
    rome_code = models.CharField(max_length=5)
    skill_code = models.PositiveIntegerField()
    # savoir_faire (rubrique 1), savoir_etre (2), savoir (3)
    section = models.CharField(max_length=16)
    role = models.CharField(max_length=16, choices=SkillRole.choices, default=SkillRole.OTHER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["release", "rome_code", "skill_code"], name="sheet_skill_unique")
        ]
        indexes = [models.Index(fields=["release", "skill_code"], name="sheet_skill_by_skill")]


class Mobility(models.Model):
    """A mobility link between two sheets in one release (rubrique_mobilite): from `source_code`, a
    person can move to `target_code`; `order` is the publisher's rank (1 = closest)."""

    release = models.ForeignKey(RomeRelease, on_delete=models.CASCADE, related_name="+")
    source_code = models.CharField(max_length=5)
    target_code = models.CharField(max_length=5)
    order = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["release", "source_code", "target_code"], name="mobility_unique")
        ]


# --- tension ---------------------------------------------------------------------------------------


class TensionImport(models.Model):
    """One import of a recruitment tension file (FAP families on ROME v3 codes), with its report."""

    source = models.CharField(_("source"), max_length=500)
    imported_at = models.DateTimeField(_("importé le"), default=timezone.now)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    is_current = models.BooleanField(default=True)
    rows = models.PositiveIntegerField(_("lignes lues"), default=0)
    # {"matched_codes": n, "sheets": n, "via_parent": n, "territories": [...]}
    counts = models.JSONField(default=dict, blank=True)
    # The ROME codes of the file that match no sheet of the current release: [{"code","label","fap"}].
    unmatched = models.JSONField(_("codes non rapprochés"), default=list, blank=True)

    class Meta:
        verbose_name = _("import des tensions")
        ordering = ["-imported_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["is_current"], condition=Q(is_current=True), name="tension_one_current")
        ]


class JobTension(models.Model):
    """Recruitment tension of a sheet for a territory (département, or national when null), from the
    current tension import. A ROME v3 code of the source applies to the 4.0 sheet of the same code
    and to the 4.0 sheets whose parent it is (`via_parent`). When several FAP families cover a
    sheet, the highest tension is kept and every family is listed."""

    tension_import = models.ForeignKey(TensionImport, on_delete=models.CASCADE, related_name="tensions")
    rome = models.ForeignKey(RomeJob, on_delete=models.CASCADE, related_name="tensions")
    departement = models.ForeignKey(
        "territories.Departement", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    tension_pct = models.DecimalField(_("tension (%)"), max_digits=5, decimal_places=1)
    # [{"code": "A0Z43", "label": "Conducteurs d'engins agricoles ou forestiers", "pct": "61.9"}]
    fap = models.JSONField(default=list)
    source_code = models.CharField(_("code ROME de la source"), max_length=5)
    via_parent = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("tension de recrutement")
        constraints = [
            models.UniqueConstraint(
                fields=["tension_import", "rome", "departement"], name="job_tension_unique_territory"
            ),
            models.UniqueConstraint(
                fields=["tension_import", "rome"],
                condition=Q(departement__isnull=True),
                name="job_tension_unique_national",
            ),
        ]
