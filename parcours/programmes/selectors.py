"""Reads on programmes, sessions and enrolments. The catalogue is public to every professional
(it names no person); participants and enrolments are scoped in SQL with parcours/programmes/access.py."""

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.organisations.models import Membership
from parcours.pathways.models import Pathway

from . import access
from .enums import SEAT_STATES, EnrolmentState, SessionStatus, TargetPublic
from .models import Enrolment, Programme, Session

# The session page groups participants in this order (the waiting list by arrival in it).
STATE_ORDER = (
    EnrolmentState.CANDIDATE,
    EnrolmentState.SELECTED,
    EnrolmentState.WAITING_LIST,
    EnrolmentState.ENROLLED,
    EnrolmentState.IN_PROGRESS,
    EnrolmentState.COMPLETED,
    EnrolmentState.ABANDONED,
    EnrolmentState.NOT_SELECTED,
)


def seats_taken_subquery(session_ref: str = "pk"):
    """The number of seats taken in a session (enrolments in SEAT_STATES), for annotations."""
    return Subquery(
        Enrolment.objects.filter(session_id=OuterRef(session_ref), state__in=SEAT_STATES)
        .order_by()
        .values("session_id")
        .annotate(n=Count("pk"))
        .values("n"),
        output_field=IntegerField(),
    )


def open_sessions_q(prefix: str = "") -> Q:
    """Sessions still taking candidacies: open and not ended."""
    return Q(**{f"{prefix}status": SessionStatus.OPEN, f"{prefix}ends_on__gte": timezone.localdate()})


def programmes_catalogue(*, public: str = "", departement: str = "") -> QuerySet[Programme]:
    """Active programmes with `open_sessions` (count) and `free_places` (sum over the open
    sessions), their operators and jobs prefetched. `public` (a TargetPublic value) and
    `departement` (a code: programmes with an open session there) filter the list."""
    open_sessions = Session.objects.filter(open_sessions_q(), programme_id=OuterRef("pk"))
    free = (
        Session.objects.filter(open_sessions_q(), programme_id=OuterRef("pk"))
        .annotate(free=Greatest(F("places") - Coalesce(seats_taken_subquery(), 0), Value(0)))
        .order_by()
        .values("programme_id")
        .annotate(total=Sum("free"))
        .values("total")
    )
    qs = (
        Programme.objects.filter(is_active=True)
        .annotate(
            open_sessions=Coalesce(
                Subquery(
                    open_sessions.order_by().values("programme_id").annotate(n=Count("pk")).values("n"),
                    output_field=IntegerField(),
                ),
                0,
            ),
            free_places=Coalesce(Subquery(free, output_field=IntegerField()), 0),
        )
        .prefetch_related("operators", "rome_jobs")
        .order_by("name")
    )
    if public in TargetPublic.values:
        # Works on every backend: the JSON text of the list holds the quoted value.
        qs = qs.filter(target_publics__icontains=f'"{public}"')
    if departement:
        qs = qs.filter(Exists(open_sessions.filter(commune__departement__code=departement)))
    return qs


def programme_get(*, code: str) -> Programme:
    programme = Programme.objects.select_related("owner").filter(code=code).first()
    if programme is None:
        raise Http404(_("Programme introuvable."))
    return programme


def sessions_of(programme: Programme, *, open_only: bool = False) -> QuerySet[Session]:
    """The programme's sessions with `seats_taken`, `free_places`, `waiting` and `candidates`
    counts, their centre and commune; most recent start last."""
    qs = (
        Session.objects.filter(programme=programme)
        .select_related("operator", "commune")
        .prefetch_related("target_jobs")
        .annotate(
            seats_taken=Count("enrolments", filter=Q(enrolments__state__in=SEAT_STATES)),
            waiting=Count("enrolments", filter=Q(enrolments__state=EnrolmentState.WAITING_LIST)),
            candidates=Count(
                "enrolments", filter=Q(enrolments__state__in=[EnrolmentState.CANDIDATE, EnrolmentState.SELECTED])
            ),
        )
        .annotate(free_places=Greatest(F("places") - F("seats_taken"), Value(0)))
        .order_by("starts_on", "id")
    )
    if open_only:
        qs = qs.filter(open_sessions_q())
    return qs


def session_get(*, session_id: int) -> Session:
    """One session with its counts (every professional sees a session's facts and aggregates)."""
    session = (
        Session.objects.filter(pk=session_id)
        .select_related("programme__owner", "operator", "commune")
        .prefetch_related("target_jobs")
        .annotate(
            seats_taken=Count("enrolments", filter=Q(enrolments__state__in=SEAT_STATES)),
            waiting=Count("enrolments", filter=Q(enrolments__state=EnrolmentState.WAITING_LIST)),
            candidates=Count(
                "enrolments", filter=Q(enrolments__state__in=[EnrolmentState.CANDIDATE, EnrolmentState.SELECTED])
            ),
        )
        .annotate(free_places=Greatest(F("places") - F("seats_taken"), Value(0)))
        .first()
    )
    if session is None:
        raise Http404(_("Session introuvable."))
    return session


def session_state_counts(session: Session) -> dict[str, int]:
    """How many enrolments of the session are in each state (aggregates, for every reader)."""
    rows = Enrolment.objects.filter(session=session).order_by().values("state").annotate(n=Count("pk"))
    counts = {str(s): 0 for s in STATE_ORDER}
    counts.update({r["state"]: r["n"] for r in rows})
    return counts


def session_participants(*, membership: Membership | None, session: Session) -> QuerySet[Enrolment]:
    """The session's enrolments with the person, for the operator centre's staff only; the waiting
    list in the order people joined it, the others by candidacy date."""
    if not access.is_operator_staff(membership, session):
        raise PermissionDenied(
            _("Seul·es les professionnel·les du centre opérateur de la session voient la liste des participant·es.")
        )
    return (
        Enrolment.objects.filter(access.enrolments_visible_q(membership), session_id=session.pk)
        .select_related("pathway__person", "proposed_by__user", "proposed_by__organisation")
        .order_by(F("waiting_since").asc(nulls_last=True), "proposed_at", "id")
    )


def enrolments_of_pathway(*, membership: Membership | None, pathway: Pathway) -> QuerySet[Enrolment]:
    return (
        Enrolment.objects.filter(access.enrolments_visible_q(membership), pathway_id=pathway.pk)
        .select_related("session__operator", "session__commune", "programme")
        .order_by("-proposed_at", "-id")
    )


def enrolment_get_for(*, membership: Membership | None, enrolment_id: int) -> Enrolment:
    """The enrolment if the reader may see it; 404 otherwise (the same answer as for one that does
    not exist)."""
    enrolment = (
        Enrolment.objects.filter(access.enrolments_visible_q(membership), pk=enrolment_id)
        .select_related("session__programme", "session__operator", "session__commune", "pathway__person", "programme")
        .first()
    )
    if enrolment is None:
        raise Http404(_("Inscription introuvable."))
    return enrolment
