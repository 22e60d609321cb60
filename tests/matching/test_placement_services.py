"""Placement services: batches, preferences, balancing, solving with explanations and the fairness
report, overrides, validation into enrolments, cancellation, online prices and placements. Every
service refuses a non-planner; bad input is a French message and nothing is written."""

import datetime

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.http import Http404
from django.utils import timezone

from parcours.audit.models import AuditEntry
from parcours.matching import placement
from parcours.matching import placement_build as build
from parcours.matching import selectors_placement as selectors
from parcours.matching import services_placement as services
from parcours.matching.enums import BatchKind, BatchStatus, Exclusion, ScoreSource
from parcours.matching.models import PlacementBatch, PlacementLine, PlacementPrices
from parcours.matching.tasks import refresh_placement_prices
from parcours.notifications.models import Notification
from parcours.organisations.enums import Role
from parcours.pathways.enums import EventKind
from parcours.pathways.models import Event, FollowUpMember
from parcours.programmes.enums import AbandonReason, EnrolmentState, ExitOutcome, NotSelectedReason, SessionStatus
from parcours.programmes.models import Enrolment, EnrolmentTransition, Session
from tests.factories import MembershipFactory
from tests.matching.placement_factories import (
    ANGERS,
    NANTES,
    REZE,
    candidate,
    french,
    model_row,
    not_planners,
    programme_with_planner,
    session,
    toddler,
)
from tests.programmes.factories import EnrolmentFactory, operator_staff

pytestmark = pytest.mark.django_db


def counts():
    return {
        "batches": PlacementBatch.objects.count(),
        "lines": PlacementLine.objects.count(),
        "audit": AuditEntry.objects.count(),
        "transitions": EnrolmentTransition.objects.count(),
        "events": Event.objects.count(),
        "enrolments": sorted(Enrolment.objects.values_list("pk", "session_id", "state")),
        "statuses": sorted(PlacementBatch.objects.values_list("pk", "status")),
        "finals": sorted(PlacementLine.objects.values_list("pk", "final_session_id", "override_reason")),
        "prices": PlacementPrices.objects.count(),
    }


@pytest.fixture
def world(db):
    """Nantes (2 places), Rezé (1 place), Angers (5 places, far); four candidates living in Nantes."""
    programme, planner = programme_with_planner()
    nantes = session(programme, NANTES, places=2, label="Nantes")
    reze = session(programme, REZE, places=1, label="Rezé")
    angers = session(programme, ANGERS, places=5, label="Angers")
    people = [candidate([nantes], days_ago=40 - k) for k in range(3)] + [candidate([reze, nantes], days_ago=5)]
    return {
        "programme": programme,
        "planner": planner,
        "nantes": nantes,
        "reze": reze,
        "angers": angers,
        "people": people,
    }


def outsider():
    """A conseiller·ère of an organisation that does not operate the programme."""
    return MembershipFactory(role=Role.CONSEILLER)


NOT_PLANNERS = ["pilote_of_owner", "admin_of_operator", "conseiller_elsewhere"]


def lines_of(batch):
    """The batch's lines as the pages read them (without the scope: the selectors are tested below)."""
    return list(
        PlacementLine.objects.filter(batch=batch)
        .select_related("pathway__person", "proposed_session", "final_session", "candidacy__session", "enrolment")
        .order_by("arrived_at", "pk")
    )


def assignment(batch):
    return [(line.pathway_id, line.proposed_session_id) for line in lines_of(batch)]


def respects_hard_constraints(batch):
    """Every proposed and final session is allowed for its person, and no session is oversold."""
    lines = list(batch.lines.select_related("pathway__person__commune").order_by("arrived_at", "pk"))
    facts = build.gather(
        candidates=[build.candidate_from_line(line) for line in lines],
        sessions=list(build.placement_sessions(batch.programme)),
    )
    load: dict[int, int] = {}
    for i, line in enumerate(lines):
        for sid in {line.proposed_session_id, line.final_session_id} - {None}:
            assert facts.exclusion[i, facts.session_index[sid]] == Exclusion.NONE
        if line.final_session_id:
            load[line.final_session_id] = load.get(line.final_session_id, 0) + 1
    for sid, n in load.items():
        assert n <= facts.capacity[facts.session_index[sid]]
    return True


# --- batch_create ----------------------------------------------------------------------------------


def test_batch_create_makes_one_line_per_pathway_with_its_applied_sessions(world):
    toddler(world["people"][0].person)
    batch = services.batch_create(membership=world["planner"], programme=world["programme"])
    lines = lines_of(batch)
    assert batch.status == BatchStatus.DRAFT and batch.kind == BatchKind.BATCH and batch.seed == batch.pk
    assert [line.pathway_id for line in lines] == [p.pk for p in world["people"]]
    assert lines[3].preferred_sessions == [world["reze"].pk, world["nantes"].pk]
    assert lines[3].candidacy.session_id == world["reze"].pk
    assert [line.needs_childcare for line in lines] == [True, False, False, False]
    assert AuditEntry.objects.filter(object_type="matching.placementbatch", action="create").count() == 1
    # A batch being prepared is returned, not duplicated.
    assert services.batch_create(membership=world["planner"], programme=world["programme"]) == batch
    assert PlacementBatch.objects.count() == 1


def test_batch_create_operator_staff_may_plan(world):
    staff = operator_staff(world["nantes"])
    assert services.batch_create(membership=staff, programme=world["programme"]).pk


def test_batch_create_refused_to_others_and_without_candidates(world):
    before = counts()
    with pytest.raises(PermissionDenied):
        services.batch_create(membership=outsider(), programme=world["programme"])
    programme, planner = programme_with_planner()
    session(programme)
    with pytest.raises(ValidationError, match="Aucune candidature en attente"):
        services.batch_create(membership=planner, programme=programme)
    empty, planner2 = programme_with_planner()
    with pytest.raises(ValidationError, match="Aucune session ouverte"):
        services.batch_create(membership=planner2, programme=empty)
    assert counts() == before


# --- preferences and balancing ---------------------------------------------------------------------


def test_line_preferences_set_and_a_solved_batch_goes_back_to_draft(world):
    batch = services.batch_create(membership=world["planner"], programme=world["programme"])
    services.batch_solve(membership=world["planner"], batch=batch)
    line = lines_of(batch)[0]
    line = services.line_preferences_set(
        membership=world["planner"],
        line=line,
        household=" Foyer A ",
        accepts_move=True,
        needs_childcare=True,
        preferred_session_ids=[world["angers"].pk],
        refused_session_ids=[str(world["reze"].pk)],
    )
    assert (line.household, line.accepts_move, line.needs_childcare) == ("Foyer A", True, True)
    assert line.preferred_sessions == [world["angers"].pk] and line.refused_sessions == [world["reze"].pk]
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DRAFT and batch.report == {} and batch.solver == ""
    assert not PlacementLine.objects.filter(batch=batch, proposed_session__isnull=False).exists()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"preferred_session_ids": [999999]}, "ne fait pas partie des sessions"),
        ({"refused_session_ids": ["abc"]}, "Session inconnue"),
        ({"household": "x" * 21}, "20 caractères"),
        ({"preferred_session_ids": "same", "refused_session_ids": "same"}, "à la fois souhaitée et refusée"),
    ],
)
def test_line_preferences_bad_input_writes_nothing(world, change, message):
    batch = services.batch_create(membership=world["planner"], programme=world["programme"])
    services.batch_solve(membership=world["planner"], batch=batch)
    params = {
        "household": "",
        "accepts_move": False,
        "needs_childcare": False,
        "preferred_session_ids": [],
        "refused_session_ids": [],
    }
    params.update({k: ([world["nantes"].pk] if v == "same" else v) for k, v in change.items()})
    other = session(programme_with_planner()[0])  # a session of another programme
    if change.get("preferred_session_ids") == [999999]:
        params["preferred_session_ids"] = [other.pk]
    before = counts()
    with pytest.raises(ValidationError, match=message):
        services.line_preferences_set(membership=world["planner"], line=lines_of(batch)[0], **params)
    assert counts() == before
    assert PlacementBatch.objects.get(pk=batch.pk).status == BatchStatus.SOLVED


def test_line_preferences_refused_to_others(world):
    batch = services.batch_create(membership=world["planner"], programme=world["programme"])
    before = counts()
    with pytest.raises(PermissionDenied):
        services.line_preferences_set(
            membership=outsider(),
            line=lines_of(batch)[0],
            household="",
            accepts_move=True,
            needs_childcare=False,
            preferred_session_ids=[],
            refused_session_ids=[],
        )
    assert counts() == before


def test_batch_balancing_set_checks_the_percentages(world):
    batch = services.batch_create(membership=world["planner"], programme=world["programme"])
    batch = services.batch_balancing_set(
        membership=world["planner"], batch=batch, session_min=10, session_max=90, territory_min=0, territory_max=100
    )
    assert batch.balancing == {"session_min": 10, "session_max": 90, "territory_min": 0, "territory_max": 100}
    before = counts()
    for bad in (
        {"session_min": 101},
        {"territory_max": -1},
        {"session_min": 80, "session_max": 20},
        {"session_max": True},
    ):
        values = {"session_min": 0, "session_max": 100, "territory_min": 0, "territory_max": 100, **bad}
        with pytest.raises(ValidationError):
            services.batch_balancing_set(membership=world["planner"], batch=batch, **values)
    with pytest.raises(PermissionDenied):
        services.batch_balancing_set(
            membership=outsider(), batch=batch, session_min=0, session_max=100, territory_min=0, territory_max=100
        )
    assert counts() == before
    assert PlacementBatch.objects.get(pk=batch.pk).balancing["session_min"] == 10


# --- batch_solve -----------------------------------------------------------------------------------


def test_batch_solve_stores_the_proposal_its_explanations_and_the_fairness_report(world):
    batch = services.batch_create(membership=world["planner"], programme=world["programme"])
    batch = services.batch_solve(membership=world["planner"], batch=batch)
    assert batch.status == BatchStatus.SOLVED and batch.solver == "flow" and batch.proven_optimal
    assert batch.score_source == ScoreSource.FALLBACK and batch.outcome_model is None
    lines = lines_of(batch)
    placed = [line for line in lines if line.proposed_session_id]
    # 4 people, 3 places within reach (Angers is too far for everyone).
    assert len(placed) == 3
    assert batch.objective == pytest.approx(sum(line.predicted for line in placed), abs=1e-3)
    for line in placed:
        assert line.final_session_id == line.proposed_session_id
        assert 0 < line.predicted < 1 and line.price is not None and len(line.factors) == 3
        assert {"session": world["angers"].pk, "label": "Angers", "constraint": Exclusion.DISTANCE} == {
            k: v for k, v in line.excluded[0].items() if k != "constraint_label"
        }
    unplaced = [line for line in lines if not line.proposed_session_id]
    assert len(unplaced) == 1 and unplaced[0].unplaced_reason
    assert batch.infeasibility and "Capacité" in batch.infeasibility[0]
    assert [m["name"] for m in batch.report["methods"]] == ["optimiseur", "premier arrivé", "aléatoire"]
    assert {d["key"] for d in batch.report["dimensions"]} == {"sex", "age_band", "nationality_group", "french_level"}
    assert respects_hard_constraints(batch)


def test_batch_solve_uses_the_active_outcome_model(world):
    row, _fitted = model_row(world["programme"])
    batch = services.batch_create(membership=world["planner"], programme=world["programme"])
    batch = services.batch_solve(membership=world["planner"], batch=batch)
    assert batch.score_source == ScoreSource.MODEL and batch.outcome_model == row
    assert all(line.factors for line in lines_of(batch) if line.proposed_session_id)


def test_batch_solve_is_deterministic(world):
    batch = services.batch_create(membership=world["planner"], programme=world["programme"])
    first = services.batch_solve(membership=world["planner"], batch=batch)
    result, report = assignment(first), first.report
    again = services.batch_solve(membership=world["planner"], batch=batch)
    assert assignment(again) == result and again.report == report


def test_every_hard_constraint_is_respected(world):
    programme = world["programme"]
    session(programme, NANTES, places=3, label="B1 minimum", min_french_level="B1")
    session(programme, REZE, places=3, label="Garde d'enfants", offers_childcare=True)
    speaker = candidate([world["nantes"]])
    french(speaker.person, "B2")
    mother = candidate([world["nantes"]])
    toddler(mother.person)
    batch = services.batch_create(membership=world["planner"], programme=programme)
    line = next(li for li in lines_of(batch) if li.pathway_id == world["people"][0].pk)
    services.line_preferences_set(
        membership=world["planner"],
        line=line,
        household="",
        accepts_move=False,
        needs_childcare=False,
        preferred_session_ids=[],
        refused_session_ids=[world["nantes"].pk, world["reze"].pk],
    )
    batch = services.batch_solve(membership=world["planner"], batch=batch)
    assert respects_hard_constraints(batch)
    by_pathway = {li.pathway_id: li for li in lines_of(batch)}
    assert by_pathway[mother.pk].proposed_session.label == "Garde d'enfants"
    refused = by_pathway[world["people"][0].pk]
    assert refused.proposed_session_id not in (world["nantes"].pk, world["reze"].pk)


def test_households_are_never_split(world):
    programme = world["programme"]
    family = session(programme, NANTES, places=2, label="Familles", hosts_households=True)
    batch = services.batch_create(membership=world["planner"], programme=programme)
    lines = lines_of(batch)
    for line in lines[:2]:
        services.line_preferences_set(
            membership=world["planner"],
            line=line,
            household="Famille",
            accepts_move=False,
            needs_childcare=False,
            preferred_session_ids=[],
            refused_session_ids=[],
        )
    batch = services.batch_solve(membership=world["planner"], batch=batch)
    assert batch.solver == "mip" and batch.proven_optimal
    lines = lines_of(batch)
    assert lines[0].proposed_session_id == lines[1].proposed_session_id == family.pk
    assert respects_hard_constraints(batch)
    # Without a session hosting households, the household stays together… out.
    services.line_preferences_set(
        membership=world["planner"],
        line=lines[0],
        household="Famille",
        accepts_move=False,
        needs_childcare=False,
        preferred_session_ids=[],
        refused_session_ids=[family.pk],
    )
    batch = services.batch_solve(membership=world["planner"], batch=batch)
    lines = lines_of(batch)
    assert lines[0].proposed_session_id is None and lines[1].proposed_session_id is None


def test_batch_solve_refused_to_others_and_on_a_validated_batch(world):
    batch = services.batch_create(membership=world["planner"], programme=world["programme"])
    before = counts()
    with pytest.raises(PermissionDenied):
        services.batch_solve(membership=outsider(), batch=batch)
    assert counts() == before
    services.batch_solve(membership=world["planner"], batch=batch)
    services.batch_validate(membership=world["planner"], batch=batch)
    before = counts()
    with pytest.raises(ValidationError, match="Validée"):
        services.batch_solve(membership=world["planner"], batch=batch)
    assert counts() == before


def test_batch_solve_bad_balancing_is_a_french_message(world):
    batch = services.batch_create(membership=world["planner"], programme=world["programme"])
    PlacementBatch.objects.filter(pk=batch.pk).update(balancing={"session_min": 90, "session_max": 10})
    before = counts()
    with pytest.raises(ValidationError, match="part minimale ne peut pas dépasser"):
        services.batch_solve(membership=world["planner"], batch=batch)
    assert counts() == before


# --- line_override ---------------------------------------------------------------------------------


@pytest.fixture
def solved(world):
    batch = services.batch_create(membership=world["planner"], programme=world["programme"])
    return services.batch_solve(membership=world["planner"], batch=batch)


def test_line_override_keeps_the_reason_and_who_and_when(world, solved):
    line = next(li for li in lines_of(solved) if li.proposed_session_id)
    line = services.line_override(membership=world["planner"], line=line, session_id=None, reason="Préfère attendre")
    line.refresh_from_db()
    assert line.final_session_id is None and line.proposed_session_id is not None
    assert line.override_reason == "Préfère attendre" and line.overridden_by == world["planner"].user
    assert line.overridden_at is not None
    unplaced = next(li for li in lines_of(solved) if li.proposed_session_id is None)
    target = line.proposed_session_id
    unplaced = services.line_override(membership=world["planner"], line=unplaced, session_id=target, reason="Urgence")
    assert unplaced.final_session_id == target
    assert respects_hard_constraints(solved)


def test_line_override_refusals_write_nothing(world, solved):
    lines = lines_of(solved)
    unplaced = next(li for li in lines if li.proposed_session_id is None)
    before = counts()
    with pytest.raises(ValidationError, match="motif"):
        services.line_override(membership=world["planner"], line=unplaced, session_id=world["nantes"].pk, reason=" ")
    with pytest.raises(ValidationError, match="au-delà de la distance acceptée"):
        services.line_override(membership=world["planner"], line=unplaced, session_id=world["angers"].pk, reason="x")
    full = next(
        s for s in (world["nantes"], world["reze"]) if sum(li.final_session_id == s.pk for li in lines) == s.places
    )
    with pytest.raises(ValidationError, match="complète"):
        services.line_override(membership=world["planner"], line=unplaced, session_id=full.pk, reason="x")
    with pytest.raises(ValidationError, match="ne fait pas partie"):
        services.line_override(membership=world["planner"], line=unplaced, session_id=123456789, reason="x")
    with pytest.raises(PermissionDenied):
        services.line_override(membership=outsider(), line=unplaced, session_id=None, reason="x")
    assert counts() == before


def test_line_override_moves_a_household_together(world):
    programme = world["programme"]
    family = session(programme, NANTES, places=3, label="Familles", hosts_households=True)
    other_family = session(programme, REZE, places=2, label="Familles Rezé", hosts_households=True)
    batch = services.batch_create(membership=world["planner"], programme=programme)
    lines = lines_of(batch)
    for line in lines[:2]:
        services.line_preferences_set(
            membership=world["planner"],
            line=line,
            household="F1",
            accepts_move=False,
            needs_childcare=False,
            preferred_session_ids=[],
            refused_session_ids=[],
        )
    services.batch_solve(membership=world["planner"], batch=batch)
    lines = lines_of(batch)
    target = other_family if lines[0].final_session_id == family.pk else family
    services.line_override(membership=world["planner"], line=lines[0], session_id=target.pk, reason="Plus près")
    lines = lines_of(batch)
    assert lines[0].final_session_id == lines[1].final_session_id == target.pk
    assert lines[1].override_reason == "Plus près"
    before = counts()
    with pytest.raises(ValidationError, match="n'accueille pas les familles"):
        services.line_override(membership=world["planner"], line=lines[1], session_id=world["nantes"].pk, reason="x")
    assert counts() == before


# --- batch_validate --------------------------------------------------------------------------------


def test_batch_validate_turns_the_proposal_into_enrolments(world, solved):
    lines = lines_of(solved)
    batch = services.batch_validate(membership=world["planner"], batch=solved)
    assert batch.status == BatchStatus.VALIDATED and batch.validated_by == world["planner"].user
    title = f"Affectation n° {batch.pk}"
    for line in PlacementLine.objects.filter(batch=batch).select_related("enrolment"):
        own = Enrolment.objects.filter(pathway_id=line.pathway_id, programme=world["programme"])
        if line.final_session_id is None:
            assert line.enrolment is None
            assert not own.filter(state=EnrolmentState.NOT_SELECTED).exists()  # unplaced keep their candidacy
            continue
        enrolment = line.enrolment
        assert enrolment.session_id == line.final_session_id and enrolment.state == EnrolmentState.ENROLLED
        assert enrolment.enrolled_on == timezone.localdate()
        steps = list(enrolment.transitions.order_by("at", "pk").values_list("from_state", "to_state", "reason"))
        assert steps[-2][:2] == (EnrolmentState.CANDIDATE, EnrolmentState.SELECTED) and title in steps[-2][2]
        assert steps[-1][:2] == (EnrolmentState.SELECTED, EnrolmentState.ENROLLED) and title in steps[-1][2]
        for other in own.exclude(pk=enrolment.pk):
            assert other.state == EnrolmentState.NOT_SELECTED
            assert other.not_selected_reason == NotSelectedReason.OTHER
            assert other.reason_detail == f"Placé·e sur une autre session (affectation n° {batch.pk})"
        assert Event.objects.filter(
            pathway_id=line.pathway_id, kind=EventKind.ENROLMENT_UPDATED, payload__batch=batch.pk
        ).exists()
    assert sum(1 for line in lines if line.final_session_id) == 3


def test_batch_validate_tells_each_placed_persons_referent(world, solved):
    services.batch_validate(membership=world["planner"], batch=solved)
    for line in PlacementLine.objects.filter(batch=solved).select_related("final_session"):
        seat = FollowUpMember.objects.get(pathway_id=line.pathway_id, is_referent=True, ended_at__isnull=True)
        sent = Notification.objects.filter(recipient=seat.membership.user, kind="enrolment_updated")
        if line.final_session_id is None:
            assert not sent.exists()
            continue
        (notification,) = sent
        assert f"Affectation n° {solved.pk}" in notification.body
        assert line.final_session.label in notification.body
        assert notification.url.endswith(f"/{line.enrolment_id}/")


def test_batch_validate_moves_a_candidacy_to_a_session_not_applied_to(world):
    programme = world["programme"]
    extra = session(programme, REZE, places=4, label="Rezé 2")
    batch = services.batch_create(membership=world["planner"], programme=programme)
    batch = services.batch_solve(membership=world["planner"], batch=batch)
    line = next(
        li for li in lines_of(batch) if li.proposed_session_id != extra.pk and li.candidacy.session_id != extra.pk
    )
    services.line_override(membership=world["planner"], line=line, session_id=extra.pk, reason="Plus de places")
    services.batch_validate(membership=world["planner"], batch=batch)
    line.refresh_from_db()
    assert line.enrolment.session_id == extra.pk and line.enrolment.pk == line.candidacy_id
    assert "déplacé·e depuis" in line.enrolment.transitions.last().reason


def test_batch_validate_rechecks_places_and_writes_nothing_when_full(world, solved):
    nantes = world["nantes"]
    assert PlacementLine.objects.filter(batch=solved, final_session=nantes).count() == 2
    taken = EnrolmentFactory(
        session=nantes, state=EnrolmentState.ENROLLED, enrolled_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    before = counts()
    with pytest.raises(ValidationError, match="n'a plus que 1 place"):
        services.batch_validate(membership=world["planner"], batch=solved)
    assert counts() == before
    assert taken.pk


def test_batch_validate_refused_to_others_and_before_solving(world):
    batch = services.batch_create(membership=world["planner"], programme=world["programme"])
    before = counts()
    with pytest.raises(ValidationError, match="Calculez d'abord"):
        services.batch_validate(membership=world["planner"], batch=batch)
    assert counts() == before
    services.batch_solve(membership=world["planner"], batch=batch)
    before = counts()
    with pytest.raises(PermissionDenied):
        services.batch_validate(membership=outsider(), batch=batch)
    assert counts() == before


def test_batch_validate_refuses_a_withdrawn_candidacy(world, solved):
    line = next(li for li in lines_of(solved) if li.final_session_id)
    Enrolment.objects.filter(pathway_id=line.pathway_id).update(
        state=EnrolmentState.NOT_SELECTED, not_selected_reason=NotSelectedReason.PERSON_DECLINED
    )
    before = counts()
    with pytest.raises(ValidationError, match="plus de candidature en cours"):
        services.batch_validate(membership=world["planner"], batch=solved)
    assert counts() == before


# --- batch_cancel ----------------------------------------------------------------------------------


def test_batch_cancel(world, solved):
    before = counts()
    with pytest.raises(PermissionDenied):
        services.batch_cancel(membership=outsider(), batch=solved)
    assert counts() == before
    batch = services.batch_cancel(membership=world["planner"], batch=solved)
    assert batch.status == BatchStatus.CANCELLED
    with pytest.raises(ValidationError):
        services.batch_cancel(membership=world["planner"], batch=batch)
    # A new batch can then be prepared.
    assert services.batch_create(membership=world["planner"], programme=world["programme"]).pk != batch.pk


# --- online mode -----------------------------------------------------------------------------------


def starting_in(sessions, days):
    starts = timezone.localdate() + datetime.timedelta(days=days)
    Session.objects.filter(pk__in=[s.pk for s in sessions]).update(
        starts_on=starts, ends_on=starts + datetime.timedelta(days=200)
    )


def test_prices_refresh_prices_the_contested_sessions(world):
    # The last session starts in a year: a year's arrivals (4) are expected before it.
    starting_in([world["nantes"], world["reze"], world["angers"]], 365)
    row = services.prices_refresh(programme=world["programme"])
    assert row.expected_arrivals == 4
    assert set(row.prices) == {str(world["nantes"].pk), str(world["reze"].pk), str(world["angers"].pk)}
    # Four people for three reachable places: the reachable sessions are contested, Angers is not.
    assert row.prices[str(world["angers"].pk)] == 0
    assert row.prices[str(world["nantes"].pk)] > 0 and row.prices[str(world["reze"].pk)] > 0
    assert "4 arrivée(s)" in row.note
    entry = AuditEntry.objects.get(object_type="matching.placementprices", object_id=str(row.pk))
    assert entry.actor is None  # the scheduled refresh: no actor


def test_prices_refresh_scales_the_places_to_the_arrivals_expected_before_the_sessions_start(world):
    # Sessions in 30 days: 4 arrivals a year make 0 expected before they start; nothing is contested.
    row = services.prices_refresh(programme=world["programme"])
    assert row.expected_arrivals == 0
    assert set(row.prices.values()) == {0.0}
    assert "Aucune arrivée attendue" in row.note
    # In half a year: 2 expected, the 4 past arrivals compete for twice the places (Nantes 4, Rezé 2).
    starting_in([world["nantes"], world["reze"], world["angers"]], 183)
    row = services.prices_refresh(programme=world["programme"])
    assert row.expected_arrivals == 2
    assert row.prices[str(world["reze"].pk)] == 0 and row.prices[str(world["nantes"].pk)] == 0


def test_prices_refresh_leaves_out_people_already_placed_or_in_an_open_batch(world):
    starting_in([world["nantes"], world["reze"], world["angers"]], 365)
    seated = candidate([world["angers"]], state=EnrolmentState.SELECTED)
    old = candidate([world["nantes"]], days_ago=400)
    batch = services.batch_create(membership=world["planner"], programme=world["programme"])
    assert old.pk in [line.pathway_id for line in lines_of(batch)]  # in the open batch
    arrivals, expected = services.expected_arrivals(programme=world["programme"])
    assert arrivals == [] and expected == 0
    services.batch_cancel(membership=world["planner"], batch=batch)
    arrivals, expected = services.expected_arrivals(programme=world["programme"])
    # 4 candidacies of the last 12 months; the selected one holds a place, the old one is too old.
    assert arrivals == [p.pk for p in reversed(world["people"])] and expected == 4
    assert seated.pk not in arrivals


def test_prices_refresh_by_a_planner_is_audited_and_refused_to_others(world):
    row = services.prices_refresh(programme=world["programme"], membership=world["planner"])
    entry = AuditEntry.objects.get(object_type="matching.placementprices", object_id=str(row.pk))
    assert entry.actor == world["planner"].user
    before = counts()
    for who in not_planners(world["programme"]).values():
        with pytest.raises(PermissionDenied):
            services.prices_refresh(programme=world["programme"], membership=who)
    assert counts() == before


def test_prices_task_goes_on_after_one_programme_fails(world, monkeypatch, caplog):
    other, _planner = programme_with_planner()
    session(other, places=2)
    real = services.prices_refresh
    failing = world["programme"].pk

    def refresh(*, programme, membership=None):
        if programme.pk == failing:
            raise RuntimeError("boom")
        return real(programme=programme, membership=membership)

    monkeypatch.setattr(services, "prices_refresh", refresh)
    assert refresh_placement_prices.call() == 1
    assert not PlacementPrices.objects.filter(programme=world["programme"]).exists()
    assert PlacementPrices.objects.filter(programme=other).count() == 1
    assert world["programme"].code in caplog.text


def test_prices_task_and_command(world, capsys):
    assert refresh_placement_prices.call(world["programme"].code) == 1
    call_command("placement_prices", world["programme"].code)
    assert PlacementPrices.objects.filter(programme=world["programme"]).count() == 2
    assert "Prix recalculés pour 1 programme(s)" in capsys.readouterr().out
    with pytest.raises(CommandError, match="Programme inconnu"):
        call_command("placement_prices", "nope")


def test_online_place_proposes_a_session_then_validates_like_a_batch(world):
    newcomer = candidate([world["nantes"], world["reze"]], days_ago=0)
    batch = services.online_place(membership=world["planner"], programme=world["programme"], pathway=newcomer)
    assert batch.kind == BatchKind.ONLINE and batch.status == BatchStatus.SOLVED and batch.solver == "online"
    (line,) = lines_of(batch)
    assert line.pathway_id == newcomer.pk and line.proposed_session_id in (world["nantes"].pk, world["reze"].pk)
    assert line.price is not None and line.predicted is not None
    assert PlacementPrices.objects.filter(programme=world["programme"]).exists()  # computed on first use
    assert newcomer.pk not in [
        p.pk for p in selectors.online_candidates(membership=world["planner"], programme=world["programme"])
    ]
    before = counts()
    with pytest.raises(ValidationError, match="fait déjà partie de l'affectation"):
        services.online_place(membership=world["planner"], programme=world["programme"], pathway=newcomer)
    assert counts() == before
    services.batch_validate(membership=world["planner"], batch=batch)
    line.refresh_from_db()
    assert line.enrolment.state == EnrolmentState.ENROLLED


def test_online_place_refusals(world):
    newcomer = candidate([world["nantes"]], days_ago=0)
    stranger = candidate([session(programme_with_planner()[0])])
    before = counts()
    with pytest.raises(PermissionDenied):
        services.online_place(membership=outsider(), programme=world["programme"], pathway=newcomer)
    with pytest.raises(ValidationError, match="pas de candidature en attente"):
        services.online_place(membership=world["planner"], programme=world["programme"], pathway=stranger)
    assert counts() == before


# --- selectors -------------------------------------------------------------------------------------


def test_selectors_are_for_planners(world, solved, django_assert_num_queries):
    assert list(selectors.batches_of(membership=world["planner"], programme=world["programme"])) == [solved]
    assert selectors.batches_of(membership=world["planner"], programme=world["programme"])[0].n_lines == 4
    assert selectors.batch_get(membership=world["planner"], batch_id=solved.pk) == solved
    with pytest.raises(PermissionDenied):
        selectors.batches_of(membership=outsider(), programme=world["programme"])
    with pytest.raises(PermissionDenied):
        selectors.online_candidates(membership=outsider(), programme=world["programme"])
    with django_assert_num_queries(1):
        lines = list(selectors.batch_lines(membership=world["planner"], batch=solved))
        assert [line.pathway.person.full_name for line in lines]
        assert [line.final_session.label for line in lines if line.final_session]
    # Everybody is in the open batch: no online candidate.
    assert list(selectors.online_candidates(membership=world["planner"], programme=world["programme"])) == []
    options = selectors.override_options(membership=world["planner"], line=lines[0])
    assert [o.exclusion for o in options if o.session.pk == world["angers"].pk] == [Exclusion.DISTANCE]


@pytest.mark.parametrize("who", NOT_PLANNERS)
def test_batch_and_line_out_of_scope_are_not_found(world, solved, who, django_assert_max_num_queries):
    """The scope is part of the query: out of it, a batch or a line is not found (404), never loaded
    and then refused (at most one query; none when the role alone rules the reader out)."""
    reader = not_planners(world["programme"])[who]
    line = lines_of(solved)[0]
    with django_assert_max_num_queries(1), pytest.raises(Http404):
        selectors.batch_get(membership=reader, batch_id=solved.pk)
    with django_assert_max_num_queries(1), pytest.raises(Http404):
        selectors.line_get(membership=reader, batch=solved, line_id=line.pk)
    with django_assert_max_num_queries(1):
        assert list(selectors.batch_lines(membership=reader, batch=solved)) == []
    for read in (selectors.batches_of, selectors.online_candidates, selectors.latest_prices):
        with pytest.raises(PermissionDenied):
            read(membership=reader, programme=world["programme"])
    with pytest.raises(PermissionDenied):
        selectors.batch_observed(membership=reader, batch=solved)
    with pytest.raises(PermissionDenied):
        selectors.override_options(membership=reader, line=line)


def test_a_planner_of_another_programme_does_not_find_the_batch(world, solved):
    _other, planner = programme_with_planner()
    with pytest.raises(Http404):
        selectors.batch_get(membership=planner, batch_id=solved.pk)
    assert selectors.line_get(membership=world["planner"], batch=solved, line_id=lines_of(solved)[0].pk)
    with pytest.raises(Http404):
        selectors.line_get(membership=world["planner"], batch=solved, line_id=123456789)
    assert selectors.can_plan(world["planner"], world["programme"]) and not selectors.can_plan(
        planner, world["programme"]
    )


@pytest.mark.parametrize("who", NOT_PLANNERS)
def test_every_write_is_refused_to_who_is_not_a_planner(world, solved, who):
    """Pilotes of the owner, structure administrators of an operator and professionals of another
    organisation are not planners: every service refuses them and writes nothing."""
    reader = not_planners(world["programme"])[who]
    line = lines_of(solved)[0]
    newcomer = candidate([world["nantes"]], days_ago=0)
    before = counts()
    calls = [
        lambda: services.batch_create(membership=reader, programme=world["programme"]),
        lambda: services.line_preferences_set(
            membership=reader,
            line=line,
            household="",
            accepts_move=False,
            needs_childcare=False,
            preferred_session_ids=[],
            refused_session_ids=[],
        ),
        lambda: services.batch_balancing_set(
            membership=reader, batch=solved, session_min=0, session_max=100, territory_min=0, territory_max=100
        ),
        lambda: services.batch_solve(membership=reader, batch=solved),
        lambda: services.line_override(membership=reader, line=line, session_id=None, reason="x"),
        lambda: services.batch_validate(membership=reader, batch=solved),
        lambda: services.batch_cancel(membership=reader, batch=solved),
        lambda: services.online_place(membership=reader, programme=world["programme"], pathway=newcomer),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied, match="réservées aux professionnel·les d'accompagnement"):
            call()
    assert counts() == before


# --- person already enrolled or exited on a session ------------------------------------------------


@pytest.fixture
def abandoned(world):
    """The first person abandoned Rezé earlier and is a candidate on Nantes."""
    pathway = world["people"][0]
    EnrolmentFactory(
        session=world["reze"],
        pathway=pathway,
        state=EnrolmentState.ABANDONED,
        enrolled_on=timezone.localdate() - datetime.timedelta(days=90),
        exited_on=timezone.localdate() - datetime.timedelta(days=30),
        abandon_reason=AbandonReason.HEALTH,
    )
    return pathway


def test_a_session_the_person_left_is_excluded_and_refused_in_french(world, abandoned):
    batch = services.batch_create(membership=world["planner"], programme=world["programme"])
    lines = lines_of(batch)
    assert lines[0].pathway_id == abandoned.pk
    facts = build.gather(
        candidates=[build.candidate_from_line(li) for li in batch.lines.select_related("pathway__person__commune")],
        sessions=list(build.placement_sessions(world["programme"])),
    )
    j = facts.session_index[world["reze"].pk]
    assert facts.already_enrolled[:, j].tolist() == [True, False, False, False]
    assert facts.exclusion[0, j] == Exclusion.ALREADY_ENROLLED
    batch = services.batch_solve(membership=world["planner"], batch=batch)
    line = lines_of(batch)[0]
    assert line.proposed_session_id != world["reze"].pk
    before = counts()
    with pytest.raises(ValidationError, match="déjà inscrit·e ou sorti·e de la session « Rezé »"):
        services.line_override(membership=world["planner"], line=line, session_id=world["reze"].pk, reason="x")
    assert counts() == before


def test_validate_refuses_a_session_the_person_left_instead_of_crashing(world, abandoned):
    batch = services.batch_create(membership=world["planner"], programme=world["programme"])
    batch = services.batch_solve(membership=world["planner"], batch=batch)
    line = lines_of(batch)[0]
    PlacementLine.objects.filter(batch=batch, final_session=world["reze"]).update(final_session=None)
    PlacementLine.objects.filter(pk=line.pk).update(final_session=world["reze"])  # as if chosen before
    before = counts()
    with pytest.raises(ValidationError, match="déjà inscrit·e ou sorti·e de la session « Rezé »"):
        services.batch_validate(membership=world["planner"], batch=batch)
    assert counts() == before


# --- validation re-checks --------------------------------------------------------------------------


def test_validate_refuses_a_session_that_has_started_or_closed(world, solved):
    line = next(li for li in lines_of(solved) if li.final_session_id == world["nantes"].pk)
    name = line.pathway.person.full_name
    before = counts()
    Session.objects.filter(pk=world["nantes"].pk).update(starts_on=timezone.localdate() - datetime.timedelta(days=1))
    with pytest.raises(ValidationError, match=f"{name} est placé·e sur la session « Nantes », qui a commencé"):
        services.batch_validate(membership=world["planner"], batch=solved)
    Session.objects.filter(pk=world["nantes"].pk).update(
        starts_on=timezone.localdate() + datetime.timedelta(days=5), status=SessionStatus.CANCELLED
    )
    with pytest.raises(ValidationError, match="qui n'est plus ouverte"):
        services.batch_validate(membership=world["planner"], batch=solved)
    assert counts() == before


def test_validate_rechecks_the_hard_constraints(world, solved):
    line = next(li for li in lines_of(solved) if li.final_session_id == world["reze"].pk)
    # Since the solve, the session asks B1 French and nobody's level is known.
    Session.objects.filter(pk=world["reze"].pk).update(min_french_level="B1")
    before = counts()
    with pytest.raises(
        ValidationError,
        match=f"n'est plus possible pour {line.pathway.person.full_name} : niveau de français inférieur",
    ):
        services.batch_validate(membership=world["planner"], batch=solved)
    assert counts() == before
    french(line.pathway.person, "B2")
    assert services.batch_validate(membership=world["planner"], batch=solved).status == BatchStatus.VALIDATED


# --- override within the balancing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "balancing, target, message",
    [
        ({"session_max": 50}, "nantes", "limite la session « Nantes » à 1 personne"),
        ({"territory_max": 50}, "reze", "limite le territoire 44 à 1 personne"),
    ],
)
def test_line_override_respects_the_maximum_shares(world, balancing, target, message):
    batch = services.batch_create(membership=world["planner"], programme=world["programme"])
    values = {"session_min": 0, "session_max": 100, "territory_min": 0, "territory_max": 100, **balancing}
    services.batch_balancing_set(membership=world["planner"], batch=batch, **values)
    batch = services.batch_solve(membership=world["planner"], batch=batch)
    lines = lines_of(batch)
    assert sum(1 for li in lines if li.final_session_id) == 1
    unplaced = next(li for li in lines if li.final_session_id is None)
    before = counts()
    with pytest.raises(ValidationError, match=message):
        services.line_override(membership=world["planner"], line=unplaced, session_id=world[target].pk, reason="x")
    assert counts() == before


# --- online batches ------------------------------------------------------------------------------------


def test_an_online_batch_has_no_preferences_nor_balancing(world):
    newcomer = candidate([world["nantes"]], days_ago=0)
    batch = services.online_place(membership=world["planner"], programme=world["programme"], pathway=newcomer)
    (line,) = lines_of(batch)
    before = counts()
    with pytest.raises(ValidationError, match="arrivée au fil de l'eau"):
        services.line_preferences_set(
            membership=world["planner"],
            line=line,
            household="",
            accepts_move=True,
            needs_childcare=False,
            preferred_session_ids=[],
            refused_session_ids=[],
        )
    with pytest.raises(ValidationError, match="arrivée au fil de l'eau"):
        services.batch_balancing_set(
            membership=world["planner"], batch=batch, session_min=0, session_max=50, territory_min=0, territory_max=100
        )
    assert counts() == before


@pytest.mark.parametrize("bad", ["12", 12, None, {"a": 1}, [True]])
@pytest.mark.parametrize("field", ["preferred_session_ids", "refused_session_ids"])
def test_session_ids_that_are_not_a_list_are_refused(world, field, bad):
    batch = services.batch_create(membership=world["planner"], programme=world["programme"])
    params = {
        "household": "",
        "accepts_move": True,
        "needs_childcare": False,
        "preferred_session_ids": [],
        "refused_session_ids": [],
        field: bad,
    }
    before = counts()
    with pytest.raises(ValidationError) as error:
        services.line_preferences_set(membership=world["planner"], line=lines_of(batch)[0], **params)
    assert field in error.value.message_dict
    assert "liste de sessions" in str(error.value) or "Session inconnue" in str(error.value)
    assert counts() == before


def test_batch_solve_gives_the_exact_solver_a_total_time_limit(world, monkeypatch):
    seen = []
    real = placement.solve

    def solve(instance, *, time_limit_s=60.0):
        seen.append(time_limit_s)
        return real(instance, time_limit_s=time_limit_s)

    monkeypatch.setattr(placement, "solve", solve)
    batch = services.batch_create(membership=world["planner"], programme=world["programme"])
    services.batch_solve(membership=world["planner"], batch=batch)
    assert seen == [services.STAGE_TIME_LIMIT_S]
    assert services.STAGE_TIME_LIMIT_S * services.SOLVE_STAGES == services.SOLVE_TIME_LIMIT_S == 20


# --- predicted vs observed -----------------------------------------------------------------------------


def test_batch_observed_compares_predictions_with_exit_outcomes(world, solved):
    assert selectors.batch_observed(membership=world["planner"], batch=solved) is None  # not validated
    report = PlacementBatch.objects.get(pk=solved.pk).report
    assert report["line_ids"] == [li.pk for li in lines_of(solved)]
    assert set(report["groups"]) == {"sex", "age_band", "nationality_group", "french_level"}
    assert all(len(labels) == 4 for labels in report["groups"].values())
    batch = services.batch_validate(membership=world["planner"], batch=solved)
    placed = [li for li in lines_of(batch) if li.enrolment_id]
    assert len(placed) == 3
    # First placed: left with a job (positive); second: still looking (negative); third: in progress.
    exited = timezone.localdate()
    for line, outcome_ in zip(placed[:2], [ExitOutcome.SUSTAINABLE_EMPLOYMENT, ExitOutcome.JOB_SEARCH], strict=True):
        Enrolment.objects.filter(pk=line.enrolment_id).update(
            state=EnrolmentState.COMPLETED, exited_on=exited, exit_outcome=outcome_
        )
    result = selectors.batch_observed(membership=world["planner"], batch=batch)
    overall = result["overall"]
    assert overall["n"] == 2 and overall["pending"] == 1
    assert overall["observed_rate"] == 0.5
    assert overall["mean_predicted"] == pytest.approx(np.mean([li.predicted for li in placed[:2]]), abs=1e-3)
    assert result["left_out_overridden"] == 0
    assert {d["key"] for d in result["dimensions"]} == {"sex", "age_band", "nationality_group", "french_level"}
    # An unknown exit outcome stays pending.
    Enrolment.objects.filter(pk=placed[1].enrolment_id).update(exit_outcome=ExitOutcome.UNKNOWN)
    result = selectors.batch_observed(membership=world["planner"], batch=batch)
    assert (result["overall"]["n"], result["overall"]["pending"]) == (1, 2)


def test_batch_observed_of_an_online_batch_computes_the_groups(world):
    newcomer = candidate([world["nantes"]], days_ago=0)
    batch = services.online_place(membership=world["planner"], programme=world["programme"], pathway=newcomer)
    batch = services.batch_validate(membership=world["planner"], batch=batch)
    result = selectors.batch_observed(membership=world["planner"], batch=batch)
    assert result["overall"]["pending"] == 1 and result["overall"]["n"] == 0
    assert [g["label"] for d in result["dimensions"] if d["key"] == "french_level" for g in d["groups"]] == ["Inconnu"]


@pytest.mark.parametrize("what", ["membership", "organisation", "user"])
def test_an_inactive_operator_professional_is_not_a_planner(world, solved, what):
    planner = world["planner"]
    row = {"membership": planner, "organisation": planner.organisation, "user": planner.user}[what]
    row.is_active = False
    row.save(update_fields=["is_active"])
    before = (PlacementBatch.objects.count(), AuditEntry.objects.count())
    assert not selectors.can_plan(planner, world["programme"])
    with pytest.raises(Http404):
        selectors.batch_get(membership=planner, batch_id=solved.pk)
    with pytest.raises(PermissionDenied):
        services.batch_validate(membership=planner, batch=solved)
    assert (PlacementBatch.objects.count(), AuditEntry.objects.count()) == before
    assert PlacementBatch.objects.get(pk=solved.pk).status == BatchStatus.SOLVED
