"""Appends to the audit chain from several threads at once keep one valid chain: the advisory
lock serialises them, so no two entries claim the same predecessor."""

import pytest
from django.core.management import call_command
from django.db import transaction

from parcours.audit.models import AuditAction, AuditEntry
from parcours.audit.services import audit_log
from tests.concurrency import run_together
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 6
WRITES_PER_THREAD = 10


def test_concurrent_appends_keep_a_valid_chain():
    users = [UserFactory() for _ in range(THREADS)]

    def writer(user):
        def write():
            for i in range(WRITES_PER_THREAD):
                audit_log(actor=user, action=AuditAction.READ, object_type="test", object_id=str(i))

        return write

    outcomes = run_together(*(writer(user) for user in users))

    assert outcomes == [None] * THREADS
    assert AuditEntry.objects.count() == THREADS * WRITES_PER_THREAD
    prev_hashes = list(AuditEntry.objects.values_list("prev_hash", flat=True))
    assert len(set(prev_hashes)) == len(prev_hashes)  # no fork
    call_command("audit_verify")


def test_concurrent_appends_inside_longer_transactions_keep_a_valid_chain():
    users = [UserFactory() for _ in range(THREADS)]

    def writer(user):
        def write():
            with transaction.atomic():
                for i in range(3):
                    audit_log(actor=user, action=AuditAction.UPDATE, object_type="test", object_id=str(i))

        return write

    run_together(*(writer(user) for user in users))

    assert AuditEntry.objects.count() == THREADS * 3
    call_command("audit_verify")
