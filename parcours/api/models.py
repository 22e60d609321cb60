"""Partner API tokens. A token belongs to one organisation (the partner that calls the API); only the
SHA-256 of the key is stored, so a database leak gives no usable key. The first characters of the key
(`prefix`) let an administrator recognise and revoke a token without ever seeing it again."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from parcours.organisations.models import Organisation

PREFIX_LENGTH = 8


class ApiToken(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="api_tokens", verbose_name=_("organisation")
    )
    label = models.CharField(_("libellé"), max_length=200)
    key_hash = models.CharField(_("empreinte SHA-256 de la clé"), max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("début de la clé"), max_length=PREFIX_LENGTH, db_index=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("créé par"),
        editable=False,
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("dernière utilisation"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("jeton d'API")
        verbose_name_plural = _("jetons d'API")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(key_hash__regex=r"^[0-9a-f]{64}$"), name="api_token_hash_sha256_hex"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
