"""Every page of the territorial offer, opened by the role that uses it, passes axe-core."""

import pytest
from django.core.management import call_command

from parcours.directory import importing
from parcours.organisations.enums import Role
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.www.offer.factories import DuplicateCandidateFactory, operated_service

pytestmark = pytest.mark.browser


@pytest.fixture
def offer(db):
    call_command("load_reference", verbosity=0)
    organisation = OrganisationFactory(name="Langues et Savoirs Nantes")
    admin = MembershipFactory(organisation=organisation, role=Role.ADMIN_STRUCTURE)
    service = operated_service(organisation, places_total=12, places_free=3, languages=["fr", "ar"])
    twin = operated_service(organisation, structure=service.structure, nom=service.nom)
    first, second = sorted([service, twin], key=lambda s: s.pk)
    DuplicateCandidateFactory(first_service=first, second_service=second)
    return {"admin": admin, "service": service}


def _shot(page, axe_check, url, name, status=200):
    response = page.goto(url)
    assert response.status == status, url
    axe_check(page, name)


def test_search_and_service_pages_pass_axe(page, axe_check, browser_login, offer):
    browser_login(MembershipFactory())
    service = offer["service"]
    _shot(page, axe_check, "/offre/", "directory-search-empty")
    _shot(
        page, axe_check, "/offre/?thematiques=lecture-ecriture-calcul&commune=44109&distance_km=30", "directory-results"
    )
    _shot(page, axe_check, "/offre/?commune=Nulle-Part-sur-Mer&distance_km=-3", "directory-search-errors")
    _shot(page, axe_check, f"/offre/services/{service.pk}/", "directory-service")


def test_declaration_pages_pass_axe(page, axe_check, browser_login, offer):
    browser_login(offer["admin"])
    service = offer["service"]
    for url, name in [
        ("/offre/mes-services/", "offer-list"),
        ("/offre/mes-services/nouveau/", "offer-create"),
        (f"/offre/mes-services/{service.pk}/", "offer-edit"),
        (f"/offre/mes-services/{service.pk}/places/", "offer-capacity"),
        ("/offre/mes-services/doublons/", "offer-duplicates"),
    ]:
        _shot(page, axe_check, url, name)


def test_import_pages_pass_axe(page, axe_check, offer):
    from tests.browser.test_accessibility_sweep import _log_in

    superuser = UserFactory(is_superuser=True, is_staff=True)
    parsed = importing.parse_upload(
        b'[{"source": "essai", "id": "essai--1", "nom": "Structure d\'essai", "date_maj": "2025-01-02"},'
        b' {"source": "essai", "id": "essai--2", "nom": "X", "date_maj": "2025-01-02"}]',
        "structures.json",
    )
    run = importing.run_to_completion(importing.create_run(parsed=parsed, source="essai", user=superuser))
    assert run.rejected_count == 1
    _log_in(page, superuser)
    _shot(page, axe_check, "/offre/imports/", "offer-imports")
    _shot(page, axe_check, f"/offre/imports/{run.pk}/", "offer-import-run")
    _shot(page, axe_check, "/offre/mes-services/doublons/", "offer-duplicates-platform")
