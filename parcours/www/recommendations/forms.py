"""Forms of the recommendation pages: the shape of the input only; the rules (who may decide, a
decision already taken, a proposal that exists) are the services' job."""

import datetime
import math

from django import forms
from django.utils.translation import gettext_lazy as _

from parcours.matching.enums import DismissReason, RecommendationKind
from parcours.matching.models import NOTE_MAX_LENGTH

RECO_MAX_LENGTH = 40
RANK_MAX = 32767


def parse_reco(raw: str | None) -> tuple[float, int] | None:
    """ "<score>:<rank>" carried from a proposal to the page that acts on it; None when absent or
    malformed (then the action is done without recording a decision)."""
    if not raw or len(raw) > RECO_MAX_LENGTH or raw.count(":") != 1:
        return None
    score_text, rank_text = raw.split(":")
    try:
        score, rank = float(score_text), int(rank_text)
    except ValueError:
        return None
    if not math.isfinite(score) or not 1 <= rank <= RANK_MAX:
        return None
    return score, rank


def format_reco(score: float, rank: int) -> str:
    return f"{score:.4f}:{rank}"


class ProposalForm(forms.Form):
    """The proposal a decision is about (hidden fields of each proposal's forms)."""

    kind = forms.ChoiceField(
        choices=RecommendationKind.choices,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("Nature de proposition inconnue."), "required": _("Proposition inconnue.")},
    )
    key = forms.CharField(
        max_length=64, widget=forms.HiddenInput, error_messages={"required": _("Proposition inconnue.")}
    )
    # For a service: the diagnostic theme it answered (checked by the service). The label is read
    # on the server, never posted.
    theme = forms.CharField(max_length=32, widget=forms.HiddenInput, required=False)
    score = forms.FloatField(required=False, widget=forms.HiddenInput)
    rank = forms.IntegerField(required=False, min_value=1, max_value=RANK_MAX, widget=forms.HiddenInput)

    def clean_score(self):
        score = self.cleaned_data.get("score")
        return score if score is not None and math.isfinite(score) else None


class DismissForm(ProposalForm):
    reason = forms.ChoiceField(
        label=_("Motif"),
        choices=[("", _("Choisissez un motif")), *DismissReason.choices],
        error_messages={
            "required": _("Choisissez le motif pour lequel vous écartez cette proposition dans la liste."),
            "invalid_choice": _("Choisissez le motif pour lequel vous écartez cette proposition dans la liste."),
        },
    )
    note = forms.CharField(
        label=_("Précision"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": _("La précision ne peut dépasser 500 caractères.")},
    )


class JobTargetForm(forms.Form):
    appellation_code = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    score = forms.FloatField(required=False, widget=forms.HiddenInput)
    rank = forms.IntegerField(required=False, min_value=1, max_value=RANK_MAX, widget=forms.HiddenInput)


# The usage period: a fixed choice of whole months (ending with the current one), never a free date,
# so that two close dates cannot be subtracted to isolate a few decisions.
PERIOD_ALL = ""
PERIOD_CHOICES = [
    ("3", _("3 derniers mois")),
    ("6", _("6 derniers mois")),
    ("12", _("12 derniers mois")),
    (PERIOD_ALL, _("Depuis le début")),
]


def period_start(period: str, today: datetime.date) -> datetime.date | None:
    """The first day of the period: the 1st of the month `period` − 1 months before today's
    (3 → the current month and the two before); None for "depuis le début"."""
    if not period:
        return None
    months = int(period) - 1
    index = today.year * 12 + today.month - 1 - months
    return datetime.date(index // 12, index % 12 + 1, 1)


class UsageFilterForm(forms.Form):
    departement = forms.ChoiceField(
        label=_("Département"),
        required=False,
        error_messages={"invalid_choice": _("Choisissez un département de la liste.")},
    )
    periode = forms.ChoiceField(
        label=_("Période"),
        required=False,
        choices=PERIOD_CHOICES,
        help_text=_("Décisions prises depuis le premier jour du mois de début de la période."),
        error_messages={"invalid_choice": _("Choisissez une période de la liste.")},
    )

    def __init__(self, *args, departements, **kwargs):
        super().__init__(*args, **kwargs)
        if departements is None:
            del self.fields["departement"]
        else:
            self.fields["departement"].choices = [("", _("Tous les départements")), *departements]


class ThemeMappingForm(forms.Form):
    theme = forms.CharField(widget=forms.HiddenInput)
    thematiques = forms.MultipleChoiceField(
        label=_("Thématiques data·inclusion"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Thématique data·inclusion inconnue : %(value)s.")},
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["thematiques"].choices = choices
