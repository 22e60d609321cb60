"""Helpers for the offer tests, on top of the directory factories."""

import datetime

from django.utils import timezone
from factory.django import DjangoModelFactory

from parcours.directory.models import DuplicateCandidate
from tests.directory.factories import ServiceFactory, StructureFactory
from tests.factories import OrganisationFactory

LONG_DESCRIPTION = (
    "Atelier collectif et accompagnement individuel pour apprendre le français à l'oral et à l'écrit, "
    "en lien avec la vie quotidienne, les démarches administratives et la recherche d'emploi. "
    "Les cours ont lieu deux matinées par semaine en petits groupes."
)


def days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def operated_service(organisation=None, **kwargs):
    """A service operated by `organisation` (created if absent), at a structure of its own, updated
    today unless told otherwise."""
    organisation = organisation or OrganisationFactory()
    structure = kwargs.pop("structure", None) or StructureFactory(organisation=organisation)
    kwargs.setdefault("date_maj", timezone.localdate())
    return ServiceFactory(structure=structure, operator=organisation, **kwargs)


class DuplicateCandidateFactory(DjangoModelFactory):
    class Meta:
        model = DuplicateCandidate

    reason = "Même nom de service"
    score = 1.0


def valid_data(**overrides) -> dict:
    """What the service form gives `save_service` for a complete service."""
    data = {
        "nom": "Cours de français langue étrangère",
        "description": LONG_DESCRIPTION,
        "lien_source": None,
        "type": "formation",
        "thematiques": ["lecture-ecriture-calcul--maitriser-le-francais"],
        "frais": "gratuit",
        "frais_precisions": "",
        "publics": ["personnes-exilees"],
        "publics_precisions": "",
        "conditions_acces": "",
        "commune": "Nantes",
        "code_postal": "44000",
        "code_insee": "44109",
        "adresse": "2 rue de la Paix",
        "complement_adresse": "",
        "longitude": None,
        "latitude": None,
        "telephone": "0240000000",
        "courriel": "accueil@asso-solidarite.fr",
        "horaires_accueil": "",
        "modes_accueil": ["en-presentiel"],
        "zone_eligibilite": ["44"],
        "contact_nom_prenom": "",
        "lien_mobilisation": None,
        "modes_mobilisation": ["telephoner"],
        "mobilisable_par": ["professionnels"],
        "mobilisation_precisions": "",
        "volume_horaire_hebdomadaire": 6.0,
        "nombre_semaines": 12,
        "languages": ["fr", "ar"],
        "interpreting": True,
        "places_total": 12,
        "places_free": 3,
        "waiting_days": 10,
        "next_sessions": [],
    }
    data.update(overrides)
    return data


__all__ = [
    "DuplicateCandidateFactory",
    "ServiceFactory",
    "StructureFactory",
    "days_ago",
    "operated_service",
    "valid_data",
]
