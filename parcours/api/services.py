"""Writes on API tokens: creation (the clear key is returned once and never stored) and revocation,
both audit-logged."""

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.audit.models import AuditAction
from parcours.audit.services import audit_log
from parcours.organisations.models import Organisation

from .models import PREFIX_LENGTH, ApiToken


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_token(*, organisation: Organisation, label: str, created_by=None) -> tuple[ApiToken, str]:
    """A new token for the organisation and its clear key, to hand over once to the partner."""
    label = (label or "").strip()
    if not label:
        raise ValidationError(_("Indiquez un libellé pour le jeton."))
    if not organisation.is_active:
        raise ValidationError(_("Cette organisation est désactivée : impossible de lui créer un jeton."))
    key = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            organisation=organisation,
            label=label[:200],
            key_hash=hash_key(key),
            prefix=key[:PREFIX_LENGTH],
            created_by=created_by if created_by is not None and created_by.is_authenticated else None,
        )
        audit_log(
            actor=created_by,
            organisation=organisation,
            action=AuditAction.CREATE,
            obj=token,
            fields=["organisation", "label"],
            reason="jeton d'API",
        )
    return token, key


def revoke_token(*, token: ApiToken, revoked_by=None) -> ApiToken:
    """Revoke a token for good (it is kept, for the history). Revoking twice changes nothing."""
    with transaction.atomic():
        now = timezone.now()
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
        token.refresh_from_db(fields=["revoked_at"])
        if updated:
            audit_log(
                actor=revoked_by,
                organisation=token.organisation,
                action=AuditAction.UPDATE,
                obj=token,
                fields=["revoked_at"],
                reason="révocation du jeton d'API",
            )
    return token
