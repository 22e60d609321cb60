"""Permission-scoped reads of referrals. The recipient side reads the person only through the
referral's snapshot (`shared_data`), never the live record; the rights are filters in SQL, and a
referral outside the reader's scope is indistinguishable from one that does not exist."""

import datetime
from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from parcours.diagnostics.enums import SENSITIVE_THEMES
from parcours.organisations.enums import ACCOMPANYING_ROLES
from parcours.organisations.models import Membership, Organisation
from parcours.pathways.models import Pathway
from parcours.pathways.selectors import pathways_visible_to
from parcours.people.enums import SENSITIVE_CATEGORIES, ConsentDecision, ConsentPurpose, DataCategory
from parcours.people.models import Consent
from parcours.people.selectors import consent_exists

from .enums import AWAITING_ANSWER, REFERRAL_TRANSITIONS, ReferralStatus
from .models import Referral

# The inbox's pseudo-status: everything still waiting for the recipient's answer (sent or seen).
AWAITING = "awaiting"
# What each side may do, in the order the buttons are shown ("seen" is recorded on reading).
RECIPIENT_MOVES = (ReferralStatus.ACCEPTED, ReferralStatus.REFUSED, ReferralStatus.STARTED, ReferralStatus.CLOSED)
SENDER_MOVES = (ReferralStatus.CANCELLED,)


def live_members(*, roles: Iterable[str]) -> QuerySet[Membership]:
    """Active memberships (active organisation, active account) holding one of `roles`, read live."""
    return Membership.objects.active().filter(user__is_active=True, role__in=list(roles))


def acting_recipients() -> QuerySet[Membership]:
    """THE definition of who may act as the recipient of a referral: a live membership of the
    recipient organisation whose role accompanies people (ACCOMPANYING_ROLES). A structure
    administrator, a pilote or any other role is not: they see neither the inbox nor the contents.
    The same members are told of new referrals, reminders and cancellations. Filter it on the
    organisation (and the membership) to use it."""
    return live_members(roles=ACCOMPANYING_ROLES)


def may_act_as_recipient(*, membership: Membership | None, organisation_id: int | None) -> bool:
    if membership is None or organisation_id is None:
        return False
    return acting_recipients().filter(pk=membership.pk, organisation_id=organisation_id).exists()


def _live_recipient(membership: Membership | None) -> Q:
    """True when the membership may work the organisation's inbox (acting_recipients), in SQL."""
    if membership is None:
        return Q(pk__in=[])
    return Q(Exists(acting_recipients().filter(pk=membership.pk)))


def _theme_readable_by(membership: Membership) -> Q:
    """A referral whose need is a sensitive theme (health) tells health data: readable on the
    sender side only by a member the person's consent for the accompaniment covers for the health
    category (people.selectors.consent_exists: the rule of consented_categories, per row in SQL)."""
    health = consent_exists(
        person_ref=OuterRef("pathway__person_id"), category=DataCategory.HEALTH, membership=membership
    )
    return ~Q(theme__in=SENSITIVE_THEMES) | Q(health)


def readable_themes(categories: frozenset[str]) -> Q:
    """The same rule for a reader whose readable categories for the person are known (one pathway)."""
    if DataCategory.HEALTH in categories:
        return Q()
    return ~Q(theme__in=SENSITIVE_THEMES)


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
        .select_related(
            "pathway", "service__structure", "sender__organisation", "sender__user", "goal", "answered_by__user"
        )
        .first()
    )
    if referral is None:
        raise Http404("Prescription introuvable.")
    return referral


def referral_for_sender_side(*, membership: Membership | None, user, referral_id: int) -> Referral:
    """A referral of a pathway the reader may read (a member of its follow-up group, see
    pathways_visible_to), whose need the reader may know (a health one needs the person's consent
    for health data, `_theme_readable_by`); only a professional, acting for an organisation. The page shows only the shared
    sections the reader may see (`visible_sections`)."""
    if membership is None:
        raise Http404("Prescription introuvable.")
    referral = (
        Referral.objects.filter(
            _theme_readable_by(membership),
            pk=referral_id,
            pathway__in=pathways_visible_to(membership=membership, user=user),
        )
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
    that pathway; a health need only where the person's consent covers the reader
    (`_theme_readable_by`). Display the person with `person_name(referral)`."""
    if membership is None:
        return Referral.objects.none()
    return (
        Referral.objects.filter(
            _theme_readable_by(membership),
            sender=membership,
            pathway__in=pathways_visible_to(membership=membership, user=user),
        )
        .select_related("service__structure", "recipient_organisation")
        .order_by("-sent_at", "-id")
    )


def referrals_of_pathway(*, pathway: Pathway, categories: frozenset[str]) -> QuerySet[Referral]:
    """The pathway's referrals, latest first (the caller has checked it may read the pathway);
    `categories` are the reader's readable ones for the person (consented_categories): without
    health, the referrals for a health need are left out."""
    return (
        Referral.objects.filter(readable_themes(categories), pathway=pathway)
        .select_related("service__structure", "recipient_organisation", "sender__user", "sender__organisation", "goal")
        .order_by("-sent_at", "-id")
    )


def allowed_transitions(referral: Referral, *, side: str) -> list[str]:
    """The moves to offer as buttons: "recipient" (accept, refuse, start, close) or "sender"
    (cancel). The services check them again under a row lock."""
    possible = REFERRAL_TRANSITIONS[ReferralStatus(referral.status)]
    moves = RECIPIENT_MOVES if side == "recipient" else SENDER_MOVES if side == "sender" else ()
    return [str(s) for s in moves if s in possible]


def referral_consents(*, person_id: int, organisation_id: int | None) -> dict[str, tuple[str, datetime.datetime]]:
    """The person's current decisions on sending each sensitive category to this organisation by
    referral: category → (decision, decided_at). A structure without an account (None) has none."""
    if organisation_id is None:
        return {}
    rows = Consent.objects.filter(
        person_id=person_id,
        organisation_id=organisation_id,
        purpose=ConsentPurpose.REFERRAL,
        is_current=True,
        category__in=SENSITIVE_CATEGORIES,
    ).values_list("category", "decision", "decided_at")
    return {category: (decision, decided_at) for category, decision, decided_at in rows}


def referral_consented(*, person_id: int, organisation_id: int | None) -> set[str]:
    """Sensitive categories the person currently agrees to send to this organisation by referral."""
    decisions = referral_consents(person_id=person_id, organisation_id=organisation_id)
    return {c for c, (decision, _at) in decisions.items() if decision == ConsentDecision.GIVEN}


def sendable_categories(*, pathway: Pathway, organisation: Organisation | None) -> dict[str, bool]:
    """Each data category → whether it may travel to this organisation without an override: the
    ordinary ones always, a sensitive one with the person's current consent for a referral to it.
    A structure without an account (organisation None) never receives a sensitive one by consent."""
    consented = referral_consented(
        person_id=pathway.person_id, organisation_id=organisation.pk if organisation else None
    )
    return {c.value: c not in SENSITIVE_CATEGORIES or c.value in consented for c in DataCategory}


def _section(section: dict, *, withdrawn_on: str = "", withdrawn: bool = False) -> dict:
    return {
        "category": section.get("category", ""),
        "label": section.get("label", ""),
        "fields": section.get("fields", []),
        "withdrawn": withdrawn,
        "withdrawn_on": withdrawn_on,
    }


def visible_sections(referral: Referral, *, categories: frozenset[str] | None = None) -> list[dict]:
    """The shared sections of a sender-side reader; `categories` (people.selectors.
    consented_categories) hides the sensitive sections that reader may not see. None: all of them
    (to count the hidden ones)."""
    sections = (referral.shared_data or {}).get("sections", [])
    return [
        _section(s)
        for s in sections
        if categories is None or s.get("category") not in SENSITIVE_CATEGORIES or s.get("category") in categories
    ]


def recipient_sections(referral: Referral) -> list[dict]:
    """The shared sections of the recipient side (in Parcours or through a link). A sensitive
    section stays readable only while the person's current consent to send it to the recipient
    organisation holds; withdrawn, it is replaced by the date of the withdrawal (`withdrawn`,
    `withdrawn_on`) and its fields are not passed. A referral sent with an override keeps
    everything: the override, motivated and logged, is the legal basis."""
    sections = (referral.shared_data or {}).get("sections", [])
    if referral.overridden_by_id is not None or not any(s.get("category") in SENSITIVE_CATEGORIES for s in sections):
        return [_section(s) for s in sections]
    decisions = referral_consents(
        person_id=referral.pathway.person_id, organisation_id=referral.recipient_organisation_id
    )
    shown = []
    for s in sections:
        category = s.get("category")
        decision, decided_at = decisions.get(category, ("", None))
        if category not in SENSITIVE_CATEGORIES or decision == ConsentDecision.GIVEN:
            shown.append(_section(s))
        else:
            on = timezone.localtime(decided_at).strftime("%d/%m/%Y") if decided_at else ""
            shown.append({**_section(s, withdrawn_on=on, withdrawn=True), "fields": []})
    return shown


def person_name(referral: Referral) -> str:
    """The person's name as sent (identity always travels)."""
    return (referral.shared_data or {}).get("name", "")
