"""Writes of the placement optimiser: batches of candidates, their preferences and balancing, the
solved proposal with its explanations and fairness report, the planner's overrides and the
validation that turns the proposal into enrolments; the online prices and one-by-one placements.

Every function is keyword-only and atomic, checks the planner's right first
(parcours.matching.access.require_plan: the accompanying professionals of the programme's operator
organisations; pilotes and structure administrators are not planners), writes an audit entry, and
refuses bad input with a French ValidationError, writing nothing.
A proposal becomes enrolments only at validation (batch_validate): the session rows are locked
(always in id order, like programmes.services_enrolment), the places re-counted and every hard
constraint checked again for each placed person against their final session (it may have started,
closed or been filled since the solve, the person may have enrolled elsewhere); each placed
candidacy moves to the chosen session and to "enrolled" with its transitions logged (reason
"Affectation n° N"), the person's other open candidacies in the programme are closed as not
selected. The batch orders the places itself: the sessions' waiting lists are part of the batch
(their candidacies are lines), so the waiting-list order of enrolment_move does not apply here."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.audit.models import AuditAction
from parcours.audit.services import audit_log
from parcours.notifications.services import notify
from parcours.organisations.models import Membership
from parcours.pathways.enums import EventKind, PathwayStatus
from parcours.pathways.models import Pathway
from parcours.pathways.services import event_record, member_name
from parcours.programmes import services_enrolment as enrolment_services
from parcours.programmes.enums import (
    SEAT_STATES,
    EnrolmentState,
    NotSelectedReason,
    SessionStatus,
)
from parcours.programmes.models import Enrolment, EnrolmentTransition, Programme, Session

from . import access, fairness, placement
from . import placement_build as build
from .enums import BatchKind, BatchStatus, Exclusion, ScoreSource
from .models import PlacementBatch, PlacementLine, PlacementPrices

REASON_MAX_LENGTH = 500
HOUSEHOLD_MAX_LENGTH = 20
# Total time given to the exact solver of a batch, in seconds. placement.solve applies its
# `time_limit_s` to each of the MIP's SOLVE_STAGES lexicographic stages (the min-cost flow, used
# without households of 2+, has no limit and needs none), so each stage gets a third: a batch never
# keeps the planner's request waiting more than about SOLVE_TIME_LIMIT_S. A stage stopped by the
# limit gives a feasible but unproven assignment, and the page says "optimum non prouvé".
SOLVE_TIME_LIMIT_S = 20.0
SOLVE_STAGES = 3
STAGE_TIME_LIMIT_S = SOLVE_TIME_LIMIT_S / SOLVE_STAGES
# Online prices: see prices_refresh.
ARRIVALS_DAYS = 365
ARRIVALS_SAMPLE = 3000
OPEN_BATCH = (BatchStatus.DRAFT, BatchStatus.SOLVED)
# A pathway holding (or about to hold) a place on a session: not an expected arrival any more.
HOLDING_STATES = (EnrolmentState.SELECTED, EnrolmentState.ENROLLED, EnrolmentState.IN_PROGRESS)
# Candidacies a validation closes when the person is placed elsewhere.
OPEN_CANDIDACY = (EnrolmentState.CANDIDATE, EnrolmentState.SELECTED, EnrolmentState.WAITING_LIST)
METHOD_OPTIMISER = "optimiseur"
METHOD_FCFS = "premier arrivé"
METHOD_RANDOM = "aléatoire"
UNKNOWN_FRENCH = build.UNKNOWN_FRENCH


# ---------------------------------------------------------------------------------------------
# Helpers


def _require_planner(membership: Membership | None, programme: Programme) -> Membership:
    access.require_plan(membership, programme)
    assert membership is not None
    return membership


def _require_batch_kind(batch: PlacementBatch) -> None:
    """Preferences and balancing are the inputs of a batch solve: an online placement has none."""
    if batch.kind == BatchKind.ONLINE:
        raise ValidationError(
            _(
                "Une arrivée au fil de l'eau est placée à sa création : ses préférences et son équilibrage "
                "ne se modifient pas. Modifiez directement la session proposée."
            )
        )


def _locked_batch(batch: PlacementBatch | int) -> PlacementBatch:
    pk = batch if isinstance(batch, int) else batch.pk
    PlacementBatch.objects.select_for_update(no_key=True).filter(pk=pk).values_list("pk", flat=True).get()
    return PlacementBatch.objects.select_related("programme").get(pk=pk)


def _batch_title(batch: PlacementBatch) -> str:
    return _("Affectation n° %(n)s") % {"n": batch.pk}


def _require_open(batch: PlacementBatch, *, solved: bool = False) -> None:
    if batch.status not in OPEN_BATCH:
        raise ValidationError(
            _("Cette affectation est « %(status)s » : elle ne peut plus être modifiée.")
            % {"status": BatchStatus(batch.status).label}
        )
    if solved and batch.status != BatchStatus.SOLVED:
        raise ValidationError(_("Calculez d'abord l'affectation : aucune proposition n'est encore faite."))


PROPOSAL_FIELDS: dict[str, object] = {
    "proposed_session": None,
    "predicted": None,
    "factors": [],
    "price": None,
    "excluded": [],
    "next_best": {},
    "unplaced_reason": "",
    "final_session": None,
    "override_reason": "",
    "overridden_by": None,
    "overridden_at": None,
}


def _clear_proposal(batch: PlacementBatch) -> None:
    """A solved batch whose inputs change goes back to draft: its proposal no longer holds."""
    if batch.status != BatchStatus.SOLVED:
        return
    PlacementLine.objects.filter(batch=batch).update(**PROPOSAL_FIELDS)
    fields = {
        "status": BatchStatus.DRAFT,
        "solver": "",
        "proven_optimal": False,
        "objective": None,
        "score_source": "",
        "outcome_model": None,
        "infeasibility": [],
        "report": {},
        "solved_at": None,
    }
    for name, value in fields.items():
        setattr(batch, name, value)
    batch.save(update_fields=list(fields))


def _session_ids(values: object, field: str, allowed: dict[int, Session]) -> tuple[list[int], dict]:
    """The session ids of a list (or tuple), in order, without repeats; anything else (a string, a
    number, None…) is refused with a French message."""
    if not isinstance(values, list | tuple):
        return [], {field: _("Indiquez une liste de sessions (éventuellement vide).")}
    ids: list[int] = []
    for value in values:
        if isinstance(value, bool):
            return [], {field: _("Session inconnue : %(id)s.") % {"id": value}}
        try:
            sid = int(str(value))
        except (TypeError, ValueError):
            return [], {field: _("Session inconnue : %(id)s.") % {"id": value}}
        if sid not in allowed:
            return [], {
                field: _("La session n° %(id)s ne fait pas partie des sessions de cette affectation.") % {"id": sid}
            }
        if sid not in ids:
            ids.append(sid)
    return ids, {}


def _household_key(value: str) -> str:
    return (value or "").strip().lower()


def _fmt(day: datetime.date) -> str:
    return day.strftime("%d/%m/%Y")


# ---------------------------------------------------------------------------------------------
# Batches


@transaction.atomic
def batch_create(*, membership: Membership, programme: Programme) -> PlacementBatch:
    """A batch of every pathway with an open candidacy (candidate or waiting list) on an open session
    of the programme that has not started, one line per pathway. A batch already being prepared for
    the programme is returned instead of a second one."""
    membership = _require_planner(membership, programme)
    # Serialise two planners creating the programme's batch at once.
    Programme.objects.select_for_update(no_key=True).filter(pk=programme.pk).values_list("pk", flat=True).get()
    existing = (
        PlacementBatch.objects.filter(programme=programme, kind=BatchKind.BATCH, status__in=OPEN_BATCH)
        .order_by("-created_at", "-pk")
        .first()
    )
    if existing is not None:
        return existing
    sessions = list(build.placement_sessions(programme))
    if not any(s.free_places > 0 for s in sessions):  # type: ignore[attr-defined]
        raise ValidationError(
            _("Aucune session ouverte et non commencée de ce programme n'a de place libre : rien à affecter.")
        )
    in_open_batch = PlacementLine.objects.filter(batch__programme=programme, batch__status__in=OPEN_BATCH).values(
        "pathway_id"
    )
    rows = list(
        Enrolment.objects.filter(
            build.open_candidacies_q(),
            programme=programme,
            session_id__in=[s.pk for s in sessions],
            pathway__status=PathwayStatus.OPEN,
        )
        .exclude(pathway_id__in=in_open_batch)
        .order_by("proposed_at", "pk")
        .values_list("pk", "pathway_id", "pathway__person_id", "session_id", "proposed_at")
    )
    if not rows:
        raise ValidationError(
            _("Aucune candidature en attente sur les sessions ouvertes de ce programme : rien à affecter.")
        )
    by_pathway: dict[int, dict] = {}
    for enrolment_id, pathway_id, person_id, session_id, proposed_at in rows:
        entry = by_pathway.setdefault(
            pathway_id, {"candidacy": enrolment_id, "person": person_id, "arrived_at": proposed_at, "sessions": []}
        )
        entry["sessions"].append(session_id)
    childcare = build.childcare_needed(e["person"] for e in by_pathway.values())
    batch = PlacementBatch.objects.create(
        programme=programme, kind=BatchKind.BATCH, created_by=membership.user, organisation=membership.organisation
    )
    batch.seed = batch.pk
    batch.save(update_fields=["seed"])
    PlacementLine.objects.bulk_create(
        [
            PlacementLine(
                batch=batch,
                pathway_id=pathway_id,
                candidacy_id=entry["candidacy"],
                arrived_at=entry["arrived_at"],
                needs_childcare=entry["person"] in childcare,
                preferred_sessions=entry["sessions"],
            )
            for pathway_id, entry in by_pathway.items()
        ]
    )
    audit_log(
        actor=membership.user,
        organisation=membership.organisation,
        action=AuditAction.CREATE,
        obj=batch,
        fields=["programme", "lines"],
    )
    return batch


@transaction.atomic
def line_preferences_set(
    *,
    membership: Membership,
    line: PlacementLine,
    household: str,
    accepts_move: bool,
    needs_childcare: bool,
    preferred_session_ids: Sequence[int],
    refused_session_ids: Sequence[int],
) -> PlacementLine:
    """The person's preferences and constraints before solving (a batch of kind BATCH only). A
    solved batch goes back to draft. The session ids come as lists (or tuples)."""
    batch = _locked_batch(line.batch_id)
    membership = _require_planner(membership, batch.programme)
    _require_open(batch)
    _require_batch_kind(batch)
    line = PlacementLine.objects.select_related("pathway__person").get(pk=line.pk, batch=batch)
    allowed = {s.pk: s for s in build.placement_sessions(batch.programme)}
    household = (household or "").strip()
    errors: dict = {}
    if len(household) > HOUSEHOLD_MAX_LENGTH:
        errors["household"] = _("Le foyer ne peut dépasser %(n)s caractères.") % {"n": HOUSEHOLD_MAX_LENGTH}
    preferred, found = _session_ids(preferred_session_ids, "preferred_session_ids", allowed)
    errors.update(found)
    refused, found = _session_ids(refused_session_ids, "refused_session_ids", allowed)
    errors.update(found)
    if not errors and set(preferred) & set(refused):
        errors["refused_session_ids"] = _("Une session ne peut pas être à la fois souhaitée et refusée.")
    if errors:
        raise ValidationError(errors)
    _clear_proposal(batch)
    fields = {
        "household": household,
        "accepts_move": bool(accepts_move),
        "needs_childcare": bool(needs_childcare),
        "preferred_sessions": preferred,
        "refused_sessions": refused,
    }
    for name, value in fields.items():
        setattr(line, name, value)
    line.save(update_fields=list(fields))
    audit_log(
        actor=membership.user,
        organisation=membership.organisation,
        action=AuditAction.UPDATE,
        obj=line,
        person=line.pathway.person,
        fields=list(fields),
    )
    return line


BALANCING_KEYS = ("session_min", "session_max", "territory_min", "territory_max")


@transaction.atomic
def batch_balancing_set(
    *,
    membership: Membership,
    batch: PlacementBatch,
    session_min: int,
    session_max: int,
    territory_min: int,
    territory_max: int,
) -> PlacementBatch:
    """Minimum and maximum shares (in %, 0–100) of each session's and each territory's free places
    to fill. A solved batch goes back to draft."""
    batch = _locked_batch(batch)
    membership = _require_planner(membership, batch.programme)
    _require_open(batch)
    _require_batch_kind(batch)
    values = {
        "session_min": session_min,
        "session_max": session_max,
        "territory_min": territory_min,
        "territory_max": territory_max,
    }
    errors: dict = {}
    for key, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 100:
            errors[key] = _("Indiquez un pourcentage entier entre 0 et 100.")
    if not errors:
        if session_min > session_max:
            errors["session_min"] = _("La part minimale par session ne peut pas dépasser la part maximale.")
        if territory_min > territory_max:
            errors["territory_min"] = _("La part minimale par territoire ne peut pas dépasser la part maximale.")
    if errors:
        raise ValidationError(errors)
    _clear_proposal(batch)
    batch.balancing = values
    batch.save(update_fields=["balancing"])
    audit_log(
        actor=membership.user,
        organisation=membership.organisation,
        action=AuditAction.UPDATE,
        obj=batch,
        fields=["balancing"],
    )
    return batch


def _line_candidates(lines: Sequence[PlacementLine]) -> list[build.Candidate]:
    return [build.candidate_from_line(line) for line in lines]


def _explain_lines(
    lines: Sequence[PlacementLine], built: build.Built, solution: placement.Solution
) -> list[PlacementLine]:
    """Store the proposal and its explanation on each line (row i = lines[i]); the predicted
    success stored is the raw one (without the preference bonus)."""
    facts, scores = built.facts, built.scores
    sessions = facts.sessions
    for i, line in enumerate(lines):
        why = placement.explain(built.instance, solution, i)
        j = why.session
        line.proposed_session = sessions[j] if j is not None else None
        line.final_session = line.proposed_session
        line.predicted = round(float(scores.predicted[i, j]), 4) if j is not None else None
        line.factors = build.factors(scores, i, j) if j is not None else []
        line.price = round(float(why.price), 4) if why.price is not None else None
        line.excluded = [
            {
                "session": sessions[k].pk,
                "label": sessions[k].label,
                "constraint": code,
                "constraint_label": str(Exclusion(code).label),
            }
            for k, code in why.excluded
        ]
        k = why.next_best
        line.next_best = (
            {
                "session": sessions[k].pk,
                "label": sessions[k].label,
                "predicted": round(float(scores.predicted[i, k]), 4),
            }
            if k is not None
            else {}
        )
        line.unplaced_reason = why.unplaced_reason[:REASON_MAX_LENGTH] if j is None else ""
        line.override_reason = ""
        line.overridden_by = None
        line.overridden_at = None
    return list(lines)


LINE_RESULT_FIELDS = [*PROPOSAL_FIELDS]


def _predicted_of(assignment: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    n = len(assignment)
    out = np.zeros(n)
    placed = assignment >= 0
    out[placed] = predicted[np.flatnonzero(placed), assignment[placed]]
    return out


def fairness_groups(built: build.Built, *, today: datetime.date | None = None) -> dict[str, list[str]]:
    """Each person's group in the fairness report's dimensions."""
    return build.people_groups([c.person for c in built.facts.candidates], french=built.facts.french, today=today)


@transaction.atomic
def batch_solve(*, membership: Membership, batch: PlacementBatch) -> PlacementBatch:
    """The optimal assignment of the batch with its explanations, and the fairness report comparing
    it with first-come first-served and a random assignment (seeded with batch.seed: the same batch
    gives the same result). Overrides of a previous solve are discarded. The exact solver gets
    SOLVE_TIME_LIMIT_S in all (STAGE_TIME_LIMIT_S per MIP stage).

    batch.report is fairness.report's dict plus "seed", "line_ids" (the lines' ids in the solve's
    order) and "groups" ({dimension: [label of each line, in that order]}): the groups as they were
    at the solve, which selectors_placement.batch_observed compares with the observed outcomes."""
    batch = _locked_batch(batch)
    programme = batch.programme
    membership = _require_planner(membership, programme)
    _require_open(batch)
    if batch.kind != BatchKind.BATCH:
        raise ValidationError(_("Une arrivée au fil de l'eau est placée à sa création : elle ne se recalcule pas."))
    lines = list(batch.lines.select_related("pathway__person__commune").order_by("arrived_at", "pk"))
    if not lines:
        raise ValidationError(_("Cette affectation n'a aucun·e candidat·e."))
    sessions = list(build.placement_sessions(programme))
    if not any(s.free_places > 0 for s in sessions):  # type: ignore[attr-defined]
        raise ValidationError(
            _("Aucune session ouverte et non commencée de ce programme n'a de place libre : rien à affecter.")
        )
    try:
        built = build.build_instance(
            candidates=_line_candidates(lines),
            sessions=sessions,
            programme=programme,
            balancing=build.balancing_from(batch.balancing),
        )
        solution = placement.solve(built.instance, time_limit_s=STAGE_TIME_LIMIT_S)
        fcfs = placement.first_come_first_served(built.instance, built.facts.preference)
        rnd = placement.random_assignment(built.instance, seed=batch.seed)
    except placement.PlacementError as exc:
        raise ValidationError(str(exc.args[0])) from exc
    predicted = built.scores.predicted
    optimiser = _predicted_of(solution.assignment, predicted)
    groups = fairness_groups(built)
    report = fairness.report(
        groups=groups,
        methods={
            METHOD_OPTIMISER: (solution.assignment, optimiser),
            METHOD_FCFS: (fcfs.assignment, _predicted_of(fcfs.assignment, predicted)),
            METHOD_RANDOM: (rnd.assignment, _predicted_of(rnd.assignment, predicted)),
        },
    )
    report["seed"] = batch.seed
    report["line_ids"] = [line.pk for line in lines]
    report["groups"] = groups
    PlacementLine.objects.bulk_update(_explain_lines(lines, built, solution), LINE_RESULT_FIELDS)
    fields = {
        "status": BatchStatus.SOLVED,
        "solver": solution.solver,
        "proven_optimal": solution.proven_optimal,
        "objective": round(float(optimiser.sum()), 4),
        "score_source": built.scores.source,
        "outcome_model": built.scores.model,
        "infeasibility": list(solution.binding),
        "report": report,
        "solved_at": timezone.now(),
    }
    for name, value in fields.items():
        setattr(batch, name, value)
    batch.save(update_fields=list(fields))
    audit_log(
        actor=membership.user,
        organisation=membership.organisation,
        action=AuditAction.UPDATE,
        obj=batch,
        fields=list(fields),
        reason=_("%(placed)s personne(s) placée(s) sur %(n)s") % {"placed": solution.placed, "n": len(lines)},
    )
    return batch


@transaction.atomic
def line_override(*, membership: Membership, line: PlacementLine, session_id: int | None, reason: str) -> PlacementLine:
    """The planner's choice for one person (None: not placed), with a reason. A household moves
    together: every member of the line's household gets the same session. Refused (French, nothing
    written): a session outside the batch, one a hard constraint excludes for a member (or where a
    member is already enrolled or has left), one without enough places given the other lines' final
    sessions, and one whose session or territory would exceed the batch's maximum share
    (balancing)."""
    batch = _locked_batch(line.batch_id)
    membership = _require_planner(membership, batch.programme)
    _require_open(batch, solved=True)
    line = PlacementLine.objects.select_related("pathway__person__commune").get(pk=line.pk, batch=batch)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Indiquez le motif de la modification.")})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": _("Ce texte ne peut dépasser %(n)s caractères.") % {"n": REASON_MAX_LENGTH}})
    key = _household_key(line.household)
    members = [line]
    if key:
        members = [
            other
            for other in batch.lines.select_related("pathway__person__commune").order_by("arrived_at", "pk")
            if _household_key(other.household) == key
        ]
    session: Session | None = None
    if session_id is not None:
        sessions = {s.pk: s for s in build.placement_sessions(batch.programme)}
        try:
            session = sessions.get(int(session_id))
        except (TypeError, ValueError):
            session = None
        if session is None:
            raise ValidationError({"session": _("Cette session ne fait pas partie des sessions de cette affectation.")})
        facts = build.gather(candidates=_line_candidates(members), sessions=[session])
        for i, member in enumerate(members):
            if facts.already_enrolled[i, 0]:
                raise ValidationError({"session": _already_message(member, session)})
            code = int(facts.exclusion[i, 0])
            if code != Exclusion.NONE and code != Exclusion.NO_PLACE:
                raise ValidationError(
                    {
                        "session": _("La session « %(session)s » n'est pas possible pour %(name)s : %(why)s.")
                        % {
                            "session": session.label,
                            "name": member.pathway.person.full_name,
                            "why": str(Exclusion(code).label).lower(),
                        }
                    }
                )
        others = batch.lines.filter(final_session=session).exclude(pk__in=[m.pk for m in members]).count()
        free = int(session.free_places)  # type: ignore[attr-defined]
        if others + len(members) > free:
            raise ValidationError(
                {
                    "session": _(
                        "La session « %(session)s » est complète : %(free)s place(s) libre(s), dont %(others)s "
                        "déjà attribuée(s) dans cette affectation."
                    )
                    % {"session": session.label, "free": free, "others": others}
                    if len(members) == 1
                    else _(
                        "La session « %(session)s » n'a pas assez de places pour le foyer (%(size)s personnes) : "
                        "%(free)s place(s) libre(s), dont %(others)s déjà attribuée(s) dans cette affectation."
                    )
                    % {"session": session.label, "free": free, "others": others, "size": len(members)}
                }
            )
        _check_maximum_shares(batch, session, members)
    now = timezone.now()
    for member in members:
        member.final_session = session
        member.override_reason = reason
        member.overridden_by = membership.user
        member.overridden_at = now
        member.save(update_fields=["final_session", "override_reason", "overridden_by", "overridden_at"])
        audit_log(
            actor=membership.user,
            organisation=membership.organisation,
            action=AuditAction.UPDATE,
            obj=member,
            person=member.pathway.person,
            fields=["final_session", "override_reason"],
            reason=reason,
        )
    return next(m for m in members if m.pk == line.pk)


def _already_message(line: PlacementLine, session: Session) -> str:
    return _(
        "%(name)s est déjà inscrit·e ou sorti·e de la session « %(session)s » : cette session n'est pas possible."
    ) % {"name": line.pathway.person.full_name, "session": session.label}


def _upper(places: int, share: float) -> int:
    """The most people a maximum share lets in (as placement._session_bounds counts them)."""
    return int(np.floor(places * share + 1e-9))


def _check_maximum_shares(batch: PlacementBatch, session: Session, members: Sequence[PlacementLine]) -> None:
    """The batch's balancing maxima hold with `members` moved to `session`: at most session_max of
    the session's free places, territory_max of its département's (the batch's sessions there)."""
    balancing = build.balancing_from(batch.balancing)
    moving = [m.pk for m in members]
    if balancing.session_max < 1:
        free = int(session.free_places)  # type: ignore[attr-defined]
        limit = _upper(free, balancing.session_max)
        others = batch.lines.filter(final_session=session).exclude(pk__in=moving).count()
        if others + len(members) > limit:
            raise ValidationError(
                {
                    "session": _(
                        "L'équilibrage de cette affectation limite la session « %(session)s » à %(limit)s "
                        "personne(s) (%(pct)s %% de ses %(free)s place(s) libre(s)), dont %(others)s déjà "
                        "attribuée(s) : modifiez l'équilibrage ou choisissez une autre session."
                    )
                    % {
                        "session": session.label,
                        "limit": limit,
                        "pct": round(balancing.session_max * 100),
                        "free": free,
                        "others": others,
                    }
                }
            )
    if balancing.territory_max < 1:
        territory = session.commune.departement_id
        peers = [s for s in build.placement_sessions(batch.programme) if s.commune.departement_id == territory]
        free = 0
        for peer in peers:
            free += int(peer.free_places)  # type: ignore[attr-defined]
        limit = _upper(free, balancing.territory_max)
        others = batch.lines.filter(final_session__in=[s.pk for s in peers]).exclude(pk__in=moving).count()
        if others + len(members) > limit:
            raise ValidationError(
                {
                    "session": _(
                        "L'équilibrage de cette affectation limite le territoire %(territory)s à %(limit)s "
                        "personne(s) (%(pct)s %% de ses %(free)s place(s) libre(s)), dont %(others)s déjà "
                        "attribuée(s) : modifiez l'équilibrage ou choisissez une session d'un autre territoire."
                    )
                    % {
                        "territory": territory,
                        "limit": limit,
                        "pct": round(balancing.territory_max * 100),
                        "free": free,
                        "others": others,
                    }
                }
            )


def _transition(enrolment: Enrolment, *, from_state: str, to_state: str, at, actor, reason: str) -> None:
    EnrolmentTransition.objects.create(
        enrolment=enrolment, from_state=from_state, to_state=to_state, at=at, actor=actor, reason=reason[:500]
    )


@transaction.atomic
def batch_validate(*, membership: Membership, batch: PlacementBatch) -> PlacementBatch:
    """Turn the batch's final choices into enrolments (module docstring). Every check is made
    before the first write; any failure leaves everything as it was."""
    batch = _locked_batch(batch)
    programme = batch.programme
    membership = _require_planner(membership, programme)
    _require_open(batch, solved=True)
    lines = list(batch.lines.select_related("pathway__person__commune", "final_session").order_by("arrived_at", "pk"))
    placed = [line for line in lines if line.final_session_id is not None]
    title = _batch_title(batch)

    # Sessions locked in id order (as enrolment_move does), then the seats counted.
    session_ids = sorted({line.final_session_id for line in placed if line.final_session_id is not None})
    list(Session.objects.select_for_update(no_key=True).filter(pk__in=session_ids).order_by("pk").values_list("pk"))
    sessions = {s.pk: s for s in Session.objects.filter(pk__in=session_ids).select_related("programme")}
    today = timezone.localdate()
    for line in placed:
        session = sessions[line.final_session_id]  # type: ignore[index]
        name = line.pathway.person.full_name
        if session.programme_id != programme.pk:
            raise ValidationError(_("La session « %(s)s » n'appartient pas à ce programme.") % {"s": session.label})
        if session.status != SessionStatus.OPEN:
            raise ValidationError(
                _(
                    "%(name)s est placé·e sur la session « %(s)s », qui n'est plus ouverte (%(status)s) : "
                    "modifiez son affectation."
                )
                % {"name": name, "s": session.label, "status": SessionStatus(session.status).label}
            )
        if session.starts_on < today:
            raise ValidationError(
                _(
                    "%(name)s est placé·e sur la session « %(s)s », qui a commencé le %(date)s : "
                    "modifiez son affectation."
                )
                % {"name": name, "s": session.label, "date": _fmt(session.starts_on)}
            )
    # The hard constraints, read again now (a level, a child, a refusal, an enrolment may have
    # changed since the solve): every line of the batch (households are counted whole), each placed
    # person checked against their final session. NO_PLACE is left to the count of places below.
    if placed:
        facts = build.gather(
            candidates=_line_candidates(lines),
            sessions=list(build.placement_sessions(programme).filter(pk__in=session_ids)),
        )
        for i, line in enumerate(lines):
            if line.final_session_id is None:
                continue
            session = sessions[line.final_session_id]
            j = facts.session_index[session.pk]
            if facts.already_enrolled[i, j]:
                raise ValidationError(_already_message(line, session))
            code = int(facts.exclusion[i, j])
            if code not in (Exclusion.NONE, Exclusion.NO_PLACE):
                raise ValidationError(
                    _(
                        "La session « %(session)s » n'est plus possible pour %(name)s : %(why)s. Modifiez son affectation."
                    )
                    % {
                        "session": session.label,
                        "name": line.pathway.person.full_name,
                        "why": str(Exclusion(code).label).lower(),
                    }
                )
    taken = dict(
        Enrolment.objects.filter(session_id__in=session_ids, state__in=SEAT_STATES)
        .order_by()
        .values("session_id")
        .annotate(n=Count("pk"))
        .values_list("session_id", "n")
    )
    wanted: dict[int, int] = {}
    for line in placed:
        assert line.final_session_id is not None
        wanted[line.final_session_id] = wanted.get(line.final_session_id, 0) + 1
    for sid, count in sorted(wanted.items()):
        session = sessions[sid]
        free = max(session.places - taken.get(sid, 0), 0)
        if count > free:
            raise ValidationError(
                _(
                    "La session « %(s)s » n'a plus que %(free)s place(s) libre(s) pour %(n)s personne(s) placée(s) : "
                    "recalculez l'affectation ou modifiez-la."
                )
                % {"s": session.label, "free": free, "n": count}
            )

    # The candidacies of the placed people, locked (after the sessions, like enrolment_move).
    pathway_ids = [line.pathway_id for line in placed]
    list(
        Enrolment.objects.select_for_update(no_key=True)
        .filter(programme=programme, pathway_id__in=pathway_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    enrolments: dict[int, list[Enrolment]] = {}
    for enrolment in (
        Enrolment.objects.filter(programme=programme, pathway_id__in=pathway_ids)
        .select_related("pathway__person", "session")
        .order_by("proposed_at", "pk")
    ):
        enrolments.setdefault(enrolment.pathway_id, []).append(enrolment)
    plan: list[tuple[PlacementLine, Enrolment, list[Enrolment]]] = []
    for line in placed:
        name = line.pathway.person.full_name
        if line.pathway.status != PathwayStatus.OPEN:
            raise ValidationError(
                _("Le parcours de %(name)s est clos : il ne peut plus être modifié.") % {"name": name}
            )
        own = enrolments.get(line.pathway_id, [])
        if any(e.state in (EnrolmentState.ENROLLED, EnrolmentState.IN_PROGRESS) for e in own):
            raise ValidationError(_("%(name)s est déjà inscrit·e à une session de ce programme.") % {"name": name})
        open_ = [e for e in own if e.state in OPEN_CANDIDACY]
        target = next((e for e in open_ if e.session_id == line.final_session_id), None)
        if target is None:
            target = next((e for e in open_ if e.pk == line.candidacy_id), None) or (open_[0] if open_ else None)
        if target is None:
            raise ValidationError(
                _("%(name)s n'a plus de candidature en cours dans ce programme : modifiez son affectation.")
                % {"name": name}
            )
        plan.append((line, target, [e for e in open_ if e.pk != target.pk]))

    now = timezone.now()
    user = membership.user
    for line, target, others in plan:
        session = sessions[line.final_session_id]  # type: ignore[index]
        detail = _("Placé·e sur une autre session (affectation n° %(n)s)") % {"n": batch.pk}
        for other in others:
            previous = other.state
            other.state = EnrolmentState.NOT_SELECTED
            other.state_changed_at = now
            other.not_selected_reason = NotSelectedReason.OTHER
            other.reason_detail = detail
            other.save(update_fields=["state", "state_changed_at", "not_selected_reason", "reason_detail"])
            log = f"{NotSelectedReason.OTHER.label} — {detail}"
            _transition(
                other, from_state=previous, to_state=EnrolmentState.NOT_SELECTED, at=now, actor=user, reason=log
            )
            audit_log(
                actor=user,
                organisation=membership.organisation,
                action=AuditAction.UPDATE,
                obj=other,
                person=line.pathway.person,
                fields=["state", "not_selected_reason", "reason_detail"],
                reason=log,
            )
        previous = target.state
        moved_from = target.session if target.session_id != session.pk else None
        reason = title
        if moved_from is not None:
            reason = _("%(title)s — déplacé·e depuis « %(from)s »") % {"title": title, "from": moved_from.label}
        if previous == EnrolmentState.CANDIDATE:
            _transition(
                target, from_state=previous, to_state=EnrolmentState.SELECTED, at=now, actor=user, reason=reason
            )
            previous = EnrolmentState.SELECTED
        _transition(
            target,
            from_state=previous,
            to_state=EnrolmentState.ENROLLED,
            at=now,
            actor=user,
            reason=_("le %(date)s — %(reason)s") % {"date": _fmt(today), "reason": reason},
        )
        fields = {
            "session": session,
            "state": EnrolmentState.ENROLLED,
            "state_changed_at": now,
            "enrolled_on": today,
        }
        for name, value in fields.items():
            setattr(target, name, value)
        target.save(update_fields=list(fields))
        line.enrolment = target
        line.save(update_fields=["enrolment"])
        event_record(
            pathway=line.pathway,
            kind=EventKind.ENROLMENT_UPDATED,
            actor=user,
            membership=membership,
            summary=_("%(title)s : inscrit·e à la session « %(session)s » du programme « %(programme)s » le %(date)s")
            % {"title": title, "session": session.label, "programme": programme.name, "date": _fmt(today)},
            payload={"batch": batch.pk, "enrolment": target.pk, "state": EnrolmentState.ENROLLED},
        )
        referents = enrolment_services._referent_users(line.pathway, except_user=user)
        if referents:
            notify(
                kind="enrolment_updated",
                subject=_("Programme %(programme)s : inscrit·e") % {"programme": programme.name},
                body=_(
                    "Bonjour,\n\nLa personne que vous accompagnez est inscrite à la session %(session)s "
                    "(%(title)s, validée par %(who)s)."
                )
                % {
                    "session": enrolment_services._session_title(session),
                    "title": title,
                    "who": member_name(membership),
                },
                url=enrolment_services._enrolment_url(target),
                users=referents,
            )
        audit_log(
            actor=user,
            organisation=membership.organisation,
            action=AuditAction.UPDATE,
            obj=target,
            person=line.pathway.person,
            fields=sorted(fields),
            reason=reason,
        )
    batch.status = BatchStatus.VALIDATED
    batch.validated_at = now
    batch.validated_by = user
    batch.save(update_fields=["status", "validated_at", "validated_by"])
    audit_log(
        actor=user,
        organisation=membership.organisation,
        action=AuditAction.UPDATE,
        obj=batch,
        fields=["status", "validated_at", "validated_by"],
        reason=_("%(placed)s personne(s) inscrite(s) sur %(n)s") % {"placed": len(plan), "n": len(lines)},
    )
    return batch


@transaction.atomic
def batch_cancel(*, membership: Membership, batch: PlacementBatch) -> PlacementBatch:
    """Abandon a batch being prepared; its candidacies stay as they are."""
    batch = _locked_batch(batch)
    membership = _require_planner(membership, batch.programme)
    _require_open(batch)
    batch.status = BatchStatus.CANCELLED
    batch.save(update_fields=["status"])
    audit_log(
        actor=membership.user,
        organisation=membership.organisation,
        action=AuditAction.UPDATE,
        obj=batch,
        fields=["status"],
    )
    return batch


# ---------------------------------------------------------------------------------------------
# Online mode


def expected_arrivals(*, programme: Programme, today: datetime.date | None = None) -> tuple[list[int], int]:
    """(arrivals, expected): the pathways of the last ARRIVALS_DAYS days' arrivals, most recent first,
    and how many arrivals to expect before the programme's last open session starts.

    An arrival: a pathway with a candidacy on the programme (in any state) proposed in the last
    ARRIVALS_DAYS days, counted once, except the pathways that already hold or are about to hold a
    place (selected, enrolled or in progress) on one of the programme's open sessions, and those in
    a batch being prepared (draft or solved): they are placed already, or about to be.
    Expected: the yearly rate of these arrivals times the days from today to the start of the last
    open, not started session (rounded; 0 when it starts today): the people who will come while the
    places can still be taken. Two queries."""
    today = today or timezone.localdate()
    since = timezone.now() - datetime.timedelta(days=ARRIVALS_DAYS)
    holding = Enrolment.objects.filter(
        programme=programme, session__status=SessionStatus.OPEN, state__in=HOLDING_STATES
    ).values("pathway_id")
    in_open_batch = PlacementLine.objects.filter(batch__programme=programme, batch__status__in=OPEN_BATCH).values(
        "pathway_id"
    )
    rows = (
        Enrolment.objects.filter(programme=programme, proposed_at__gte=since)
        .exclude(pathway_id__in=holding)
        .exclude(pathway_id__in=in_open_batch)
        .order_by("-proposed_at", "-pk")
        .values_list("pathway_id", flat=True)
    )
    arrivals = list(dict.fromkeys(rows))
    last_start = max((s.starts_on for s in build.placement_sessions(programme, today=today)), default=None)
    horizon = max((last_start - today).days, 0) if last_start is not None else 0
    return arrivals, int(round(len(arrivals) * horizon / ARRIVALS_DAYS))


@transaction.atomic
def programmes_to_price():
    """The programmes whose online prices the daily refresh computes: active, with an open session."""
    return Programme.objects.filter(is_active=True, sessions__status=SessionStatus.OPEN).distinct().order_by("code")


def prices_refresh(*, programme: Programme, membership: Membership | None = None) -> PlacementPrices:
    """The prices of the programme's open sessions for the online mode: the dual prices of the
    optimal assignment of past arrivals, standing for the arrivals expected before the sessions
    start, to today's free places.

    - arrivals and expected count: see expected_arrivals (the last 12 months' candidacies, minus
      the people already holding a place or in a batch being prepared; rate × days until the last
      open session starts);
    - at most ARRIVALS_SAMPLE of these arrivals (the most recent) are scored against the open
      sessions with free places; each session's capacity is its free places × sample / expected
      (rounded): the sample competes for the places as the expected arrivals will. When no arrival
      is expected (no history, or the last session starts today) every price is 0.
    Run on a schedule (tasks.refresh_placement_prices, `manage.py placement_prices`: no membership,
    audited without actor) and by a planner from the page (membership given: require_plan, audited
    with the planner). No person data is stored."""
    if membership is not None:
        _require_planner(membership, programme)
    sessions = [s for s in build.placement_sessions(programme) if s.free_places > 0]  # type: ignore[attr-defined]
    arrivals, expected = expected_arrivals(programme=programme)
    if not sessions or not expected:
        note = (
            _("Aucune session ouverte avec des places libres : pas de prix.")
            if not sessions
            else _(
                "Aucune arrivée attendue d'ici le début des sessions (%(n)s candidature(s) dans les 12 derniers "
                "mois) : les prix sont nuls."
            )
            % {"n": len(arrivals)}
        )
        return _prices_store(
            programme=programme,
            membership=membership,
            expected=expected,
            prices={str(s.pk): 0.0 for s in sessions},
            source=ScoreSource.FALLBACK,
            note=note,
        )
    sample_ids = arrivals[:ARRIVALS_SAMPLE]  # the most recent
    applied: dict[int, list[int]] = {}
    for pathway_id, session_id in (
        Enrolment.objects.filter(programme=programme, pathway_id__in=sample_ids)
        .order_by("proposed_at", "pk")
        .values_list("pathway_id", "session_id")
    ):
        applied.setdefault(pathway_id, []).append(session_id)
    pathways = {
        p.pk: p for p in Pathway.objects.filter(pk__in=sample_ids).select_related("person__commune").order_by("pk")
    }
    childcare = build.childcare_needed(p.person_id for p in pathways.values())
    candidates = [
        build.Candidate(
            person=pathways[pk].person,
            pathway_id=pk,
            needs_childcare=pathways[pk].person_id in childcare,
            preferred=tuple(applied.get(pk, [])),
        )
        for pk in reversed(sample_ids)  # arrival order
        if pk in pathways
    ]
    free = np.array([int(s.free_places) for s in sessions], dtype=np.int64)  # type: ignore[attr-defined]
    ratio = len(candidates) / expected
    capacity = np.floor(free * ratio + 0.5).astype(np.int64)
    try:
        built = build.build_instance(candidates=candidates, sessions=sessions, programme=programme, capacity=capacity)
        solution = placement.solve(built.instance, time_limit_s=STAGE_TIME_LIMIT_S)
        prices = placement.dual_prices(built.instance, solution.assignment)
    except placement.PlacementError as exc:
        raise ValidationError(str(exc.args[0])) from exc
    note = _(
        "Prix calculés pour %(n)s arrivée(s) attendue(s) d'ici le début des sessions (d'après les %(k)s "
        "candidature(s) des 12 derniers mois) et %(m)s session(s) ouverte(s) ; places ramenées à %(k)s "
        "arrivée(s) ; %(placed)s placée(s) dans l'affectation optimale."
    ) % {"n": expected, "k": len(candidates), "m": len(sessions), "placed": solution.placed}
    return _prices_store(
        programme=programme,
        membership=membership,
        expected=expected,
        prices={str(s.pk): round(float(p), 4) for s, p in zip(sessions, prices, strict=True)},
        source=built.scores.source,
        note=note,
    )


def _prices_store(
    *, programme: Programme, membership: Membership | None, expected: int, prices: dict, source: str, note: str
) -> PlacementPrices:
    row = PlacementPrices.objects.create(
        programme=programme,
        expected_arrivals=expected,
        prices=prices,
        score_source=source,
        note=note[:500],
    )
    audit_log(
        actor=membership.user if membership is not None else None,
        organisation=membership.organisation if membership is not None else None,
        action=AuditAction.CREATE,
        obj=row,
        fields=["expected_arrivals", "prices"],
        reason=row.note,
    )
    return row


@transaction.atomic
def online_place(*, membership: Membership, programme: Programme, pathway: Pathway) -> PlacementBatch:
    """Place one arriving person at the best predicted success minus price among the open places
    (the latest prices; computed first when there are none). Gives a solved batch of one line, to
    validate or override like any batch."""
    membership = _require_planner(membership, programme)
    Pathway.objects.select_for_update(no_key=True).filter(pk=pathway.pk).values_list("pk", flat=True).get()
    pathway = Pathway.objects.select_related("person__commune").get(pk=pathway.pk)
    if pathway.status != PathwayStatus.OPEN:
        raise ValidationError(_("Ce parcours est clos : il ne peut plus être modifié."))
    sessions = list(build.placement_sessions(programme))
    candidacies = list(
        Enrolment.objects.filter(
            build.open_candidacies_q(), programme=programme, pathway=pathway, session_id__in=[s.pk for s in sessions]
        ).order_by("proposed_at", "pk")
    )
    if not candidacies:
        raise ValidationError(
            _("Cette personne n'a pas de candidature en attente sur une session ouverte de ce programme.")
        )
    busy = (
        PlacementLine.objects.filter(batch__programme=programme, batch__status__in=OPEN_BATCH, pathway=pathway)
        .values_list("batch_id", flat=True)
        .first()
    )
    if busy is not None:
        raise ValidationError(_("Cette personne fait déjà partie de l'affectation n° %(n)s en cours.") % {"n": busy})
    if not any(s.free_places > 0 for s in sessions):  # type: ignore[attr-defined]
        raise ValidationError(
            _("Aucune session ouverte et non commencée de ce programme n'a de place libre : rien à affecter.")
        )
    prices_row = PlacementPrices.objects.filter(programme=programme).order_by("-computed_at", "-pk").first()
    if prices_row is None:
        prices_row = prices_refresh(programme=programme, membership=membership)
    childcare = build.childcare_needed([pathway.person_id])
    line = PlacementLine(
        pathway=pathway,
        candidacy=candidacies[0],
        arrived_at=candidacies[0].proposed_at,
        needs_childcare=pathway.person_id in childcare,
        preferred_sessions=[c.session_id for c in candidacies],
    )
    line.pathway = pathway
    try:
        built = build.build_instance(
            candidates=[build.candidate_from_line(line)], sessions=sessions, programme=programme
        )
    except placement.PlacementError as exc:
        raise ValidationError(str(exc.args[0])) from exc
    prices = np.array([float(prices_row.prices.get(str(s.pk), 0.0)) for s in sessions])
    solution = placement.simulate_online(built.instance, prices)
    solution.prices = prices
    batch = PlacementBatch.objects.create(
        programme=programme,
        kind=BatchKind.ONLINE,
        status=BatchStatus.SOLVED,
        created_by=membership.user,
        organisation=membership.organisation,
        solver="online",
        proven_optimal=False,
        score_source=built.scores.source,
        outcome_model=built.scores.model,
        infeasibility=list(solution.binding),
        solved_at=timezone.now(),
    )
    batch.seed = batch.pk
    line.batch = batch
    _explain_lines([line], built, solution)
    line.save()
    batch.objective = line.predicted or 0.0
    batch.save(update_fields=["seed", "objective"])
    audit_log(
        actor=membership.user,
        organisation=membership.organisation,
        action=AuditAction.CREATE,
        obj=batch,
        person=pathway.person,
        fields=["programme", "lines", "kind"],
    )
    return batch


def open_lines_q() -> Q:
    """SQL condition on PlacementLine: lines of a batch still being prepared."""
    return Q(batch__status__in=OPEN_BATCH)
