"""The territorial offer (offre d'insertion) in the data·inclusion v1 shape, plus what Parcours adds:
capacity, languages and interpreting, the operating organisation, a publication status.

Field names follow the schema (French, snake_case) so that import and export are a plain mapping.
Multi-valued vocabularies are JSON lists (validated against the package); `facets` holds the same
values as space-delimited tokens so that search filters stay plain SQL on PostgreSQL and SQLite."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from parcours.organisations.models import Organisation

from . import vocabulary

# Our own source name for what is declared in Parcours.
PARCOURS_SOURCE = "parcours"


class AddressFields(models.Model):
    """The address block shared by structures and services (data·inclusion v1 names)."""

    commune = models.CharField(_("commune"), max_length=150, blank=True)
    code_postal = models.CharField(_("code postal"), max_length=5, blank=True)
    code_insee = models.CharField(_("code INSEE"), max_length=5, blank=True)
    adresse = models.CharField(_("adresse"), max_length=255, blank=True)
    complement_adresse = models.CharField(_("complément d'adresse"), max_length=255, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    telephone = models.CharField(_("téléphone"), max_length=50, blank=True)
    courriel = models.EmailField(_("courriel"), max_length=254, blank=True)
    horaires_accueil = models.CharField(_("horaires d'accueil"), max_length=500, blank=True)

    class Meta:
        abstract = True


class Structure(AddressFields):
    source = models.CharField(_("source"), max_length=64)
    source_id = models.CharField(_("identifiant"), max_length=255)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="directory_structures",
        verbose_name=_("organisation Parcours"),
    )
    nom = models.CharField(_("nom"), max_length=150)
    date_maj = models.DateField(_("date de mise à jour"))
    description = models.TextField(_("description"), max_length=10000, blank=True)
    lien_source = models.URLField(_("lien source"), max_length=500, blank=True)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    site_web = models.URLField(_("site web"), max_length=500, blank=True)
    accessibilite_lieu = models.URLField(_("accessibilité du lieu"), max_length=500, blank=True)
    reseaux_porteurs = models.JSONField(_("réseaux porteurs"), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("structure")
        ordering = ["nom"]
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="structure_unique_source_id"),
            models.CheckConstraint(
                condition=Q(siret="") | Q(siret__regex=r"^[0-9]{14}$"), name="structure_siret_14_digits"
            ),
        ]
        indexes = [models.Index(fields=["siret"], name="structure_siret_idx")]

    def __str__(self) -> str:
        return self.nom


class ServiceStatus(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    PUBLISHED = "published", _("Publié")
    ARCHIVED = "archived", _("Archivé")


class Service(AddressFields):
    structure = models.ForeignKey(Structure, on_delete=models.PROTECT, related_name="services")
    source = models.CharField(_("source"), max_length=64)
    source_id = models.CharField(_("identifiant"), max_length=255)
    nom = models.CharField(_("nom"), max_length=150)
    description = models.TextField(_("description"), max_length=10000)
    lien_source = models.URLField(_("lien source"), max_length=500, blank=True)
    date_maj = models.DateField(_("date de mise à jour"))
    type = models.CharField(
        _("type de service"), max_length=32, blank=True, choices=vocabulary.choices(vocabulary.TYPE_SERVICE)
    )
    thematiques = models.JSONField(_("thématiques"), default=list, blank=True)
    frais = models.CharField(_("frais"), max_length=16, blank=True, choices=vocabulary.choices(vocabulary.FRAIS))
    frais_precisions = models.TextField(_("précisions sur les frais"), max_length=2000, blank=True)
    publics = models.JSONField(_("publics"), default=list, blank=True)
    publics_precisions = models.TextField(_("précisions sur les publics"), max_length=2000, blank=True)
    conditions_acces = models.TextField(_("conditions d'accès"), max_length=2000, blank=True)
    modes_accueil = models.JSONField(_("modes d'accueil"), default=list, blank=True)
    zone_eligibilite = models.JSONField(_("zone d'éligibilité"), default=list, blank=True)
    contact_nom_prenom = models.CharField(_("contact (nom et prénom)"), max_length=200, blank=True)
    lien_mobilisation = models.URLField(_("lien de mobilisation"), max_length=500, blank=True)
    modes_mobilisation = models.JSONField(_("modes de mobilisation"), default=list, blank=True)
    mobilisable_par = models.JSONField(_("mobilisable par"), default=list, blank=True)
    mobilisation_precisions = models.TextField(_("précisions sur la mobilisation"), max_length=2000, blank=True)
    volume_horaire_hebdomadaire = models.FloatField(_("volume horaire hebdomadaire"), null=True, blank=True)
    nombre_semaines = models.PositiveIntegerField(_("nombre de semaines"), null=True, blank=True)

    # What Parcours adds to the schema.
    status = models.CharField(
        _("statut"), max_length=16, choices=ServiceStatus.choices, default=ServiceStatus.PUBLISHED
    )
    operator = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="directory_services",
        verbose_name=_("organisation qui le met en œuvre"),
    )
    # Days the operator has to answer a referral before it expires.
    referral_sla_days = models.PositiveSmallIntegerField(
        _("délai de réponse aux prescriptions (jours)"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(90)],
    )
    places_total = models.PositiveIntegerField(_("places au total"), null=True, blank=True)
    places_free = models.PositiveIntegerField(_("places libres"), null=True, blank=True)
    waiting_days = models.PositiveIntegerField(_("délai d'attente (jours)"), null=True, blank=True)
    next_sessions = models.JSONField(_("prochaines sessions"), default=list, blank=True)
    capacity_updated_at = models.DateTimeField(_("places mises à jour le"), null=True, blank=True)
    languages = models.JSONField(_("langues de délivrance"), default=list, blank=True)
    interpreting = models.BooleanField(_("interprétariat possible"), default=False)
    # Effective position (the service's own, or else its structure's) and search tokens, kept in step
    # by `directory.records.refresh_search_fields`.
    point_latitude = models.FloatField(null=True, blank=True)
    point_longitude = models.FloatField(null=True, blank=True)
    facets = models.TextField(default="", blank=True)
    # Delivered remotely (mode d'accueil "a-distance"): found wherever its zone covers the person.
    remote = models.BooleanField(default=False)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("service")
        ordering = ["nom"]
        constraints = [
            models.UniqueConstraint(fields=["source", "source_id"], name="service_unique_source_id"),
            models.CheckConstraint(
                condition=Q(places_free__isnull=True)
                | Q(places_total__isnull=True)
                | Q(places_free__lte=F("places_total")),
                name="service_free_places_within_total",
            ),
            models.CheckConstraint(
                condition=Q(volume_horaire_hebdomadaire__isnull=True) | Q(volume_horaire_hebdomadaire__gte=0),
                name="service_weekly_volume_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(nombre_semaines__isnull=True) | Q(nombre_semaines__gte=1),
                name="service_weeks_at_least_one",
            ),
        ]
        indexes = [
            models.Index(fields=["point_latitude", "point_longitude"], name="service_point_idx"),
            models.Index(fields=["status", "date_maj"], name="service_status_date_idx"),
            models.Index(fields=["code_insee"], name="service_code_insee_idx"),
            # The remote branch of a search around a place ("near OR remote") stays an index scan; in key
            # order, the recommendations read the first remote services without sorting them all.
            models.Index(fields=["status", "id"], condition=Q(remote=True), name="service_remote_idx"),
        ]

    def __str__(self) -> str:
        return self.nom


class DuplicateStatus(models.TextChoices):
    PENDING = "pending", _("À examiner")
    SAME = "same", _("Identiques")
    DISTINCT = "distinct", _("Distincts")


class DuplicateCandidate(models.Model):
    """Two records of the offer that look like the same thing, possibly from two sources. Either two
    structures or two services; an administrator decides. The pair is stored in id order (first < second)."""

    first_structure = models.ForeignKey(Structure, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    second_structure = models.ForeignKey(Structure, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    first_service = models.ForeignKey(Service, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    second_service = models.ForeignKey(Service, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    reason = models.CharField(_("motif"), max_length=300)
    score = models.FloatField(_("ressemblance"), default=0)
    status = models.CharField(
        _("décision"), max_length=16, choices=DuplicateStatus.choices, default=DuplicateStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("doublon possible")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(
                        first_structure__isnull=False,
                        second_structure__isnull=False,
                        first_service__isnull=True,
                        second_service__isnull=True,
                        first_structure__lt=F("second_structure"),
                    )
                    | Q(
                        first_structure__isnull=True,
                        second_structure__isnull=True,
                        first_service__isnull=False,
                        second_service__isnull=False,
                        first_service__lt=F("second_service"),
                    )
                ),
                name="duplicate_one_kind_ordered_pair",
            ),
            models.UniqueConstraint(
                fields=["first_structure", "second_structure"], name="duplicate_unique_structure_pair"
            ),
            models.UniqueConstraint(fields=["first_service", "second_service"], name="duplicate_unique_service_pair"),
        ]


class ImportKind(models.TextChoices):
    STRUCTURES = "structures", _("Structures")
    SERVICES = "services", _("Services")


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("En attente")
    RUNNING = "running", _("En cours")
    DONE = "done", _("Terminé")
    FAILED = "failed", _("Échec")


class ImportRun(models.Model):
    """One import of a data·inclusion dump. The parsed rows are kept with the run and processed in
    chunks; `processed_rows` advances in the same transaction as each chunk, so a run interrupted by a
    crash resumes where it stopped, and a rerun upserts on (source, id): nothing duplicated, nothing lost."""

    kind = models.CharField(_("contenu"), max_length=16, choices=ImportKind.choices)
    source = models.CharField(_("source par défaut"), max_length=64, blank=True)
    filename = models.CharField(_("fichier"), max_length=255)
    file_format = models.CharField(_("format"), max_length=16)
    rows = models.JSONField(default=list)
    status = models.CharField(_("état"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.PENDING)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("import de l'offre")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(processed_rows__lte=F("total_rows")), name="import_processed_within_total"
            ),
        ]


class ImportRejection(models.Model):
    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="rejections")
    row_number = models.PositiveIntegerField(_("ligne"))
    record_id = models.CharField(_("identifiant"), max_length=255, blank=True)
    reasons = models.JSONField(_("motifs"), default=list)

    class Meta:
        ordering = ["row_number"]
        constraints = [models.UniqueConstraint(fields=["run", "row_number"], name="import_rejection_one_per_row")]
