"""A pilote opens a call for projects and sees its projects' target vs actual; a counsellor of a
project's lead adds a person they follow to the project. Each page checked by axe-core."""

import datetime
from decimal import Decimal

import pytest

from parcours.organisations.enums import OrganisationKind, Role
from parcours.programmes.enums import ProjectType, TargetPublic
from parcours.programmes.models import ProjectParticipant
from tests.factories import DepartementFactory, MembershipFactory, OrganisationFactory, PathwayFactory
from tests.programmes.factories import CallForProjectsFactory, ProjectFactory

START = datetime.date(2025, 1, 1)


@pytest.fixture
def call_with_projects(db):
    loire = DepartementFactory(code="44", name="Loire-Atlantique")
    funder = OrganisationFactory(kind=OrganisationKind.DDETS, name="DDETS de Loire-Atlantique")
    call = CallForProjectsFactory(
        funder=funder,
        title="PIC – Intégration professionnelle des réfugiés",
        budget=Decimal("500000"),
        starts_on=START,
        publics=[TargetPublic.BPI, TargetPublic.ASYLUM_SEEKERS],
        project_types=[ProjectType.MEDIATION_TRAINING, ProjectType.WOMEN_MOBILITY],
    )
    lead = OrganisationFactory(kind=OrganisationKind.ASSOCIATION, name="Association Passerelles")
    mediation = ProjectFactory(
        call=call, lead=lead, title="Passerelles formation", granted_amount=Decimal("120000"), target_beneficiaries=40
    )
    mobility = ProjectFactory(
        call=call,
        title="Femmes en mouvement",
        project_type=ProjectType.WOMEN_MOBILITY,
        granted_amount=Decimal("60000"),
        target_beneficiaries=10,
    )
    counsellor = MembershipFactory(organisation=lead, role=Role.CONSEILLER)
    for project in (mediation, mobility):
        project.departements.set([loire])
    for _i in range(3):
        pathway = PathwayFactory(referent=counsellor, departement=loire)
        ProjectParticipant.objects.create(project=mediation, pathway=pathway, joined_on=START, added_by=counsellor)
    return {"call": call, "funder": funder, "counsellor": counsellor, "mediation": mediation, "loire": loire}


def test_pilote_opens_a_call_and_sees_target_vs_actual(page, axe_check, browser_login, call_with_projects):
    pilote = MembershipFactory(organisation=call_with_projects["funder"], role=Role.PILOTE)
    browser_login(pilote)
    page.get_by_role("link", name="Appels à projets").first.click()
    page.wait_for_url("**/appels-a-projets/")
    axe_check(page, "calls-list")
    page.get_by_role("link", name="PIC – Intégration professionnelle des réfugiés").click()
    page.get_by_role("heading", name="Projets : bénéficiaires visés et réalisés").wait_for()
    assert page.get_by_text("Passerelles formation — 3 sur 40 visés").is_visible()
    assert page.get_by_text("Femmes en mouvement — 0 sur 10 visés").is_visible()
    table = page.get_by_role(
        "table", name="Projets de l'appel : visés, réalisés, financement et coût par participant·e"
    )
    row = table.get_by_role("row").filter(has_text="Passerelles formation")
    assert "40\xa0000 €" in row.inner_text()  # 120 000 € for 3 participants
    assert page.get_by_role("table", name="Visés, réalisés, financement et coût par participant·e, par département")
    axe_check(page, "call-detail")
    page.get_by_role("link", name="Ajouter un projet").click()
    page.get_by_role("heading", name="Nouveau projet").wait_for()
    axe_check(page, "project-create")


def test_lead_counsellor_adds_a_person_to_the_project(page, axe_check, browser_login, call_with_projects):
    counsellor = call_with_projects["counsellor"]
    pathway = PathwayFactory(referent=counsellor, departement=call_with_projects["loire"])
    browser_login(counsellor)
    page.goto(f"/parcours/{pathway.pk}/projets/")
    page.get_by_role("heading", name="Inscrire la personne à un projet").wait_for()
    axe_check(page, "pathway-projects")
    page.get_by_label("Projet", exact=True).select_option(
        label="Passerelles formation — " + call_with_projects["call"].title
    )
    page.get_by_label("Date d'entrée dans le projet").fill("2025-03-01")
    page.get_by_role("button", name="Inscrire au projet").click()
    page.get_by_text("La personne est inscrite au projet.").wait_for()
    assert page.get_by_role("cell", name="01/03/2025").is_visible()
    assert ProjectParticipant.objects.filter(pathway=pathway).exists()
    page.goto(f"/appels-a-projets/projets/{call_with_projects['mediation'].pk}/")
    page.get_by_role("heading", name="Participant·es").wait_for()
    assert page.get_by_role("table", name="4 participant·es").is_visible()
    axe_check(page, "project-detail")
