from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    READ = "read", _("Consultation")
    CREATE = "create", _("Création")
    UPDATE = "update", _("Modification")
    BREAK_GLASS = "break_glass", _("Accès exceptionnel")
    PRINT = "print", _("Impression")
    LOGIN = "login", _("Connexion")
    LOGIN_FAILED = "login_failed", _("Échec de connexion")


class AuditEntry(models.Model):
    """Append-only, tamper-evident log of reads and changes. Each entry stores the hash of the
    previous one (`prev_hash`) and its own hash over its content and `prev_hash`; rewriting or
    deleting an entry breaks the chain, which `manage.py audit_verify` reports."""

    # Append-only and the largest table: indexed only where reads need it (by person for the
    # access log, by actor for investigations, by id for verification). Time-range reads belong to
    # the monthly partitions planned at national scale.
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, null=True, related_name="+", db_index=False
    )
    action = models.CharField(max_length=16, choices=AuditAction.choices)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64, blank=True)
    # Indexed by audit_person_at_idx (person, -at), which also serves lookups by person alone.
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, null=True, related_name="+", db_index=False)
    fields = models.JSONField(default=list, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("entrée du journal d'audit")
        ordering = ["id"]
        indexes = [models.Index(fields=["person", "-at"], name="audit_person_at_idx")]
        # A constraint rather than unique=True: no extra pattern-matching index on PostgreSQL.
        constraints = [models.UniqueConstraint(fields=["hash"], name="audit_hash_unique")]


class AuditAnchor(models.Model):
    """A checkpoint of the chain's tail, written by `audit_verify --anchor` (daily in production).

    The chain alone cannot reveal that its last entries were deleted: nothing follows them. An
    anchor remembers (id, hash) of the tail at a moment; `audit_verify` checks that every anchored
    entry still exists with that hash. Copy anchors out of the database (logs, a write-once store)
    for protection against someone who can rewrite both tables."""

    at = models.DateTimeField()
    last_id = models.BigIntegerField()
    last_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["last_id"]
