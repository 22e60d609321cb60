"""Referral reads: the recipient's inbox (one indexed query, scoped to the organisation, live
membership), one referral on each side, the buttons to show, the categories that may travel."""

import datetime

import pytest
from django.http import Http404
from django.utils import timezone

from parcours.organisations.enums import Role
from parcours.organisations.models import Membership
from parcours.pathways.models import FollowUpMember
from parcours.people.enums import ConsentPurpose, DataCategory
from parcours.referrals.enums import ReferralStatus
from parcours.referrals.models import Referral
from parcours.referrals.selectors import (
    allowed_transitions,
    inbox_for,
    person_name,
    referral_for_recipient,
    referral_for_sender_side,
    referrals_of_pathway,
    referrals_sent_by,
    sendable_categories,
    visible_sections,
)
from tests.directory.factories import ServiceFactory
from tests.factories import ConsentFactory, FollowUpMemberFactory, MembershipFactory, PathwayFactory
from tests.referrals.factories import ReferralFactory

pytestmark = pytest.mark.django_db


def in_days(n):
    return timezone.now() + datetime.timedelta(days=n)


@pytest.fixture
def received(pathway, service):
    """Three referrals to the recipient organisation and one to another organisation."""
    other_service = ServiceFactory(operator=service.operator)
    return {
        "soon": ReferralFactory(pathway=pathway, service=service, due_at=in_days(1)),
        "later": ReferralFactory(pathway=pathway, service=other_service, due_at=in_days(8), status="seen"),
        "late": ReferralFactory(pathway=pathway, service=service, due_at=in_days(-1)),
        "accepted": ReferralFactory(pathway=pathway, service=service, due_at=in_days(3), status="accepted"),
        "elsewhere": ReferralFactory(pathway=pathway),
    }


def test_inbox_lists_the_organisation_referrals_latest_deadline_first(received, recipient):
    inbox = list(inbox_for(membership=recipient))
    assert inbox == [received["later"], received["accepted"], received["soon"], received["late"]]


def test_inbox_is_one_query_with_what_the_list_shows(received, recipient, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = [
            (person_name(r), r.service.nom, r.service.structure.nom, r.sender.organisation.name, r.sender.user.email)
            for r in inbox_for(membership=recipient)
        ]
    assert len(rows) == 4
    assert rows[0][0] == received["later"].pathway.person.full_name


def test_inbox_filters(received, recipient):
    assert list(inbox_for(membership=recipient, status="accepted")) == [received["accepted"]]
    assert list(inbox_for(membership=recipient, status="awaiting")) == [
        received["later"],
        received["soon"],
        received["late"],
    ]
    assert list(inbox_for(membership=recipient, service_id=received["later"].service_id)) == [received["later"]]
    assert list(inbox_for(membership=recipient, overdue_only=True)) == [received["late"]]
    assert len(inbox_for(membership=recipient, status="nonsense")) == 4


def test_inbox_is_empty_for_another_organisation_a_pilote_or_an_inactive_member(received, recipient_org):
    pilote = MembershipFactory(organisation=recipient_org, role=Role.PILOTE)
    inactive = MembershipFactory(organisation=recipient_org, is_active=False)
    for membership in (MembershipFactory(), pilote, inactive):
        assert not inbox_for(membership=membership).exists()


def test_recipient_reads_only_what_its_organisation_received(received, recipient):
    assert referral_for_recipient(membership=recipient, referral_id=received["soon"].pk) == received["soon"]
    with pytest.raises(Http404):
        referral_for_recipient(membership=recipient, referral_id=received["elsewhere"].pk)
    with pytest.raises(Http404):
        referral_for_recipient(membership=MembershipFactory(), referral_id=received["soon"].pk)


def test_sender_side_is_the_pathway_group(received, membership, pathway, recipient):
    referral = received["soon"]
    assert referral_for_sender_side(membership=membership, user=membership.user, referral_id=referral.pk) == referral
    colleague = FollowUpMemberFactory(pathway=pathway).membership
    assert referral_for_sender_side(membership=colleague, user=colleague.user, referral_id=referral.pk) == referral
    for outsider in (MembershipFactory(), recipient):
        with pytest.raises(Http404):
            referral_for_sender_side(membership=outsider, user=outsider.user, referral_id=referral.pk)


def test_referrals_of_pathway_latest_first(pathway, service):
    old = ReferralFactory(pathway=pathway, service=service, sent_at=timezone.now() - datetime.timedelta(days=3))
    new = ReferralFactory(pathway=pathway, service=service)
    ReferralFactory()
    assert list(referrals_of_pathway(pathway=pathway, categories=frozenset({"identity"}))) == [new, old]


@pytest.mark.parametrize(
    ("status", "recipient_moves", "sender_moves"),
    [
        ("sent", ["accepted", "refused"], ["cancelled"]),
        ("seen", ["accepted", "refused"], ["cancelled"]),
        ("accepted", ["started", "closed"], []),
        ("started", ["closed"], []),
        ("refused", [], []),
        ("expired", [], []),
        ("closed", [], []),
        ("cancelled", [], []),
    ],
)
def test_allowed_transitions(status, recipient_moves, sender_moves):
    referral = Referral(status=status)
    assert allowed_transitions(referral, side="recipient") == recipient_moves
    assert allowed_transitions(referral, side="sender") == sender_moves
    assert allowed_transitions(referral, side="someone") == []


def test_sendable_categories(pathway, recipient_org):
    ConsentFactory(
        person=pathway.person, organisation=recipient_org, category=DataCategory.HEALTH, purpose=ConsentPurpose.REFERRAL
    )
    # A consent for the accompaniment does not let data travel by referral.
    ConsentFactory(person=pathway.person, organisation=recipient_org, category=DataCategory.DISABILITY)
    sendable = sendable_categories(pathway=pathway, organisation=recipient_org)
    assert sendable == {
        "identity": True,
        "contact": True,
        "situation": True,
        "health": True,
        "residence_status": False,
        "asylum_history": False,
        "disability": False,
    }
    without_account = sendable_categories(pathway=pathway, organisation=None)
    assert not any(without_account[c] for c in ("health", "residence_status", "asylum_history", "disability"))
    assert without_account["identity"]


def test_visible_sections_hide_sensitive_ones_the_reader_may_not_see():
    referral = Referral(
        shared_data={
            "name": "Awa DIALLO",
            "sections": [
                {"category": "identity", "label": "Identité", "fields": [["Prénom", "Awa"]]},
                {"category": "health", "label": "Santé", "fields": [["Besoin", "Fort"]]},
            ],
        }
    )
    assert [s["category"] for s in visible_sections(referral)] == ["identity", "health"]
    assert [s["category"] for s in visible_sections(referral, categories=frozenset({"identity"}))] == ["identity"]
    assert person_name(referral) == "Awa DIALLO"


def test_seen_status_constant_is_not_a_button():
    referral = Referral(status=ReferralStatus.SENT)
    assert ReferralStatus.SEEN not in allowed_transitions(referral, side="recipient")


def test_referrals_sent_by_lists_the_sender_referrals_on_pathways_it_still_reads(membership, pathway, service):
    older = ReferralFactory(pathway=pathway, service=service, sent_at=timezone.now() - datetime.timedelta(days=2))
    newer = ReferralFactory(pathway=pathway, service=service)
    ReferralFactory(service=service)  # another sender's referral, on another pathway
    colleague = FollowUpMemberFactory(pathway=pathway).membership
    ReferralFactory(pathway=pathway, service=service, sender=colleague, sent_by=colleague.user)
    assert list(referrals_sent_by(membership=membership, user=membership.user)) == [newer, older]
    assert referrals_sent_by(membership=None, user=membership.user).count() == 0


def test_referrals_sent_by_leaves_out_a_pathway_the_sender_no_longer_reads(membership, pathway, service):
    kept_pathway = PathwayFactory(referent=membership)
    kept = ReferralFactory(pathway=kept_pathway, service=service)
    left = ReferralFactory(pathway=pathway, service=service)
    assert set(referrals_sent_by(membership=membership, user=membership.user)) == {kept, left}
    # The sender leaves the pathway's follow-up group: its referral there is no longer listed.
    FollowUpMember.objects.filter(pathway=pathway, membership=membership).update(ended_at=timezone.now())
    assert list(referrals_sent_by(membership=membership, user=membership.user)) == [kept]
    # An inactive membership lists nothing.
    Membership.objects.filter(pk=membership.pk).update(is_active=False)
    membership.refresh_from_db()
    assert not referrals_sent_by(membership=membership, user=membership.user).exists()
