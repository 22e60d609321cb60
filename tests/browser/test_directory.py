"""A counsellor finds a service for a person from their pathway, in headless Chromium, each page
checked by axe-core."""

import re

import pytest

from tests.directory.factories import ANGERS, REZE, ServiceFactory
from tests.factories import MembershipFactory, OrganisationFactory


@pytest.fixture
def counsellor(db):
    return MembershipFactory(
        user__first_name="Claire",
        user__last_name="Martin",
        organisation=OrganisationFactory(name="France Travail Nantes"),
    )


def test_find_a_service_from_a_pathway(page, axe_check, browser_login, counsellor, amina_pathway, theme_mapping):
    ServiceFactory(
        nom="Français langue étrangère — Rezé",
        place=REZE,
        languages=["fr", "prs"],
        places_total=12,
        places_free=3,
        structure__nom="Centre social de Rezé",
        horaires_accueil="Mo-Fr 09:00-12:00",
    )
    ServiceFactory(nom="Atelier d'anglais à Angers", place=ANGERS, languages=["prs"])
    browser_login(counsellor)
    page.goto(f"/parcours/{amina_pathway.pk}/")
    page.locator("#contenu").get_by_role("link", name="Trouver un service").click()
    page.wait_for_url(re.compile(rf".*/offre/\?parcours={amina_pathway.pk}$"))
    assert page.get_by_text("Recherche préremplie depuis le parcours de Amina").is_visible()
    assert page.get_by_role("heading", name="1 service trouvé").is_visible()
    assert page.get_by_text("Service délivré en dari").is_visible()
    axe_check(page, "directory-search-prefilled")

    page.get_by_role("link", name="Français langue étrangère — Rezé").click()
    page.wait_for_url("**/offre/services/**")
    assert page.get_by_role("heading", level=1).inner_text() == "Français langue étrangère — Rezé"
    assert page.get_by_text("Centre social de Rezé").first.is_visible()
    axe_check(page, "directory-service")

    page.get_by_role("link", name="Retour aux résultats").click()
    page.fill("input[name=distance_km]", "-3")
    page.get_by_role("button", name="Rechercher").click()
    assert page.get_by_text("La distance doit être comprise entre 1 et 200 km.").first.is_visible()
    axe_check(page, "directory-search-error")
