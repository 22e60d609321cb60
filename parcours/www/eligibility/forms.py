"""The programme declaration form: the programme's fields, and its eligibility rules and step
template as JSON (the same shape as a programme file, docs/programmes.md). The form checks that the
JSON parses and that each rule is valid (a French message per criterion); the referentials (ROME
codes, operators, a code already taken) are the service's job, whose messages come back on the
fields of the same name."""

import json
import re

from django import forms
from django.utils.translation import gettext_lazy as _

from parcours.programmes import enums
from parcours.programmes.eligibility import validate_rules
from parcours.programmes.indicators import CODES as INDICATOR_CODES
from parcours.programmes.models import TEXT_MAX_LENGTH

_SEPARATORS = re.compile(r"[\s,;]+")
JSON_TEXTAREA = forms.Textarea(attrs={"rows": 12, "spellcheck": "false"})

INDICATOR_LABELS = {
    "entrants": _("Entrées dans le programme"),
    "completion_rate": _("Taux de parcours terminés"),
    "french_certification_rate": _("Taux de certification en français"),
    "certification_rate": _("Taux de certification professionnelle"),
    "positive_exit_rate": _("Taux de sorties positives"),
    "employment_6_months": _("En emploi 6 mois après la sortie"),
}


class _NonFiniteNumber(ValueError):
    def __init__(self, constant: str):
        super().__init__(constant)
        self.constant = constant


def _refuse_constant(constant: str):
    """json.loads accepts NaN, Infinity and -Infinity, which are not JSON (and which PostgreSQL refuses)."""
    raise _NonFiniteNumber(constant)


def _json(value: str, *, what: str):
    if not value.strip():
        return []
    try:
        parsed = json.loads(value, parse_constant=_refuse_constant)
    except _NonFiniteNumber as exc:
        raise forms.ValidationError(
            _("%(what)s : « %(constant)s » n'est pas un nombre accepté ; indiquez un nombre fini.")
            % {"what": what, "constant": exc.constant}
        ) from None
    except json.JSONDecodeError as exc:
        raise forms.ValidationError(
            _("%(what)s : JSON invalide à la ligne %(line)d, colonne %(col)d (%(msg)s).")
            % {"what": what, "line": exc.lineno, "col": exc.colno, "msg": exc.msg}
        ) from None
    if not isinstance(parsed, list):
        raise forms.ValidationError(_("%(what)s : une liste JSON [ … ] est attendue.") % {"what": what})
    return parsed


class ProgrammeForm(forms.Form):
    code = forms.SlugField(
        label=_("Code"),
        max_length=60,
        help_text=_("Lettres minuscules, chiffres et tirets ; il apparaît dans l'adresse des pages (ex. hope-44)."),
        error_messages={
            "invalid": _("Le code ne peut contenir que des lettres minuscules, des chiffres et des tirets.")
        },
    )
    name = forms.CharField(label=_("Nom du programme"), max_length=200)
    kind = forms.ChoiceField(label=_("Type de programme"), choices=enums.ProgrammeKind.choices)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}), max_length=TEXT_MAX_LENGTH, required=False
    )
    duration_months = forms.IntegerField(
        label=_("Durée (mois)"),
        min_value=1,
        max_value=60,
        error_messages={
            "min_value": _("La durée est d'au moins 1 mois."),
            "max_value": _("La durée est de 60 mois au plus."),
            "invalid": _("Indiquez un nombre entier de mois."),
        },
    )
    target_publics = forms.MultipleChoiceField(
        label=_("Publics visés"),
        choices=enums.TargetPublic.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    rome_codes = forms.CharField(
        label=_("Métiers préparés (codes ROME)"),
        required=False,
        help_text=_("Séparés par des espaces ou des virgules, ex. F1703 G1602."),
    )
    operators = forms.CharField(
        label=_("Organisations opératrices"),
        required=False,
        help_text=_("SIRET (14 chiffres) ou identifiants Parcours, séparés par des espaces ou des virgules."),
    )
    positive_outcomes = forms.MultipleChoiceField(
        label=_("Situations de sortie comptées comme positives"),
        choices=[c for c in enums.ExitOutcome.choices if c[0] != enums.ExitOutcome.UNKNOWN],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    indicators = forms.MultipleChoiceField(
        label=_("Indicateurs suivis"),
        choices=[(code, INDICATOR_LABELS.get(code, code)) for code in INDICATOR_CODES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    eligibility_rules = forms.CharField(
        label=_("Règles d'éligibilité (JSON)"),
        required=False,
        widget=JSON_TEXTAREA,
        help_text=_(
            'Une liste de critères, tous requis, par exemple [{"field": "age", "op": "between", "value": [18, 64]}]. '
            'Un élément peut être un groupe dont un seul critère suffit : {"any": [critère, critère, …], '
            '"label": "libellé facultatif"}. Les champs et opérateurs possibles sont décrits sous le formulaire.'
        ),
    )
    steps = forms.CharField(
        label=_("Étapes du parcours (JSON)"),
        required=False,
        widget=JSON_TEXTAREA,
        help_text=_(
            'Une liste d\'étapes, par exemple [{"kind": "french", "label": "Cours de français", "week": 1, '
            '"target_hours": 200, "is_required": true}].'
        ),
    )
    is_active = forms.BooleanField(
        label=_("Programme ouvert (proposé aux professionnel·les)"), required=False, initial=True
    )

    def clean_rome_codes(self) -> list[str]:
        return [c.upper() for c in _SEPARATORS.split(self.cleaned_data["rome_codes"]) if c]

    def clean_operators(self) -> list[object]:
        items: list[object] = []
        for token in _SEPARATORS.split(self.cleaned_data["operators"]):
            if not token:
                continue
            # isascii(): str.isdigit() is also true of "²" or "٣", which int() refuses.
            items.append(int(token) if token.isascii() and token.isdigit() and len(token) < 14 else token)
        return items

    def clean_eligibility_rules(self) -> list:
        rules = _json(self.cleaned_data["eligibility_rules"], what=_("Règles d'éligibilité"))
        errors = validate_rules(rules)
        if errors:
            raise forms.ValidationError(errors)
        return rules

    def clean_steps(self) -> list:
        return _json(self.cleaned_data["steps"], what=_("Étapes"))

    def as_data(self) -> dict:
        """The cleaned form in the JSON shape of a programme file."""
        return dict(self.cleaned_data)

    @classmethod
    def initial_from(cls, data: dict) -> dict:
        """The form's initial values from a programme's JSON shape."""
        initial = dict(data)
        initial["rome_codes"] = " ".join(data.get("rome_codes", []))
        initial["operators"] = " ".join(str(o) for o in data.get("operators", []))
        initial["eligibility_rules"] = json.dumps(data.get("eligibility_rules", []), ensure_ascii=False, indent=2)
        initial["steps"] = json.dumps(data.get("steps", []), ensure_ascii=False, indent=2)
        return initial
