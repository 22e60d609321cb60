import functools

from django import forms
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from parcours.directory import vocabulary
from parcours.directory.search import DEFAULT_DISTANCE_KM, MAX_DISTANCE_KM, MIN_DISTANCE_KM, SearchCriteria
from parcours.directory.selectors import criteria_with_commune
from parcours.people.languages import language_choices
from parcours.territories.models import Commune
from parcours.territories.selectors import commune_suggestions, find_commune
from parcours.www.widgets import FastSelect, FastSelectMultiple

DISTANCE_MESSAGE = gettext_lazy("La distance doit être comprise entre %(min)s et %(max)s km.") % {
    "min": MIN_DISTANCE_KM,
    "max": MAX_DISTANCE_KM,
}


# Django's message quotes the whole value given; a value pasted by mistake may be very long.
INVALID_CHOICE = {
    "invalid_choice": gettext_lazy(
        "Sélectionnez un choix valide : « %(value).80s » ne fait pas partie des choix possibles."
    )
}


def thematique_choices() -> list:
    """Thématiques grouped by category (an <optgroup> each, in the package's order); each group
    starts with its whole category, whose value is the category code (no "--")."""
    groups = []
    for code, category_label in vocabulary.choices(vocabulary.CATEGORIE):
        items = [
            (value, label)
            for value, label in vocabulary.choices(vocabulary.THEMATIQUE)
            if vocabulary.thematique_category(value) == code
        ]
        if items:
            whole = (code, _("%(category)s : toutes les thématiques") % {"category": category_label})
            groups.append((category_label, [whole, *items]))
    return groups


def _with_blank(choices: list[tuple[str, str]], blank: str) -> list[tuple[str, str]]:
    return [("", blank), *choices]


@functools.lru_cache(maxsize=4)
def _choices(language: str) -> dict[str, list]:
    """The form's lists, built once per interface language (they come from the schema package and the
    language list, which do not change while the server runs)."""
    return {
        "thematiques": thematique_choices(),
        "public": _with_blank(vocabulary.choices(vocabulary.PUBLIC), _("Tous les publics")),
        "type": _with_blank(vocabulary.choices(vocabulary.TYPE_SERVICE), _("Tous les types")),
        "frais": _with_blank(vocabulary.choices(vocabulary.FRAIS), _("Gratuit ou payant")),
        "mode_accueil": _with_blank(vocabulary.choices(vocabulary.MODE_ACCUEIL), _("Tous les modes")),
        "language": language_choices(),
    }


class DirectorySearchForm(forms.Form):
    thematiques = forms.MultipleChoiceField(
        label=gettext_lazy("Thématiques"),
        help_text=gettext_lazy("Plusieurs choix possibles (Ctrl ou Cmd + clic)."),
        required=False,
        widget=FastSelectMultiple(attrs={"size": 8}),
        error_messages=INVALID_CHOICE,
    )
    public = forms.ChoiceField(
        widget=FastSelect, error_messages=INVALID_CHOICE, label=gettext_lazy("Public"), required=False
    )
    type = forms.ChoiceField(
        widget=FastSelect, error_messages=INVALID_CHOICE, label=gettext_lazy("Type de service"), required=False
    )
    frais = forms.ChoiceField(
        widget=FastSelect, error_messages=INVALID_CHOICE, label=gettext_lazy("Frais"), required=False
    )
    mode_accueil = forms.ChoiceField(
        widget=FastSelect, error_messages=INVALID_CHOICE, label=gettext_lazy("Mode d'accueil"), required=False
    )
    language = forms.ChoiceField(
        widget=FastSelect, error_messages=INVALID_CHOICE, label=gettext_lazy("Langue de la personne"), required=False
    )
    free_places_only = forms.BooleanField(label=gettext_lazy("Places libres uniquement"), required=False)
    commune = forms.CharField(
        label=gettext_lazy("Commune ou code postal"),
        help_text=gettext_lazy("Par exemple : Rezé, 44400 ou 44143 (code INSEE)."),
        required=False,
        max_length=150,
    )
    distance_km = forms.IntegerField(
        label=gettext_lazy("Distance maximale (km)"),
        required=False,
        min_value=MIN_DISTANCE_KM,
        max_value=MAX_DISTANCE_KM,
        error_messages={
            "min_value": DISTANCE_MESSAGE,
            "max_value": DISTANCE_MESSAGE,
            "invalid": gettext_lazy("La distance doit être un nombre entier de kilomètres."),
        },
    )
    include_remote = forms.BooleanField(label=gettext_lazy("Inclure les services à distance"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.commune_found: Commune | None = None
        for name, choices in _choices(get_language()).items():
            self.fields[name].choices = choices
        self.fields["distance_km"].widget.attrs.update({"min": MIN_DISTANCE_KM, "max": MAX_DISTANCE_KM})

    def clean_commune(self) -> str:
        value = self.cleaned_data.get("commune", "").strip()
        if not value:
            return ""
        commune = find_commune(value)
        if commune is None:
            suggestions = commune_suggestions(value, limit=3)
            message = _("Commune inconnue : « %(value)s ».") % {"value": value}
            if suggestions:
                message += " " + _("Vouliez-vous dire : %(names)s ?") % {
                    "names": ", ".join(str(commune) for commune in suggestions)
                }
            else:
                message += " " + _("Vérifiez l'orthographe ou saisissez le code postal.")
            raise forms.ValidationError(message)
        self.commune_found = commune
        return value

    def criteria(self) -> SearchCriteria:
        data = self.cleaned_data
        criteria = SearchCriteria(
            thematiques=list(data.get("thematiques") or []),
            publics=[data["public"]] if data.get("public") else [],
            type=data.get("type") or "",
            frais=data.get("frais") or "",
            mode_accueil=data.get("mode_accueil") or "",
            languages=[data["language"]] if data.get("language") else [],
            free_places_only=bool(data.get("free_places_only")),
            distance_km=data.get("distance_km") or DEFAULT_DISTANCE_KM,
            include_remote=bool(data.get("include_remote")),
        )
        if self.commune_found is not None:
            criteria = criteria_with_commune(criteria, self.commune_found)
        return criteria
