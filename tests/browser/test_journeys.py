"""The main journeys of a professional, in headless Chromium, each page checked by axe-core."""

import re

import pytest

from parcours.diagnostics.models import Diagnostic
from parcours.organisations.enums import Role
from parcours.pathways.enums import ActionStatus
from parcours.pathways.models import Action, FollowUpMember, Goal
from tests.factories import (
    CommuneFactory,
    FollowUpMemberFactory,
    MembershipFactory,
    OrganisationFactory,
    PathwayFactory,
    PersonFactory,
    SituationFactory,
)


@pytest.fixture
def referent(db):
    return MembershipFactory(
        user__first_name="Claire",
        user__last_name="Martin",
        organisation=OrganisationFactory(name="France Travail Nantes"),
    )


@pytest.fixture
def refugee_pathway(referent):
    person = PersonFactory(refugee=True, first_name="Amina", last_name="Rahimi", commune=CommuneFactory())
    return PathwayFactory(person=person, referent=referent)


def test_log_in_and_find_a_person(page, axe_check, browser_login, referent, refugee_pathway):
    browser_login(referent)
    axe_check(page, "caseload")
    assert page.get_by_role("link", name=re.compile("Amina")).first.is_visible()

    page.get_by_role("link", name="Rechercher une personne").click()
    axe_check(page, "search")
    person = refugee_pathway.person
    page.fill("input[name=last_name]", person.last_name)
    page.fill("input[name=first_name]", person.first_name)
    page.fill("input[name=birth_date]", person.birth_date.isoformat())
    page.get_by_role("button", name="Rechercher").click()
    axe_check(page, "search-results")
    assert page.get_by_role("heading", name=re.compile("Amina")).is_visible()
    page.get_by_role("link", name="Ouvrir le parcours").click()
    page.wait_for_url(f"**/parcours/{refugee_pathway.pk}/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Amina")
    axe_check(page, "pathway-summary")


def test_record_a_diagnostic(page, axe_check, browser_login, referent, refugee_pathway):
    SituationFactory(code="logement-sans-hebergement", theme="logement", label="Sans hébergement")
    browser_login(referent)
    page.goto(f"/parcours/{refugee_pathway.pk}/diagnostic/")
    axe_check(page, "diagnostic-empty")
    page.get_by_role("link", name="Réaliser le diagnostic").click()
    axe_check(page, "diagnostic-form")
    page.select_option("select[name=need_logement]", "priority")
    page.get_by_text("Sans hébergement", exact=True).click()
    page.select_option("select[name=langues-0-language]", "fr")
    page.select_option("select[name=langues-0-level]", "A2")
    page.select_option("select[name=langues-0-method]", "ofii_test")
    page.get_by_role("button", name="Enregistrer cette version").click()
    page.wait_for_url(f"**/parcours/{refugee_pathway.pk}/diagnostic/")
    axe_check(page, "diagnostic-recorded")
    diagnostic = Diagnostic.objects.get(person=refugee_pathway.person)
    assert diagnostic.version == 1
    assert diagnostic.language_levels.get().level == "A2"
    assert page.get_by_text("Sans hébergement").first.is_visible()


def test_add_a_goal_and_an_action(page, axe_check, browser_login, referent, refugee_pathway):
    browser_login(referent)
    page.goto(f"/parcours/{refugee_pathway.pk}/plan/")
    axe_check(page, "plan-empty")
    page.get_by_role("link", name="Ajouter un objectif").click()
    axe_check(page, "goal-form")
    page.select_option("select[name=theme]", "emploi")
    page.fill("[name=text]", "Trouver un emploi d'aide-soignante")
    page.locator("label[for=id_agreed_by_person]").click()
    page.get_by_role("button", name=re.compile("Ajouter|Enregistrer")).click()
    page.wait_for_url(f"**/parcours/{refugee_pathway.pk}/plan/")
    goal = Goal.objects.get(pathway=refugee_pathway)
    assert goal.agreed_by_person

    page.get_by_role("link", name=re.compile("Ajouter une action")).first.click()
    axe_check(page, "action-form")
    page.fill("[name=text]", "S'inscrire à la réunion d'information AFPA")
    page.get_by_role("button", name=re.compile("Ajouter|Enregistrer")).click()
    page.wait_for_url(f"**/parcours/{refugee_pathway.pk}/plan/")
    axe_check(page, "plan-with-action")
    action = Action.objects.get(goal=goal)
    assert action.status == ActionStatus.PLANNED
    assert page.get_by_role("rowheader", name="S'inscrire à la réunion d'information AFPA").is_visible()


def test_change_the_referent(page, axe_check, browser_login, referent, refugee_pathway):
    colleague = MembershipFactory(
        user__first_name="Karim",
        user__last_name="Benali",
        role=Role.REFERENT_RSA,
        organisation=OrganisationFactory(name="Conseil départemental 44"),
    )
    FollowUpMemberFactory(pathway=refugee_pathway, membership=colleague)
    browser_login(referent)
    page.goto(f"/parcours/{refugee_pathway.pk}/groupe/")
    axe_check(page, "group")
    page.get_by_role("link", name="Changer de référent·e").click()
    axe_check(page, "referent-change-form")
    page.select_option("select[name=new_membership]", str(colleague.pk))
    page.fill("[name=reason]", "Orientation sociale décidée")
    page.fill("[name=handover_note]", "Hébergement en CPH jusqu'en mars ; cours de français le matin.")
    page.get_by_role("button", name="Changer de référent·e").click()
    page.wait_for_url(f"**/parcours/{refugee_pathway.pk}/groupe/")
    axe_check(page, "group-after-change")
    active = FollowUpMember.objects.get(pathway=refugee_pathway, is_referent=True, ended_at__isnull=True)
    assert active.membership == colleague
    assert page.get_by_text("Orientation sociale décidée").first.is_visible()


def test_create_a_person_with_duplicate_check(page, axe_check, browser_login, referent, refugee_pathway):
    from parcours.people.models import Person

    existing = refugee_pathway.person
    browser_login(referent)
    page.get_by_role("link", name="Créer une personne").click()
    page.fill("input[name=last_name]", existing.last_name.lower())
    page.fill("input[name=first_name]", existing.first_name)
    page.fill("input[name=birth_date]", existing.birth_date.isoformat())
    page.locator("label[for=id_sex_0]").click()
    page.get_by_role("button", name="Créer la fiche et ouvrir le parcours").click()
    # Same name and birth date: the choice between the existing record and a new one.
    assert page.get_by_role("button", name="Créer quand même").is_visible()
    axe_check(page, "person-duplicates")
    assert Person.objects.count() == 1
    page.get_by_role("button", name="Créer quand même").click()
    page.wait_for_url("**/parcours/*/")
    axe_check(page, "person-created")
    assert Person.objects.count() == 2
    assert page.get_by_role("heading", level=1).inner_text().startswith(existing.first_name)
