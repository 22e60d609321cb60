"""Permission-scoped reads of referrals. The recipient side reads the person only through the
referral's snapshot (`shared_data`), never the live record; the rights are filters in SQL, and a
referral outside the reader's scope is indistinguishable from one that does not exist."""

from django.db.models import Exists, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from parcours.organisations.enums import Role
from parcours.organisations.models import Membership, Organisation
from parcours.pathways.models import Pathway
from parcours.pathways.selectors import pathways_visible_to
from parcours.people.enums import SENSITIVE_CATEGORIES, ConsentDecision, ConsentPurpose, DataCategory
from parcours.people.models import Consent

from .enums import AWAITING_ANSWER, REFERRAL_TRANSITIONS, ReferralStatus
from .models import Referral

# The inbox's pseudo-status: everything still waiting for the recipient's answer (sent or seen).
AWAITING = "awaiting"
# What each side may do, in the order the buttons are shown ("seen" is recorded on reading).
RECIPIENT_MOVES = (ReferralStatus.ACCEPTED, ReferralStatus.REFUSED, ReferralStatus.STARTED, ReferralStatus.CLOSED)
SENDER_MOVES = (ReferralStatus.CANCELLED,)


def _live_recipient(membership: Membership | None) -> Q:
    """True when the membership may work the organisation's inbox: active, in an active
    organisation, with an active account, any role but pilote (read live, not from memory)."""
    if membership is None:
        return Q(pk__in=[])
    live = Membership.objects.active().filter(pk=membership.pk, user__is_active=True).exclude(role=Role.PILOTE)
    return Q(Exists(live))


def _received_by(membership: Membership | None) -> QuerySet[Referral]:
    if membership is None:
        return Referral.objects.none()
    return Referral.objects.filter(_live_recipient(membership), recipient_organisation_id=membership.organisation_id)


def inbox_for(
    *, membership: Membership, status: str = "", service_id: int | None = None, overdue_only: bool = False
) -> QuerySet[Referral]:
    """Referrals received by the membership's organisation, latest deadline first, in one query on
    the inbox index (recipient_organisation, status, due_at). `status` is a ReferralStatus value,
    "awaiting" (sent or seen) or "" for all; an unknown value is ignored. Display the person with
    `referral.shared_data["name"]`: the live person is not loaded."""
    qs = _received_by(membership)
    if status == AWAITING:
        qs = qs.filter(status__in=AWAITING_ANSWER)
    elif status in ReferralStatus.values:
        qs = qs.filter(status=status)
    if service_id:
        qs = qs.filter(service_id=service_id)
    if overdue_only:
        qs = qs.filter(status__in=AWAITING_ANSWER, due_at__lt=timezone.now())
    return qs.select_related("service__structure", "sender__organisation", "sender__user").order_by("-due_at", "-id")


def referral_for_recipient(*, membership: Membership, referral_id: int) -> Referral:
    referral = (
        _received_by(membership)
        .filter(pk=referral_id)
        .select_related("service__structure", "sender__organisation", "sender__user", "goal", "answered_by__user")
        .first()
    )
    if referral is None:
        raise Http404("Prescription introuvable.")
    return referral


def referral_for_sender_side(*, membership: Membership | None, user, referral_id: int) -> Referral:
    """A referral of a pathway the reader may read (a member of its follow-up group, see
    pathways_visible_to). The page shows only the shared sections the reader may see
    (`visible_sections`)."""
    referral = (
        Referral.objects.filter(pk=referral_id, pathway__in=pathways_visible_to(membership=membership, user=user))
        .select_related(
            "pathway__person",
            "service__structure",
            "recipient_organisation",
            "sender__organisation",
            "sender__user",
            "goal",
            "answered_by__user",
            "answered_by__organisation",
            "overridden_by",
        )
        .first()
    )
    if referral is None:
        raise Http404("Prescription introuvable.")
    return referral


def referrals_sent_by(*, membership: Membership | None, user) -> QuerySet[Referral]:
    """The referrals the membership sent, latest first, limited to the pathways the user may still
    read (pathways_visible_to): one that left the follow-up group no longer sees the referrals of
    that pathway. Display the person with `person_name(referral)`."""
    if membership is None:
        return Referral.objects.none()
    return (
        Referral.objects.filter(sender=membership, pathway__in=pathways_visible_to(membership=membership, user=user))
        .select_related("service__structure", "recipient_organisation")
        .order_by("-sent_at", "-id")
    )


def referrals_of_pathway(*, pathway: Pathway) -> QuerySet[Referral]:
    """The pathway's referrals, latest first (the caller has checked it may read the pathway)."""
    return (
        Referral.objects.filter(pathway=pathway)
        .select_related("service__structure", "recipient_organisation", "sender__user", "sender__organisation", "goal")
        .order_by("-sent_at", "-id")
    )


def allowed_transitions(referral: Referral, *, side: str) -> list[str]:
    """The moves to offer as buttons: "recipient" (accept, refuse, start, close) or "sender"
    (cancel). The services check them again under a row lock."""
    possible = REFERRAL_TRANSITIONS[ReferralStatus(referral.status)]
    moves = RECIPIENT_MOVES if side == "recipient" else SENDER_MOVES if side == "sender" else ()
    return [str(s) for s in moves if s in possible]


def sendable_categories(*, pathway: Pathway, organisation: Organisation | None) -> dict[str, bool]:
    """Each data category → whether it may travel to this organisation without an override: the
    ordinary ones always, a sensitive one with the person's current consent for a referral to it.
    A structure without an account (organisation None) never receives a sensitive one by consent."""
    consented: set[str] = set()
    if organisation is not None:
        consented = set(
            Consent.objects.filter(
                person_id=pathway.person_id,
                organisation=organisation,
                purpose=ConsentPurpose.REFERRAL,
                decision=ConsentDecision.GIVEN,
                is_current=True,
                category__in=SENSITIVE_CATEGORIES,
            ).values_list("category", flat=True)
        )
    return {c.value: c not in SENSITIVE_CATEGORIES or c.value in consented for c in DataCategory}


def visible_sections(referral: Referral, *, categories: frozenset[str] | None = None) -> list[dict]:
    """The shared sections to show; `categories` (e.g. people.selectors.consented_categories of a
    sender-side reader) hides the sensitive sections that reader may not see. The recipient side
    passes None: what was sent is what it may read."""
    sections = (referral.shared_data or {}).get("sections", [])
    if categories is None:
        return sections
    return [s for s in sections if s.get("category") not in SENSITIVE_CATEGORIES or s.get("category") in categories]


def person_name(referral: Referral) -> str:
    """The person's name as sent (identity always travels)."""
    return (referral.shared_data or {}).get("name", "")
