"""A counsellor proposes a person to a session from their pathway; the training centre's staff
select, enrol and start them from the session page. Each page checked by axe-core."""

import re

import pytest

from parcours.organisations.enums import OrganisationKind
from parcours.programmes.enums import EnrolmentState
from parcours.programmes.models import Enrolment
from tests.factories import MembershipFactory, OrganisationFactory, PathwayFactory, PersonFactory
from tests.programmes.factories import ProgrammeFactory, SessionFactory

SESSION_LABEL = "HOPE Saint-Herblain — automne"


@pytest.fixture
def centre_staff(db):
    centre = OrganisationFactory(kind=OrganisationKind.ORGANISME_FORMATION, name="AFPA Saint-Herblain")
    return MembershipFactory(user__first_name="Yannick", user__last_name="Le Goff", organisation=centre)


@pytest.fixture
def session(centre_staff):
    programme = ProgrammeFactory(
        code="hope-44",
        name="HOPE Loire-Atlantique",
        eligibility_rules=[{"field": "age", "op": "between", "value": [18, 64]}],
        operators=[centre_staff.organisation],
    )
    return SessionFactory(
        programme=programme,
        operator=centre_staff.organisation,
        label=SESSION_LABEL,
        places=1,
        min_french_level="A2",
        hosts_households=True,
    )


@pytest.fixture
def counsellor(db):
    return MembershipFactory(user__first_name="Claire", user__last_name="Martin")


@pytest.fixture
def pathway(counsellor):
    return PathwayFactory(person=PersonFactory(first_name="Amina", last_name="Rahimi"), referent=counsellor)


def test_counsellor_proposes_and_the_centre_enrols_and_starts(
    page, axe_check, browser_login, centre_staff, session, counsellor, pathway
):
    browser_login(counsellor)
    page.goto(f"/programmes/sessions/{session.pk}/candidature/{pathway.pk}/")
    page.get_by_text("Éligible", exact=True).wait_for()
    axe_check(page, "programme-propose")
    page.get_by_role("button", name="Proposer la candidature").click()
    page.wait_for_url("**/programmes/inscriptions/**")
    enrolment = Enrolment.objects.get(pathway=pathway)
    assert enrolment.state == EnrolmentState.CANDIDATE
    page.get_by_role("button", name="Se déconnecter").first.click()

    browser_login(centre_staff)
    page.goto("/programmes/")
    axe_check(page, "programme-list")
    page.get_by_role("link", name="HOPE Loire-Atlantique").click()
    axe_check(page, "programme-detail")
    page.get_by_role("link", name=SESSION_LABEL).click()
    page.get_by_role("heading", name=re.compile("Candidat·e")).wait_for()
    assert page.get_by_text("Niveau de français minimum").first.is_visible()  # the placement fields
    axe_check(page, "session-detail-candidate")

    page.get_by_role("button", name="Retenir la candidature").click()
    page.get_by_text("Amina RAHIMI : retenu·e.").wait_for()
    page.get_by_role("button", name="Inscrire", exact=True).click()
    page.get_by_text("Amina RAHIMI : inscrit·e.").wait_for()
    page.get_by_role("button", name="Enregistrer l'entrée en parcours").click()
    page.get_by_text("Amina RAHIMI : en cours.").wait_for()
    axe_check(page, "session-detail-in-progress")

    enrolment.refresh_from_db()
    assert enrolment.state == EnrolmentState.IN_PROGRESS
    assert enrolment.enrolled_on is not None and enrolment.entered_on == enrolment.enrolled_on


def test_the_session_form_with_its_placement_fields_passes_axe(page, axe_check, browser_login, centre_staff, session):
    browser_login(centre_staff)
    page.goto(f"/programmes/{session.programme.code}/sessions/nouvelle/")
    assert page.get_by_label("Niveau de français minimum").is_visible()
    axe_check(page, "session-form")
    page.get_by_label("Niveau de français minimum").select_option("A2")
    page.get_by_role("button", name="Enregistrer la session").click()  # other fields empty: errors
    page.get_by_label("Niveau de français minimum").wait_for()
    axe_check(page, "session-form-errors")
