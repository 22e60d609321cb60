from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    """A French région, keyed by its INSEE code ("52" Pays de la Loire)."""

    code = models.CharField(_("code"), max_length=2, primary_key=True)
    name = models.CharField(_("nom"), max_length=100)

    class Meta:
        verbose_name = _("région")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Departement(models.Model):
    """A French département, keyed by its INSEE code ("44", "2A", "971")."""

    code = models.CharField(_("code"), max_length=3, primary_key=True)
    name = models.CharField(_("nom"), max_length=100)
    region_code = models.CharField(_("code région"), max_length=2)

    class Meta:
        verbose_name = _("département")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Epci(models.Model):
    """An établissement public de coopération intercommunale à fiscalité propre, keyed by its SIREN
    (the code the data·inclusion zone d'éligibilité uses)."""

    code = models.CharField(_("SIREN"), max_length=9, primary_key=True)
    name = models.CharField(_("nom"), max_length=200)

    class Meta:
        verbose_name = _("EPCI")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Commune(models.Model):
    """A commune keyed by its INSEE code; postcodes as a list (one commune may have several)."""

    insee_code = models.CharField(_("code INSEE"), max_length=5, primary_key=True)
    name = models.CharField(_("nom"), max_length=150)
    departement = models.ForeignKey(Departement, on_delete=models.PROTECT, related_name="communes")
    postcodes = models.JSONField(_("codes postaux"), default=list)
    epci = models.ForeignKey(
        Epci, on_delete=models.SET_NULL, null=True, blank=True, related_name="communes", verbose_name=_("EPCI")
    )
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)

    class Meta:
        verbose_name = _("commune")
        ordering = ["name"]
        indexes = [models.Index(fields=["departement", "name"])]

    def __str__(self) -> str:
        postcode = self.postcodes[0] if self.postcodes else ""
        return f"{self.name} ({postcode})" if postcode else self.name
