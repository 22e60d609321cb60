import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from parcours.diagnostics.enums import Theme
from parcours.diagnostics.models import Diagnostic, LanguageLevel, ThemeAssessment
from parcours.diagnostics.services import diagnostic_record
from parcours.people.enums import DataCategory
from tests.factories import (
    ConsentFactory,
    FollowUpMemberFactory,
    MembershipFactory,
    SituationFactory,
    TerritoryGrantFactory,
)

pytestmark = pytest.mark.django_db


def record(pathway, membership, *, themes=None, languages=(), interpreting="", summary=""):
    """Record a diagnostic version through the domain service, as a page would."""
    return diagnostic_record(
        person=pathway.person,
        pathway=pathway,
        themes=themes or {},
        languages=list(languages),
        interpreting_needed=bool(interpreting),
        interpreting_language=interpreting,
        summary=summary,
        membership=membership,
        acting_user=membership.user,
    )


def form_data(**overrides):
    """A complete POST of the new-diagnostic form, every theme "not assessed", no language row."""
    data = {f"need_{theme}": "not_assessed" for theme in Theme.values}
    data.update(
        {
            "langues-TOTAL_FORMS": "3",
            "langues-INITIAL_FORMS": "0",
            "langues-MIN_NUM_FORMS": "0",
            "langues-MAX_NUM_FORMS": "20",
            "summary": "",
        }
    )
    data.update(overrides)
    return data


def give_health_consent(pathway, membership):
    ConsentFactory(person=pathway.person, organisation=membership.organisation, category=DataCategory.HEALTH)


# --- reading ---------------------------------------------------------------------------------


def test_diagnostic_page_shows_latest_version_to_group_member(login, pathway, membership):
    situation = SituationFactory(theme="logement", label="Sans hébergement")
    record(
        pathway,
        membership,
        themes={"logement": {"need": "priority", "situations": [situation.pk], "note": "Dort chez sa sœur"}},
        languages=[{"language": "ar", "level": "A2", "method": "ofii_test", "assessed_on": None}],
        interpreting="ar",
    )
    response = login(membership).get(reverse("pathway_diagnostic", args=[pathway.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "!!INVALID" not in html
    assert "Sans hébergement" in html
    assert "Prioritaire" in html
    assert "Dort chez sa sœur" in html
    assert "Arabe" in html and "A2" in html
    assert "Test de positionnement OFII" in html
    assert "nécessaire (Arabe)" in html


def test_diagnostic_page_without_any_version_says_so(login, pathway, membership):
    html = login(membership).get(reverse("pathway_diagnostic", args=[pathway.pk])).content.decode()
    assert "Aucun diagnostic n'a encore été enregistré" in html
    assert "!!INVALID" not in html


def test_diagnostic_page_is_404_for_professional_outside_the_group(login, pathway):
    outsider = MembershipFactory()
    response = login(outsider).get(reverse("pathway_diagnostic", args=[pathway.pk]))
    assert response.status_code == 404


def test_diagnostic_page_redirects_anonymous_visitor_to_login(client, pathway):
    response = client.get(reverse("pathway_diagnostic", args=[pathway.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_orientation_officer_with_territory_grant_reads_diagnostic_without_edit_button(login, pathway, membership):
    record(pathway, membership, themes={"emploi": {"need": "to_work_on", "situations": [], "note": ""}})
    grant = TerritoryGrantFactory(departement=pathway.departement)
    response = login(grant.membership).get(reverse("pathway_diagnostic", args=[pathway.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "À travailler" in html
    assert reverse("pathway_diagnostic_new", args=[pathway.pk]) not in html


# --- recording a version -----------------------------------------------------------------------


def test_group_member_records_first_diagnostic(login, pathway, membership):
    situation = SituationFactory(theme="logement", label="Sans hébergement")
    data = form_data(
        need_logement="priority",
        situations_logement=[str(situation.pk)],
        note_logement="Hébergée en urgence",
        **{
            "langues-0-language": "prs",
            "langues-0-level": "A1.1",
            "langues-0-method": "ofii_test",
            "langues-0-assessed_on": "2024-03-01",
        },
        interpreting_needed="on",
        interpreting_language="prs",
        summary="Priorité au logement.",
    )
    response = login(membership).post(reverse("pathway_diagnostic_new", args=[pathway.pk]), data)
    assert response.status_code == 302
    diagnostic = Diagnostic.objects.get(person=pathway.person)
    assert diagnostic.version == 1
    assert diagnostic.interpreting_language == "prs"
    logement = diagnostic.themes.get(theme="logement")
    assert logement.need == "priority"
    assert list(logement.situations.all()) == [situation]
    level = diagnostic.language_levels.get()
    assert (level.language, level.level, level.assessed_on) == ("prs", "A1.1", datetime.date(2024, 3, 1))


def test_new_diagnostic_form_is_prefilled_from_latest_version(login, pathway, membership):
    situation = SituationFactory(theme="logement", label="Sans hébergement")
    record(
        pathway,
        membership,
        themes={"logement": {"need": "priority", "situations": [situation.pk], "note": "Note précédente"}},
        languages=[{"language": "uk", "level": "B1", "method": "tcf", "assessed_on": None}],
    )
    response = login(membership).get(reverse("pathway_diagnostic_new", args=[pathway.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "!!INVALID" not in html
    assert re.search(rf'value="{situation.pk}"[^>]*checked', html)
    assert re.search(r'<option value="priority" selected>', html)
    assert "Note précédente" in html
    assert re.search(r'<option value="uk" selected>', html)
    # one language already assessed: at least three rows in all
    assert 'name="langues-TOTAL_FORMS" value="3"' in html


def test_second_diagnostic_creates_version_2_and_leaves_version_1_unchanged(login, pathway, membership):
    situation = SituationFactory(theme="logement", label="Sans hébergement")
    first = record(pathway, membership, themes={"logement": {"need": "to_work_on", "situations": [], "note": ""}})
    data = form_data(need_logement="priority", situations_logement=[str(situation.pk)])
    response = login(membership).post(reverse("pathway_diagnostic_new", args=[pathway.pk]), data)
    assert response.status_code == 302
    assert list(Diagnostic.objects.filter(person=pathway.person).values_list("version", flat=True)) == [2, 1]
    first_logement = ThemeAssessment.objects.get(diagnostic=first, theme="logement")
    assert first_logement.need == "to_work_on"
    assert not first_logement.situations.exists()


def test_diagnostic_page_shows_what_changed_between_versions(login, pathway, membership):
    situation = SituationFactory(theme="logement", label="Sans hébergement")
    record(
        pathway,
        membership,
        themes={"logement": {"need": "to_work_on", "situations": [], "note": ""}},
        languages=[{"language": "ar", "level": "A1", "method": "ofii_test", "assessed_on": None}],
    )
    record(
        pathway,
        membership,
        themes={"logement": {"need": "priority", "situations": [situation.pk], "note": ""}},
        languages=[{"language": "ar", "level": "A2", "method": "tcf", "assessed_on": None}],
    )
    html = login(membership).get(reverse("pathway_diagnostic", args=[pathway.pk])).content.decode()
    assert "Logement : besoin À travailler → Prioritaire" in html
    assert "Situation ajoutée : Sans hébergement" in html
    assert "Arabe : niveau A1 → A2" in html
    assert "Premier diagnostic." in html
    assert membership.organisation.name in html


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"langues-0-language": "ar", "langues-0-level": "D1", "langues-0-method": "tcf"}, "Niveau CECRL hors échelle"),
        ({"langues-0-language": "xx", "langues-0-level": "A1", "langues-0-method": "tcf"}, "Langue inconnue"),
        (
            {
                "langues-0-language": "ar",
                "langues-0-level": "A1",
                "langues-0-method": "tcf",
                "langues-0-assessed_on": (timezone.localdate() + datetime.timedelta(days=3)).isoformat(),
            },
            "La date d&#x27;évaluation ne peut pas être dans le futur.",
        ),
        ({"langues-0-language": "ar", "langues-0-level": "A1"}, "Indiquez comment le niveau a été évalué."),
        (
            {
                "langues-0-language": "ar",
                "langues-0-level": "A1",
                "langues-0-method": "tcf",
                "langues-1-language": "ar",
                "langues-1-level": "B1",
                "langues-1-method": "delf",
            },
            "Cette langue est déjà évaluée dans ce diagnostic.",
        ),
        ({"note_logement": "x" * 2001}, "La note ne peut dépasser 2 000 caractères."),
        ({"need_emploi": "urgent"}, "Niveau de besoin inconnu."),
        ({"situations_emploi": ["999999"]}, "Situation inconnue pour ce thème."),
        ({"interpreting_needed": "on"}, "Précisez la langue d&#x27;interprétariat."),
        ({"summary": "s" * 4001}, "La synthèse ne peut dépasser 4 000 caractères."),
    ],
    ids=[
        "cecrl-out-of-scale",
        "unknown-language",
        "future-assessment",
        "missing-method",
        "duplicate-language",
        "note-too-long",
        "unknown-need",
        "unknown-situation",
        "interpreting-without-language",
        "summary-too-long",
    ],
)
def test_bad_diagnostic_input_is_refused_with_french_message_and_nothing_written(
    login, pathway, membership, overrides, message
):
    response = login(membership).post(reverse("pathway_diagnostic_new", args=[pathway.pk]), form_data(**overrides))
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert "!!INVALID" not in html
    assert not Diagnostic.objects.exists()
    assert not LanguageLevel.objects.exists()


def test_situation_of_another_theme_is_refused_and_nothing_written(login, pathway, membership):
    mobility = SituationFactory(theme="mobilite", label="Sans permis")
    response = login(membership).post(
        reverse("pathway_diagnostic_new", args=[pathway.pk]), form_data(situations_logement=[str(mobility.pk)])
    )
    assert "Situation inconnue pour ce thème." in response.content.decode()
    assert not Diagnostic.objects.exists()


def test_orientation_officer_outside_the_group_cannot_record_a_diagnostic(login, pathway):
    grant = TerritoryGrantFactory(departement=pathway.departement)
    client = login(grant.membership)
    url = reverse("pathway_diagnostic_new", args=[pathway.pk])
    assert client.get(url).status_code == 403
    response = client.post(url, form_data(need_emploi="priority"))
    assert response.status_code == 403
    assert not Diagnostic.objects.exists()


def test_new_diagnostic_form_is_404_for_professional_outside_the_group(login, pathway):
    response = login(MembershipFactory()).post(
        reverse("pathway_diagnostic_new", args=[pathway.pk]), form_data(need_emploi="priority")
    )
    assert response.status_code == 404
    assert not Diagnostic.objects.exists()


# --- health theme (sensitive) ------------------------------------------------------------------


def test_health_theme_is_absent_without_health_consent(login, pathway, membership):
    SituationFactory(theme="sante", label="Suivi médical régulier")
    # a colleague with consent recorded a health need
    colleague = FollowUpMemberFactory(pathway=pathway).membership
    give_health_consent(pathway, colleague)
    record(pathway, colleague, themes={"sante": {"need": "priority", "situations": [], "note": "Traitement lourd"}})
    client = login(membership)
    page = client.get(reverse("pathway_diagnostic", args=[pathway.pk])).content.decode()
    form = client.get(reverse("pathway_diagnostic_new", args=[pathway.pk])).content.decode()
    for html in (page, form):
        assert "Santé" not in html
        assert "Traitement lourd" not in html
        assert "Suivi médical régulier" not in html
        assert "!!INVALID" not in html


def test_health_theme_is_shown_with_health_consent(login, pathway, membership):
    give_health_consent(pathway, membership)
    SituationFactory(theme="sante", label="Suivi médical régulier")
    record(pathway, membership, themes={"sante": {"need": "priority", "situations": [], "note": "Traitement lourd"}})
    client = login(membership)
    page = client.get(reverse("pathway_diagnostic", args=[pathway.pk])).content.decode()
    form = client.get(reverse("pathway_diagnostic_new", args=[pathway.pk])).content.decode()
    assert "Santé" in page and "Traitement lourd" in page
    assert "Suivi médical régulier" in form


def test_health_theme_is_carried_over_unchanged_when_member_without_consent_records_new_version(
    login, pathway, membership
):
    health_situation = SituationFactory(theme="sante", label="Suivi médical régulier")
    colleague = FollowUpMemberFactory(pathway=pathway).membership
    give_health_consent(pathway, colleague)
    record(
        pathway,
        colleague,
        themes={"sante": {"need": "priority", "situations": [health_situation.pk], "note": "Traitement lourd"}},
    )
    # `membership` has no health consent: the form has no health field, yet the need survives
    data = form_data(need_sante="none", note_sante="effacé", need_emploi="priority")
    response = login(membership).post(reverse("pathway_diagnostic_new", args=[pathway.pk]), data)
    assert response.status_code == 302
    latest = Diagnostic.objects.get(person=pathway.person, version=2)
    health = latest.themes.get(theme="sante")
    assert (health.need, health.note) == ("priority", "Traitement lourd")
    assert list(health.situations.all()) == [health_situation]
    assert latest.themes.get(theme="emploi").need == "priority"


# --- query budget --------------------------------------------------------------------------------


def test_diagnostic_page_stays_within_15_queries_whatever_the_number_of_versions(
    login, pathway, membership, django_assert_max_num_queries
):
    situations = [SituationFactory(theme="logement", label=f"Situation logement {i}") for i in range(3)]
    needs = ["none", "to_work_on", "priority"]
    for i in range(25):
        record(
            pathway,
            membership,
            themes={
                theme: {"need": needs[(i + n) % 3], "situations": [situations[i % 3].pk] if theme == "logement" else []}
                for n, theme in enumerate(["emploi", "logement", "mobilite", "numerique"])
            },
            languages=[{"language": "ar", "level": ["A1", "A2"][i % 2], "method": "tcf", "assessed_on": None}],
        )
    client = login(membership)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("pathway_diagnostic", args=[pathway.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "!!INVALID" not in html
    shown = {int(v) for v in re.findall(r"Version (\d+)</h3>", html)}
    assert shown == set(range(16, 26))


def test_new_diagnostic_form_stays_within_15_queries(login, pathway, membership, django_assert_max_num_queries):
    for theme in Theme.values:
        for i in range(5):
            SituationFactory(theme=theme, label=f"{theme} {i}")
    record(pathway, membership, themes={"emploi": {"need": "priority", "situations": [], "note": ""}})
    client = login(membership)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("pathway_diagnostic_new", args=[pathway.pk]))
    assert response.status_code == 200
