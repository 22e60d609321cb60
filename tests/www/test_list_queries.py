"""The list pages of referrals and alerts read in a number of queries that does not grow with their
rows (no query per row)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from parcours.pathways.breaks import scan_breaks
from tests.factories import MembershipFactory, PathwayFactory
from tests.referrals.factories import ReferralFactory

pytestmark = pytest.mark.django_db


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    assert "!!INVALID" not in response.content.decode()
    return len(ctx)


@pytest.mark.parametrize("side", ["inbox", "sent", "pathway"])
def test_referral_lists_do_not_query_per_row(login, pathway, membership, side):
    first = ReferralFactory(pathway=pathway)
    reader = MembershipFactory(organisation=first.recipient_organisation) if side == "inbox" else membership
    url = {
        "inbox": reverse("referral_inbox"),
        "sent": reverse("referral_sent"),
        "pathway": reverse("pathway_referrals", args=[pathway.pk]),
    }[side]
    client = login(reader)
    _queries(client, url)  # the first request after logging in settles the session
    one = _queries(client, url)
    for _ in range(4):
        ReferralFactory(pathway=pathway, service=first.service, recipient_organisation=first.recipient_organisation)
    assert _queries(client, url) == one


def test_alerts_to_handle_does_not_query_per_row(login, membership):
    old = timezone.now() - datetime.timedelta(days=60)
    PathwayFactory(referent=membership, last_activity_at=old)
    scan_breaks()
    client = login(membership)
    _queries(client, reverse("alerts_to_handle"))  # the first request after logging in settles the session
    one = _queries(client, reverse("alerts_to_handle"))
    for _ in range(4):
        PathwayFactory(referent=membership, last_activity_at=old)
    scan_breaks()
    assert _queries(client, reverse("alerts_to_handle")) == one
