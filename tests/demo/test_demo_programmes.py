"""The demo's programmes: three programmes declared as data with valid rules, HOPE sessions in
several AFPA centres, a history whose records are consistent (no session oversold, exits dated,
surveys coherent) and large enough for the indicators (HOPE alumni), a VAE pathway with declarative
admissibility and its jury results, a call for projects with participants. The demo is loaded once
for the module (then rolled back)."""

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from parcours.demo import territory as T
from parcours.demo.loader import demo_load
from parcours.demo.logins import demo_login_rows
from parcours.demo.programmes import (
    ALUMNI_PERSONS,
    ALUMNI_USERNAME_REGEX,
    HOPE_CODE,
    PLIE_CODE,
    VAE_CODE,
    load_programmes,
    programme_data,
)
from parcours.organisations.enums import OrganisationKind
from parcours.organisations.models import Organisation
from parcours.pathways.models import FollowUpMember, Pathway
from parcours.people.enums import ProtectionStatus
from parcours.people.models import Person
from parcours.programmes import enums as E
from parcours.programmes import stats
from parcours.programmes.eligibility import validate_rules
from parcours.programmes.indicators import mask_table
from parcours.programmes.models import (
    CallForProjects,
    Enrolment,
    EnrolmentTransition,
    FollowUpSurvey,
    Programme,
    Session,
    VaePathway,
)

OPERATOR_STAFF = ("gwenaelle.le-floch", "rachid.mansouri", "claire.besnard", "samuel.nguyen")

PERSONS = 80


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            call_command("load_reference", stdout=None)
            demo_load(persons=PERSONS, seed=44)
            counts = load_programmes(now=timezone.now())  # {} when the loader already made them
            yield counts
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture
def loaded(demo, db):
    return demo


def test_demo_declares_three_programmes_with_valid_rules(loaded):
    programmes = {p.code: p for p in Programme.objects.all()}
    assert {HOPE_CODE, VAE_CODE, PLIE_CODE} <= set(programmes)
    assert programmes[VAE_CODE].kind == E.ProgrammeKind.VAE
    for code in (HOPE_CODE, VAE_CODE, PLIE_CODE):
        assert validate_rules(programmes[code].eligibility_rules) == []
        assert programmes[code].eligibility_rules == programme_data(code)["eligibility_rules"]
        assert programmes[code].steps.exists()
    hope = programmes[HOPE_CODE]
    assert hope.duration_months == 8
    assert {"housing", "french", "training_module", "work_study"} <= set(hope.steps.values_list("kind", flat=True))
    assert hope.steps.get(kind="french").target_hours


def test_demo_loads_programmes_once(loaded):
    before = Enrolment.objects.count()
    assert load_programmes(now=timezone.now()) == {}
    assert Enrolment.objects.count() == before
    assert Programme.objects.filter(code=HOPE_CODE).count() == 1


def test_hope_sessions_run_in_several_afpa_centres_past_and_future(loaded):
    sessions = Session.objects.filter(programme__code=HOPE_CODE).select_related("operator")
    assert sessions.count() >= 6
    centres = {s.operator_id for s in sessions if s.operator.kind == OrganisationKind.ORGANISME_FORMATION}
    assert len(centres) >= 2
    today = timezone.localdate()
    assert any(s.ends_on < today for s in sessions) and any(s.starts_on > today for s in sessions)
    assert all(s.offers_housing and s.partner_companies and s.target_jobs.exists() for s in sessions)


def test_no_session_is_oversold(loaded):
    seats = Count("enrolments", filter=Q(enrolments__state__in=E.SEAT_STATES))
    for session in Session.objects.annotate(seats=seats):
        assert session.seats <= session.places, session.label


def test_history_reaches_every_final_state_with_dated_exits(loaded):
    hope = Enrolment.objects.filter(programme__code=HOPE_CODE)
    assert {E.EnrolmentState.COMPLETED, E.EnrolmentState.IN_PROGRESS} <= set(hope.values_list("state", flat=True))
    states = set(Enrolment.objects.values_list("state", flat=True))
    assert {E.EnrolmentState.ABANDONED, E.EnrolmentState.NOT_SELECTED, E.EnrolmentState.ENROLLED} <= states
    for enrolment in Enrolment.objects.filter(state__in=E.EXITED_STATES):
        assert enrolment.exited_on is not None and enrolment.enrolled_on <= enrolment.exited_on
        if enrolment.state == E.EnrolmentState.ABANDONED:
            assert enrolment.abandon_reason
    assert hope.filter(certifications__kind=E.CertificationKind.LANGUAGE).exists()
    assert hope.filter(work_study_contracts__isnull=False).exists()


def test_every_enrolment_log_leads_to_its_state(loaded):
    for enrolment in Enrolment.objects.prefetch_related("transitions"):
        log = sorted(enrolment.transitions.all(), key=lambda t: (t.at, t.pk))
        assert log[0].from_state == "" and log[0].to_state == E.EnrolmentState.CANDIDATE
        for previous, current in zip(log, log[1:], strict=False):
            assert current.from_state == previous.to_state
            assert current.to_state in E.ENROLMENT_TRANSITIONS[previous.to_state]
        assert log[-1].to_state == enrolment.state
    assert EnrolmentTransition.objects.count() > Enrolment.objects.count()


def test_surveys_are_consistent_with_exits(loaded):
    today = timezone.localdate()
    surveys = FollowUpSurvey.objects.select_related("enrolment")
    assert surveys.exists()
    for survey in surveys:
        assert survey.enrolment.state in E.EXITED_STATES
        assert survey.due_on > survey.enrolment.exited_on
        if survey.status == E.SurveyStatus.ANSWERED:
            assert survey.employment and survey.answered_on <= today
        elif survey.status == E.SurveyStatus.NO_ANSWER:
            assert survey.employment == "" and survey.answered_on <= today
        else:
            assert survey.employment == "" and survey.answered_on is None
    exited = Enrolment.objects.filter(state__in=E.EXITED_STATES).annotate(n=Count("surveys"))
    assert all(e.n == len(E.SURVEY_WAVES) for e in exited)


def test_a_vae_pathway_with_declarative_admissibility_has_jury_results(loaded):
    vae = VaePathway.objects.filter(
        admissibility=E.VaeAdmissibility.DECLARATIVE, bloc_results__decided_on__isnull=False
    ).first()
    assert vae is not None
    assert vae.experience_statement and vae.jury_date
    assert vae.admissibility_decision == E.VaeAdmissibilityDecision.ADMISSIBLE
    results = set(vae.bloc_results.values_list("result", flat=True))
    assert E.BlocResult.VALIDATED in results
    assert vae.enrolment.programme.code == VAE_CODE
    # And one still under way: admissible, jury to come.
    assert VaePathway.objects.filter(
        admissibility_decision=E.VaeAdmissibilityDecision.ADMISSIBLE, jury_date__gt=timezone.localdate()
    ).exists()


def test_the_call_has_projects_of_several_types_with_participants(loaded):
    call = CallForProjects.objects.get()
    projects = list(call.projects.annotate(n=Count("participants")))
    assert len(projects) >= 4
    assert len({p.project_type for p in projects}) == len(projects)
    assert sum(p.granted_amount for p in projects) <= call.budget
    assert any(p.n for p in projects)
    assert all(p.consortium.exists() for p in projects)


def test_hope_history_is_large_enough_for_the_indicators(loaded):
    hope = Programme.objects.get(code=HOPE_CODE)
    table = stats.programme_by_cohort(programme=hope, as_of=timezone.localdate())
    assert table.total.entrants >= 150
    assert sum(1 for _key, group in table.groups if group.entrants >= 11) >= 6
    centres = Session.objects.filter(programme=hope, enrolments__entered_on__isnull=False).values("operator")
    assert centres.distinct().count() == 3
    # The rates are drawn around HOPE's published figures, not written in.
    for code, low, high in (
        ("french_certification_rate", 0.6, 0.95),
        ("certification_rate", 0.6, 0.95),
        ("positive_exit_rate", 0.55, 0.9),
        ("employment_6_months", 0.35, 0.75),
    ):
        assert low <= table.total.values[code].rate <= high, code


def test_hope_publication_export_shows_figures_and_masks_small_cells(loaded):
    hope = Programme.objects.get(code=HOPE_CODE)
    table = stats.programme_by_cohort(programme=hope, as_of=timezone.localdate())
    published = mask_table(table, min_cell=settings.PUBLICATION_MIN_CELL)
    values = [v for _key, group in published.groups for v in group.values()] + list(published.total.values())
    assert any(v.rate is not None for v in values)
    assert any(v.masked for v in values)
    assert all(published.total[code].numerator is not None for code in ("entrants", "completion_rate"))


def test_hope_alumni_are_refugees_followed_by_generated_staff(loaded):
    alumni = Pathway.objects.filter(members__membership__user__username__regex=ALUMNI_USERNAME_REGEX).distinct()
    assert alumni.count() >= 150
    assert Person.objects.filter(ALUMNI_PERSONS).count() == alumni.count()
    statuses = set(alumni.values_list("person__protection_status", flat=True))
    assert statuses <= {ProtectionStatus.REFUGEE, ProtectionStatus.SUBSIDIARY}
    assert not alumni.filter(person__commune__isnull=True).exists()
    assert not alumni.exclude(person__commune__departement_id="44").exists()
    assert alumni.filter(person__consents__organisation__kind=OrganisationKind.ORGANISME_FORMATION).exists()
    assert alumni.filter(person__diagnostics__language_levels__language="fr").distinct().count() == alumni.count()
    # No documented login follows them: the demo caseloads stay as documented.
    logins = [p.username for p in T.PROFESSIONALS]
    assert not FollowUpMember.objects.filter(pathway__in=alumni, membership__user__username__in=logins).exists()
    # Closed some months after the exit, with every seat ended; the open ones keep one referent.
    closed = alumni.filter(status="closed")
    assert closed.exists() and alumni.filter(status="open").exists()
    assert not FollowUpMember.objects.filter(pathway__in=closed, ended_at__isnull=True).exists()
    for pathway in alumni.filter(status="open").annotate(
        referents=Count("members", filter=Q(members__is_referent=True, members__ended_at__isnull=True))
    ):
        assert pathway.referents == 1
    for pathway in closed.prefetch_related("enrolments"):
        (enrolment,) = pathway.enrolments.all()
        if enrolment.exited_on:
            assert pathway.closed_at.date() > enrolment.exited_on


def test_programme_operators_and_their_staff_are_demo_logins(loaded):
    keys = {spec.key: spec for spec in T.ORGANISATIONS}
    for key in ("afpa", "afpa_saint_nazaire", "afpa_reze", "plie", "vae_body"):
        assert Organisation.objects.filter(name=keys[key].name, siret=keys[key].siret).count() == 1
    hope = Programme.objects.get(code=HOPE_CODE)
    assert set(hope.operators.values_list("siret", flat=True)) == set(programme_data(HOPE_CODE)["operators"])
    listed = {row[0] for row in demo_login_rows()}
    assert set(OPERATOR_STAFF) <= listed
