"""Feature rows and training set of the outcome model read from the database, and the training
service with its command."""

import datetime

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from parcours.audit.models import AuditEntry
from parcours.diagnostics.enums import AssessmentMethod
from parcours.diagnostics.models import Diagnostic, IntegrationContract, LanguageLevel
from parcours.matching import outcome
from parcours.matching.enums import ModelStatus
from parcours.matching.models import OutcomeModel
from parcours.matching.selectors_outcome import (
    EDUCATION_UNKNOWN,
    MONTHS_CAP,
    TENSION_UNKNOWN,
    active_model,
    months_between,
    pair_features,
    training_set,
)
from parcours.matching.services_outcome import outcome_model_train, outcome_model_train_unattended
from parcours.people.models import WorkExperience
from parcours.programmes.enums import EnrolmentState, ExitOutcome
from tests.factories import CommuneFactory, DepartementFactory, MembershipFactory, PathwayFactory, PersonFactory
from tests.matching.placement_factories import not_planners, programme_with_planner
from tests.occupations import factories as rome
from tests.programmes.factories import EnrolmentFactory, ProgrammeFactory, SessionFactory

pytestmark = pytest.mark.django_db

F = {name: k for k, name in enumerate(outcome.FEATURES)}


def _nantes():
    return CommuneFactory(departement=DepartementFactory(code="44", name="Loire-Atlantique"))


def _lyon():
    return CommuneFactory(
        insee_code="69123",
        name="Lyon",
        departement=DepartementFactory(code="69", name="Rhône", region_code="84"),
        postcodes=["69001"],
        latitude=45.76,
        longitude=4.83,
    )


def _french(person, level, *, version, days_ago):
    referent = MembershipFactory()
    diagnostic = Diagnostic.objects.create(
        person=person,
        version=version,
        recorded_at=timezone.now() - datetime.timedelta(days=days_ago),
        recorded_by=referent.user,
        organisation=referent.organisation,
    )
    LanguageLevel.objects.create(diagnostic=diagnostic, language="fr", level=level, method=AssessmentMethod.OFII_TEST)


@pytest.fixture
def world():
    """Three ROME sheets in three domains; tension of J1501 in the 44 (40 %) and nationally (80 %),
    of N1103 nationally (60 %), none for K2204; four sessions; three people."""
    care = rome.sheet("J1501", domain=rome.domain("J15", "Soins"))
    storage = rome.sheet("N1103", "Magasinage", domain=rome.domain("N11", "Magasinage", grand_domain_label="Transport"))
    cleaning = rome.sheet("K2204", "Nettoyage", domain=rome.domain("K22", "Nettoyage", grand_domain_label="Services"))
    rome.tension(care, "40.0", departement=DepartementFactory(code="44", name="Loire-Atlantique"))
    rome.tension(care, "80.0")
    rome.tension(storage, "60.0")

    programme = ProgrammeFactory()
    s_nantes_care = SessionFactory(programme=programme, commune=_nantes())
    s_nantes_care.target_jobs.set([care])
    s_lyon_care = SessionFactory(programme=programme, commune=_lyon())
    s_lyon_care.target_jobs.set([care, cleaning])
    s_no_job = SessionFactory(programme=programme, commune=_nantes())
    s_storage = SessionFactory(programme=programme, commune=_nantes())
    s_storage.target_jobs.set([storage, cleaning])

    today = timezone.localdate()
    # A: baccalauréat, arrived on the 1st of this month two years ago, French A1 then B1, experienced.
    a = PersonFactory(
        education_level="4",
        arrival_date=datetime.date(today.year - 2, today.month, 1),
        nationality="SY",
        sex="F",
    )
    _french(a, "A1", version=1, days_ago=700)
    _french(a, "B1", version=2, days_ago=1)
    WorkExperience.objects.create(person=a, rome=care, years="3.5")
    WorkExperience.objects.create(person=a, rome=storage, years="2.0")
    WorkExperience.objects.create(person=a, rome=cleaning, years="1.0")
    WorkExperience.objects.create(person=a, rome=rome.sheet("Z9999", "Sans domaine"), years="9.0")
    # B: education unknown, arrival unknown, French known only from the OFII test (A2).
    b = PersonFactory(education_level="", arrival_date=None)
    IntegrationContract.objects.create(
        person=b,
        signed_on=today - datetime.timedelta(days=30),
        french_hours_prescribed=200,
        french_level_at_signature="A2",
    )
    # C: never schooled, no French assessment, 25 years of cleaning (capped at 20).
    c = PersonFactory(education_level="0", arrival_date=today - datetime.timedelta(days=20 * 365))
    WorkExperience.objects.create(person=c, rome=cleaning, years="25.0")
    return {
        "programme": programme,
        "sessions": [s_nantes_care, s_lyon_care, s_no_job, s_storage],
        "people": [a, b, c],
    }


def test_pair_features_computed_by_hand(world):
    X = pair_features(people=world["people"], sessions=world["sessions"])
    assert X.shape == (3, 4, len(outcome.FEATURES))
    # French: A latest diagnostic B1 -> 4; B from the integration contract A2 -> 3; C unknown -> 0.
    np.testing.assert_array_equal(X[:, :, F["french_level"]], [[4] * 4, [3] * 4, [0] * 4])
    np.testing.assert_array_equal(X[:, :, F["education_level"]], [[4] * 4, [EDUCATION_UNKNOWN] * 4, [0] * 4])
    # Experience in the domains of each session's target jobs (J15 | J15+K22 | none | N11+K22).
    np.testing.assert_array_equal(
        X[:, :, F["domain_experience_years"]], [[3.5, 4.5, 0, 3.0], [0, 0, 0, 0], [0, 20.0, 0, 20.0]]
    )
    np.testing.assert_array_equal(X[:, 0, F["months_since_arrival"]], [24, MONTHS_CAP, MONTHS_CAP])
    np.testing.assert_array_equal(X[:, 0, F["arrival_unknown"]], [0, 1, 0])
    # Tension: Nantes reads the 44 figure of J1501 (40 %), Lyon has none for the 69 and reads the
    # national one (80 %); no target job -> unknown; N1103 national 60 % (K2204 has no figure).
    np.testing.assert_allclose(X[0, :, F["local_tension"]], [0.40, 0.80, TENSION_UNKNOWN, 0.60])
    assert (X[:, :, F["local_tension"]] == X[0, :, F["local_tension"]]).all()


def test_pair_features_ignore_sex_and_nationality(world):
    a = world["people"][0]
    before = pair_features(people=[a], sessions=world["sessions"])
    a.sex, a.nationality = "M", "FR"
    a.save()
    assert (pair_features(people=[a], sessions=world["sessions"]) == before).all()


def test_pair_features_use_a_fixed_number_of_queries(world, django_assert_num_queries):
    with django_assert_num_queries(6):
        pair_features(people=world["people"][:1], sessions=world["sessions"][:1])
    more_people = world["people"] + [PersonFactory() for _ in range(5)]
    more_sessions = world["sessions"] + [SessionFactory(programme=world["programme"]) for _ in range(3)]
    with django_assert_num_queries(6):
        pair_features(people=more_people, sessions=more_sessions)
    with django_assert_num_queries(0):
        assert pair_features(people=[], sessions=world["sessions"]).shape == (0, 4, len(outcome.FEATURES))


def test_months_between_counts_whole_months_and_caps():
    assert months_between(datetime.date(2024, 1, 15), datetime.date(2024, 3, 14)) == 1
    assert months_between(datetime.date(2024, 1, 15), datetime.date(2024, 3, 15)) == 2
    assert months_between(datetime.date(2000, 1, 1), datetime.date(2024, 1, 1)) == MONTHS_CAP
    assert months_between(datetime.date(2024, 5, 1), datetime.date(2024, 1, 1)) == 0


def _exit(session, pathway, outcome_value, *, state=EnrolmentState.COMPLETED, enrolled_on=None):
    enrolled_on = enrolled_on or timezone.localdate() - datetime.timedelta(days=300)
    return EnrolmentFactory(
        session=session,
        pathway=pathway,
        state=state,
        enrolled_on=enrolled_on,
        entered_on=enrolled_on,
        exited_on=enrolled_on + datetime.timedelta(days=200),
        exit_outcome=outcome_value,
        abandon_reason="other" if state == EnrolmentState.ABANDONED else "",
    )


def test_training_set_labels_and_features(world, django_assert_num_queries):
    programme = world["programme"]
    s_care, s_lyon, _s_none, s_storage = world["sessions"]
    a, b, c = world["people"]
    referent = MembershipFactory()
    pa, pb, pc = (PathwayFactory(person=p, referent=referent) for p in (a, b, c))
    # A placed a year ago: the A1 diagnostic (700 days ago) was the latest then, not today's B1.
    year_ago = timezone.localdate() - datetime.timedelta(days=365)
    _exit(s_care, pa, ExitOutcome.SUSTAINABLE_EMPLOYMENT, enrolled_on=year_ago)
    _exit(s_lyon, pb, ExitOutcome.JOB_SEARCH, state=EnrolmentState.ABANDONED)
    _exit(s_storage, pc, ExitOutcome.UNKNOWN)  # unknown outcome: left out
    EnrolmentFactory(session=s_storage, pathway=pa)  # still a candidacy: left out
    other = ProgrammeFactory(positive_outcomes=["job_search"])
    _exit(SessionFactory(programme=other, commune=_nantes()), pc, ExitOutcome.JOB_SEARCH)

    with django_assert_num_queries(7):
        X, y = training_set(programme=programme)
    assert y.tolist() == [1, 0]
    assert X.shape == (2, len(outcome.FEATURES))
    assert X[0, F["french_level"]] == 2  # A1 at the time of the placement
    assert X[0, F["domain_experience_years"]] == 3.5
    assert X[0, F["months_since_arrival"]] == months_between(a.arrival_date, year_ago)
    assert X[0, F["local_tension"]] == pytest.approx(0.40)
    np.testing.assert_allclose(X[1], [3, EDUCATION_UNKNOWN, 0, MONTHS_CAP, 1, 0.80])

    X_all, y_all = training_set(programme=None)
    # The other programme counts "job search" as positive: labels follow each enrolment's programme.
    assert y_all.tolist() == [1, 0, 1]
    assert X_all[2, F["domain_experience_years"]] == 0


def _history(programme, n, *, positive_share=0.5, seed=0):
    """n past exits on one session of the programme: French level drives the outcome."""
    rng = np.random.default_rng(seed)
    session = SessionFactory(programme=programme, commune=_nantes())
    session.target_jobs.set([rome.sheet("J1501", domain=rome.domain("J15", "Soins"))])
    referent = MembershipFactory()
    creator = referent.user
    for _k in range(n):
        good = rng.random() < positive_share
        person = PersonFactory(created_by=creator, commune=session.commune, education_level=str(rng.choice([1, 3, 4])))
        if good or rng.random() < 0.2:
            _french(person, "B1" if good else "A1", version=1, days_ago=400)
        _exit(
            session,
            PathwayFactory(person=person, referent=referent, departement=session.commune.departement),
            ExitOutcome.SUSTAINABLE_EMPLOYMENT if good else ExitOutcome.JOB_SEARCH,
        )


@pytest.fixture
def planner():
    """A programme and a conseiller·ère of one of its operators (parcours.matching.access.can_plan)."""
    return programme_with_planner()


@pytest.mark.parametrize("who", ["pilote_of_owner", "admin_of_operator", "conseiller_elsewhere"])
def test_training_is_refused_to_a_non_planner(planner, who):
    programme, _planner = planner
    _history(programme, 10)
    outsider = not_planners(programme)[who]
    with pytest.raises(PermissionDenied, match="réservées aux professionnel·les d'accompagnement"):
        outcome_model_train(membership=outsider, programme=programme)
    assert not OutcomeModel.objects.exists()
    assert not AuditEntry.objects.filter(object_type="matching.outcomemodel").exists()


def test_thin_history_writes_an_insufficient_row(planner):
    programme, membership = planner
    _history(programme, 10)
    row = outcome_model_train(membership=membership, programme=programme)
    assert row.status == ModelStatus.INSUFFICIENT
    assert row.programme == programme
    assert row.n_samples == 10
    assert "Historique insuffisant" in row.message and f"au moins {outcome.MIN_SAMPLES}" in row.message
    assert row.params == {}
    assert active_model(programme=programme) is None
    entry = AuditEntry.objects.get(object_type="matching.outcomemodel", object_id=str(row.pk))
    assert entry.actor == membership.user


def test_training_stores_an_active_model_and_supersedes_the_previous_one(planner):
    programme, membership = planner
    _history(programme, 90, seed=1)
    first = outcome_model_train(membership=membership, programme=programme)
    assert first.status == ModelStatus.ACTIVE and first.programme == programme
    assert first.n_samples == 90 and len(first.auc_folds) == 5
    assert first.auc > 0.7  # French level separates the synthetic outcomes
    assert sum(b["n"] for b in first.calibration) == 90
    assert first.features == list(outcome.FEATURES)
    model = outcome.FittedModel.from_params(first.params)
    assert model.predict(np.zeros((1, len(outcome.FEATURES)))).shape == (1,)
    assert active_model(programme=programme) == first

    second = outcome_model_train(membership=membership, programme=programme)
    first.refresh_from_db()
    assert first.status == ModelStatus.SUPERSEDED
    assert second.status == ModelStatus.ACTIVE
    assert second.params == first.params  # same history, same seed: same model
    assert active_model(programme=programme) == second
    assert OutcomeModel.objects.filter(status=ModelStatus.ACTIVE).count() == 1


def test_thin_programme_history_falls_back_to_every_programme_under_the_programme_s_scope(planner):
    """A planner of one programme never replaces the model other programmes use: trained on every
    programme's history, the model is stored for the planner's programme only, and says so."""
    programme, membership = planner
    _history(programme, 5)
    other = ProgrammeFactory()
    _history(other, 90, seed=2)
    shared = OutcomeModel.objects.create(programme=None, status=ModelStatus.ACTIVE, params={"x": 1})
    row = outcome_model_train(membership=membership, programme=programme)
    assert row.status == ModelStatus.ACTIVE
    assert row.programme == programme
    assert row.n_samples == 95
    assert "modèle entraîné sur les sorties de tous les programmes" in row.message
    assert active_model(programme=programme) == row
    shared.refresh_from_db()
    assert shared.status == ModelStatus.ACTIVE  # not superseded
    assert active_model(programme=other) == shared


def test_the_unattended_command_keeps_the_all_programmes_scope(planner):
    programme, _membership = planner
    _history(programme, 5)
    _history(ProgrammeFactory(), 90, seed=2)
    shared = OutcomeModel.objects.create(programme=None, status=ModelStatus.ACTIVE, params={"x": 1})
    row = outcome_model_train_unattended(programme=programme)
    assert row.status == ModelStatus.ACTIVE and row.programme is None
    assert "tous les programmes" in row.message
    shared.refresh_from_db()
    assert shared.status == ModelStatus.SUPERSEDED
    entry = AuditEntry.objects.get(object_type="matching.outcomemodel", object_id=str(row.pk))
    assert entry.actor is None


def test_insufficient_training_keeps_the_model_in_service(planner):
    programme, membership = planner
    in_service = OutcomeModel.objects.create(programme=None, status=ModelStatus.ACTIVE, params={"x": 1})
    _history(programme, 10)
    row = outcome_model_train(membership=membership, programme=programme)
    assert row.status == ModelStatus.INSUFFICIENT
    in_service.refresh_from_db()
    assert in_service.status == ModelStatus.ACTIVE


def test_command_trains_the_programme(planner, capsys):
    programme, _membership = planner
    _history(programme, 10)
    call_command("placement_train", programme.code)
    row = OutcomeModel.objects.get()
    assert row.status == ModelStatus.INSUFFICIENT
    assert "Historique insuffisant" in capsys.readouterr().out


def test_command_refuses_an_unknown_code_in_french(db):
    with pytest.raises(CommandError, match="Programme inconnu : « inexistant »"):
        call_command("placement_train", "inexistant")
    assert not OutcomeModel.objects.exists()


def test_training_set_query_count_does_not_grow_with_history(planner):
    programme, _membership = planner
    _history(programme, 12)
    with CaptureQueriesContext(connection) as small:
        training_set(programme=programme)
    _history(programme, 12, seed=3)
    with CaptureQueriesContext(connection) as large:
        training_set(programme=programme)
    assert len(small.captured_queries) == len(large.captured_queries) == 7
