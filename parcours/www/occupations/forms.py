"""Forms of the job pages and of the person's jobs (experience, wishes and target jobs chosen as
ROME appellations). The shape of the input only: the services check the appellation exists in the
release in service, the duplicates and who may write."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from parcours.diagnostics.enums import CecrlLevel
from parcours.occupations.search import AppellationHit, query_error
from parcours.people.models import JobWishKind


def appellation_field(*, label, required_message) -> forms.IntegerField:
    """An appellation picked among search results (radio buttons whose choices the view sets from
    the search, see picker.py)."""
    return forms.IntegerField(
        label=label,
        min_value=1,
        widget=forms.RadioSelect,
        error_messages={
            "required": required_message,
            "invalid": _("Choisissez une appellation dans la liste."),
            "min_value": _("Choisissez une appellation dans la liste."),
        },
    )


def hit_label(hit: AppellationHit) -> str:
    """How an appellation reads in a list of choices: "Maçon / Maçonne (F1703 · Maçonnerie)"."""
    label = f"{hit.label} ({hit.rome_code} · {hit.rome_label})"
    if hit.regulated:
        label += " — " + str(_("réglementé"))
    if hit.rarely_used:
        label += " — " + str(_("peu usité"))
    return label


class AppellationQueryForm(forms.Form):
    """The text of an appellation search. Empty is allowed (no search yet); a query too short, too
    long or without letters gets the search's French message."""

    q = forms.CharField(
        label=_("Rechercher un métier"),
        required=False,
        help_text=_("Un nom de métier (ex. maçon, aide-soignante) ou un code ROME (ex. F1703)."),
    )

    def __init__(self, *args, label=None, **kwargs):
        super().__init__(*args, **kwargs)
        if label:
            self.fields["q"].label = label

    def clean_q(self):
        q = self.cleaned_data["q"].strip()
        if q:
            error = query_error(q)
            if error:
                raise ValidationError(error)
        return q


class JobWishForm(forms.Form):
    appellation_code = appellation_field(
        label=_("Métier (appellation)"),
        required_message=_("Recherchez le métier puis choisissez-le dans la liste."),
    )
    kind = forms.ChoiceField(
        label=_("Nature"),
        choices=JobWishKind.choices,
        initial=JobWishKind.WISH,
        error_messages={
            "invalid_choice": _("Nature inconnue : choisissez « souhait de la personne » ou « métier visé ».")
        },
    )


class DomainLevelForm(forms.Form):
    code = forms.CharField(widget=forms.HiddenInput, max_length=3)
    level = forms.ChoiceField(
        label=_("Niveau de français habituellement requis"),
        choices=CecrlLevel.choices,
        error_messages={
            "invalid_choice": _("Niveau de français inconnu : choisissez un niveau du CECRL (A1.1 à C2)."),
            "required": _("Choisissez un niveau de français."),
        },
    )
