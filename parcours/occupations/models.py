from django.db import models
from django.utils.translation import gettext_lazy as _


class RomeJob(models.Model):
    """A ROME 4.0 job sheet (fiche métier), e.g. "J1501 Aide-soignant / Aide-soignante".

    The foundation ships a hand-written subset (parcours/occupations/data/rome_subset.csv);
    the full referential importer extends this table without changing its key.
    """

    code = models.CharField(_("code ROME"), max_length=5, primary_key=True)
    label = models.CharField(_("intitulé"), max_length=255)
    is_regulated = models.BooleanField(_("métier réglementé"), default=False)

    class Meta:
        verbose_name = _("fiche métier ROME")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} · {self.label}"
