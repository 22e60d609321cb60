"""Readable names for the codes stored on a person (ISO 639 languages, ISO 3166 countries)."""

from django import template

from parcours.people.countries import country_name
from parcours.people.languages import language_name

register = template.Library()

register.filter("country_name", country_name)


@register.filter
def language_names(codes) -> str:
    return ", ".join(language_name(code) for code in codes or [])
