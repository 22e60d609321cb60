from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from parcours.organisations.models import Organisation
from parcours.people.models import Person, language_validator, validate_not_future

from .enums import AssessmentMethod, CecrlLevel, NeedLevel, Theme


class Situation(models.Model):
    """A situation of the reference nomenclature, under one theme ("Sans hébergement",
    "Permis B non obtenu"…). Loaded from parcours/diagnostics/data/situations.csv, editable by a
    platform administrator; deactivated rather than deleted so that old diagnostics still read."""

    code = models.SlugField(_("code"), max_length=80, unique=True)
    theme = models.CharField(_("thème"), max_length=32, choices=Theme.choices)
    label = models.CharField(_("libellé"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("situation (nomenclature)")
        ordering = ["theme", "position", "label"]

    def __str__(self) -> str:
        return self.label


class Diagnostic(models.Model):
    """A dated, versioned diagnostic of one person. A new diagnostic is a new version; earlier
    versions are never modified, so the history of needs can be compared."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="diagnostics")
    version = models.PositiveIntegerField()
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    interpreting_needed = models.BooleanField(_("besoin d'interprétariat"), default=False)
    interpreting_language = models.CharField(
        _("langue d'interprétariat"), max_length=3, blank=True, validators=[language_validator]
    )
    summary = models.TextField(_("synthèse"), max_length=4000, blank=True)

    class Meta:
        verbose_name = _("diagnostic")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["person", "version"], name="diagnostic_unique_version"),
        ]

    def clean(self) -> None:
        if self.interpreting_needed and not self.interpreting_language:
            raise ValidationError({"interpreting_language": _("Précisez la langue d'interprétariat.")})


class ThemeAssessment(models.Model):
    diagnostic = models.ForeignKey(Diagnostic, on_delete=models.CASCADE, related_name="themes")
    theme = models.CharField(_("thème"), max_length=32, choices=Theme.choices)
    need = models.CharField(_("besoin"), max_length=16, choices=NeedLevel.choices, default=NeedLevel.NOT_ASSESSED)
    situations = models.ManyToManyField(Situation, blank=True, related_name="+")
    note = models.TextField(_("note"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("thème du diagnostic")
        constraints = [
            models.UniqueConstraint(fields=["diagnostic", "theme"], name="theme_assessment_unique_theme"),
        ]


class LanguageLevel(models.Model):
    diagnostic = models.ForeignKey(Diagnostic, on_delete=models.CASCADE, related_name="language_levels")
    language = models.CharField(_("langue"), max_length=3, validators=[language_validator])
    level = models.CharField(_("niveau CECRL"), max_length=4, choices=CecrlLevel.choices)
    method = models.CharField(_("évalué par"), max_length=16, choices=AssessmentMethod.choices)
    assessed_on = models.DateField(_("évalué le"), null=True, blank=True, validators=[validate_not_future])

    class Meta:
        verbose_name = _("niveau de langue")
        constraints = [
            models.UniqueConstraint(fields=["diagnostic", "language"], name="language_level_unique_language"),
            models.CheckConstraint(
                condition=Q(level__in=[c.value for c in CecrlLevel]), name="language_level_cecrl_valid"
            ),
        ]


class IntegrationContract(models.Model):
    """Contrat d'intégration républicaine (CIR) signed with the OFII: prescribed French hours and
    progress. One per person; changes are audited like any other write."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="integration_contract")
    signed_on = models.DateField(_("signé le"), validators=[validate_not_future])
    french_hours_prescribed = models.PositiveSmallIntegerField(
        _("heures de français prescrites"), validators=[MaxValueValidator(600)]
    )
    french_hours_done = models.PositiveSmallIntegerField(
        _("heures de français réalisées"), default=0, validators=[MinValueValidator(0), MaxValueValidator(600)]
    )
    civic_training_done = models.BooleanField(_("formation civique suivie"), default=False)
    french_level_at_signature = models.CharField(
        _("niveau au test OFII"), max_length=4, choices=CecrlLevel.choices, blank=True
    )

    class Meta:
        verbose_name = _("contrat d'intégration républicaine")
        constraints = [
            models.CheckConstraint(
                condition=Q(french_hours_done__lte=F("french_hours_prescribed")),
                name="cir_hours_done_within_prescribed",
            ),
        ]

    def clean(self) -> None:
        if (
            self.french_hours_done is not None
            and self.french_hours_prescribed is not None
            and self.french_hours_done > self.french_hours_prescribed
        ):
            raise ValidationError(
                {"french_hours_done": _("Les heures réalisées ne peuvent dépasser les heures prescrites.")}
            )
