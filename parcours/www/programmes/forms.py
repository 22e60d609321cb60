"""Forms of the programme pages. They check the shape of the input; the rules (dates in order,
known ROME codes, places above the seats taken, eligibility and override, allowed moves) are the
services' job, whose French messages are put back on the form or shown at the top of the page."""

from django import forms
from django.utils.translation import gettext_lazy as _

from parcours.diagnostics.enums import CecrlLevel
from parcours.organisations.models import Organisation
from parcours.programmes.enums import AbandonReason, NotSelectedReason, SessionStatus, TargetPublic
from parcours.programmes.services_enrolment import REASON_MAX_LENGTH
from parcours.territories.models import Commune
from parcours.www.widgets import DATE_WIDGET

TEXTAREA = forms.Textarea(attrs={"rows": 3})
LENGTH_ERROR = _("Ce texte ne peut dépasser 500 caractères.")


class CatalogueFilterForm(forms.Form):
    public = forms.ChoiceField(
        label=_("Public visé"), choices=[("", _("Tous les publics")), *TargetPublic.choices], required=False
    )
    departement = forms.CharField(
        label=_("Département d'une session ouverte"),
        help_text=_("Son code, par exemple 44."),
        max_length=3,
        required=False,
    )

    def clean_departement(self):
        return self.cleaned_data["departement"].strip().upper()


class CodesField(forms.CharField):
    """Codes typed in one field ("F1703, H2909"), as a list."""

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value

    def to_python(self, value):
        value = super().to_python(value)
        codes: list[str] = []
        for raw in value.replace(";", ",").replace(" ", ",").split(","):
            code = raw.strip().upper()
            if code and code not in codes:
                codes.append(code)
        return codes


class LinesField(forms.CharField):
    """One value per line, as a list."""

    widget = TEXTAREA

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(value)
        return value

    def to_python(self, value):
        value = super().to_python(value)
        return [line.strip() for line in value.splitlines() if line.strip()]


class SessionForm(forms.Form):
    label = forms.CharField(
        label=_("Intitulé de la session"),
        max_length=200,
        error_messages={"required": _("Donnez un intitulé à la session.")},
    )
    operator = forms.ModelChoiceField(
        label=_("Centre opérateur"),
        queryset=Organisation.objects.none(),
        error_messages={
            "required": _("Choisissez un centre opérateur du programme."),
            "invalid_choice": _("Choisissez un centre opérateur du programme."),
        },
    )
    commune = forms.CharField(
        label=_("Commune (code INSEE)"),
        help_text=_("Par exemple 44162 pour Saint-Herblain."),
        max_length=5,
        error_messages={"required": _("Indiquez la commune de la session.")},
    )
    starts_on = forms.DateField(
        label=_("Début"),
        widget=DATE_WIDGET,
        error_messages={"required": _("Indiquez la date de début de la session."), "invalid": _("Date invalide.")},
    )
    ends_on = forms.DateField(
        label=_("Fin"),
        widget=DATE_WIDGET,
        error_messages={"required": _("Indiquez la date de fin de la session."), "invalid": _("Date invalide.")},
    )
    places = forms.IntegerField(
        label=_("Nombre de places"),
        error_messages={"required": _("Une session compte au moins une place."), "invalid": _("Un nombre entier.")},
    )
    target_rome_codes = CodesField(
        label=_("Métiers visés (codes ROME)"),
        help_text=_("Séparés par des virgules, par exemple F1703, H2909."),
        required=False,
    )
    partner_companies = LinesField(
        label=_("Entreprises partenaires"), help_text=_("Une entreprise par ligne."), required=False
    )
    offers_childcare = forms.BooleanField(label=_("Solution de garde d'enfants proposée"), required=False)
    offers_housing = forms.BooleanField(label=_("Hébergement proposé"), required=False)
    min_french_level = forms.ChoiceField(
        label=_("Niveau de français minimum"),
        choices=[("", _("Aucun minimum")), *CecrlLevel.choices],
        required=False,
        help_text=_("Niveau du CECRL nécessaire pour suivre la session."),
        error_messages={"invalid_choice": _("Choisissez un niveau de français de la liste.")},
    )
    hosts_households = forms.BooleanField(
        label=_("Accueille les familles (foyer placé ensemble)"),
        help_text=_("Utilisé par les affectations : les membres d'un même foyer peuvent y être placés ensemble."),
        required=False,
    )
    status = forms.ChoiceField(label=_("Statut"), choices=SessionStatus.choices, required=False)

    def __init__(self, *args, operators, with_status: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["operator"].queryset = operators
        if not with_status:
            del self.fields["status"]

    def clean_commune(self):
        code = self.cleaned_data["commune"].strip().upper()
        commune = Commune.objects.filter(insee_code=code).first()
        if commune is None:
            raise forms.ValidationError(_("Commune inconnue : %(code)s.") % {"code": code})
        return commune


class ProposeForm(forms.Form):
    # "<score>:<rank>" when the candidacy comes from a programme proposal of the "Pistes" tab: the
    # proposal is then recorded as retained. Malformed or absent: no decision recorded.
    reco = forms.CharField(widget=forms.HiddenInput, required=False)
    override_reason = forms.CharField(
        label=_("Motif de la dérogation"),
        widget=TEXTAREA,
        required=False,
        max_length=REASON_MAX_LENGTH,
        help_text=_(
            "Obligatoire quand la personne n'est pas éligible ou que son éligibilité ne peut pas être établie. "
            "Le motif figure dans le journal des accès de la personne."
        ),
        error_messages={"max_length": LENGTH_ERROR},
    )


REASONS = {
    "not_selected": NotSelectedReason.choices,
    "abandoned": AbandonReason.choices,
}


class TransitionForm(forms.Form):
    """One move of an enrolment: a reason (and its detail) for "not selected" and "abandoned", a
    date for the dated moves."""

    reason = forms.ChoiceField(label=_("Motif"), required=False)
    detail = forms.CharField(
        label=_("Précision"),
        max_length=REASON_MAX_LENGTH,
        required=False,
        help_text=_("Obligatoire pour « Autre motif »."),
        error_messages={"max_length": LENGTH_ERROR},
    )
    on_date = forms.DateField(
        label=_("Date"),
        widget=DATE_WIDGET,
        required=False,
        error_messages={"invalid": _("Date invalide.")},
    )

    def __init__(self, *args, to_state: str, **kwargs):
        super().__init__(*args, **kwargs)
        choices = REASONS.get(to_state)
        if choices:
            self.fields["reason"].choices = [("", _("Choisissez un motif")), *choices]
        else:
            self.fields["reason"].choices = [("", "")]
