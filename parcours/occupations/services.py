"""Writes on the occupations referential made by people (the imports are in rome_import.py and
tension_import.py): the French level a professional domain usually requires."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.audit.models import AuditAction
from parcours.audit.services import audit_log
from parcours.diagnostics.enums import CecrlLevel

from .models import ProfessionalDomain


@transaction.atomic
def domain_french_level_set(*, code: str, level: str, user) -> ProfessionalDomain:
    """Set the French level (CECRL) the jobs of a domain usually require. Platform administrators
    only; audited. It feeds the job recommendations as a reason shown to the counsellor, never as
    a rule."""
    if user is None or not getattr(user, "is_superuser", False):
        raise PermissionDenied(
            _("Seul·e un·e administrateur·rice de la plateforme peut modifier le niveau de français d'un domaine.")
        )
    errors: dict[str, str] = {}
    if level not in CecrlLevel.values:
        errors["level"] = _("Niveau de français inconnu : choisissez un niveau du CECRL (A1.1 à C2).")
    domain = ProfessionalDomain.objects.select_for_update().filter(code=(code or "").strip().upper()).first()
    if domain is None:
        errors["code"] = _("Domaine professionnel inconnu.")
    if errors:
        raise ValidationError(errors)
    assert domain is not None
    previous = domain.french_level
    domain.french_level = level
    domain.french_level_updated_at = timezone.now()
    domain.french_level_updated_by = user
    domain.save(update_fields=["french_level", "french_level_updated_at", "french_level_updated_by"])
    audit_log(
        actor=user,
        action=AuditAction.UPDATE,
        obj=domain,
        fields=["french_level"],
        reason=_("Niveau de français : %(old)s → %(new)s") % {"old": previous, "new": level},
    )
    return domain
