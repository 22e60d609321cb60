"""A referent follows a participant's progress in a programme: records French hours and a DELF
certification, the exit outcome, then answers the 6-month follow-up survey "no answer", in
headless Chromium, each page checked by axe-core."""

import datetime

import pytest
from django.utils import timezone

from parcours.programmes import enums
from parcours.programmes.models import Certification, Enrolment, FollowUpSurvey, StepRecord
from tests.factories import MembershipFactory, OrganisationFactory, PathwayFactory, PersonFactory
from tests.programmes.factories import EnrolmentFactory, FollowUpSurveyFactory, ProgrammeStepFactory

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


@pytest.fixture
def counsellor(db):
    return MembershipFactory(
        user__first_name="Claire", user__last_name="Martin", organisation=OrganisationFactory(name="France Travail")
    )


@pytest.fixture
def enrolment(counsellor):
    person = PersonFactory(first_name="Amina", last_name="Rahimi")
    enrolment = EnrolmentFactory(
        pathway=PathwayFactory(person=person, referent=counsellor),
        session__programme__name="Parcours HOPE",
        session__label="HOPE Saint-Herblain — agent de propreté",
        state=enums.EnrolmentState.COMPLETED,
        enrolled_on=TODAY - 260 * DAY,
        entered_on=TODAY - 250 * DAY,
        exited_on=TODAY - 190 * DAY,
    )
    ProgrammeStepFactory(programme=enrolment.programme, position=1, label="Cours de français", target_hours=200)
    ProgrammeStepFactory(
        programme=enrolment.programme,
        position=2,
        kind=enums.StepKind.LANGUAGE_CERTIFICATION,
        label="DELF A2",
        target_hours=None,
    )
    return enrolment


def test_enrolment_progress_journey(page, axe_check, browser_login, counsellor, enrolment):
    survey = FollowUpSurveyFactory(enrolment=enrolment, wave_months=6, due_on=TODAY - 8 * DAY)
    french = enrolment.programme.steps.get(position=1)
    browser_login(counsellor)

    page.goto(f"/programmes/inscriptions/{enrolment.pk}/")
    page.get_by_role("heading", level=1, name="Amina RAHIMI — Parcours HOPE").wait_for()
    axe_check(page, "enrolment-detail")

    # French hours.
    step = page.locator(f"#step-{french.pk}")
    step.get_by_label("Date").fill((TODAY - 200 * DAY).isoformat())
    step.get_by_label("Heures réalisées").fill("120,5")
    step.get_by_label("Justificatif").fill("Attestation de l'organisme de formation")
    step.get_by_role("button", name="Enregistrer l'étape").click()
    page.get_by_text("L'étape « Cours de français » est enregistrée.").wait_for()
    page.get_by_text("120,5 h sur 200 h").wait_for()

    # A DELF A2.
    form = page.locator("form", has=page.get_by_role("button", name="Enregistrer la certification"))
    form.get_by_label("Type de certification").select_option("language")
    form.get_by_label("Certification", exact=True).select_option("delf")
    form.get_by_label("Niveau CECRL").select_option("A2")
    form.get_by_label("Obtenue le").fill((TODAY - 195 * DAY).isoformat())
    form.get_by_role("button", name="Enregistrer la certification").click()
    page.get_by_text("La certification est enregistrée.").wait_for()

    # The exit outcome.
    outcome = page.locator("form", has=page.get_by_role("button", name="Enregistrer la situation"))
    outcome.get_by_label("Situation à la sortie").select_option("work_study")
    outcome.get_by_role("button", name="Enregistrer la situation").click()
    page.get_by_text("La situation à la sortie est enregistrée.").wait_for()
    axe_check(page, "enrolment-detail-recorded")

    # The survey due, answered "no answer".
    page.goto("/programmes/enquetes/")
    axe_check(page, "survey-todo")
    page.get_by_role("link", name="Renseigner l'enquête de Amina RAHIMI").click()
    page.get_by_role("heading", level=1).wait_for()
    axe_check(page, "survey-answer")
    # DSFR draws the radio over its label: click the label, as a person does.
    page.get_by_text("Non, pas de réponse (personne injoignable)").click()
    page.get_by_role("button", name="Enregistrer l'enquête").click()
    page.get_by_text("L'enquête de suivi de Amina RAHIMI est enregistrée.").wait_for()
    page.get_by_text("Aucune enquête de suivi à réaliser pour le moment.").wait_for()
    axe_check(page, "survey-todo-empty")

    record = StepRecord.objects.get(enrolment=enrolment)
    assert str(record.hours) == "120.5"
    certification = Certification.objects.get(enrolment=enrolment)
    assert (certification.exam, certification.level) == ("delf", "A2")
    assert Enrolment.objects.get(pk=enrolment.pk).exit_outcome == "work_study"
    survey = FollowUpSurvey.objects.get(pk=survey.pk)
    assert (survey.status, survey.employment) == ("no_answer", "")
