"""save_structure: a structure administrator completes the organisation's own structure (the one its
declared services hang on); the services without coordinates of their own are placed again."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from parcours.audit.models import AuditEntry
from parcours.directory import services
from parcours.directory.models import Structure
from tests.directory.factories import ServiceFactory
from tests.factories import CommuneFactory, MembershipFactory, OrganisationFactory
from tests.www.offer.factories import days_ago

pytestmark = pytest.mark.django_db

SIRET = "73282932000074"
NANTES_CENTRE = (47.2316, -1.5483)
REZE_CENTRE = (47.1833, -1.55)


@pytest.fixture
def admin(db):
    CommuneFactory()  # Nantes, 44: the département's communes are loaded
    return MembershipFactory(admin=True, organisation=OrganisationFactory(name="Langues et Savoirs"))


def structure_data(**overrides) -> dict:
    """What the structure form gives `save_structure` for a complete structure."""
    data = {
        "nom": "Langues et Savoirs Nantes",
        "description": "Association d'apprentissage du français pour adultes.",
        "siret": SIRET,
        "commune": "Nantes",
        "code_postal": "44000",
        "code_insee": "44109",
        "adresse": "2 rue de la Paix",
        "complement_adresse": "Bâtiment B",
        "latitude": None,
        "longitude": None,
        "telephone": "0240000000",
        "courriel": "accueil@langues-savoirs.fr",
        "site_web": "https://langues-savoirs.fr/",
        "horaires_accueil": "Mo-Fr 09:00-12:00",
        "accessibilite_lieu": "https://acceslibre.beta.gouv.fr/app/44-nantes/a/association/erp/langues-savoirs/",
        "reseaux_porteurs": ["france-service", "adie"],
        "lien_source": None,
    }
    data.update(overrides)
    return data


def own_structure(membership) -> Structure:
    return services.structure_for_organisation(organisation=membership.organisation)


def snapshot(structure: Structure) -> dict:
    structure.refresh_from_db()
    return {field.name: getattr(structure, field.name) for field in Structure._meta.concrete_fields}


def test_admin_fills_the_organisations_structure(admin):
    before = own_structure(admin)
    assert before.code_insee == ""  # created from the organisation, without an address
    saved = services.save_structure(membership=admin, data=structure_data())
    saved.refresh_from_db()
    assert saved.pk == before.pk
    assert (saved.source, saved.source_id) == (before.source, before.source_id)
    assert saved.organisation == admin.organisation
    assert (saved.nom, saved.siret) == ("Langues et Savoirs Nantes", SIRET)
    assert (saved.commune, saved.code_postal, saved.code_insee) == ("Nantes", "44000", "44109")
    assert (saved.adresse, saved.complement_adresse) == ("2 rue de la Paix", "Bâtiment B")
    assert (saved.latitude, saved.longitude) == (None, None)  # the structure point is optional
    assert saved.courriel == "accueil@langues-savoirs.fr"
    assert saved.site_web == "https://langues-savoirs.fr/"
    assert saved.horaires_accueil == "Mo-Fr 09:00-12:00"
    assert saved.reseaux_porteurs == ["adie", "france-service"]
    assert saved.lien_source == ""
    assert saved.date_maj == timezone.localdate()
    entry = AuditEntry.objects.get(object_type="directory.structure", object_id=str(saved.pk), action="update")
    assert entry.actor == admin.user
    assert entry.organisation == admin.organisation
    assert {"nom", "adresse", "code_insee", "reseaux_porteurs"} <= set(entry.fields)
    assert "source" not in entry.fields


def test_saving_unchanged_data_only_confirms_the_date(admin):
    services.save_structure(membership=admin, data=structure_data())
    Structure.objects.update(date_maj=days_ago(200))
    services.save_structure(membership=admin, data=structure_data())
    assert own_structure(admin).date_maj == timezone.localdate()
    last = AuditEntry.objects.filter(object_type="directory.structure").order_by("-pk").first()
    assert last.fields == ["date_maj"]


def test_source_and_id_in_the_data_are_ignored(admin):
    structure = own_structure(admin)
    services.save_structure(membership=admin, data=structure_data(source="pirate", id="pirate--1"))
    structure.refresh_from_db()
    assert (structure.source, structure.source_id) == ("parcours", f"parcours--org-{admin.organisation_id}")


def test_services_without_coordinates_go_to_their_commune_centre(admin):
    CommuneFactory(insee_code="44143", name="Rezé", postcodes=["44400"], latitude=REZE_CENTRE[0], longitude=-1.55)
    structure = own_structure(admin)
    no_address = ServiceFactory(structure=structure, operator=admin.organisation, code_insee="")
    in_reze = ServiceFactory(structure=structure, operator=admin.organisation, code_insee="44143")
    placed = ServiceFactory(
        structure=structure, operator=admin.organisation, code_insee="44109", latitude=47.3, longitude=-1.6
    )
    assert (no_address.point_latitude, no_address.point_longitude) == (None, None)
    services.save_structure(membership=admin, data=structure_data())
    for service in (no_address, in_reze, placed):
        service.refresh_from_db()
    # No structure point: the service's commune centre, or else the structure's commune.
    assert (no_address.point_latitude, no_address.point_longitude) == NANTES_CENTRE
    assert (in_reze.point_latitude, in_reze.point_longitude) == REZE_CENTRE
    assert (placed.point_latitude, placed.point_longitude) == (47.3, -1.6)  # its own coordinates stay
    assert " th:lecture-ecriture-calcul--maitriser-le-francais " in no_address.facets
    assert no_address.remote is False


def test_services_without_coordinates_go_to_the_structure_point(admin):
    structure = own_structure(admin)
    service = ServiceFactory(structure=structure, operator=admin.organisation, code_insee="44109")
    services.save_structure(membership=admin, data=structure_data(latitude=47.22, longitude=-1.56))
    service.refresh_from_db()
    assert (service.point_latitude, service.point_longitude) == (47.22, -1.56)
    structure.refresh_from_db()
    assert (structure.latitude, structure.longitude) == (47.22, -1.56)


def test_services_of_another_structure_are_left_alone(admin):
    other = ServiceFactory(code_insee="44109", latitude=None, longitude=None)
    other.point_latitude = other.point_longitude = None
    other.save()
    services.save_structure(membership=admin, data=structure_data(latitude=47.22, longitude=-1.56))
    other.refresh_from_db()
    assert (other.point_latitude, other.point_longitude) == (None, None)


# --- refused ---------------------------------------------------------------------------------------


def test_another_organisations_admin_edits_only_its_own_structure(admin):
    mine = own_structure(admin)
    before = snapshot(mine)
    outsider = MembershipFactory(admin=True)
    saved = services.save_structure(membership=outsider, data=structure_data(nom="Autre structure"))
    assert saved.organisation == outsider.organisation
    assert saved.pk != mine.pk
    assert snapshot(mine) == before


def test_conseiller_of_the_same_organisation_is_refused(admin):
    structure = own_structure(admin)
    before = snapshot(structure)
    conseiller = MembershipFactory(organisation=admin.organisation)
    with pytest.raises(PermissionDenied, match="administrateur·rices"):
        services.save_structure(membership=conseiller, data=structure_data())
    assert snapshot(structure) == before
    assert not AuditEntry.objects.filter(object_type="directory.structure", action="update").exists()


def test_inactive_membership_is_refused(admin):
    structure = own_structure(admin)
    before = snapshot(structure)
    admin.is_active = False
    admin.save()
    admin.is_active = True  # a stale copy in memory: the service reads the membership again
    with pytest.raises(PermissionDenied):
        services.save_structure(membership=admin, data=structure_data())
    assert snapshot(structure) == before


def test_role_changed_since_loaded_is_refused(admin):
    structure = own_structure(admin)
    before = snapshot(structure)
    type(admin).objects.filter(pk=admin.pk).update(role="conseiller")
    with pytest.raises(PermissionDenied):
        services.save_structure(membership=admin, data=structure_data())
    assert snapshot(structure) == before


# --- bad input -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"siret": "73282932000075"}, "siret", "Numéro SIRET invalide"),
        ({"siret": "7328293200007A"}, "siret", "Format invalide"),
        ({"courriel": "pas-une-adresse"}, "courriel", "Adresse électronique invalide"),
        ({"latitude": 40.7, "longitude": -74.0}, "latitude", "Coordonnées hors de France"),
        ({"latitude": 47.2, "longitude": None}, "latitude", "Les deux coordonnées vont ensemble"),
        ({"code_insee": "44999"}, "code_insee", "Commune inconnue"),
        ({"reseaux_porteurs": ["reseau-imaginaire"]}, "reseaux_porteurs", "vocabulaire data·inclusion"),
        ({"nom": "AB"}, "nom", "Texte trop court"),
        ({"site_web": "pas un lien"}, "site_web", "Lien (URL) invalide"),
    ],
)
def test_bad_input_is_refused_by_field_and_changes_nothing(admin, overrides, field, fragment):
    structure = own_structure(admin)
    service = ServiceFactory(structure=structure, operator=admin.organisation, code_insee="44109")
    before = snapshot(structure)
    with pytest.raises(ValidationError) as exc:
        services.save_structure(membership=admin, data=structure_data(**overrides))
    assert fragment in " ".join(exc.value.message_dict[field])
    assert snapshot(structure) == before
    service.refresh_from_db()
    assert (service.point_latitude, service.point_longitude) == (None, None)
    assert not AuditEntry.objects.filter(object_type="directory.structure", action="update").exists()
