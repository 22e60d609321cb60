"""A pilote opens a programme's indicators, then one cohort's page: figures, chart and data table,
with an axe-core check of each page."""

import pytest
from django.urls import reverse

from tests.factories import MembershipFactory
from tests.programmes.factories import ProgrammeFactory, SessionFactory
from tests.programmes.test_indicators import ROWS
from tests.programmes.test_stats import write

pytestmark = pytest.mark.django_db(transaction=True)


def test_pilote_reads_a_cohort_page(page, browser_login, axe_check):
    programme = ProgrammeFactory(name="Programme HOPE navigateur")
    sessions = {
        1: SessionFactory(programme=programme, label="Session Nantes"),
        2: SessionFactory(programme=programme, label="Session Saint-Nazaire"),
    }
    for row in ROWS:
        write(row, sessions)
    browser_login(MembershipFactory(pilote=True))

    page.goto(reverse("indicators_programme", args=[programme.code]))
    page.get_by_role("heading", name="Indicateurs du programme Programme HOPE navigateur").wait_for()
    axe_check(page, "indicators-programme")

    page.get_by_role("link", name="2025-T1").first.click()
    page.get_by_role("heading", level=1).filter(has_text="cohorte 2025-T1").wait_for()
    chart = page.get_by_role("img", name="Taux de parcours terminés, par session")
    assert chart.is_visible()
    table = page.get_by_role("table", name="Taux de parcours terminés : numérateur, dénominateur et taux par session")
    assert "Session Nantes" in table.inner_text()
    assert "57,1 %" in table.inner_text()  # the cohort's completion: 4 / 7
    axe_check(page, "indicators-cohort")

    page.get_by_role("link", name="Définition : Taux de parcours terminés").click()
    page.get_by_role("heading", name="Taux de parcours terminés", level=1).wait_for()
    axe_check(page, "indicator-definition")
