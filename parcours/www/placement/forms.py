"""Forms of the placement pages. They check the shape of the input (numbers in range, known
choices, a reason given); the rules (sessions of the batch, exclusions, places, households kept
together, states of the batch) are the services' job, whose French messages are put back on the
form or shown at the top of the page."""

from django import forms
from django.utils.translation import gettext_lazy as _

REASON_MAX_LENGTH = 500
HOUSEHOLD_MAX_LENGTH = 20
# The override select's value for "do not place this person" (an empty value means "not chosen").
NO_SESSION = "aucune"
SHARE_FIELDS = ("session_min", "session_max", "territory_min", "territory_max")


def _share(label: str, help_text: str) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        help_text=help_text,
        min_value=0,
        max_value=100,
        error_messages={
            "required": _("Indiquez un pourcentage entre 0 et 100."),
            "invalid": _("Indiquez un nombre entier entre 0 et 100."),
            "min_value": _("Indiquez un pourcentage entre 0 et 100."),
            "max_value": _("Indiquez un pourcentage entre 0 et 100."),
        },
    )


class BalancingForm(forms.Form):
    """The optional balancing of a batch, in % of the free places of each session or territory."""

    session_min = _share(_("Remplissage minimum de chaque session (%)"), _("0 : pas de minimum."))
    session_max = _share(_("Remplissage maximum de chaque session (%)"), _("100 : pas de maximum."))
    territory_min = _share(_("Remplissage minimum de chaque territoire (%)"), _("0 : pas de minimum."))
    territory_max = _share(_("Remplissage maximum de chaque territoire (%)"), _("100 : pas de maximum."))

    def clean(self):
        data = super().clean()
        for scope, label in (("session", _("d'une session")), ("territory", _("d'un territoire"))):
            low, high = data.get(f"{scope}_min"), data.get(f"{scope}_max")
            if low is not None and high is not None and low > high:
                self.add_error(
                    f"{scope}_min",
                    _("Le remplissage minimum %(of)s ne peut dépasser son maximum.") % {"of": label},
                )
        return data


class PreferencesForm(forms.Form):
    household = forms.CharField(
        label=_("Foyer"),
        help_text=_(
            "Un même code pour les personnes à placer ensemble (par exemple « famille-diallo ») ; vide pour une "
            "personne seule."
        ),
        max_length=HOUSEHOLD_MAX_LENGTH,
        required=False,
        error_messages={"max_length": _("Le code du foyer ne peut dépasser 20 caractères.")},
    )
    accepts_move = forms.BooleanField(
        label=_("Accepte de déménager"),
        help_text=_("Sinon, les sessions au-delà de la distance acceptée sont écartées."),
        required=False,
    )
    needs_childcare = forms.BooleanField(
        label=_("A besoin d'une garde d'enfants"),
        help_text=_("Seules les sessions qui proposent une solution de garde restent possibles."),
        required=False,
    )
    preferred_sessions = forms.TypedMultipleChoiceField(
        label=_("Sessions souhaitées"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Cette session ne fait pas partie de l'affectation : %(value)s.")},
    )
    refused_sessions = forms.TypedMultipleChoiceField(
        label=_("Sessions refusées"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Cette session ne fait pas partie de l'affectation : %(value)s.")},
    )

    def __init__(self, *args, sessions, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(s.pk, s.label) for s in sessions]
        self.fields["preferred_sessions"].choices = choices
        self.fields["refused_sessions"].choices = choices

    def clean_household(self):
        return self.cleaned_data["household"].strip()

    def clean(self):
        data = super().clean()
        both = set(data.get("preferred_sessions") or []) & set(data.get("refused_sessions") or [])
        if both:
            self.add_error("refused_sessions", _("Une même session ne peut être à la fois souhaitée et refusée."))
        return data


class OverrideForm(forms.Form):
    session = forms.ChoiceField(
        label=_("Session retenue"),
        error_messages={
            "required": _("Choisissez une session, ou « Ne pas placer cette personne »."),
            "invalid_choice": _("Choisissez une session de l'affectation."),
        },
    )
    reason = forms.CharField(
        label=_("Motif de la modification"),
        help_text=_("Obligatoire : il est conservé avec l'affectation. 500 caractères au plus."),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("Donnez le motif de la modification."),
            "max_length": _("Le motif ne peut dépasser 500 caractères."),
        },
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["session"].choices = [
            ("", _("Choisissez une session")),
            *[(str(value), label) for value, label in choices],
            (NO_SESSION, _("Ne pas placer cette personne")),
        ]

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Donnez le motif de la modification."))
        return reason

    def session_id(self) -> int | None:
        value = self.cleaned_data["session"]
        return None if value == NO_SESSION else int(value)
