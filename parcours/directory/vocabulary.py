"""The data·inclusion v1 vocabularies, read from the `data-inclusion-schema` package (never retyped),
as Django choices and lookups. Pure: no ORM."""

from collections.abc import Iterable
from enum import Enum

from data_inclusion.schema import v1

THEMATIQUE = v1.Thematique
CATEGORIE = v1.Categorie
PUBLIC = v1.Public
TYPE_SERVICE = v1.TypeService
FRAIS = v1.Frais
MODE_ACCUEIL = v1.ModeAccueil
MODE_MOBILISATION = v1.ModeMobilisation
PERSONNE_MOBILISATRICE = v1.PersonneMobilisatrice
RESEAU_PORTEUR = v1.ReseauPorteur


def choices(enum: type[Enum]) -> list[tuple[str, str]]:
    """(value, French label) pairs, in the package's order."""
    return [(member.value, member.label) for member in enum]  # type: ignore[attr-defined]


def label(enum: type[Enum], value: str) -> str:
    try:
        return enum(value).label  # type: ignore[attr-defined]
    except ValueError:
        return value


def unknown_values(enum: type[Enum], values: Iterable[str]) -> list[str]:
    known = {member.value for member in enum}
    return [value for value in values if value not in known]


def thematique_category(value: str) -> str:
    """ "famille--garde-denfants" belongs to the category "famille"."""
    return value.split("--", 1)[0]


def grouped_thematiques() -> list[tuple[str, list[tuple[str, str]]]]:
    """Thématiques grouped under their category label, for a grouped <select>."""
    groups: dict[str, list[tuple[str, str]]] = {member.value: [] for member in CATEGORIE}
    for member in THEMATIQUE:
        groups.setdefault(thematique_category(member.value), []).append((member.value, member.label))
    return [(label(CATEGORIE, category), items) for category, items in groups.items() if items]


# data·inclusion codes for a nationwide zone d'éligibilité.
NATIONAL_ZONE_CODES = frozenset({"france", "99100"})
