"""Permission-scoped reads of pathways. Every rule is a filter in SQL, never a Python loop over
loaded rows; a pathway outside the reader's scope is indistinguishable from one that does not exist."""

import datetime

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from parcours.diagnostics.enums import SENSITIVE_THEMES
from parcours.organisations.enums import ACCOMPANYING_ROLES, Role
from parcours.organisations.models import Membership, Organisation, TerritoryGrant
from parcours.people.enums import DataCategory

from .enums import Orientation, PathwayStatus
from .models import BreakGlassAccess, Event, FollowUpMember, Goal, Pathway

# The membership's own state is checked in SQL too: an in-memory membership may be stale, and a
# deactivated organisation takes its members' access with it.
_LIVE_MEMBERSHIP = {"membership__is_active": True, "membership__organisation__is_active": True}


def _active_seat(membership: Membership):
    return FollowUpMember.objects.filter(
        pathway=OuterRef("pk"), membership=membership, ended_at__isnull=True, **_LIVE_MEMBERSHIP
    )


def _seat_at_closure(membership: Membership):
    """The seats that the closure of the pathway ended (ended_at == closed_at, see pathway_close)."""
    return FollowUpMember.objects.filter(
        pathway=OuterRef("pk"), membership=membership, ended_at=OuterRef("closed_at"), **_LIVE_MEMBERSHIP
    )


def pathways_visible_to(*, membership: Membership | None, user=None) -> QuerySet[Pathway]:
    """Pathways readable in full by this membership:
    - as an active member of the follow-up group, or, once the pathway is closed, as a member of
      the group at the time of closure (read-only: services refuse writes on closed pathways);
    - as a chargé·e d'orientation holding an explicit territory grant on the pathway's
      département, for pathways awaiting or under an orientation decision (open ones);
    - a platform administrator (user) only through an unexpired break-glass access.
    """
    condition = Q(pk__in=[])
    if membership is not None and membership.is_active:
        condition = Q(Exists(_active_seat(membership))) | Q(
            Exists(_seat_at_closure(membership)), status=PathwayStatus.CLOSED
        )
        if membership.role == Role.CHARGE_ORIENTATION:
            granted = TerritoryGrant.objects.filter(
                membership=membership, revoked_at__isnull=True, **_LIVE_MEMBERSHIP
            ).values("departement_id")
            condition |= Q(departement_id__in=granted, status=PathwayStatus.OPEN)
    if user is not None and user.is_superuser:
        condition |= Q(
            Exists(BreakGlassAccess.objects.filter(pathway=OuterRef("pk"), user=user, expires_at__gt=timezone.now()))
        )
    return Pathway.objects.filter(condition)


def pathway_get_for(*, membership: Membership | None, user, pathway_id: int) -> Pathway:
    """The pathway, with its person, if the reader may see it; 404 otherwise."""
    pathway = (
        pathways_visible_to(membership=membership, user=user)
        .select_related("person", "person__commune", "departement")
        .filter(pk=pathway_id)
        .first()
    )
    if pathway is None:
        raise Http404("Parcours introuvable.")
    return pathway


def group_members(*, pathway: Pathway, include_ended: bool = False) -> QuerySet[FollowUpMember]:
    qs = FollowUpMember.objects.filter(pathway=pathway).select_related("membership__user", "membership__organisation")
    if not include_ended:
        qs = qs.filter(ended_at__isnull=True)
    return qs.order_by("-is_referent", "ended_at", "started_at")


def referent_seats_prefetch() -> Prefetch:
    """Prefetch each pathway's active referent seat (with who and where) as `referent_seats`."""
    seats = FollowUpMember.objects.filter(is_referent=True, ended_at__isnull=True).select_related(
        "membership__user", "membership__organisation"
    )
    return Prefetch("members", queryset=seats, to_attr="referent_seats")


def current_referent(*, pathway: Pathway) -> FollowUpMember | None:
    return (
        FollowUpMember.objects.filter(pathway=pathway, is_referent=True, ended_at__isnull=True)
        .select_related("membership__user", "membership__organisation")
        .first()
    )


CASELOAD_SORTS = {
    "nom": ("person__last_name", "person__first_name", "id"),
    "-nom": ("-person__last_name", "-person__first_name", "-id"),
    "activite": ("last_activity_at", "id"),
    "-activite": ("-last_activity_at", "-id"),
    "ouverture": ("opened_at", "id"),
    "-ouverture": ("-opened_at", "-id"),
}


def caseload_for(
    *,
    membership: Membership,
    role: str = "",
    status: str = PathwayStatus.OPEN,
    orientation: str = "",
    query: str = "",
    sort: str = "-activite",
) -> QuerySet[Pathway]:
    """My caseload: pathways where this membership holds an active seat (referent or member), and
    closed pathways where it held a seat at the time of closure."""
    seats = FollowUpMember.objects.filter(
        Q(ended_at__isnull=True) | Q(pathway__status=PathwayStatus.CLOSED, ended_at=F("pathway__closed_at")),
        membership=membership,
    )
    if role == "referent":
        seats = seats.filter(is_referent=True)
    elif role == "membre":
        seats = seats.filter(is_referent=False)
    qs = Pathway.objects.filter(pk__in=seats.values("pathway_id"))
    if status in PathwayStatus.values:
        qs = qs.filter(status=status)
    if orientation in Orientation.values:
        qs = qs.filter(orientation=orientation)
    query = query.strip()
    if query:
        for word in query.split()[:4]:
            qs = qs.filter(Q(person__last_name__icontains=word) | Q(person__first_name__icontains=word))
    return (
        qs.select_related("person", "person__commune")
        .prefetch_related(referent_seats_prefetch())
        .order_by(*CASELOAD_SORTS.get(sort, CASELOAD_SORTS["-activite"]))
    )


def people_followed_by_organisation(*, membership: Membership) -> QuerySet[Pathway]:
    """For a structure administrator: the pathways its members follow (who and who is referent),
    to organise the work, never their contents."""
    if membership.role != Role.ADMIN_STRUCTURE:
        return Pathway.objects.none()
    return (
        Pathway.objects.filter(
            status=PathwayStatus.OPEN,
            members__membership__organisation_id=membership.organisation_id,
            members__ended_at__isnull=True,
        )
        .distinct()
        .select_related("person")
        .order_by("person__last_name", "person__first_name", "id")
    )


def person_directory_lookup(
    *, identifier: str = "", last_name: str = "", first_name: str = "", birth_date: datetime.date | None = None
) -> QuerySet[Pathway]:
    """What any professional of the territory may learn to coordinate: that a person has an open
    pathway and who the referent is, found only by an exact identifier or by exact name and birth
    date. Never a prefix search, never a count beyond the exact matches."""
    identifier = identifier.strip().replace(" ", "").upper()
    condition = Q(pk__in=[])
    if identifier:
        condition = (
            Q(person__nir=identifier)
            | Q(person__france_travail_id=identifier)
            | Q(person__caf_number=identifier)
            | Q(person__ofii_number=identifier)
        )
    elif last_name.strip() and first_name.strip() and birth_date:
        condition = Q(
            person__last_name__iexact=last_name.strip(),
            person__first_name__iexact=first_name.strip(),
            person__birth_date=birth_date,
        )
    return (
        Pathway.objects.filter(condition, status=PathwayStatus.OPEN, person__anonymised_at__isnull=True)
        .select_related("person")
        .prefetch_related(referent_seats_prefetch())[:10]
    )


def territory_aggregates(*, departement_code: str) -> dict:
    """For a pilote territorial: counts only, never a person."""
    qs = Pathway.objects.filter(departement_id=departement_code)
    by_orientation = dict(
        qs.filter(status=PathwayStatus.OPEN).values_list("orientation").annotate(n=Count("id")).order_by()
    )
    no_referent = (
        qs.filter(status=PathwayStatus.OPEN)
        .exclude(Exists(FollowUpMember.objects.filter(pathway=OuterRef("pk"), is_referent=True, ended_at__isnull=True)))
        .count()
    )
    return {
        "open": qs.filter(status=PathwayStatus.OPEN).count(),
        "closed": qs.filter(status=PathwayStatus.CLOSED).count(),
        "by_orientation": by_orientation,
        "without_referent": no_referent,
    }


def territory_people_aggregates(*, departement_code: str) -> dict:
    """For a pilote territorial: people with an open pathway in the département, counted by
    protection status and by their latest assessed French level (CECRL). Counts only, never a
    person; one query per breakdown whatever the size of the territory."""
    from django.db.models import Subquery

    from parcours.diagnostics.models import LanguageLevel

    open_pathways = Pathway.objects.filter(
        departement_id=departement_code, status=PathwayStatus.OPEN, person__anonymised_at__isnull=True
    )
    by_protection = dict(open_pathways.values_list("person__protection_status").annotate(n=Count("id")).order_by())
    latest_french = (
        LanguageLevel.objects.filter(diagnostic__person_id=OuterRef("person_id"), language="fr")
        .order_by("-diagnostic__version")
        .values("level")[:1]
    )
    by_french = dict(
        open_pathways.annotate(french_level=Subquery(latest_french))
        .values_list("french_level")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {"by_protection_status": by_protection, "by_french_level": by_french}


def goals_visible_to(*, pathway: Pathway, categories: frozenset[str]) -> QuerySet[Goal]:
    """The pathway's goals; those of a sensitive theme (health) only with consent for it."""
    qs = Goal.objects.filter(pathway=pathway)
    if DataCategory.HEALTH not in categories:
        qs = qs.exclude(theme__in=SENSITIVE_THEMES)
    return qs


def events_visible_to(*, pathway: Pathway, categories: frozenset[str]) -> QuerySet[Event]:
    """The timeline, without the events about a sensitive category the reader may not see (their
    summary would tell what the hidden data is, or that it exists)."""
    return Event.objects.filter(pathway=pathway).filter(Q(category="") | Q(category__in=categories))


def _accompanying_memberships() -> QuerySet[Membership]:
    return (
        Membership.objects.active()
        .filter(role__in=ACCOMPANYING_ROLES, user__is_active=True)
        .select_related("user", "organisation")
        .order_by("user__last_name", "user__first_name", "organisation__name")
    )


def referent_candidates(*, pathway: Pathway, email: str = "") -> QuerySet[Membership]:
    """Who may become referent: the group's other active members, or the professional whose exact
    e-mail was searched; live accounts with an accompanying role only."""
    others = FollowUpMember.objects.filter(pathway=pathway, ended_at__isnull=True, is_referent=False)
    condition = Q(pk__in=others.values("membership_id"))
    if email.strip():
        condition |= Q(user__email__iexact=email.strip())
    return _accompanying_memberships().filter(condition)


def member_candidates(*, pathway: Pathway, email: str) -> QuerySet[Membership]:
    """Who may join the group: only the professional found by exact e-mail, if not seated yet."""
    if not email.strip():
        return Membership.objects.none()
    seated = FollowUpMember.objects.filter(pathway=pathway, ended_at__isnull=True).values("membership_id")
    return _accompanying_memberships().filter(user__email__iexact=email.strip()).exclude(pk__in=seated)


def consent_grantee_organisations(*, pathway: Pathway) -> QuerySet[Organisation]:
    """Organisations a consent may name: those of the group (past and present) and the active ones
    of the pathway's département."""
    return Organisation.objects.filter(
        Q(memberships__follow_ups__pathway=pathway) | Q(departement_id=pathway.departement_id, is_active=True)
    ).distinct()


def open_pathways_of(*, people) -> QuerySet[Pathway]:
    """The open pathways of these people, with their referent (for a duplicate check)."""
    return (
        Pathway.objects.filter(person__in=people, status=PathwayStatus.OPEN)
        .select_related("person")
        .prefetch_related(referent_seats_prefetch())
    )
