"""Every page of the foundation, opened by the role that uses it, passes axe-core."""

import pytest

from parcours.organisations.enums import Role
from parcours.people.enums import ConsentDecision, DataCategory
from tests.factories import (
    ConsentFactory,
    MembershipFactory,
    OrganisationFactory,
    PathwayFactory,
    PersonFactory,
    TerritoryGrantFactory,
    UserFactory,
)


@pytest.fixture
def referent(db):
    return MembershipFactory(organisation=OrganisationFactory(name="Mission locale Nantes"))


@pytest.fixture
def pathway(referent):
    pathway = PathwayFactory(person=PersonFactory(refugee=True), referent=referent)
    ConsentFactory(
        person=pathway.person,
        organisation=referent.organisation,
        category=DataCategory.RESIDENCE_STATUS,
        decision=ConsentDecision.GIVEN,
    )
    return pathway


MEMBER_PAGES = [
    "/accompagnements/",
    "/accompagnements/?status=closed&sort=nom",
    "/personnes/recherche/",
    "/personnes/nouvelle/",
    "/organisation/",
    "/parcours/{id}/",
    "/parcours/{id}/fiche/identity/",
    "/parcours/{id}/fiche/contact/",
    "/parcours/{id}/fiche/situation/",
    "/parcours/{id}/fiche/residence_status/",
    "/parcours/{id}/diagnostic/",
    "/parcours/{id}/diagnostic/nouveau/",
    "/parcours/{id}/diagnostic/cir/",
    "/parcours/{id}/plan/",
    "/parcours/{id}/plan/objectifs/nouveau/",
    "/parcours/{id}/plan/rendez-vous/nouveau/",
    "/parcours/{id}/plan/notes/nouvelle/",
    "/parcours/{id}/groupe/",
    "/parcours/{id}/groupe/referent/",
    "/parcours/{id}/groupe/ajouter/",
    "/parcours/{id}/cloturer/",
    "/parcours/{id}/historique/",
    "/parcours/{id}/consentements/",
    "/parcours/{id}/acces/",
    "/parcours/{id}/imprimer/",
]


def test_member_pages_pass_axe(page, axe_check, browser_login, referent, pathway):
    browser_login(referent)
    for url in MEMBER_PAGES:
        target = url.format(id=pathway.pk)
        response = page.goto(target)
        assert response.status == 200, target
        axe_check(page, "sweep" + target.replace("/", "_").replace("?", "_").replace("&", "_"))


def test_role_pages_pass_axe(page, axe_check, browser_login, pathway):
    orientation = MembershipFactory(role=Role.CHARGE_ORIENTATION)
    TerritoryGrantFactory(membership=orientation, departement=pathway.departement)
    admin = MembershipFactory(role=Role.ADMIN_STRUCTURE, organisation=pathway.members.get().membership.organisation)
    pilote = MembershipFactory(role=Role.PILOTE)
    for membership, url, name in [
        (orientation, "/orientations/", "orientation-queue"),
        (orientation, f"/parcours/{pathway.pk}/orientation/", "orientation-decision"),
        (admin, "/structure/personnes-suivies/", "structure-followed"),
        (pilote, "/territoire/", "territory-dashboard"),
    ]:
        page.context.clear_cookies()
        browser_login(membership)
        response = page.goto(url)
        assert response.status == 200, url
        axe_check(page, name)


def test_break_glass_and_error_pages_pass_axe(page, axe_check, pathway):
    from tests.factories import PASSWORD

    admin = UserFactory(is_superuser=True, is_staff=True)
    page.goto("/connexion/")
    page.fill("input[name=username]", admin.username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
    page.goto(f"/parcours/{pathway.pk}/acces-exceptionnel/")
    axe_check(page, "break-glass")
    response = page.goto(f"/parcours/{pathway.pk}/")
    assert response.status == 404
    axe_check(page, "not-found")
