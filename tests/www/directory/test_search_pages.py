"""The search page and the service page: who may open them, bad input shown on the form, and the
search pre-filled from a pathway (a scoped, audited read of the pathway)."""

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from parcours.audit.models import AuditAction, AuditEntry
from parcours.diagnostics.models import Diagnostic, ThemeAssessment
from parcours.people.enums import DataCategory
from parcours.territories.models import Commune
from tests.directory.factories import ANGERS, REZE, ServiceFactory
from tests.factories import (
    CommuneFactory,
    ConsentFactory,
    MembershipFactory,
    OrganisationFactory,
    PathwayFactory,
    PersonFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

FRENCH = "lecture-ecriture-calcul--maitriser-le-francais"
HOUSING = "logement-hebergement--louer-un-logement"
CARE = "sante--acces-aux-soins"
SEARCH = reverse("directory_search")


def html_of(response) -> str:
    html = response.content.decode()
    assert "!!INVALID" not in html
    return html


@pytest.fixture
def reze(db):
    return Commune.objects.create(
        insee_code="44143",
        name="Rezé",
        departement=CommuneFactory().departement,
        postcodes=["44400"],
        latitude=REZE[2],
        longitude=REZE[3],
    )


def search(client, **params):
    return client.get(SEARCH, params)


def test_anonymous_is_sent_to_login(client):
    response = client.get(SEARCH)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_anonymous_cannot_open_a_service(client):
    service = ServiceFactory()
    response = client.get(reverse("directory_service", args=[service.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_user_without_membership_is_refused(client):
    user = UserFactory()
    client.force_login(user)
    assert client.get(SEARCH).status_code == 403


def test_empty_page_shows_the_form_without_results(login, membership):
    html = html_of(login(membership).get(SEARCH))
    assert "Trouver un service" in html
    assert "<optgroup" in html
    assert "service trouvé" not in html


def test_search_around_a_commune_lists_results_with_reasons(login, membership, reze, django_assert_max_num_queries):
    ServiceFactory(nom="Français à Rezé", place=REZE, places_total=12, places_free=3, languages=["fr", "ar"])
    ServiceFactory(nom="Français à Angers", place=ANGERS)
    ServiceFactory(nom="Logement à Rezé", place=REZE, thematiques=[HOUSING])
    client = login(membership)
    with django_assert_max_num_queries(6):
        response = search(client, commune="Rezé", distance_km="30", thematiques=FRENCH, language="ar")
    html = html_of(response)
    assert response.status_code == 200
    assert "1 service trouvé" in html
    assert "Français à Rezé" in html
    assert "Français à Angers" not in html and "Logement à Rezé" not in html
    assert escape("À 0,0 km de Rezé") in html
    assert escape("Thématique : Maîtriser le français") in html
    assert escape("Service délivré en arabe") in html
    assert "3 places libres" in html


def test_commune_by_postcode(login, membership, reze):
    ServiceFactory(nom="Français à Rezé", place=REZE)
    html = html_of(search(login(membership), commune="44400"))
    assert "1 service trouvé" in html


@pytest.mark.parametrize("distance", ["-5", "0", "201", "abc"])
def test_distance_that_makes_no_sense_is_a_form_error(login, membership, reze, distance):
    ServiceFactory(place=REZE)
    response = search(login(membership), commune="Rezé", distance_km=distance)
    html = html_of(response)
    assert response.status_code == 200
    assert "Le formulaire contient des erreurs" in html
    assert "La distance doit être" in html
    assert "service trouvé" not in html


def test_unknown_commune_is_a_form_error(login, membership, reze):
    response = search(login(membership), commune="Atlantis")
    html = html_of(response)
    assert response.status_code == 200
    assert "Commune inconnue" in html
    assert "service trouvé" not in html


def test_misspelt_commune_gets_suggestions(login, membership, reze):
    html = html_of(search(login(membership), commune="Rez"))
    assert "Commune inconnue" in html
    assert "Vouliez-vous dire" in html and escape("Rezé (44400)") in html


def test_unknown_vocabulary_value_is_a_form_error(login, membership):
    response = search(login(membership), thematiques="famille--inconnue", public="martiens")
    assert response.status_code == 200
    assert "Le formulaire contient des erreurs" in html_of(response)


def test_results_are_paginated(login, membership):
    for index in range(23):
        ServiceFactory(nom=f"Service {index:02d}")
    client = login(membership)
    first = html_of(search(client, frais="gratuit"))
    assert "23 services trouvés" in first
    assert "Service 19" in first and "Service 20" not in first
    second = html_of(search(client, frais="gratuit", page="2"))
    assert "Service 20" in second and "Service 19" not in second
    assert "frais=gratuit" in second


# --- pre-filled from a pathway -------------------------------------------------------------------


def _diagnostic(person, needs, **extra):
    diagnostic = Diagnostic.objects.create(
        person=person,
        version=1,
        recorded_at=timezone.now(),
        recorded_by=UserFactory(),
        organisation=OrganisationFactory(),
        **extra,
    )
    for theme, need in needs.items():
        ThemeAssessment.objects.create(diagnostic=diagnostic, theme=theme, need=need)
    return diagnostic


@pytest.fixture
def person_pathway(membership, reze):
    person = PersonFactory(first_name="Amina", commune=reze, languages=["fr", "prs"])
    _diagnostic(
        person,
        {"maitrise_langue": "priority", "logement": "to_work_on", "emploi": "none", "sante": "priority"},
    )
    return PathwayFactory(person=person, referent=membership)


@pytest.fixture(autouse=True)
def _mapping(theme_mapping):
    """The search prefilled from a pathway reads the editable theme → thématique table."""


def test_the_prefilled_search_follows_the_editable_mapping(login, membership, person_pathway):
    from parcours.matching.models import ThemeThematique

    ThemeThematique.objects.filter(theme="logement").delete()
    ThemeThematique.objects.create(theme="logement", thematique="famille--garde-denfants")
    html = html_of(search(login(membership), parcours=person_pathway.pk))
    assert _selected(html, "famille--garde-denfants")
    assert not _selected(html, HOUSING)
    assert _selected(html, FRENCH)


def _selected(html: str, value: str) -> bool:
    return f'value="{value}" selected' in html


def test_search_from_a_pathway_is_prefilled_and_audited(login, membership, person_pathway):
    ServiceFactory(nom="Français à Rezé", place=REZE)
    ServiceFactory(nom="Français à Angers", place=ANGERS)
    response = search(login(membership), parcours=person_pathway.pk)
    html = html_of(response)
    assert response.status_code == 200
    assert escape("Recherche préremplie depuis le parcours de Amina") in html
    assert _selected(html, FRENCH) and _selected(html, HOUSING)
    assert not _selected(html, "trouver-un-emploi--repondre-a-des-offres-demploi")
    assert 'value="" selected' in html.split('name="language"')[1].split("</select>")[0]
    assert 'value="Rezé (44400)"' in html
    assert "Français à Rezé" in html and "Français à Angers" not in html
    entry = AuditEntry.objects.filter(action=AuditAction.READ).latest("id")
    assert entry.object_type == "pathways.pathway:directory_search"
    assert entry.object_id == str(person_pathway.pk)
    assert entry.person_id == person_pathway.person_id


def test_health_need_is_left_out_without_consent(login, membership, person_pathway):
    html = html_of(search(login(membership), parcours=person_pathway.pk))
    assert not _selected(html, CARE)


def test_health_need_is_used_with_consent(login, membership, person_pathway):
    ConsentFactory(person=person_pathway.person, organisation=membership.organisation, category=DataCategory.HEALTH)
    html = html_of(search(login(membership), parcours=person_pathway.pk))
    assert _selected(html, CARE)


def test_interpreting_language_of_the_diagnostic_comes_first(login, membership, reze):
    person = PersonFactory(commune=reze, languages=["fr", "prs"])
    _diagnostic(person, {}, interpreting_needed=True, interpreting_language="ps")
    pathway = PathwayFactory(person=person, referent=membership)
    html = html_of(search(login(membership), parcours=pathway.pk))
    assert _selected(html, "ps")


def test_language_of_a_person_who_does_not_speak_french_is_used(login, membership, reze):
    ServiceFactory(nom="En dari", place=REZE, languages=["prs"])
    ServiceFactory(nom="En français", place=REZE)
    pathway = PathwayFactory(person=PersonFactory(commune=reze, languages=["prs", "ps"]), referent=membership)
    html = html_of(search(login(membership), parcours=pathway.pk))
    assert _selected(html, "prs")
    assert "En dari" in html and "En français" not in html
    assert escape("Service délivré en dari") in html


def test_submitted_criteria_override_the_pathway(login, membership, person_pathway):
    html = html_of(search(login(membership), parcours=person_pathway.pk, thematiques=HOUSING, commune="Rezé"))
    assert _selected(html, HOUSING) and not _selected(html, FRENCH)
    assert escape("Recherche préremplie depuis le parcours de Amina") in html


def test_outsider_pathway_is_not_found(login, person_pathway):
    outsider = MembershipFactory()
    count = AuditEntry.objects.count()
    response = search(login(outsider), parcours=person_pathway.pk)
    assert response.status_code == 404
    assert AuditEntry.objects.count() == count


def test_malformed_pathway_id_is_not_found(login, membership):
    assert search(login(membership), parcours="abc").status_code == 404


# --- the service page ----------------------------------------------------------------------------


def test_service_page_labels_every_field(login, membership):
    service = ServiceFactory(
        nom="Cours de français",
        thematiques=[FRENCH, HOUSING],
        publics=["personnes-exilees", "femmes"],
        modes_accueil=["en-presentiel", "a-distance"],
        modes_mobilisation=["envoyer-un-courriel"],
        zone_eligibilite=["44"],
        languages=["fr", "ar"],
        interpreting=True,
        places_total=10,
        places_free=4,
        waiting_days=15,
        volume_horaire_hebdomadaire=4.5,
        nombre_semaines=12,
        telephone="02 40 00 00 00",
        horaires_accueil="Mo-Fr 09:00-12:00",
        structure__nom="Maison des solidarités",
        structure__siret="",
    )
    CommuneFactory()  # Loire-Atlantique
    response = login(membership).get(reverse("directory_service", args=[service.pk]))
    html = html_of(response)
    assert response.status_code == 200
    for text in [
        "Cours de français",
        "Maîtriser le français",
        "Louer un logement",
        "Personnes exilées",
        "Femmes",
        "En présentiel",
        "À distance",
        "Loire-Atlantique (44)",
        "Arabe",
        "Interprétariat possible",
        "4 / 10",
        "15 jours",
        "4,5 h",
        "02 40 00 00 00",
        "Mo-Fr 09:00-12:00",
        "Maison des solidarités",
        "Gratuit",
        "Accompagnement",
    ]:
        assert escape(text) in html, text


def test_draft_service_of_another_organisation_is_not_found(login, membership):
    draft = ServiceFactory(draft=True, operator=OrganisationFactory())
    assert login(membership).get(reverse("directory_service", args=[draft.pk])).status_code == 404


def test_draft_service_is_shown_to_its_operator(login, membership):
    draft = ServiceFactory(draft=True, operator=membership.organisation)
    response = login(membership).get(reverse("directory_service", args=[draft.pk]))
    assert response.status_code == 200
    assert "Brouillon" in html_of(response)


def test_pathway_summary_links_to_the_prefilled_search(login, membership, pathway):
    html = html_of(login(membership).get(reverse("pathway", args=[pathway.pk])))
    assert f"{SEARCH}?parcours={pathway.pk}" in html


# --- every filter of the page, and parameters that make no sense --------------------------------


@pytest.mark.parametrize(
    ("params", "found"),
    [
        ({"thematiques": FRENCH}, {"Français exilés", "Français tous publics"}),
        ({"thematiques": "famille"}, {"Crèche femmes"}),
        ({"thematiques": ["famille", HOUSING]}, {"Crèche femmes", "Logement payant"}),
        ({"public": "femmes"}, {"Crèche femmes", "Français tous publics"}),
        ({"public": "tous-publics"}, {"Français tous publics"}),
        ({"type": "atelier"}, {"Logement payant"}),
        ({"frais": "payant"}, {"Logement payant"}),
        ({"mode_accueil": "a-distance"}, {"Français tous publics"}),
        ({"language": "ar"}, {"Français exilés", "Crèche femmes"}),
        ({"free_places_only": "on"}, {"Crèche femmes"}),
        ({"thematiques": FRENCH, "public": "femmes", "language": "ar"}, set()),
        ({"thematiques": FRENCH, "public": "personnes-exilees", "language": "ar"}, {"Français exilés"}),
    ],
)
def test_every_filter_of_the_page_is_honoured(login, membership, params, found):
    ServiceFactory(nom="Français exilés", thematiques=[FRENCH], publics=["personnes-exilees"], languages=["ar"])
    ServiceFactory(nom="Français tous publics", thematiques=[FRENCH], publics=["tous-publics"], remote=True)
    ServiceFactory(
        nom="Crèche femmes",
        thematiques=["famille--garde-denfants"],
        publics=["femmes"],
        interpreting=True,
        places_total=5,
        places_free=2,
    )
    ServiceFactory(nom="Logement payant", thematiques=[HOUSING], publics=["jeunes"], type="atelier", frais="payant")
    response = search(login(membership), **params)
    html = html_of(response)
    assert response.status_code == 200
    listed = {name for name in ["Français exilés", "Français tous publics", "Crèche femmes", "Logement payant"]}
    assert {name for name in listed if escape(name) in html} == found


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"distance_km": "-1"}, "La distance doit être comprise entre 1 et 200 km."),
        ({"distance_km": "0"}, "La distance doit être comprise entre 1 et 200 km."),
        ({"distance_km": "201"}, "La distance doit être comprise entre 1 et 200 km."),
        ({"distance_km": "abc"}, "La distance doit être un nombre entier de kilomètres."),
        ({"distance_km": "1e9"}, "La distance doit être un nombre entier de kilomètres."),
        ({"commune": "Atlantis"}, "Commune inconnue"),
        ({"commune": "x" * 10_000}, "au plus 150 caractères"),
        ({"commune": "Rezé\x00"}, "Le caractère nul n’est pas autorisé."),
        ({"thematiques": "famille--inconnue"}, "Sélectionnez un choix valide"),
        ({"thematiques": "x" * 10_000}, "Sélectionnez un choix valide : « " + "x" * 80 + " »"),
        ({"public": "martiens"}, "Sélectionnez un choix valide"),
        ({"language": "klingon"}, "Sélectionnez un choix valide"),
        ({"mode_accueil": "en-reve"}, "Sélectionnez un choix valide"),
    ],
)
def test_nonsense_parameters_are_form_errors_on_a_200_page(login, membership, reze, params, message):
    ServiceFactory(place=REZE)
    response = search(login(membership), **{"commune": "Rezé", **params})
    html = html_of(response)
    assert response.status_code == 200
    assert "Le formulaire contient des erreurs" in html
    assert escape(message) in html
    assert "service trouvé" not in html
    # A long value is echoed in the field (as typed), never in full in an error message.
    assert "x" * 81 + " »" not in html


@pytest.mark.parametrize("raw", ["99999999999999999999999", "-1", "", "1.5", "0x10"])
def test_a_pathway_id_that_makes_no_sense_is_not_found(login, membership, raw):
    assert search(login(membership), parcours=raw).status_code == 404


def test_the_health_theme_never_leaks_through_a_pathway_search_without_consent(login, membership, reze):
    person = PersonFactory(commune=reze, languages=["fr"])
    _diagnostic(person, {"sante": "priority"})
    pathway = PathwayFactory(person=person, referent=membership)
    ServiceFactory(nom="Soins à Rezé", place=REZE, thematiques=[CARE])
    html = html_of(search(login(membership), parcours=pathway.pk))
    assert not _selected(html, CARE) and not _selected(html, "sante")
    # The search runs on the commune alone: the health service is listed, never as answering a need.
    assert "Soins à Rezé" in html
    assert escape("Thématique : ") not in html and "sante--" not in html.split("<main")[1].split("<select")[0]


def test_a_commune_without_a_point_is_searched_by_zone_and_says_so(login, membership, reze):
    Commune.objects.create(insee_code="44003", name="Ancenis", departement=reze.departement, postcodes=["44150"])
    ServiceFactory(nom="Loin mais ouvert au département", place=ANGERS, zone_eligibilite=["44"])
    ServiceFactory(nom="Réservé à Rezé", place=REZE, zone_eligibilite=["44143"])
    html = html_of(search(login(membership), commune="Ancenis", distance_km="10"))
    assert "1 service trouvé" in html
    assert "Loin mais ouvert au département" in html and escape("Réservé à Rezé") not in html
    assert "Coordonnées de la commune Ancenis inconnues : services dont la zone d'éligibilité" in html
    assert "par distance croissante" not in html
