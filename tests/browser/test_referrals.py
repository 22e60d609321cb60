"""A referral goes from a France Travail counsellor to an association and back with an outcome, and
a pathway break appears on the "À traiter" queue and clears, in headless Chromium, each page
checked by axe-core."""

import datetime
import re

import pytest
from django.utils import timezone

from parcours.organisations.enums import OrganisationKind
from parcours.pathways.breaks import scan_breaks
from parcours.pathways.enums import BreakKind
from parcours.pathways.models import Pathway, PathwayAlert
from parcours.referrals.enums import ReferralOutcome, ReferralStatus
from parcours.referrals.models import Referral
from tests.directory.factories import REZE, ServiceFactory
from tests.factories import MembershipFactory, OrganisationFactory

SERVICE_NAME = "Français langue étrangère — Rezé"
ASSOCIATION_NAME = "Langues et Savoirs Rezé"


@pytest.fixture
def counsellor(db):
    return MembershipFactory(
        user__first_name="Claire",
        user__last_name="Martin",
        organisation=OrganisationFactory(name="France Travail Nantes"),
    )


@pytest.fixture
def association_pro(db):
    association = OrganisationFactory(kind=OrganisationKind.ASSOCIATION, name=ASSOCIATION_NAME)
    return MembershipFactory(user__first_name="Inès", user__last_name="Bouvier", organisation=association)


def _log_out(page):
    page.get_by_role("button", name="Se déconnecter").first.click()
    page.wait_for_url("**/")


def test_referral_to_an_association_and_back_with_an_outcome(
    page, axe_check, browser_login, counsellor, association_pro, amina_pathway, theme_mapping
):
    ServiceFactory(
        nom=SERVICE_NAME,
        place=REZE,
        operator=association_pro.organisation,
        languages=["fr", "prs"],
        places_total=12,
        places_free=3,
        structure__nom=ASSOCIATION_NAME,
    )
    pk = amina_pathway.pk

    # The counsellor finds the association's service from the pathway and sends the referral.
    browser_login(counsellor)
    page.goto(f"/parcours/{pk}/")
    page.locator("#contenu").get_by_role("link", name="Trouver un service").click()
    page.wait_for_url(re.compile(rf".*/offre/\?parcours={pk}$"))
    page.get_by_role("link", name=SERVICE_NAME).click()
    page.wait_for_url("**/offre/services/**")
    page.get_by_role("link", name="Orienter vers ce service").click()
    page.wait_for_url(f"**/prescriptions/nouvelle/{pk}/**")
    assert page.get_by_text(f"traitée dans Parcours par {ASSOCIATION_NAME}").is_visible()
    axe_check(page, "referral-create")
    page.select_option("select[name=theme]", "maitrise_langue")
    page.fill(
        "textarea[name=message]",
        "Bonjour, Amina souhaite suivre des cours de français le matin. Merci de lui proposer un test de niveau.",
    )
    page.get_by_text("Coordonnées", exact=True).click()
    page.get_by_role("button", name="Envoyer la prescription").click()
    page.wait_for_url(re.compile(r".*/prescriptions/\d+/$"))
    referral = Referral.objects.get(pathway=amina_pathway)
    assert referral.status == ReferralStatus.SENT
    assert referral.recipient_organisation == association_pro.organisation
    assert referral.shared_categories == ["identity", "contact"]
    axe_check(page, "referral-detail-sender")
    _log_out(page)

    # The association professional finds it in the inbox, accepts, starts and closes it.
    browser_login(association_pro)
    page.goto("/prescriptions/recues/")
    axe_check(page, "referral-inbox")
    page.get_by_role("link", name=re.compile("Amina")).click()
    page.wait_for_url(f"**/prescriptions/{referral.pk}/")
    axe_check(page, "referral-detail-recipient")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SEEN
    page.get_by_role("button", name="Accepter").click()
    page.wait_for_url(f"**/prescriptions/{referral.pk}/")
    page.get_by_role("button", name="Indiquer le démarrage").click()
    page.wait_for_url(f"**/prescriptions/{referral.pk}/")
    page.get_by_text(str(ReferralOutcome.COMPLETED.label), exact=True).click()
    page.get_by_role("button", name="Clôturer").click()
    page.wait_for_url(f"**/prescriptions/{referral.pk}/")
    assert page.get_by_text("Prescription clôturée").first.is_visible()
    axe_check(page, "referral-detail-closed")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CLOSED
    assert referral.outcome == ReferralOutcome.COMPLETED
    assert list(referral.transitions.values_list("to_status", flat=True)) == [
        "sent",
        "seen",
        "accepted",
        "started",
        "closed",
    ]
    _log_out(page)

    # The counsellor sees the outcome from the pathway's Prescriptions tab.
    browser_login(counsellor)
    page.goto(f"/parcours/{pk}/")
    page.get_by_role("link", name="Prescriptions", exact=True).click()
    page.wait_for_url(f"**/prescriptions/parcours/{pk}/")
    axe_check(page, "pathway-referrals")
    assert page.get_by_text("Clôturée").first.is_visible()
    page.get_by_role("link", name=re.compile("Amina")).click()
    page.wait_for_url(f"**/prescriptions/{referral.pk}/")
    assert page.get_by_text(str(ReferralOutcome.COMPLETED.label)).first.is_visible()


def test_a_break_appears_on_the_queue_and_clears(page, axe_check, browser_login, counsellor, amina_pathway):
    Pathway.objects.filter(pk=amina_pathway.pk).update(last_activity_at=timezone.now() - datetime.timedelta(days=90))
    scan_breaks()
    alert = PathwayAlert.objects.get(pathway=amina_pathway, closed_at__isnull=True)
    assert alert.kind == BreakKind.INACTIVE and alert.assignee_membership == counsellor

    browser_login(counsellor)
    page.goto("/alertes/")
    axe_check(page, "alerts-to-handle")
    row = page.locator("tbody tr", has_text="Amina")
    assert row.count() == 1
    assert str(BreakKind.INACTIVE.label).upper() in row.inner_text().upper()  # a badge, upper case in CSS

    # The fix: plan an appointment, which resumes the pathway.
    page.get_by_role("link", name=re.compile("Planifier un rendez-vous")).first.click()
    page.wait_for_url(f"**/parcours/{amina_pathway.pk}/plan/rendez-vous/nouveau/")
    tomorrow = timezone.localtime() + datetime.timedelta(days=1)
    page.fill("input[name=starts_at]", tomorrow.strftime("%Y-%m-%dT10:00"))
    page.select_option("select[name=mode]", "in_person")
    page.fill("input[name=subject]", "Point sur la reprise du parcours")
    page.get_by_role("button", name="Planifier").click()
    page.wait_for_url(f"**/parcours/{amina_pathway.pk}/**")

    result = scan_breaks()
    assert result["by_kind"][BreakKind.INACTIVE]["closed"] == 1
    page.goto("/alertes/")
    assert page.locator("tbody tr", has_text="Amina").count() == 0
    alert.refresh_from_db()
    assert alert.closed_at is not None
