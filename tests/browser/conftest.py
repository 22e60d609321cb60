"""Browser tests: Debian's headless Chromium driven by Playwright against the live server, with an
axe-core accessibility check of every page visited."""

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test itself
    # (fixtures creating data) are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, settings):
    settings.ALLOWED_HOSTS = ["*"]
    context = browser.new_context(base_url=live_server.url, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def axe_check():
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(page, name: str):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        results = axe.run(page)
        violations = results.response["violations"]
        assert violations == [], f"axe-core violations on {name} ({page.url}):\n" + results.generate_report()

    return check


@pytest.fixture
def browser_login(page):
    from tests.factories import PASSWORD

    def _login(membership):
        page.goto("/connexion/")
        page.get_by_label("Nom d’utilisateur").fill(membership.user.username)
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url("**/accompagnements/**")
        return page

    return _login


@pytest.fixture
def amina_pathway(counsellor):
    """Amina Rahimi, living in Rezé, Dari and Pashto speaker, with a priority French need; followed by
    the `counsellor` fixture of the test module (directory and referral journeys)."""
    from django.utils import timezone

    from parcours.diagnostics.models import Diagnostic, ThemeAssessment
    from parcours.territories.models import Commune
    from tests.directory.factories import REZE
    from tests.factories import CommuneFactory, PathwayFactory, PersonFactory

    reze = Commune.objects.create(
        insee_code="44143",
        name="Rezé",
        departement=CommuneFactory().departement,
        postcodes=["44400"],
        latitude=REZE[2],
        longitude=REZE[3],
    )
    person = PersonFactory(first_name="Amina", last_name="Rahimi", commune=reze, languages=["prs", "ps"])
    diagnostic = Diagnostic.objects.create(
        person=person,
        version=1,
        recorded_at=timezone.now(),
        recorded_by=counsellor.user,
        organisation=counsellor.organisation,
    )
    ThemeAssessment.objects.create(diagnostic=diagnostic, theme="maitrise_langue", need="priority")
    return PathwayFactory(person=person, referent=counsellor)
