"""The service form: every data·inclusion v1 service field (vocabularies from the schema package), plus
what Parcours adds (languages, interpreting, capacity). The form only parses what is typed; the rules
(vocabularies, INSEE codes, free places within the total) are the service's, whose errors come back
next to the fields."""

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from parcours.directory import vocabulary
from parcours.directory.models import Service, Structure
from parcours.directory.services import EDITABLE_V1_FIELDS
from parcours.territories import geo
from parcours.territories.selectors import find_commune
from parcours.www.fields import LanguagesField

_SEPARATORS = re.compile(r"[\s,;]+")
NATIONAL = "france"


def _multi(label, choices, help_text=""):
    return forms.MultipleChoiceField(
        label=label,
        choices=choices,
        required=False,
        help_text=help_text,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": gettext_lazy("Valeur inconnue du vocabulaire data·inclusion : %(value)s.")},
    )


def _single(label, choices):
    return forms.ChoiceField(
        label=label,
        choices=[("", "—"), *choices],
        required=False,
        error_messages={"invalid_choice": gettext_lazy("Valeur inconnue du vocabulaire data·inclusion : %(value)s.")},
    )


def _text(label, max_length, *, required=False, textarea=False, help_text=""):
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 4}) if textarea else None,
        error_messages={
            "required": gettext_lazy("Ce champ est obligatoire."),
            "max_length": gettext_lazy("Ce texte ne peut dépasser %(limit_value)s caractères."),
        },
    )


class SessionDatesField(forms.CharField):
    """Next session dates typed in one field ("15/09/2025, 03/11/2025"), as a list of dates."""

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(dt.date.fromisoformat(str(v)).strftime("%d/%m/%Y") for v in value)
        return value

    def to_python(self, value):
        value = super().to_python(value)
        dates: list[dt.date] = []
        for raw in _SEPARATORS.split(value.strip()):
            if not raw:
                continue
            for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
                try:
                    dates.append(dt.datetime.strptime(raw, fmt).date())
                    break
                except ValueError:
                    continue
            else:
                raise forms.ValidationError(
                    _(
                        "Date invalide : « %(value)s ». Écrivez les dates au format JJ/MM/AAAA, séparées par des virgules."
                    )
                    % {"value": raw[:40]}
                )
        return dates


def _count(label, help_text=""):
    # No lower bound here: the service refuses negative numbers with its own message.
    return forms.IntegerField(
        label=label,
        required=False,
        help_text=help_text,
        error_messages={"invalid": gettext_lazy("Saisissez un nombre entier.")},
    )


class CapacityForm(forms.Form):
    places_total = _count(gettext_lazy("Places au total"))
    places_free = _count(gettext_lazy("Places libres"))
    waiting_days = _count(gettext_lazy("Délai d'attente (jours)"))
    next_sessions = SessionDatesField(
        label=gettext_lazy("Prochaines sessions"),
        required=False,
        help_text=gettext_lazy("Dates au format JJ/MM/AAAA, séparées par des virgules."),
    )

    @classmethod
    def initial_for(cls, service: Service) -> dict[str, Any]:
        return {name: getattr(service, name) for name in cls.base_fields}


class ServiceForm(CapacityForm):
    nom = _text(
        gettext_lazy("Nom du service"), 150, required=True, help_text=gettext_lazy("Entre 3 et 150 caractères.")
    )
    description = _text(
        gettext_lazy("Description"),
        10000,
        required=True,
        textarea=True,
        help_text=gettext_lazy("Idéalement entre 200 et 2 000 caractères, en phrases courtes et simples."),
    )
    type = _single(gettext_lazy("Type de service"), vocabulary.choices(vocabulary.TYPE_SERVICE))
    thematiques = _multi(gettext_lazy("Thématiques"), vocabulary.grouped_thematiques())
    publics = _multi(
        gettext_lazy("Publics"),
        vocabulary.choices(vocabulary.PUBLIC),
        gettext_lazy("« Tous publics » ne se combine pas avec d'autres publics."),
    )
    publics_precisions = _text(gettext_lazy("Précisions sur les publics"), 2000, textarea=True)
    frais = _single(gettext_lazy("Frais"), vocabulary.choices(vocabulary.FRAIS))
    frais_precisions = _text(gettext_lazy("Précisions sur les frais"), 2000, textarea=True)
    conditions_acces = _text(gettext_lazy("Conditions d'accès"), 2000, textarea=True)
    modes_accueil = _multi(gettext_lazy("Modes d'accueil"), vocabulary.choices(vocabulary.MODE_ACCUEIL))
    toute_la_france = forms.BooleanField(label=gettext_lazy("Service ouvert à toute la France"), required=False)
    zone_eligibilite = forms.CharField(
        label=gettext_lazy("Zone d'éligibilité"),
        required=False,
        max_length=5000,
        help_text=gettext_lazy(
            "Codes INSEE séparés par des espaces ou des virgules : commune (44109), département (44), "
            "EPCI (SIREN à 9 chiffres). Pour une région, listez ses départements."
        ),
    )
    adresse = _text(gettext_lazy("Adresse"), 255)
    complement_adresse = _text(gettext_lazy("Complément d'adresse"), 255)
    code_postal = _text(gettext_lazy("Code postal"), 5)
    commune = _text(gettext_lazy("Commune"), 150)
    code_insee = _text(gettext_lazy("Code INSEE de la commune"), 5)
    latitude = forms.FloatField(
        label=gettext_lazy("Latitude"), required=False, error_messages={"invalid": gettext_lazy("Saisissez un nombre.")}
    )
    longitude = forms.FloatField(
        label=gettext_lazy("Longitude"),
        required=False,
        error_messages={"invalid": gettext_lazy("Saisissez un nombre.")},
    )
    telephone = _text(gettext_lazy("Téléphone"), 50)
    courriel = forms.EmailField(
        label=gettext_lazy("Courriel"),
        required=False,
        max_length=254,
        error_messages={"invalid": gettext_lazy("Saisissez une adresse électronique valide.")},
    )
    contact_nom_prenom = _text(gettext_lazy("Contact (nom et prénom)"), 200)
    horaires_accueil = _text(
        gettext_lazy("Horaires d'accueil"),
        500,
        help_text=gettext_lazy("Au format OpenStreetMap, par exemple : Mo-Fr 09:00-12:00; PH off"),
    )
    lien_source = forms.URLField(
        label=gettext_lazy("Lien vers la fiche du service"),
        required=False,
        max_length=500,
        assume_scheme="https",
        error_messages={"invalid": gettext_lazy("Saisissez un lien (URL) valide.")},
    )
    modes_mobilisation = _multi(gettext_lazy("Modes de mobilisation"), vocabulary.choices(vocabulary.MODE_MOBILISATION))
    mobilisable_par = _multi(gettext_lazy("Mobilisable par"), vocabulary.choices(vocabulary.PERSONNE_MOBILISATRICE))
    lien_mobilisation = forms.URLField(
        label=gettext_lazy("Lien de mobilisation"),
        required=False,
        max_length=500,
        assume_scheme="https",
        error_messages={"invalid": gettext_lazy("Saisissez un lien (URL) valide.")},
    )
    mobilisation_precisions = _text(gettext_lazy("Précisions sur la mobilisation"), 2000, textarea=True)
    volume_horaire_hebdomadaire = forms.FloatField(
        label=gettext_lazy("Volume horaire hebdomadaire (heures)"),
        required=False,
        error_messages={"invalid": gettext_lazy("Saisissez un nombre.")},
    )
    nombre_semaines = forms.IntegerField(
        label=gettext_lazy("Nombre de semaines"),
        required=False,
        error_messages={"invalid": gettext_lazy("Saisissez un nombre entier.")},
    )
    languages = LanguagesField(
        label=gettext_lazy("Langues dans lesquelles le service peut être délivré"),
        required=False,
        help_text=gettext_lazy("Codes ISO 639 séparés par des virgules (ex. fr, ar, prs, uk)."),
    )
    interpreting = forms.BooleanField(label=gettext_lazy("Interprétariat possible"), required=False)

    MULTI_FIELDS = ("thematiques", "publics", "modes_accueil", "modes_mobilisation", "mobilisable_par")
    # Sections of the page, in order (the template shows each as a fieldset).
    SECTIONS = (
        (gettext_lazy("Le service"), ("nom", "description", "type", "thematiques")),
        (
            gettext_lazy("Pour qui"),
            ("publics", "publics_precisions", "conditions_acces", "toute_la_france", "zone_eligibilite"),
        ),
        (gettext_lazy("Frais"), ("frais", "frais_precisions")),
        (
            gettext_lazy("Où et quand"),
            (
                "modes_accueil",
                "adresse",
                "complement_adresse",
                "code_postal",
                "commune",
                "code_insee",
                "latitude",
                "longitude",
                "horaires_accueil",
                "volume_horaire_hebdomadaire",
                "nombre_semaines",
            ),
        ),
        (
            gettext_lazy("Contact et mobilisation"),
            (
                "modes_mobilisation",
                "mobilisable_par",
                "mobilisation_precisions",
                "contact_nom_prenom",
                "telephone",
                "courriel",
                "lien_mobilisation",
                "lien_source",
            ),
        ),
        (gettext_lazy("Langues"), ("languages", "interpreting")),
        (gettext_lazy("Places"), ("places_total", "places_free", "waiting_days", "next_sessions")),
    )

    def choice_groups(self, name: str) -> list[tuple[str, list, bool]]:
        """The checkboxes of a multi-valued field as (group label, checkboxes, has a checked box): one
        group per category for grouped choices (thématiques), a single unnamed group otherwise."""
        boxes = list(self[name].subwidgets)
        groups, position = [], 0
        for label, items in self.fields[name].choices:
            if isinstance(items, list | tuple):
                chunk = boxes[position : position + len(items)]
                position += len(items)
                groups.append((label, chunk, any(box.data["selected"] for box in chunk)))
            else:
                position += 1
        if not groups:
            groups.append(("", boxes, False))
        return groups

    def sections(self):
        """(title, [(bound field, checkbox groups or None)]) for the template."""
        return [
            (
                title,
                [(self[name], self.choice_groups(name) if name in self.MULTI_FIELDS else None) for name in names],
            )
            for title, names in self.SECTIONS
        ]

    def clean_zone_eligibilite(self) -> list[str]:
        codes: list[str] = []
        for raw in _SEPARATORS.split(self.cleaned_data.get("zone_eligibilite", "").strip()):
            if not raw:
                continue
            code = NATIONAL if raw.lower() == NATIONAL else raw.upper()
            if code not in codes:
                codes.append(code)
        return codes

    def clean(self):
        data = super().clean()
        if data.get("toute_la_france"):
            data["zone_eligibilite"] = [NATIONAL]
        return data

    def to_data(self) -> dict[str, Any]:
        """The v1-shaped dict (plus the Parcours fields) that `save_service` takes."""
        data = self.cleaned_data
        result: dict[str, Any] = {}
        for name in EDITABLE_V1_FIELDS:
            value = data.get(name)
            result[name] = value.strip() if isinstance(value, str) else value
        for name in ("languages", "interpreting", "places_total", "places_free", "waiting_days", "next_sessions"):
            result[name] = data.get(name)
        return result

    @classmethod
    def initial_for(cls, service: Service) -> dict[str, Any]:
        initial: dict[str, Any] = {}
        for name in cls.base_fields:
            if hasattr(service, name):
                initial[name] = getattr(service, name)
        zone = service.zone_eligibilite or []
        initial["toute_la_france"] = zone == [NATIONAL]
        initial["zone_eligibilite"] = "" if zone == [NATIONAL] else " ".join(zone)
        return initial


DECISIONS = (("same", gettext_lazy("Identiques")), ("distinct", gettext_lazy("Distincts")))


class DuplicateDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=DECISIONS,
        error_messages={
            "invalid_choice": gettext_lazy("Décision inconnue."),
            "required": gettext_lazy("Choisissez une décision."),
        },
    )


def _url(label, help_text=""):
    return forms.URLField(
        label=label,
        required=False,
        max_length=500,
        assume_scheme="https",
        help_text=help_text,
        error_messages={"invalid": gettext_lazy("Saisissez un lien (URL) valide.")},
    )


def _coordinate(label):
    return forms.FloatField(
        label=label, required=False, error_messages={"invalid": gettext_lazy("Saisissez un nombre.")}
    )


class StructureForm(forms.Form):
    """The organisation's own structure: every data·inclusion v1 structure field but its identity. The
    commune is typed as a name or a postcode and resolved in the referential (commune, postcode, code
    INSEE); the rules (SIRET key, coordinates in France…) are the service's."""

    nom = _text(
        gettext_lazy("Nom de la structure"), 150, required=True, help_text=gettext_lazy("Entre 3 et 150 caractères.")
    )
    description = _text(gettext_lazy("Description"), 10000, textarea=True)
    siret = forms.CharField(
        label=gettext_lazy("SIRET"),
        required=False,
        max_length=20,
        help_text=gettext_lazy("14 chiffres."),
        error_messages={"max_length": gettext_lazy("Un numéro SIRET compte 14 chiffres.")},
    )
    reseaux_porteurs = _multi(
        gettext_lazy("Réseaux porteurs"),
        [(gettext_lazy("Afficher les réseaux"), vocabulary.choices(vocabulary.RESEAU_PORTEUR))],
        gettext_lazy("Les réseaux nationaux dont la structure fait partie."),
    )
    adresse = _text(gettext_lazy("Adresse"), 255)
    complement_adresse = _text(gettext_lazy("Complément d'adresse"), 255)
    commune = _text(
        gettext_lazy("Commune"),
        200,
        help_text=gettext_lazy("Nom ou code postal, par exemple : Nantes, 44000 ou Saint-Herblain (44800)."),
    )
    latitude = _coordinate(gettext_lazy("Latitude"))
    longitude = _coordinate(gettext_lazy("Longitude"))
    horaires_accueil = _text(
        gettext_lazy("Horaires d'accueil"),
        500,
        help_text=gettext_lazy("Au format OpenStreetMap, par exemple : Mo-Fr 09:00-12:00; PH off"),
    )
    accessibilite_lieu = _url(
        gettext_lazy("Accessibilité du lieu"), gettext_lazy("Lien vers la fiche Acceslibre du lieu d'accueil.")
    )
    telephone = _text(gettext_lazy("Téléphone"), 50)
    courriel = forms.EmailField(
        label=gettext_lazy("Courriel"),
        required=False,
        max_length=254,
        error_messages={"invalid": gettext_lazy("Saisissez une adresse électronique valide.")},
    )
    site_web = _url(gettext_lazy("Site web"))
    lien_source = _url(gettext_lazy("Lien vers la fiche de la structure"))

    MULTI_FIELDS = ("reseaux_porteurs",)
    SECTIONS = (
        (gettext_lazy("La structure"), ("nom", "description", "siret", "reseaux_porteurs")),
        (
            gettext_lazy("Lieu d'accueil"),
            (
                "adresse",
                "complement_adresse",
                "commune",
                "latitude",
                "longitude",
                "horaires_accueil",
                "accessibilite_lieu",
            ),
        ),
        (gettext_lazy("Contact"), ("telephone", "courriel", "site_web", "lien_source")),
    )
    # Same rendering as the service form (one fieldset per section, checkboxes in a disclosure).
    choice_groups = ServiceForm.choice_groups
    sections = ServiceForm.sections

    def clean_siret(self) -> str:
        siret = re.sub(r"[\s.]+", "", self.cleaned_data.get("siret", ""))
        if siret and not (len(siret) == 14 and siret.isascii() and siret.isdigit()):
            raise forms.ValidationError(_("Un numéro SIRET compte 14 chiffres."))
        return siret

    def clean_commune(self) -> dict[str, str]:
        """The commune typed, resolved to {commune, code_postal, code_insee} (all empty if blank)."""
        text = self.cleaned_data.get("commune", "").strip()
        if not text:
            return {"commune": "", "code_postal": "", "code_insee": ""}
        commune = find_commune(text)
        if commune is None:
            raise forms.ValidationError(
                _("Commune inconnue : « %(value)s ». Vérifiez le nom ou saisissez le code postal.")
                % {"value": text[:80]}
            )
        postcodes = sorted(commune.postcodes or [])
        typed = [code for code in re.findall(r"\b[0-9]{5}\b", text) if code in postcodes]
        postcode = typed[0] if typed else (postcodes[0] if postcodes else "")
        return {"commune": commune.name, "code_postal": postcode, "code_insee": commune.insee_code}

    def to_data(self) -> dict[str, Any]:
        """The v1-shaped dict that `save_structure` takes."""
        data = dict(self.cleaned_data)
        result: dict[str, Any] = {}
        for name, value in data.items():
            if name == "commune":
                result.update(value)
            else:
                result[name] = value.strip() if isinstance(value, str) else value
        return result

    @classmethod
    def initial_for(cls, structure: Structure) -> dict[str, Any]:
        initial = {name: getattr(structure, name) for name in cls.base_fields if name != "commune"}
        if structure.commune and structure.code_postal:
            initial["commune"] = f"{structure.commune} ({structure.code_postal})"
        elif structure.commune and geo.is_valid_insee_commune_code(structure.code_insee):
            initial["commune"] = f"{structure.commune} ({geo.departement_of_insee(structure.code_insee)})"
        else:
            initial["commune"] = structure.commune or structure.code_insee
        return initial
