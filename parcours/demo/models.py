from django.db import models
from django.utils.translation import gettext_lazy as _


class DemoLoad(models.Model):
    """Marks a database into which `manage.py demo_load` generated the demo territory: a second
    load is refused unless `--reset`, and `demo_logins` knows the demo logins exist."""

    loaded_at = models.DateTimeField(_("chargée le"))
    seed = models.BigIntegerField(_("graine"))
    persons = models.PositiveIntegerField(_("personnes générées"))
    duration_s = models.FloatField(_("durée (s)"), default=0)

    class Meta:
        verbose_name = _("chargement de la démo")
        verbose_name_plural = _("chargements de la démo")
        ordering = ["-loaded_at"]

    def __str__(self) -> str:
        return f"{self.persons} personnes (graine {self.seed})"
