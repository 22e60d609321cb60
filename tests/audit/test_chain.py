from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from parcours.audit.chain import GENESIS_HASH, ChainLink, first_broken_link, link_hash
from parcours.audit.models import AuditAction, AuditEntry
from parcours.audit.services import audit_log, audit_log_many
from tests.factories import UserFactory


def _chain(contents):
    links, prev = [], GENESIS_HASH
    for i, content in enumerate(contents, start=1):
        h = link_hash(prev_hash=prev, content=content)
        links.append(ChainLink(id=i, content=content, prev_hash=prev, hash=h))
        prev = h
    return links


def test_intact_chain_verifies():
    assert first_broken_link(_chain([{"a": 1}, {"a": 2}, {"a": 3}])) == (None, "")


def test_modified_entry_is_the_first_broken_link():
    links = _chain([{"a": 1}, {"a": 2}, {"a": 3}])
    links[1] = ChainLink(id=2, content={"a": 99}, prev_hash=links[1].prev_hash, hash=links[1].hash)
    broken, why = first_broken_link(links)
    assert broken == 2
    assert "modifiée" in why


def test_deleted_entry_breaks_the_next_link():
    links = _chain([{"a": 1}, {"a": 2}, {"a": 3}])
    del links[1]
    assert first_broken_link(links)[0] == 3


@pytest.mark.django_db
def test_audit_verify_command_reports_tampering():
    user = UserFactory()
    for _ in range(3):
        audit_log(actor=user, action=AuditAction.READ, object_type="test", object_id="1")
    call_command("audit_verify")
    entry = AuditEntry.objects.order_by("id")[1]
    AuditEntry.objects.filter(pk=entry.pk).update(reason="falsifié")
    with pytest.raises(CommandError, match=f"n° {entry.pk}"):
        call_command("audit_verify")


def _write(n):
    user = UserFactory()
    return [audit_log(actor=user, action=AuditAction.READ, object_type="test", object_id=str(i)) for i in range(n)]


@pytest.mark.django_db
def test_audit_verify_passes_after_many_writes():
    _write(120)
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert "120 entrées vérifiées" in out.getvalue()


@pytest.mark.django_db
def test_each_entry_chains_on_the_previous_one():
    entries = _write(3)
    assert entries[0].prev_hash == GENESIS_HASH
    assert entries[1].prev_hash == entries[0].hash and entries[2].prev_hash == entries[1].hash


@pytest.mark.django_db
def test_audit_verify_reports_a_deleted_entry_at_the_next_one():
    entries = _write(5)
    AuditEntry.objects.filter(pk=entries[2].pk).delete()
    with pytest.raises(CommandError, match=f"n° {entries[3].pk} .*supprimée"):
        call_command("audit_verify")


@pytest.mark.django_db
def test_audit_verify_reports_an_edited_entry_by_its_id():
    entries = _write(5)
    AuditEntry.objects.filter(pk=entries[3].pk).update(fields=["health"])
    with pytest.raises(CommandError, match=f"n° {entries[3].pk} .*modifiée"):
        call_command("audit_verify")


@pytest.mark.django_db
def test_audit_verify_reports_a_rehashed_entry_at_the_next_one():
    # A forger who edits an entry and recomputes its hash still breaks the following link.
    from parcours.audit.chain import link_hash
    from parcours.audit.services import _content

    entries = _write(4)
    forged = AuditEntry.objects.get(pk=entries[1].pk)
    forged.reason = "effacé"
    forged.hash = link_hash(prev_hash=forged.prev_hash, content=_content(forged))
    AuditEntry.objects.filter(pk=forged.pk).update(reason=forged.reason, hash=forged.hash)
    with pytest.raises(CommandError, match=f"n° {entries[2].pk} "):
        call_command("audit_verify")


@pytest.mark.django_db
def test_audit_verify_on_an_empty_log_passes():
    out = StringIO()
    call_command("audit_verify", stdout=out)
    assert "0 entrées vérifiées" in out.getvalue()


@pytest.mark.django_db
def test_rolled_back_write_leaves_a_valid_chain():
    from django.db import transaction

    _write(2)
    with pytest.raises(RuntimeError), transaction.atomic():
        _write(1)
        raise RuntimeError("annulé")
    _write(2)
    call_command("audit_verify")
    assert AuditEntry.objects.count() == 4


@pytest.mark.django_db
def test_deleting_the_tail_is_caught_by_an_anchor():
    from parcours.audit.models import AuditAnchor

    user = UserFactory()
    for _ in range(3):
        audit_log(actor=user, action=AuditAction.READ, object_type="test", object_id="1")
    call_command("audit_verify", "--anchor")
    assert AuditAnchor.objects.count() == 1
    AuditEntry.objects.order_by("-id").first().delete()  # the chain alone still verifies
    with pytest.raises(CommandError, match="Ancrage"):
        call_command("audit_verify")


@pytest.mark.django_db
def test_no_anchor_is_written_on_a_broken_chain():
    from parcours.audit.models import AuditAnchor

    user = UserFactory()
    for _ in range(2):
        audit_log(actor=user, action=AuditAction.READ, object_type="test", object_id="1")
    AuditEntry.objects.filter(pk=AuditEntry.objects.order_by("id").first().pk).update(reason="falsifié")
    with pytest.raises(CommandError):
        call_command("audit_verify", "--anchor")
    assert not AuditAnchor.objects.exists()


@pytest.mark.django_db
def test_entries_appended_together_are_chained_in_order_and_verify(django_assert_max_num_queries):
    user = UserFactory()
    audit_log(actor=user, action=AuditAction.READ, object_type="test", object_id=0)
    with django_assert_max_num_queries(5):  # one lock, one read of the chain's end, one insert
        rows = audit_log_many(
            {"actor": user, "action": AuditAction.READ, "object_type": "test", "object_id": k} for k in (1, 2, 3)
        )
    stored = list(AuditEntry.objects.order_by("id").values_list("object_id", "prev_hash", "hash"))
    assert [row[0] for row in stored[-3:]] == ["1", "2", "3"]
    assert [row.hash for row in rows] == [row[2] for row in stored[-3:]]
    assert [row[1] for row in stored[1:]] == [row[2] for row in stored[:-1]]
    assert audit_log_many([]) == []
    out = StringIO()
    call_command("audit_verify", stdout=out)
