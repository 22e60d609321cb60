"""Reads of the placement optimiser, for the programme's placement committee only
(parcours.matching.access.can_plan: the accompanying professionals of the programme's operator
organisations). A programme-level read refuses anyone else (PermissionDenied); a batch or a line is
read through its id with the scope applied in SQL, so that one out of the reader's scope is not
found (Http404), never loaded first. Each read is a fixed number of queries whatever the number of
lines."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from parcours.organisations.models import Membership
from parcours.pathways.enums import PathwayStatus
from parcours.pathways.models import Pathway
from parcours.programmes.enums import EnrolmentState, ExitOutcome
from parcours.programmes.models import Enrolment, Programme, Session

from . import access, fairness
from . import placement_build as build
from .enums import BatchStatus, Exclusion
from .models import PlacementBatch, PlacementLine, PlacementPrices

OPEN_BATCH = (BatchStatus.DRAFT, BatchStatus.SOLVED)


def _require_planner(membership: Membership | None, programme: Programme) -> None:
    access.require_plan(membership, programme)


def can_plan(membership: Membership | None, programme: Programme) -> bool:
    """Alias of parcours.matching.access.can_plan (kept for the pages)."""
    return access.can_plan(membership, programme)


def _batches_in_scope(membership: Membership | None) -> QuerySet[PlacementBatch]:
    return PlacementBatch.objects.filter(access.plannable_programmes_q(membership, "programme__"))


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
    """One batch of a programme the reader plans for (Http404 when unknown, out of the reader's
    scope, or not of `programme` when given): the scope is part of the query."""
    qs = (
        _batches_in_scope(membership)
        .select_related("programme", "created_by", "validated_by", "outcome_model", "organisation")
        .filter(pk=batch_id)
    )
    if programme is not None:
        qs = qs.filter(programme=programme)
    batch = qs.first()
    if batch is None:
        raise Http404(_("Affectation introuvable."))
    return batch


def batch_lines(*, membership: Membership | None, batch: PlacementBatch) -> QuerySet[PlacementLine]:
    """The batch's lines in arrival order with person, sessions and the override's author: one
    query, empty when the reader does not plan for the batch's programme (scope in SQL)."""
    return (
        PlacementLine.objects.filter(access.plannable_programmes_q(membership, "batch__programme__"), batch=batch)
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
    """One line of the batch (Http404 when not in it, or out of the reader's scope: in SQL)."""
    line = batch_lines(membership=membership, batch=batch).select_related("batch__programme").filter(pk=line_id).first()
    if line is None:
        raise Http404(_("Candidat·e introuvable dans cette affectation."))
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


def batch_observed(*, membership: Membership | None, batch: PlacementBatch) -> dict | None:
    """Predicted against observed success for a validated batch (fairness.observed), None while the
    batch is not validated. PermissionDenied for a reader who does not plan for the programme.

    The people: the lines that became an enrolment at validation, in the solve's line order.
    - predicted: the line's predicted success. A line the planner moved to another session than the
      proposed one has no prediction for the session it went to: it is left out (counted in
      `left_out_overridden`);
    - outcome: 1 when the enrolment's exit outcome is one of the programme's positive outcomes, 0 for
      another known outcome, nan (pending) while the person has not left or the outcome is UNKNOWN.
    The groups are those of the solve-time fairness report: batch_solve stores, in
    batch.report["groups"] ({dimension: [label per line]}) and batch.report["line_ids"], each line's
    group labels as they were when the batch was solved (a French level assessed later does not
    move a person to another group). A batch without them (an online placement, or solved before
    they were stored) gets its groups computed again from the people as they are now.
    Queries: the lines (one), plus two for the French levels when the groups are computed again."""
    _require_planner(membership, batch.programme)
    if batch.status != BatchStatus.VALIDATED:
        return None
    lines = [
        line
        for line in batch_lines(membership=membership, batch=batch).select_related("enrolment", "pathway__person")
        if line.enrolment_id is not None
    ]
    report = batch.report or {}
    stored_ids = report.get("line_ids")
    stored_groups = report.get("groups")
    if isinstance(stored_ids, list) and isinstance(stored_groups, dict):
        position = {int(pk): k for k, pk in enumerate(stored_ids)}
        lines = [line for line in lines if line.pk in position]
        lines.sort(key=lambda line: position[line.pk])
        groups = {key: [str(labels[position[line.pk]]) for line in lines] for key, labels in stored_groups.items()}
    else:
        groups = build.people_groups([line.pathway.person for line in lines])
    keep = [
        k
        for k, line in enumerate(lines)
        if line.predicted is not None
        and (line.proposed_session_id is None or line.final_session_id == line.proposed_session_id)
    ]
    positive = set(batch.programme.positive_outcomes or [])
    predicted = np.array([float(lines[k].predicted or 0.0) for k in keep], dtype=np.float64)
    observed = np.array(
        [_outcome_value(lines[k].enrolment, positive) for k in keep],  # type: ignore[arg-type]
        dtype=np.float64,
    )
    result = fairness.observed(
        groups={key: [labels[k] for k in keep] for key, labels in groups.items()},
        predicted=predicted,
        outcome=observed,
    )
    result["left_out_overridden"] = len(lines) - len(keep)
    return result


def _outcome_value(enrolment: Enrolment, positive: set[str]) -> float:
    outcome = enrolment.exit_outcome
    if not outcome or outcome == ExitOutcome.UNKNOWN:
        return math.nan
    return 1.0 if outcome in positive else 0.0
