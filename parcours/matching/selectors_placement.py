"""Reads of the placement optimiser, for the programme's planners only
(parcours.programmes.access.can_manage_sessions; PermissionDenied otherwise). Each read is a
fixed number of queries whatever the number of lines."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from parcours.organisations.models import Membership
from parcours.pathways.enums import PathwayStatus
from parcours.pathways.models import Pathway
from parcours.programmes import access
from parcours.programmes.enums import EnrolmentState
from parcours.programmes.models import Enrolment, Programme, Session

from . import placement_build as build
from .enums import BatchStatus, Exclusion
from .models import PlacementBatch, PlacementLine, PlacementPrices

OPEN_BATCH = (BatchStatus.DRAFT, BatchStatus.SOLVED)


def _require_planner(membership: Membership | None, programme: Programme) -> None:
    if not access.can_manage_sessions(membership, programme):
        raise PermissionDenied(
            _(
                "Seul·es les gestionnaires du programme et les professionnel·les de ses centres opérateurs "
                "peuvent consulter les affectations."
            )
        )


def can_plan(membership: Membership | None, programme: Programme) -> bool:
    return access.can_manage_sessions(membership, programme)


def batches_of(*, membership: Membership | None, programme: Programme) -> QuerySet[PlacementBatch]:
    """The programme's batches, newest first, with `n_lines` and `n_placed` (final session set)."""
    _require_planner(membership, programme)
    return (
        PlacementBatch.objects.filter(programme=programme)
        .select_related("created_by", "validated_by", "outcome_model")
        .annotate(
            n_lines=Count("lines"),
            n_placed=Count("lines", filter=Q(lines__final_session__isnull=False)),
        )
        .order_by("-created_at", "-pk")
    )


def batch_get(*, membership: Membership | None, batch_id: int, programme: Programme | None = None) -> PlacementBatch:
    """One batch (Http404 when unknown, or not of `programme` when given)."""
    qs = PlacementBatch.objects.select_related(
        "programme", "created_by", "validated_by", "outcome_model", "organisation"
    ).filter(pk=batch_id)
    if programme is not None:
        qs = qs.filter(programme=programme)
    batch = qs.first()
    if batch is None:
        raise Http404(_("Affectation introuvable."))
    _require_planner(membership, batch.programme)
    return batch


def batch_lines(batch: PlacementBatch) -> QuerySet[PlacementLine]:
    """The batch's lines in arrival order with person, sessions and the override's author: one
    query. The caller has read the batch through batch_get (permission checked)."""
    return (
        PlacementLine.objects.filter(batch=batch)
        .select_related(
            "pathway__person",
            "proposed_session",
            "final_session",
            "candidacy__session",
            "overridden_by",
            "enrolment",
        )
        .order_by("arrived_at", "pk")
    )


def line_get(*, membership: Membership | None, batch: PlacementBatch, line_id: int) -> PlacementLine:
    """One line of a batch read with batch_get (Http404 when not in it)."""
    line = batch_lines(batch).filter(pk=line_id).first()
    if line is None:
        raise Http404(_("Candidat·e introuvable dans cette affectation."))
    _require_planner(membership, batch.programme)
    return line


def batch_sessions(batch: PlacementBatch) -> list[Session]:
    """The sessions the batch may place people in (open, not started), with `free_places` and
    `in_batch` (lines of the batch whose final session it is): two queries."""
    sessions = list(build.placement_sessions(batch.programme_id))
    counts = dict(
        PlacementLine.objects.filter(batch=batch, final_session__isnull=False)
        .order_by()
        .values("final_session_id")
        .annotate(n=Count("pk"))
        .values_list("final_session_id", "n")
    )
    for session in sessions:
        session.in_batch = counts.get(session.pk, 0)  # type: ignore[attr-defined]
    return sessions


@dataclass
class SessionOption:
    session: Session
    free_places: int
    in_batch: int
    exclusion: int  # enums.Exclusion, 0 when possible
    exclusion_label: str


def override_options(*, membership: Membership | None, line: PlacementLine) -> list[SessionOption]:
    """Every session of the batch for the override form, with whether it excludes the person (and
    why: the household's constraints included) and how many places the batch already uses."""
    batch = line.batch
    _require_planner(membership, batch.programme)
    sessions = batch_sessions(batch)
    key = (line.household or "").strip().lower()
    members = [line]
    if key:
        members = [
            other
            for other in PlacementLine.objects.filter(batch=batch).select_related("pathway__person__commune")
            if (other.household or "").strip().lower() == key
        ]
    facts = build.gather(candidates=[build.candidate_from_line(m) for m in members], sessions=sessions)
    options = []
    for j, session in enumerate(sessions):
        codes = [int(c) for c in facts.exclusion[:, j] if int(c) != Exclusion.NONE]
        code = min(codes) if codes else int(Exclusion.NONE)
        options.append(
            SessionOption(
                session=session,
                free_places=int(session.free_places),  # type: ignore[attr-defined]
                in_batch=int(session.in_batch),  # type: ignore[attr-defined]
                exclusion=code,
                exclusion_label=str(Exclusion(code).label),
            )
        )
    return options


def online_candidates(*, membership: Membership | None, programme: Programme) -> QuerySet[Pathway]:
    """Open pathways with an open candidacy (candidate or waiting list) on a session of the programme a
    batch may place people in, and in no batch being prepared; with `first_candidacy_at`, oldest first."""
    _require_planner(membership, programme)
    sessions = build.placement_sessions(programme).values("pk")
    candidacy = Enrolment.objects.filter(
        build.open_candidacies_q(), programme=programme, session_id__in=sessions, pathway_id=OuterRef("pk")
    )
    busy = PlacementLine.objects.filter(
        batch__programme=programme, batch__status__in=OPEN_BATCH, pathway_id=OuterRef("pk")
    )
    return (
        Pathway.objects.filter(Exists(candidacy), status=PathwayStatus.OPEN)
        .exclude(Exists(busy))
        .select_related("person")
        .annotate(
            first_candidacy_at=Min(
                "enrolments__proposed_at",
                filter=Q(
                    enrolments__programme=programme,
                    enrolments__state__in=[EnrolmentState.CANDIDATE, EnrolmentState.WAITING_LIST],
                ),
            )
        )
        .order_by("first_candidacy_at", "pk")
    )


@dataclass
class PriceRow:
    session: Session
    price: float


def latest_prices(
    *, membership: Membership | None, programme: Programme
) -> tuple[PlacementPrices | None, list[PriceRow]]:
    """The latest online prices and one row per session they price, most contested first."""
    _require_planner(membership, programme)
    row = PlacementPrices.objects.filter(programme=programme).order_by("-computed_at", "-pk").first()
    if row is None:
        return None, []
    ids = [int(k) for k in row.prices]
    sessions = {s.pk: s for s in Session.objects.filter(pk__in=ids).select_related("commune")}
    rows = [PriceRow(session=sessions[int(k)], price=float(v)) for k, v in row.prices.items() if int(k) in sessions]
    rows.sort(key=lambda r: (-r.price, r.session.starts_on, r.session.pk))
    return row, rows
