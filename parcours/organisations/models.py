from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from parcours.territories.models import Departement

from .enums import OrganisationKind, Role


class Organisation(models.Model):
    kind = models.CharField(_("type"), max_length=32, choices=OrganisationKind.choices)
    name = models.CharField(_("nom"), max_length=200)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    departement = models.ForeignKey(
        Departement, on_delete=models.PROTECT, related_name="organisations", verbose_name=_("département")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("structure parente"),
    )
    email = models.EmailField(_("e-mail de contact"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # A pathway whose referent works here breaks after this many days without activity.
    inactivity_days = models.PositiveSmallIntegerField(
        _("jours sans activité avant alerte"), default=45, validators=[MinValueValidator(7), MaxValueValidator(365)]
    )

    class Meta:
        verbose_name = _("organisation")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(siret="") | Q(siret__regex=r"^[0-9]{14}$"), name="organisation_siret_14_digits"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(models.QuerySet):
    def active(self) -> "MembershipQuerySet":
        return self.filter(is_active=True, organisation__is_active=True)


class Membership(models.Model):
    """A professional working in an organisation with one role; switching organisation means
    switching membership."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("rôle"), max_length=32, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("appartenance")
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_one_per_user_and_organisation"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organisation} ({self.get_role_display()})"


class TerritoryGrant(models.Model):
    """An explicit territory access: lets a chargé·e d'orientation see the pathways of people of
    a département (those awaiting or under an orientation decision). Granted by a platform
    administrator, revocable, never implicit."""

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="territory_grants")
    departement = models.ForeignKey(Departement, on_delete=models.PROTECT, related_name="+")
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(_("motif"), max_length=300)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("habilitation territoriale")
        constraints = [
            models.UniqueConstraint(
                fields=["membership", "departement"],
                condition=Q(revoked_at__isnull=True),
                name="territory_grant_one_active_per_departement",
            ),
        ]
