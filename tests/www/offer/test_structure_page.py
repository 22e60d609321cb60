"""The "Ma structure" page: a structure administrator completes the organisation's own structure."""

import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from parcours.audit.models import AuditEntry
from parcours.directory import services
from parcours.directory.models import Structure
from tests.factories import PASSWORD, CommuneFactory, MembershipFactory, OrganisationFactory, UserFactory
from tests.www.offer.factories import days_ago, operated_service

pytestmark = pytest.mark.django_db

URL = "/offre/mes-services/structure/"
SIRET = "73282932000074"


@pytest.fixture
def admin(db):
    CommuneFactory()  # Nantes, 44000 to 44300
    CommuneFactory(insee_code="44162", name="Saint-Herblain", postcodes=["44800"], latitude=47.21, longitude=-1.65)
    organisation = OrganisationFactory(name="Langues et Savoirs", email="contact@langues-savoirs.fr")
    return MembershipFactory(admin=True, organisation=organisation)


def html_of(response) -> str:
    html = response.content.decode()
    assert "!!INVALID" not in html
    return html


def form_post(**overrides) -> dict:
    data = {
        "nom": "Langues et Savoirs Nantes",
        "description": "Association d'apprentissage du français pour adultes.",
        "siret": "732 829 320 00074",
        "reseaux_porteurs": ["adie", "france-service"],
        "adresse": "2 rue de la Paix",
        "complement_adresse": "",
        "commune": "44800",
        "latitude": "",
        "longitude": "",
        "horaires_accueil": "Mo-Fr 09:00-12:00",
        "accessibilite_lieu": "",
        "telephone": "0240000000",
        "courriel": "accueil@langues-savoirs.fr",
        "site_web": "langues-savoirs.fr",
        "lien_source": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def own_structure(membership) -> Structure:
    return services.structure_for_organisation(organisation=membership.organisation)


def test_url_name():
    assert reverse("offer_structure") == URL


# --- access ------------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("method", ["get", "post"])
def test_conseiller_gets_the_403_page(login, admin, method):
    conseiller = MembershipFactory(organisation=admin.organisation)
    structure = own_structure(admin)
    response = getattr(login(conseiller), method)(URL, form_post(nom="Piratée") if method == "post" else None)
    assert response.status_code == 403
    assert "réservée aux administrateur·rices de structure" in html_of(response)
    structure.refresh_from_db()
    assert structure.nom == "Langues et Savoirs"


def test_superuser_without_membership_is_refused(client):
    user = UserFactory(is_superuser=True)
    client.login(username=user.username, password=PASSWORD)
    assert client.get(URL).status_code == 403


def test_another_organisations_admin_only_sees_and_edits_its_own_structure(login, admin):
    mine = own_structure(admin)
    outsider = MembershipFactory(admin=True, organisation=OrganisationFactory(name="Autre association"))
    client = login(outsider)
    html = html_of(client.get(URL))
    assert 'value="Autre association"' in html
    assert "Langues et Savoirs" not in html
    assert client.post(URL, form_post(nom="Autre association Nantes")).status_code == 302
    mine.refresh_from_db()
    assert mine.nom == "Langues et Savoirs" and mine.code_insee == ""
    assert own_structure(outsider).nom == "Autre association Nantes"


# --- page --------------------------------------------------------------------------------------------


def test_list_links_to_the_structure_page(login, admin):
    html = html_of(login(admin).get(reverse("offer_list")))
    assert f'href="{URL}"' in html
    assert "Ma structure" in html


def test_get_prefills_from_the_structure(login, admin):
    structure = own_structure(admin)
    Structure.objects.filter(pk=structure.pk).update(
        commune="Nantes", code_postal="44100", code_insee="44109", reseaux_porteurs=["adie"], siret=SIRET
    )
    response = login(admin).get(URL)
    html = html_of(response)
    assert response.status_code == 200
    assert "<h1>Ma structure</h1>" in html
    assert 'value="Langues et Savoirs"' in html
    assert 'value="Nantes (44100)"' in html
    assert f'value="{SIRET}"' in html
    assert 'value="contact@langues-savoirs.fr"' in html
    assert re.search(r'<input type="checkbox" name="reseaux_porteurs" value="adie"[^>]*checked', html)
    assert not re.search(r'<input type="checkbox" name="reseaux_porteurs" value="afpa"[^>]*checked', html)
    assert "n'a pas encore d'adresse" not in html


def test_get_warns_when_the_structure_has_no_address(login, admin):
    html = html_of(login(admin).get(URL))
    assert "Votre structure n'a pas encore d'adresse" in html


def test_post_saves_resolves_the_commune_and_redirects_with_a_message(login, admin):
    service = operated_service(
        admin.organisation, structure=own_structure(admin), code_insee="", latitude=None, longitude=None
    )
    Structure.objects.update(date_maj=days_ago(100))
    client = login(admin)
    response = client.post(URL, form_post())
    assert response.status_code == 302
    assert response["Location"] == reverse("offer_list")
    structure = own_structure(admin)
    assert (structure.commune, structure.code_postal, structure.code_insee) == ("Saint-Herblain", "44800", "44162")
    assert structure.siret == SIRET
    assert structure.site_web == "https://langues-savoirs.fr/"
    assert structure.reseaux_porteurs == ["adie", "france-service"]
    assert structure.date_maj == timezone.localdate()
    service.refresh_from_db()
    assert (service.point_latitude, service.point_longitude) == (47.21, -1.65)  # the structure's commune centre
    assert AuditEntry.objects.filter(object_type="directory.structure", action="update", actor=admin.user).exists()
    html = html_of(client.get(response["Location"]))
    assert "Les informations de votre structure ont été enregistrées." in html


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Nantes", ("Nantes", "44000", "44109")),
        ("44300", ("Nantes", "44300", "44109")),
        ("nantes (44200)", ("Nantes", "44200", "44109")),
        ("ST HERBLAIN", ("Saint-Herblain", "44800", "44162")),
        ("", ("", "", "")),
    ],
)
def test_commune_is_typed_as_a_name_or_a_postcode(login, admin, typed, expected):
    assert login(admin).post(URL, form_post(commune=typed)).status_code == 302
    structure = own_structure(admin)
    assert (structure.commune, structure.code_postal, structure.code_insee) == expected


def test_prefilled_page_posts_back_unchanged(login, admin):
    client = login(admin)
    assert client.post(URL, form_post(commune="44100")).status_code == 302
    html = html_of(client.get(URL))
    assert 'value="Nantes (44100)"' in html
    assert client.post(URL, form_post(commune="Nantes (44100)")).status_code == 302
    structure = own_structure(admin)
    assert (structure.code_postal, structure.code_insee) == ("44100", "44109")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"commune": "Nulle-Part-sur-Mer"}, "Commune inconnue : « Nulle-Part-sur-Mer »"),
        ({"siret": "73282932000075"}, "Numéro SIRET invalide (clé de contrôle)"),
        ({"siret": "1234"}, "Un numéro SIRET compte 14 chiffres."),
        ({"courriel": "pas-une-adresse"}, "Saisissez une adresse électronique valide."),
        ({"latitude": "40.7", "longitude": "-74.0"}, "Coordonnées hors de France"),
        ({"latitude": "quarante"}, "Saisissez un nombre."),
        ({"nom": ""}, "Ce champ est obligatoire."),
        ({"nom": "AB"}, "Texte trop court"),
        ({"reseaux_porteurs": ["reseau-imaginaire"]}, "Valeur inconnue du vocabulaire data·inclusion"),
    ],
)
def test_bad_input_shows_the_error_next_to_the_field_and_writes_nothing(login, admin, overrides, message):
    structure = own_structure(admin)
    response = login(admin).post(URL, form_post(**overrides))
    html = html_of(response)
    assert response.status_code == 200
    assert message in html
    assert "fr-error-text" in html
    assert "Le formulaire contient des erreurs" in html
    structure.refresh_from_db()
    assert structure.nom == "Langues et Savoirs" and structure.code_insee == ""
    assert not AuditEntry.objects.filter(object_type="directory.structure", action="update").exists()


def test_service_errors_on_the_code_insee_are_shown_on_the_commune_field(login, admin, monkeypatch):
    def refuse(**_kwargs):
        raise ValidationError({"code_insee": ["Commune inconnue du Code officiel géographique : « 44109 »"]})

    monkeypatch.setattr(services, "save_structure", refuse)
    response = login(admin).post(URL, form_post(commune="Nantes"))
    html = html_of(response)
    assert response.status_code == 200
    assert re.search(r'id="id_commune-error">Commune inconnue du Code officiel géographique', html)
