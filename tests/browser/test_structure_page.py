"""The "Ma structure" page, opened by a structure administrator, passes axe-core (empty, filled, with
errors), and the commune typed as a postcode is resolved."""

import pytest
from django.core.management import call_command

from parcours.directory.models import Structure
from parcours.organisations.enums import Role
from tests.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def admin(db):
    call_command("load_reference", verbosity=0)
    organisation = OrganisationFactory(name="Langues et Savoirs Nantes")
    return MembershipFactory(organisation=organisation, role=Role.ADMIN_STRUCTURE)


def test_structure_page_passes_axe(page, axe_check, browser_login, admin):
    browser_login(admin)
    page.goto("/offre/mes-services/")
    page.get_by_role("link", name="Ma structure").click()
    page.wait_for_url("**/offre/mes-services/structure/")
    axe_check(page, "offer-structure")

    page.locator("#id_adresse").fill("2 rue de la Paix")
    page.get_by_label("SIRET").fill("73282932000075")
    page.locator("#id_commune").fill("Nulle-Part-sur-Mer")
    page.get_by_role("button", name="Enregistrer").click()
    assert page.get_by_text("Le formulaire contient des erreurs").is_visible()
    assert page.get_by_text("Commune inconnue").is_visible()
    axe_check(page, "offer-structure-errors")

    # The form is valid now; the service refuses the SIRET's control key, next to the field.
    page.locator("#id_commune").fill("44000")
    page.get_by_role("button", name="Enregistrer").click()
    assert page.locator("#id_siret-error").get_by_text("Numéro SIRET invalide (clé de contrôle)").is_visible()
    assert page.locator("#id_commune").input_value() == "44000"

    page.get_by_label("SIRET").fill("73282932000074")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_url("**/offre/mes-services/")
    assert page.get_by_text("Les informations de votre structure ont été enregistrées.").is_visible()
    structure = Structure.objects.get(organisation=admin.organisation)
    assert (structure.code_postal, structure.siret, structure.adresse) == (
        "44000",
        "73282932000074",
        "2 rue de la Paix",
    )

    page.goto("/offre/mes-services/structure/")
    axe_check(page, "offer-structure-filled")
