import pytest
from django.core.management import CommandError, call_command

from parcours.audit.chain import GENESIS_HASH, ChainLink, first_broken_link, link_hash
from parcours.audit.models import AuditAction, AuditEntry
from parcours.audit.services import audit_log
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
