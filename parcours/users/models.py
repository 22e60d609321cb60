from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A professional account. One account may belong to several organisations (memberships).

    Platform administrators are `is_superuser`; they manage organisations and referentials and
    reach a person's data only through a reasoned, logged break-glass access.
    """

    email = models.EmailField(_("adresse e-mail"), unique=True)

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")

    def __str__(self) -> str:
        return self.get_full_name() or self.username
