"""Readable names for the codes stored on a person (ISO 639 languages, ISO 3166 countries)."""

from django import template
from django.utils.translation import gettext_lazy as _

from parcours.people.languages import language_name

register = template.Library()

# The countries people accompanied in France most often come from, plus neighbours; any other
# code is shown as is (the full ISO 3166 list comes with the referentials issue).
COUNTRY_NAMES = {
    "AF": _("Afghanistan"),
    "AL": _("Albanie"),
    "DZ": _("Algérie"),
    "AO": _("Angola"),
    "AM": _("Arménie"),
    "BD": _("Bangladesh"),
    "BE": _("Belgique"),
    "BJ": _("Bénin"),
    "BF": _("Burkina Faso"),
    "BI": _("Burundi"),
    "CM": _("Cameroun"),
    "CF": _("Centrafrique"),
    "TD": _("Tchad"),
    "CN": _("Chine"),
    "KM": _("Comores"),
    "CG": _("Congo"),
    "CD": _("République démocratique du Congo"),
    "CI": _("Côte d'Ivoire"),
    "DE": _("Allemagne"),
    "EG": _("Égypte"),
    "ER": _("Érythrée"),
    "ES": _("Espagne"),
    "ET": _("Éthiopie"),
    "FR": _("France"),
    "GA": _("Gabon"),
    "GE": _("Géorgie"),
    "GM": _("Gambie"),
    "GN": _("Guinée"),
    "HT": _("Haïti"),
    "IQ": _("Irak"),
    "IR": _("Iran"),
    "IT": _("Italie"),
    "LB": _("Liban"),
    "LY": _("Libye"),
    "MA": _("Maroc"),
    "MG": _("Madagascar"),
    "ML": _("Mali"),
    "MR": _("Mauritanie"),
    "MD": _("Moldavie"),
    "MN": _("Mongolie"),
    "NE": _("Niger"),
    "NG": _("Nigeria"),
    "PK": _("Pakistan"),
    "PS": _("Palestine"),
    "PT": _("Portugal"),
    "RO": _("Roumanie"),
    "RU": _("Russie"),
    "RW": _("Rwanda"),
    "SN": _("Sénégal"),
    "RS": _("Serbie"),
    "SL": _("Sierra Leone"),
    "SO": _("Somalie"),
    "SD": _("Soudan"),
    "SS": _("Soudan du Sud"),
    "LK": _("Sri Lanka"),
    "SY": _("Syrie"),
    "TG": _("Togo"),
    "TN": _("Tunisie"),
    "TR": _("Turquie"),
    "UA": _("Ukraine"),
    "VN": _("Viêt Nam"),
    "YE": _("Yémen"),
    "XK": _("Kosovo"),
    "BA": _("Bosnie-Herzégovine"),
    "MK": _("Macédoine du Nord"),
    "PL": _("Pologne"),
    "BG": _("Bulgarie"),
    "GB": _("Royaume-Uni"),
    "CH": _("Suisse"),
    "LU": _("Luxembourg"),
    "CV": _("Cap-Vert"),
    "BR": _("Brésil"),
    "CO": _("Colombie"),
    "VE": _("Venezuela"),
    "PE": _("Pérou"),
    "EH": _("Sahara occidental"),
    "TJ": _("Tadjikistan"),
    "UZ": _("Ouzbékistan"),
    "KZ": _("Kazakhstan"),
    "BY": _("Biélorussie"),
    "AZ": _("Azerbaïdjan"),
    "MM": _("Birmanie"),
    "NP": _("Népal"),
    "IN": _("Inde"),
}


@register.filter
def country_name(code: str) -> str:
    if not code:
        return ""
    name = COUNTRY_NAMES.get(code.upper())
    return str(name) if name is not None else code


@register.filter
def language_names(codes) -> str:
    return ", ".join(language_name(code) for code in codes or [])
