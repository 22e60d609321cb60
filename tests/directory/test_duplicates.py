import pytest

from parcours.directory.duplicates import detect_duplicates, name_ratio
from parcours.directory.models import DuplicateCandidate, DuplicateStatus
from tests.directory.factories import ServiceFactory, StructureFactory

pytestmark = pytest.mark.django_db

SIRET = "73282932000074"


def structure_pairs():
    return set(
        DuplicateCandidate.objects.filter(first_structure__isnull=False).values_list(
            "first_structure_id", "second_structure_id"
        )
    )


def service_pairs():
    return set(
        DuplicateCandidate.objects.filter(first_service__isnull=False).values_list(
            "first_service_id", "second_service_id"
        )
    )


def test_name_ratio_of_normalised_names():
    assert name_ratio("mission locale nantes", "mission locale nantes") == 1.0
    assert name_ratio("mission locale nantes", "mission locale de nantes") >= 0.8
    assert name_ratio("mission locale", "restos du coeur") < 0.8


def test_same_siret_close_names_different_sources_are_flagged():
    a = StructureFactory(source="dora", siret=SIRET, nom="Mission Locale de Nantes")
    b = StructureFactory(source="emplois-de-linclusion", siret=SIRET, nom="MISSION LOCALE NANTES", adresse="autre")
    assert detect_duplicates() == 1
    assert structure_pairs() == {(min(a.pk, b.pk), max(a.pk, b.pk))}
    candidate = DuplicateCandidate.objects.get()
    assert SIRET in candidate.reason and "noms proches" in candidate.reason


def test_same_siret_same_address_different_names_are_flagged():
    StructureFactory(source="dora", siret=SIRET, nom="Espace emploi", adresse="3 Rue de la Gare", code_insee="44109")
    StructureFactory(
        source="soliguide", siret=SIRET, nom="Point relais", adresse="3 rue de la gare", code_insee="44109"
    )
    assert detect_duplicates() == 1
    assert "même adresse" in DuplicateCandidate.objects.get().reason


def test_same_source_or_different_siret_or_distant_names_are_not_flagged():
    StructureFactory(source="dora", siret=SIRET, nom="Mission Locale", adresse="1 rue A")
    StructureFactory(source="dora", siret=SIRET, nom="Mission Locale", adresse="1 rue A")  # same source
    StructureFactory(source="soliguide", siret="", nom="Mission Locale", adresse="1 rue A")  # no SIRET
    StructureFactory(source="mes-aides", siret=SIRET, nom="Restos du cœur", adresse="9 avenue B")
    assert detect_duplicates() == 0
    assert not DuplicateCandidate.objects.exists()


def test_services_with_the_same_normalised_name_at_one_structure_are_flagged():
    structure = StructureFactory()
    a = ServiceFactory(structure=structure, nom="Atelier CV")
    b = ServiceFactory(structure=structure, nom="ATELIER  CV !")
    ServiceFactory(structure=structure, nom="Permanence logement")
    ServiceFactory(nom="Atelier CV")  # another structure, no shared SIRET
    assert detect_duplicates() == 1
    assert service_pairs() == {(min(a.pk, b.pk), max(a.pk, b.pk))}


def test_services_of_two_sources_at_structures_sharing_a_siret_are_flagged():
    first = StructureFactory(source="dora", siret=SIRET, nom="Maison de l'emploi")
    second = StructureFactory(source="soliguide", siret=SIRET, nom="Maison emploi Nantes Métropole")
    a = ServiceFactory(structure=first, source="dora", nom="Cours de français")
    b = ServiceFactory(structure=second, source="soliguide", nom="COURS DE FRANCAIS")
    detect_duplicates()
    assert (min(a.pk, b.pk), max(a.pk, b.pk)) in service_pairs()


def test_detection_is_idempotent_and_never_recreates_a_decided_pair():
    structure = StructureFactory()
    ServiceFactory(structure=structure, nom="Atelier CV")
    ServiceFactory(structure=structure, nom="Atelier CV")
    assert detect_duplicates() == 1
    assert detect_duplicates() == 0
    DuplicateCandidate.objects.update(status=DuplicateStatus.DISTINCT)
    assert detect_duplicates() == 0
    assert DuplicateCandidate.objects.get().status == DuplicateStatus.DISTINCT


def test_pairs_are_stored_in_id_order():
    structure = StructureFactory()
    for _ in range(3):
        ServiceFactory(structure=structure, nom="Atelier CV")
    assert detect_duplicates() == 3
    assert all(first < second for first, second in service_pairs())
