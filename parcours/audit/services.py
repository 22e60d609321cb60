from collections.abc import Iterable, Iterator

from django.db import connection, transaction
from django.utils import timezone

from .chain import GENESIS_HASH, ChainLink, link_hash
from .models import AuditAction, AuditEntry

# Arbitrary constant key for the PostgreSQL advisory lock that serialises appends to the chain.
_CHAIN_LOCK_KEY = 7_020_001


def _content(entry: AuditEntry) -> dict:
    return {
        "at": entry.at.isoformat(),
        "actor": entry.actor_id,
        "organisation": entry.organisation_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "person": entry.person_id,
        "fields": entry.fields,
        "reason": entry.reason,
    }


def _entry(
    *,
    actor,
    organisation=None,
    action: AuditAction | str,
    obj=None,
    object_type: str = "",
    object_id: str | int = "",
    person=None,
    fields: Iterable[str] = (),
    reason: str = "",
) -> AuditEntry:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    return AuditEntry(
        at=timezone.now(),
        actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
        organisation=organisation,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        person=person,
        fields=sorted(fields),
        reason=reason,
    )


def audit_log_many(entries: Iterable[dict]) -> list[AuditEntry]:
    """Append several entries (each a dict of audit_log's arguments) in one go: one lock, one read
    of the chain's end, one INSERT; each entry is chained to the one before, in the given order.
    Appends are serialised (advisory lock on PostgreSQL; SQLite serialises writers itself) so that
    two entries never claim the same predecessor."""
    rows = [_entry(**entry) for entry in entries]
    if not rows:
        return rows
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
        prev = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS_HASH
        for row in rows:
            row.prev_hash = prev
            row.hash = prev = link_hash(prev_hash=prev, content=_content(row))
        if len(rows) == 1:
            rows[0].save(force_insert=True)
        else:
            AuditEntry.objects.bulk_create(rows)
    return rows


def audit_log(
    *,
    actor,
    organisation=None,
    action: AuditAction | str,
    obj=None,
    object_type: str = "",
    object_id: str | int = "",
    person=None,
    fields: Iterable[str] = (),
    reason: str = "",
) -> AuditEntry:
    """Append one entry to the chain."""
    entry = {"actor": actor, "organisation": organisation, "action": action, "obj": obj}
    entry |= {"object_type": object_type, "object_id": object_id, "person": person}
    entry |= {"fields": fields, "reason": reason}
    return audit_log_many([entry])[0]


def audit_links(batch_size: int = 5000) -> Iterator[ChainLink]:
    last_id = 0
    while True:
        batch = list(AuditEntry.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            return
        for entry in batch:
            yield ChainLink(id=entry.id, content=_content(entry), prev_hash=entry.prev_hash, hash=entry.hash)
        last_id = batch[-1].id
