"""Form fields for the person's codes, checked against the people domain's vocabularies."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from parcours.people.models import KNOWN_LANGUAGE_CODES, validate_country_code


class LanguagesField(forms.CharField):
    """Languages spoken as ISO 639 codes typed in one field ("fr, ar, prs"), stored as a list."""

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value

    def to_python(self, value):
        value = super().to_python(value)
        codes: list[str] = []
        for raw in value.replace(";", ",").replace(" ", ",").split(","):
            code = raw.strip().lower()
            if code and code not in codes:
                codes.append(code)
        return codes

    def validate(self, value):
        super().validate(value)
        unknown = [code for code in value if code not in KNOWN_LANGUAGE_CODES]
        if unknown:
            raise ValidationError(
                _("Code de langue inconnu : %(codes)s. Utilisez les codes ISO 639 (ex. fr, ar, prs, uk).")
                % {"codes": ", ".join(unknown)}
            )


class CountryCodeField(forms.CharField):
    """An ISO 3166 country code, typed in any case."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 2)
        super().__init__(**kwargs)
        self.validators.append(validate_country_code)

    def to_python(self, value):
        return super().to_python(value).strip().upper()
