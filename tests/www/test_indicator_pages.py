"""The indicator pages: who may read them, the figures shown, the exports (CSV with every figure,
publication CSV with small cells masked), and never a person's name."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils.html import escape

from parcours.organisations.enums import Role
from parcours.programmes.models import Enrolment
from tests.factories import MembershipFactory
from tests.programmes.factories import ProgrammeFactory, SessionFactory
from tests.programmes.test_indicators import ROWS
from tests.programmes.test_stats import write

pytestmark = pytest.mark.django_db

REFUSED = "Les indicateurs de ce programme sont réservés aux pilotes"


def html_of(response) -> str:
    html = response.content.decode()
    assert "!!INVALID" not in html
    return html


@pytest.fixture
def programme():
    programme = ProgrammeFactory(name="Programme HOPE test")
    sessions = {
        1: SessionFactory(programme=programme, label="Session Nantes"),
        2: SessionFactory(programme=programme, label="Session Saint-Nazaire"),
    }
    for row in ROWS:
        write(row, sessions)
    programme.sessions_by_number = sessions
    return programme


def csv_rows(response) -> list[list[str]]:
    content = response.content
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


# --- access -------------------------------------------------------------------------------------


def test_pilote_sees_the_programme_indicators_per_cohort(login, programme, django_assert_max_num_queries):
    client = login(MembershipFactory(pilote=True))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("indicators_programme", args=[programme.code]))
    html = html_of(response)
    assert response.status_code == 200
    assert "Indicateurs du programme Programme HOPE test" in html
    assert "2025-T1" in html and "2025-T2" in html
    assert "57,1 %" in html  # completion in 2025-T1: 4 / 7
    assert "80,0 %" in html  # positive exits in 2025-T1: 4 / 5 known outcomes
    assert "71,4 %" in html  # response rate of the exit outcome: 5 / 7
    assert "<svg" in html and 'role="img"' in html
    assert reverse("indicators_cohort", args=[programme.code, "2025-T1"]) in html
    assert reverse("indicator_definition", args=["completion_rate"]) in html


def test_pages_never_name_a_person(login, programme):
    client = login(MembershipFactory(pilote=True))
    names = [e.pathway.person.full_name for e in Enrolment.objects.select_related("pathway__person")]
    pages = [
        reverse("indicators_programme", args=[programme.code]),
        reverse("indicators_cohort", args=[programme.code, "2025-T1"]),
        reverse("indicators_session", args=[programme.sessions_by_number[1].pk]),
        reverse("indicators_csv", args=[programme.code]),
        reverse("indicators_publication", args=[programme.code]),
    ]
    for url in pages:
        content = client.get(url).content.decode("utf-8-sig")
        for name in names:
            assert name not in content and escape(name) not in content


@pytest.mark.parametrize("role", [Role.CONSEILLER, Role.ADMIN_STRUCTURE])
def test_owner_and_operator_members_see_the_indicators(login, programme, role):
    owner = MembershipFactory(organisation=programme.owner, role=role)
    operator = MembershipFactory(organisation=programme.sessions_by_number[1].operator, role=role)
    for membership in (owner, operator):
        response = login(membership).get(reverse("indicators_programme", args=[programme.code]))
        assert response.status_code == 200


def test_unrelated_professional_is_refused(login, programme):
    client = login(MembershipFactory(role=Role.CONSEILLER))
    for url in (
        reverse("indicators_programme", args=[programme.code]),
        reverse("indicators_cohort", args=[programme.code, "2025-T1"]),
        reverse("indicators_session", args=[programme.sessions_by_number[1].pk]),
        reverse("indicators_csv", args=[programme.code]),
        reverse("indicators_publication", args=[programme.code]),
    ):
        response = client.get(url)
        assert response.status_code == 403
        assert REFUSED in html_of(response)


def test_anonymous_visitor_is_sent_to_login(client, programme):
    response = client.get(reverse("indicators_programme", args=[programme.code]))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_unknown_programme_session_cohort_or_indicator_is_404(login, programme):
    client = login(MembershipFactory(pilote=True))
    assert client.get(reverse("indicators_programme", args=["inconnu"])).status_code == 404
    assert client.get(reverse("indicators_csv", args=["inconnu"])).status_code == 404
    assert client.get(reverse("indicators_session", args=[999_999])).status_code == 404
    assert client.get(reverse("indicators_cohort", args=[programme.code, "2025-T7"])).status_code == 404
    assert client.get(reverse("indicators_cohort", args=["inconnu", "2025-T1"])).status_code == 404
    assert client.get(reverse("indicator_definition", args=["inconnu"])).status_code == 404


def test_post_is_not_allowed(login, programme):
    client = login(MembershipFactory(pilote=True))
    assert client.post(reverse("indicators_programme", args=[programme.code])).status_code == 405


# --- pages ------------------------------------------------------------------------------------------


def test_session_filter(login, programme):
    client = login(MembershipFactory(pilote=True))
    session = programme.sessions_by_number[2]
    html = html_of(client.get(reverse("indicators_programme", args=[programme.code]), {"session": session.pk}))
    # session 2 in 2025-T1: rows 2 (completed), 4 (abandoned), 8 (in progress) → completion 1 / 2
    assert "Session : Session Saint-Nazaire" in html
    assert "50,0 %" in html
    assert f"?session={session.pk}" in html  # the exports keep the filter


def test_session_filter_of_another_programme_shows_everything_with_a_warning(login, programme):
    client = login(MembershipFactory(pilote=True))
    other = SessionFactory()
    html = html_of(client.get(reverse("indicators_programme", args=[programme.code]), {"session": other.pk}))
    assert "Cette session n&#x27;existe pas dans ce programme" in html
    assert "57,1 %" in html


def test_session_page(login, programme):
    session = programme.sessions_by_number[1]
    html = html_of(login(MembershipFactory(pilote=True)).get(reverse("indicators_session", args=[session.pk])))
    assert "Indicateurs de la session Session Nantes" in html
    # session 1 in 2025-T1: rows 1, 3, 9 completed, 5 and 6 abandoned → 3 / 5
    assert "60,0 %" in html


def test_cohort_page_per_session(login, programme):
    html = html_of(
        login(MembershipFactory(pilote=True)).get(reverse("indicators_cohort", args=[programme.code, "2025-T1"]))
    )
    assert "cohorte 2025-T1" in html
    assert "1er trimestre 2025" in html
    assert "Session Nantes" in html and "Session Saint-Nazaire" in html
    assert "<svg" in html
    assert reverse("indicators_session", args=[programme.sessions_by_number[2].pk]) in html


def test_programme_without_entrants_says_so(login):
    programme = ProgrammeFactory()
    html = html_of(login(MembershipFactory(pilote=True)).get(reverse("indicators_programme", args=[programme.code])))
    assert "est encore entré dans ce programme" in html
    assert "<svg" not in html


def test_programme_shows_only_its_chosen_indicators(login, programme):
    programme.indicators = ["entrants", "completion_rate"]
    programme.save(update_fields=["indicators"])
    html = html_of(login(MembershipFactory(pilote=True)).get(reverse("indicators_programme", args=[programme.code])))
    assert "Taux de parcours terminés" in html
    assert "En emploi à 6 mois" not in html


def test_definition_pages(login):
    client = login(MembershipFactory())
    html = html_of(client.get(reverse("indicator_definitions")))
    assert "En emploi à 6 mois" in html
    assert reverse("indicator_definition", args=["employment_6_months"]) in html
    html = html_of(client.get(reverse("indicator_definition", args=["employment_6_months"])))
    assert "Taux de réponse" in html
    assert "jamais des réponses « sans emploi »" in html


# --- exports ------------------------------------------------------------------------------------


def test_csv_has_every_figure(login, programme):
    response = login(MembershipFactory(pilote=True)).get(reverse("indicators_csv", args=[programme.code]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f"indicateurs-{programme.code}.csv" in response["Content-Disposition"]
    rows = csv_rows(response)
    assert rows[0][:6] == ["programme", "regroupement", "groupe", "indicateur", "libelle", "numerateur"]
    by_key = {(r[1], r[2], r[3]): r for r in rows[1:]}
    assert by_key["cohorte", "2025-T1", "completion_rate"][5:8] == ["4", "7", "57,1"]
    assert by_key["cohorte", "2025-T1", "positive_exit_rate"][5:] == ["4", "5", "80,0", "7", "71,4"]
    assert by_key["cohorte", "2025-T1", "entrants"][5:] == ["9", "", "", "", ""]
    assert by_key["ensemble", "Ensemble", "entrants"][5] == "10"
    assert by_key["session", "Session Nantes", "entrants"][5] == "6"
    assert len(rows) == 1 + 6 * (2 + 1 + 2)  # 2 cohorts, the total, 2 sessions


def test_publication_masks_small_cells(login, programme, settings):
    settings.PUBLICATION_MIN_CELL = 11
    response = login(MembershipFactory(pilote=True)).get(reverse("indicators_publication", args=[programme.code]))
    rows = csv_rows(response)
    by_key = {(r[1], r[2], r[3]): r for r in rows[1:]}
    assert by_key["cohorte", "2025-T1", "entrants"][5] == "s"
    assert by_key["cohorte", "2025-T1", "completion_rate"][5:8] == ["s", "s", "s"]
    assert by_key["ensemble", "Ensemble", "entrants"][5] == "s"
    # 0 people certified out of 1: the zero is masked too, as the one person not certified would show
    assert by_key["cohorte", "2025-T2", "french_certification_rate"][5:8] == ["s", "s", "s"]
    assert all(r[5] in ("s", "0", "") for r in rows[1:])


def test_publication_shows_cells_at_the_threshold(login, programme, settings):
    settings.PUBLICATION_MIN_CELL = 2
    rows = csv_rows(login(MembershipFactory(pilote=True)).get(reverse("indicators_publication", args=[programme.code])))
    by_key = {(r[1], r[2], r[3]): r for r in rows[1:]}
    # 2025-T1 entrants 9 ≥ 2 shown; 2025-T2 entrants 1 masked, so 2025-T1 is masked too (total 10)
    assert by_key["cohorte", "2025-T2", "entrants"][5] == "s"
    assert by_key["cohorte", "2025-T1", "entrants"][5] == "s"
    assert by_key["ensemble", "Ensemble", "entrants"][5] == "10"
    # completion 2025-T2 (1 / 1) masked, so 2025-T1 (4 / 7) goes too; the total 5 / 8 is shown
    assert by_key["cohorte", "2025-T1", "completion_rate"][5:8] == ["s", "s", "s"]
    assert by_key["ensemble", "Ensemble", "completion_rate"][5:8] == ["5", "8", "62,5"]
