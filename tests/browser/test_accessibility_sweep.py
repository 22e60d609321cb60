"""Every page of the foundation, the referrals, the alerts and the orientation, opened by the role
that uses it, passes axe-core."""

import pytest

from parcours.organisations.enums import Role
from parcours.pathways.enums import Orientation
from parcours.pathways.models import ReorientationRequest
from parcours.people.enums import ConsentDecision, DataCategory
from parcours.referrals.enums import LinkPurpose
from parcours.referrals.services import link_issue
from tests.factories import (
    ActionFactory,
    AppointmentFactory,
    ConsentFactory,
    FollowUpMemberFactory,
    GoalFactory,
    MembershipFactory,
    OrganisationFactory,
    PathwayFactory,
    PersonFactory,
    TerritoryGrantFactory,
    UserFactory,
)
from tests.referrals.factories import ReferralFactory


@pytest.fixture
def referent(db):
    return MembershipFactory(organisation=OrganisationFactory(name="Mission locale Nantes"))


@pytest.fixture
def pathway(referent):
    pathway = PathwayFactory(person=PersonFactory(refugee=True, has_rqth=True), referent=referent)
    for category in (DataCategory.RESIDENCE_STATUS, DataCategory.ASYLUM_HISTORY, DataCategory.DISABILITY):
        ConsentFactory(
            person=pathway.person,
            organisation=referent.organisation,
            category=category,
            decision=ConsentDecision.GIVEN,
        )
    return pathway


@pytest.fixture
def plan_items(pathway, referent):
    """A goal with an action, an appointment and a second member's seat: the pages that edit one
    item of the pathway."""
    goal = GoalFactory(pathway=pathway)
    return {
        "goal": goal.pk,
        "action": ActionFactory(goal=goal).pk,
        "appointment": AppointmentFactory(pathway=pathway, with_member=referent).pk,
        "seat": FollowUpMemberFactory(pathway=pathway).pk,
    }


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
    "/parcours/{id}/fiche/asylum_history/",
    "/parcours/{id}/fiche/disability/",
    "/parcours/{id}/plan/objectifs/{goal}/",
    "/parcours/{id}/plan/objectifs/{goal}/actions/nouvelle/",
    "/parcours/{id}/plan/actions/{action}/statut/",
    "/parcours/{id}/plan/rendez-vous/{appointment}/statut/",
    "/parcours/{id}/groupe/{seat}/sortie/",
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
    "/parcours/{id}/orientation/",
    "/orientation/{id}/demande/",
    "/prescriptions/parcours/{id}/",
    "/prescriptions/envoyees/",
    "/prescriptions/recues/",
    "/prescriptions/preferences/",
    "/alertes/",
]


def test_member_pages_pass_axe(page, axe_check, browser_login, referent, pathway, plan_items):
    browser_login(referent)
    for url in MEMBER_PAGES:
        target = url.format(id=pathway.pk, **plan_items)
        response = page.goto(target)
        assert response.status == 200, target
        axe_check(page, "sweep" + target.replace("/", "_").replace("?", "_").replace("&", "_"))


def test_role_pages_pass_axe(page, axe_check, browser_login, pathway):
    orientation = MembershipFactory(role=Role.CHARGE_ORIENTATION)
    TerritoryGrantFactory(membership=orientation, departement=pathway.departement)
    admin = MembershipFactory(role=Role.ADMIN_STRUCTURE, organisation=pathway.members.get().membership.organisation)
    pilote = MembershipFactory(role=Role.PILOTE)
    request = ReorientationRequest.objects.create(
        pathway=pathway,
        requested_by=pathway.members.get().membership,
        proposed_orientation=Orientation.SOCIAL,
        reason="Des difficultés de logement passent avant l'emploi.",
    )
    for membership, url, name in [
        (orientation, "/orientations/", "orientation-queue"),
        (orientation, f"/parcours/{pathway.pk}/orientation/", "orientation-decision"),
        (orientation, f"/orientation/{pathway.pk}/demandes/{request.pk}/", "reorientation-decide"),
        (admin, "/structure/personnes-suivies/", "structure-followed"),
        (admin, "/alertes/organisation/", "alerts-organisation"),
        (pilote, "/territoire/", "territory-dashboard"),
        (pilote, "/alertes/territoire/", "alerts-territory"),
    ]:
        page.context.clear_cookies()
        browser_login(membership)
        response = page.goto(url)
        assert response.status == 200, url
        axe_check(page, name)


def test_break_glass_and_error_pages_pass_axe(page, axe_check, pathway):
    _log_in(page, UserFactory(is_superuser=True, is_staff=True))
    response = page.goto(f"/parcours/{pathway.pk}/acces-exceptionnel/")
    assert response.status == 200
    axe_check(page, "break-glass")
    response = page.goto(f"/parcours/{pathway.pk}/")
    assert response.status == 404
    axe_check(page, "not-found")


def _log_in(page, user):
    from tests.factories import PASSWORD

    page.context.clear_cookies()
    page.goto("/connexion/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def test_refusal_and_no_organisation_pages_pass_axe(page, axe_check, db):
    _log_in(page, MembershipFactory(role=Role.PILOTE).user)
    response = page.goto("/personnes/recherche/")
    assert response.status == 403
    axe_check(page, "forbidden")

    _log_in(page, UserFactory())  # an account attached to no organisation
    response = page.goto("/accompagnements/")
    assert response.status == 200
    axe_check(page, "caseload-without-organisation")


def test_signed_link_pages_pass_axe(page, axe_check, pathway):
    """A structure without an account: the answer page of its link, and the page of a bad link."""
    referral = ReferralFactory(pathway=pathway, recipient_organisation=None, recipient_email="accueil@asso.example")
    token = link_issue(referral=referral, purpose=LinkPurpose.ANSWER)
    page.context.clear_cookies()
    response = page.goto(f"/prescriptions/lien/{token}/")
    assert response.status == 200
    axe_check(page, "referral-link")
    response = page.goto(f"/prescriptions/lien/{token[:-4]}abcd/")
    assert response.status == 400
    axe_check(page, "referral-link-invalid")
