"""A planner of a HOPE-like programme runs a placement in the browser: opens the programme's
affectations, creates a batch, sets a household before solving, solves, reads the explanations,
overrides one person's session with a reason, validates; the candidacies become enrolments only
then. Every page visited passes axe."""

import datetime
import re

import pytest
from django.utils import timezone

from parcours.matching.models import PlacementLine
from parcours.programmes.enums import EnrolmentState
from parcours.programmes.models import Enrolment
from tests.matching.placement_factories import NANTES, REZE, candidate, programme_with_planner, session, toddler


@pytest.fixture
def hope(db):
    programme, planner = programme_with_planner()
    programme.name = "HOPE Loire-Atlantique"
    programme.code = "hope-44"
    programme.save(update_fields=["name", "code"])
    start = timezone.localdate() + datetime.timedelta(days=40)
    herblain = session(
        programme, NANTES, label="HOPE Saint-Herblain — Logistique", places=2, starts_on=start, hosts_households=True
    )
    reze = session(
        programme,
        REZE,
        label="HOPE Rezé — Aide à la personne",
        places=2,
        starts_on=start + datetime.timedelta(days=10),
        offers_childcare=True,
    )
    people = {
        "Amina": candidate([herblain], first_name="Amina", last_name="Rahimi", days_ago=20),
        "Yonas": candidate([herblain], first_name="Yonas", last_name="Tesfaye", days_ago=15),
        "Hevin": candidate([reze], first_name="Hevin", last_name="Ahmadi", days_ago=12),
        "Samir": candidate([herblain, reze], first_name="Samir", last_name="Haddad", days_ago=5),
    }
    toddler(people["Amina"].person)  # a child under 3 without childcare: only Rezé is possible
    return programme, planner, herblain, reze, people


def test_a_planner_runs_a_batch_reads_why_overrides_one_and_validates(page, axe_check, browser_login, hope):
    programme, planner, herblain, reze, people = hope
    browser_login(planner)

    page.goto(f"/programmes/{programme.code}/")
    page.get_by_role("link", name="Affectations").click()
    page.wait_for_url(f"**/programmes/{programme.code}/affectations/")
    axe_check(page, "placement-home")
    page.get_by_role("button", name="Nouvelle affectation").click()
    page.wait_for_url(re.compile(r".*/affectations/\d+/(#.*)?$"))
    axe_check(page, "placement-batch-draft")
    assert Enrolment.objects.filter(state=EnrolmentState.ENROLLED).count() == 0

    # Before solving: Yonas and Samir are a couple, to be placed together.
    for name in ("Yonas", "Samir"):
        page.get_by_role("link", name=re.compile(f"Modifier les préférences.*{name}")).click()
        if name == "Yonas":
            axe_check(page, "placement-preferences")
        page.get_by_label("Foyer").fill("couple-1")
        page.get_by_role("button", name="Enregistrer les préférences").click()
        page.wait_for_url(re.compile(r".*/affectations/\d+/(#.*)?$"))

    page.get_by_role("button", name="Calculer l'affectation").click()
    page.wait_for_url(re.compile(r".*/affectations/\d+/.*"))
    assert page.get_by_text(re.compile("Optimum prouvé")).first.is_visible()
    axe_check(page, "placement-batch-solved")

    lines = {line.pathway.person.first_name: line for line in PlacementLine.objects.select_related("pathway__person")}
    # Childcare keeps Amina out of Saint-Herblain; the couple goes together to the only session
    # hosting households; Hevin is left with Rezé.
    assert lines["Amina"].proposed_session == reze
    assert lines["Yonas"].proposed_session == lines["Samir"].proposed_session == herblain
    assert lines["Hevin"].proposed_session == reze
    amina = page.locator(".fr-card").filter(has=page.get_by_role("heading", name=re.compile("Amina")))
    assert "HOPE Rezé — Aide à la personne" in amina.inner_text()
    assert "réussite prédite" in amina.inner_text()
    amina.get_by_text("1 session écartée, et pourquoi").click()  # the excluded options, folded
    assert "HOPE Saint-Herblain — Logistique" in amina.inner_text()
    assert "Garde d'enfants nécessaire, la session n'en propose pas" in amina.inner_text()

    # Override: Hevin would rather not be placed this time (the person asked to wait).
    page.get_by_role("link", name=re.compile("Modifier l'affectation de Hevin")).click()
    axe_check(page, "placement-override")
    page.get_by_label("Session retenue").select_option(label="Ne pas placer cette personne")
    page.get_by_role("button", name="Enregistrer la modification").click()
    assert page.get_by_text("Donnez le motif de la modification.").first.is_visible()  # the reason is required
    axe_check(page, "placement-override-errors")
    assert PlacementLine.objects.get(pk=lines["Hevin"].pk).final_session == reze  # nothing changed
    page.get_by_label("Session retenue").select_option(label="Ne pas placer cette personne")
    page.get_by_label("Motif de la modification").fill("La personne préfère attendre la session de janvier.")
    page.get_by_role("button", name="Enregistrer la modification").click()
    page.wait_for_url(re.compile(r".*/affectations/\d+/.*"))
    hevin = PlacementLine.objects.get(pk=lines["Hevin"].pk)
    assert hevin.final_session is None
    assert hevin.override_reason == "La personne préfère attendre la session de janvier."
    assert hevin.overridden_by == planner.user
    assert Enrolment.objects.filter(state=EnrolmentState.ENROLLED).count() == 0  # nothing before validation

    page.get_by_role("button", name="Valider l'affectation").click()
    page.wait_for_url(re.compile(r".*/affectations/\d+/.*"))
    axe_check(page, "placement-batch-validated")
    enrolled = Enrolment.objects.filter(state=EnrolmentState.ENROLLED)
    assert {(e.pathway.person.first_name, e.session_id) for e in enrolled} == {
        ("Amina", reze.pk),
        ("Yonas", herblain.pk),
        ("Samir", herblain.pk),
    }
    # Samir's second candidacy (Rezé) is closed; Hevin keeps hers.
    assert Enrolment.objects.get(pathway=people["Samir"], session=reze).state == EnrolmentState.NOT_SELECTED
    assert Enrolment.objects.get(pathway=people["Hevin"], session=reze).state == EnrolmentState.CANDIDATE
