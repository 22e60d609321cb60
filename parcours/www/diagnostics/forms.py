import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parcours.diagnostics.enums import SENSITIVE_THEMES, AssessmentMethod, CecrlLevel, NeedLevel, Theme
from parcours.diagnostics.models import Diagnostic, Situation
from parcours.people.enums import DataCategory
from parcours.people.languages import language_choices
from parcours.www.widgets import DATE_WIDGET

NOTE_MAX = 2000
SUMMARY_MAX = 4000


def _not_future(value: datetime.date | None, message) -> None:
    if value and value > timezone.localdate():
        raise ValidationError(message)


def visible_themes(categories: frozenset[str]) -> list[str]:
    """Themes the reader may see: the health theme only with consent for health data."""
    return [t for t in Theme.values if t not in SENSITIVE_THEMES or DataCategory.HEALTH in categories]


class DiagnosticForm(forms.Form):
    """One need level, situations and note per theme the recorder may see, plus interpreting and
    summary. Situations come from the nomenclature (active rows), loaded once by the view."""

    interpreting_needed = forms.BooleanField(label=_("Besoin d'un·e interprète"), required=False)
    interpreting_language = forms.ChoiceField(
        label=_("Langue d'interprétariat"),
        required=False,
        error_messages={"invalid_choice": _("Langue inconnue : choisissez une langue de la liste.")},
    )
    summary = forms.CharField(
        label=_("Synthèse du diagnostic"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=SUMMARY_MAX,
        error_messages={"max_length": _("La synthèse ne peut dépasser 4 000 caractères.")},
    )

    def __init__(
        self, *args, themes: list[str], situations: list[Situation], extra_codes: tuple[str, ...] = (), **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.themes = themes
        self.fields["interpreting_language"].choices = language_choices(extra=extra_codes)
        by_theme: dict[str, list[tuple[str, str]]] = {t: [] for t in themes}
        for situation in situations:
            if situation.theme in by_theme:
                by_theme[situation.theme].append((str(situation.pk), situation.label))
        for theme in themes:
            label = Theme(theme).label
            self.fields[f"need_{theme}"] = forms.ChoiceField(
                label=_("Besoin"),
                choices=NeedLevel.choices,
                initial=NeedLevel.NOT_ASSESSED,
                error_messages={"invalid_choice": _("Niveau de besoin inconnu.")},
            )
            self.fields[f"situations_{theme}"] = forms.MultipleChoiceField(
                label=_("Situations"),
                choices=by_theme[theme],
                required=False,
                widget=forms.CheckboxSelectMultiple,
                error_messages={"invalid_choice": _("Situation inconnue pour ce thème.")},
            )
            self.fields[f"note_{theme}"] = forms.CharField(
                label=_("Note (%(theme)s)") % {"theme": label},
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                max_length=NOTE_MAX,
                error_messages={"max_length": _("La note ne peut dépasser 2 000 caractères.")},
            )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("interpreting_needed") and not cleaned.get("interpreting_language"):
            self.add_error("interpreting_language", _("Précisez la langue d'interprétariat."))
        return cleaned

    def theme_groups(self) -> list[dict]:
        """The fields of each theme, for the template (one fieldset per theme)."""
        return [
            {
                "theme": theme,
                "label": Theme(theme).label,
                "need": self[f"need_{theme}"],
                "situations": self[f"situations_{theme}"],
                "note": self[f"note_{theme}"],
            }
            for theme in self.themes
        ]

    def themes_payload(self) -> dict[str, dict]:
        return {
            theme: {
                "need": self.cleaned_data[f"need_{theme}"],
                "situations": [int(s) for s in self.cleaned_data[f"situations_{theme}"]],
                "note": self.cleaned_data[f"note_{theme}"],
            }
            for theme in self.themes
        }

    @staticmethod
    def initial_from(diagnostic: Diagnostic | None, *, active_ids: set[int]) -> dict:
        """Prefill from the latest version (only the themes the selector let through, and only
        situations still active in the nomenclature)."""
        if diagnostic is None:
            return {}
        initial: dict = {
            "interpreting_needed": diagnostic.interpreting_needed,
            "interpreting_language": diagnostic.interpreting_language,
            "summary": diagnostic.summary,
        }
        for assessment in diagnostic.themes.all():
            initial[f"need_{assessment.theme}"] = assessment.need
            initial[f"situations_{assessment.theme}"] = [
                str(s.pk) for s in assessment.situations.all() if s.pk in active_ids
            ]
            initial[f"note_{assessment.theme}"] = assessment.note
        return initial


class LanguageLevelForm(forms.Form):
    """One language assessed; a row left entirely blank is ignored."""

    language = forms.ChoiceField(
        label=_("Langue"),
        required=False,
        error_messages={"invalid_choice": _("Langue inconnue : choisissez une langue de la liste.")},
    )
    level = forms.ChoiceField(
        label=_("Niveau CECRL"),
        required=False,
        choices=[("", "—"), *CecrlLevel.choices],
        error_messages={"invalid_choice": _("Niveau CECRL hors échelle (A1.1 à C2).")},
    )
    method = forms.ChoiceField(
        label=_("Évalué par"),
        required=False,
        choices=[("", "—"), *AssessmentMethod.choices],
        error_messages={"invalid_choice": _("Méthode d'évaluation inconnue.")},
    )
    assessed_on = forms.DateField(
        label=_("Évalué le"),
        required=False,
        widget=DATE_WIDGET,
        error_messages={"invalid": _("Saisissez une date valide (jj/mm/aaaa).")},
    )

    def __init__(self, *args, extra_codes: tuple[str, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = language_choices(extra=extra_codes)

    def clean_assessed_on(self):
        value = self.cleaned_data.get("assessed_on")
        _not_future(value, _("La date d'évaluation ne peut pas être dans le futur."))
        return value

    def clean(self):
        cleaned = super().clean()
        filled = any(cleaned.get(f) for f in ("language", "level", "method", "assessed_on"))
        if filled and not self.errors:
            if not cleaned.get("language"):
                self.add_error("language", _("Choisissez la langue évaluée."))
            if not cleaned.get("level"):
                self.add_error("level", _("Indiquez le niveau CECRL (A1.1 à C2)."))
            if not cleaned.get("method"):
                self.add_error("method", _("Indiquez comment le niveau a été évalué."))
        return cleaned

    def payload(self) -> dict | None:
        data = self.cleaned_data
        if not data.get("language"):
            return None
        return {
            "language": data["language"],
            "level": data["level"],
            "method": data["method"],
            "assessed_on": data.get("assessed_on"),
        }


class BaseLanguageFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            language = form.cleaned_data.get("language")
            if not language:
                continue
            if language in seen:
                form.add_error("language", _("Cette langue est déjà évaluée dans ce diagnostic."))
            seen.add(language)


def language_formset_class(initial_count: int):
    """At least three rows, and always one blank row after the languages already assessed."""
    return forms.formset_factory(
        LanguageLevelForm, formset=BaseLanguageFormSet, extra=max(3 - initial_count, 1), max_num=20
    )


class IntegrationContractForm(forms.Form):
    signed_on = forms.DateField(
        label=_("Signé le"),
        widget=DATE_WIDGET,
        error_messages={"required": _("Indiquez la date de signature."), "invalid": _("Saisissez une date valide.")},
    )
    french_hours_prescribed = forms.IntegerField(
        label=_("Heures de français prescrites"),
        min_value=0,
        max_value=600,
        error_messages={
            "required": _("Indiquez le nombre d'heures prescrites."),
            "min_value": _("Le nombre d'heures ne peut pas être négatif."),
            "max_value": _("Le CIR prescrit au plus 600 heures de français."),
            "invalid": _("Saisissez un nombre entier d'heures."),
        },
    )
    french_hours_done = forms.IntegerField(
        label=_("Heures de français réalisées"),
        min_value=0,
        max_value=600,
        initial=0,
        error_messages={
            "required": _("Indiquez le nombre d'heures réalisées (0 si aucune)."),
            "min_value": _("Le nombre d'heures ne peut pas être négatif."),
            "max_value": _("Le CIR prescrit au plus 600 heures de français."),
            "invalid": _("Saisissez un nombre entier d'heures."),
        },
    )
    civic_training_done = forms.BooleanField(label=_("Formation civique suivie"), required=False)
    french_level_at_signature = forms.ChoiceField(
        label=_("Niveau au test de positionnement OFII"),
        required=False,
        choices=[("", "—"), *CecrlLevel.choices],
        error_messages={"invalid_choice": _("Niveau CECRL hors échelle (A1.1 à C2).")},
    )

    def clean_signed_on(self):
        value = self.cleaned_data.get("signed_on")
        _not_future(value, _("La date de signature ne peut pas être dans le futur."))
        return value

    def clean(self):
        cleaned = super().clean()
        done, prescribed = cleaned.get("french_hours_done"), cleaned.get("french_hours_prescribed")
        if done is not None and prescribed is not None and done > prescribed:
            self.add_error("french_hours_done", _("Les heures réalisées ne peuvent dépasser les heures prescrites."))
        return cleaned
