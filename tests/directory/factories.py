"""Factories for the offer. Services get their search fields (effective point, facets) set the way
the import and the declaration pages set them: records.refresh_search_fields before save."""

import datetime

import factory
from factory.django import DjangoModelFactory

from parcours.directory import records
from parcours.directory.models import PARCOURS_SOURCE, Service, ServiceStatus, Structure

# Known points (INSEE code, name, latitude, longitude) for distance tests.
NANTES = ("44109", "Nantes", 47.2316, -1.5483)
REZE = ("44143", "Rezé", 47.1833, -1.5500)
SAINT_NAZAIRE = ("44184", "Saint-Nazaire", 47.2806, -2.2086)
ANGERS = ("49007", "Angers", 47.4784, -0.5632)


class StructureFactory(DjangoModelFactory):
    class Meta:
        model = Structure

    source = PARCOURS_SOURCE
    source_id = factory.Sequence(lambda n: f"structure-{n}")
    nom = factory.Sequence(lambda n: f"Structure {n}")
    date_maj = factory.LazyFunction(lambda: datetime.date(2025, 1, 15))
    commune = NANTES[1]
    code_insee = NANTES[0]
    code_postal = "44000"
    adresse = "1 rue de la Paix"
    latitude = NANTES[2]
    longitude = NANTES[3]


class ServiceFactory(DjangoModelFactory):
    """A published service at its structure's point. `place=REZE` puts it (and a new structure) in
    a known commune."""

    class Meta:
        model = Service

    structure = factory.SubFactory(StructureFactory)
    source = PARCOURS_SOURCE
    source_id = factory.Sequence(lambda n: f"service-{n}")
    nom = factory.Sequence(lambda n: f"Service {n}")
    description = "Un service d'accompagnement de proximité."
    date_maj = factory.LazyFunction(lambda: datetime.date(2025, 1, 15))
    type = "accompagnement"
    thematiques = factory.LazyFunction(lambda: ["lecture-ecriture-calcul--maitriser-le-francais"])
    publics = factory.LazyFunction(lambda: ["personnes-exilees"])
    frais = "gratuit"
    modes_accueil = factory.LazyFunction(lambda: ["en-presentiel"])
    zone_eligibilite = factory.LazyFunction(list)
    languages = factory.LazyFunction(lambda: ["fr"])
    status = ServiceStatus.PUBLISHED

    class Params:
        draft = factory.Trait(status=ServiceStatus.DRAFT)
        archived = factory.Trait(status=ServiceStatus.ARCHIVED)
        remote = factory.Trait(modes_accueil=["a-distance"])

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        place = kwargs.pop("place", None)
        if place is not None:
            code, name, lat, lon = place
            kwargs.setdefault("code_insee", code)
            kwargs.setdefault("commune", name)
            kwargs.setdefault("latitude", lat)
            kwargs.setdefault("longitude", lon)
            structure = kwargs["structure"]
            if structure.code_insee != code:
                # The structure stands in the same commune (its address is the one shown).
                structure.commune, structure.code_insee, structure.latitude, structure.longitude = name, code, lat, lon
                structure.code_postal = ""
                structure.save()
        service = model_class(*args, **kwargs)
        records.refresh_search_fields(service, service.structure)
        service.save()
        return service
