"""The VAE forms. The rules (statement length, blocs of the certification, dates in order) live in
parcours.programmes.services_vae; the forms only parse the input."""

from django import forms
from django.utils.translation import gettext_lazy as _

from parcours.programmes.enums import BlocResult, VaeAdmissibility, VaeAdmissibilityDecision
from parcours.programmes.services_vae import HOURS_PLANNED_MAX, STATEMENT_MIN_LENGTH
from parcours.www.widgets import DATE_WIDGET


class VaeOpenForm(forms.Form):
    certification = forms.ModelChoiceField(
        label=_("Certification visée"), queryset=None, empty_label=_("Choisir une certification")
    )
    route = forms.ModelChoiceField(
        label=_("Voie de reconnaissance"), queryset=None, widget=forms.RadioSelect, empty_label=None
    )
    bloc_ids = forms.MultipleChoiceField(
        label=_("Blocs de compétences visés (voie par blocs uniquement)"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    admissibility = forms.ChoiceField(
        label=_("Recevabilité"), choices=VaeAdmissibility.choices, widget=forms.RadioSelect
    )
    experience_statement = forms.CharField(
        label=_("Déclaration d'expérience de la personne"),
        help_text=_(
            "Rédigée avec la personne : emplois occupés, tâches, lieux, durées. Obligatoire pour la recevabilité "
            "déclarative (au moins %(n)s caractères), elle remplace alors les justificatifs."
        )
        % {"n": STATEMENT_MIN_LENGTH},
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    foreign_diploma = forms.ModelChoiceField(
        label=_("Diplôme obtenu à l'étranger (voie de comparabilité)"),
        queryset=None,
        required=False,
        empty_label=_("Aucun"),
    )
    accompaniment_hours_planned = forms.IntegerField(
        label=_("Heures d'accompagnement prévues"), min_value=0, max_value=HOURS_PLANNED_MAX, initial=0
    )

    def __init__(self, *args, certifications, routes, diplomas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["certification"].queryset = certifications
        self.fields["route"].queryset = routes
        self.fields["foreign_diploma"].queryset = diplomas
        self.fields["foreign_diploma"].label_from_instance = lambda q: (
            f"{q.title} ({q.country}{', ' + str(q.year) if q.year else ''})"
        )
        self.bloc_groups = [
            (cert, [(str(b.pk), f"{b.code} · {b.label}") for b in cert.blocs.all()]) for cert in certifications
        ]
        self.fields["bloc_ids"].choices = [choice for _cert, choices in self.bloc_groups for choice in choices]


class AdmissibilityForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Décision"),
        choices=[
            (VaeAdmissibilityDecision.ADMISSIBLE, VaeAdmissibilityDecision.ADMISSIBLE.label),
            (VaeAdmissibilityDecision.NOT_ADMISSIBLE, VaeAdmissibilityDecision.NOT_ADMISSIBLE.label),
        ],
        widget=forms.RadioSelect,
    )
    decided_on = forms.DateField(label=_("Date de la décision"), widget=DATE_WIDGET)


class HoursForm(forms.Form):
    hours = forms.DecimalField(label=_("Heures réalisées"), max_digits=5, decimal_places=1)
    done_on = forms.DateField(label=_("Date de l'accompagnement"), widget=DATE_WIDGET)
    planned = forms.IntegerField(
        label=_("Nouveau total d'heures prévues"), required=False, min_value=0, max_value=HOURS_PLANNED_MAX
    )


class JuryForm(forms.Form):
    jury_date = forms.DateField(label=_("Date du jury"), widget=DATE_WIDGET)


RESULT_CHOICES = [
    ("", _("Pas encore de résultat")),
    (BlocResult.VALIDATED, BlocResult.VALIDATED.label),
    (BlocResult.NOT_VALIDATED, BlocResult.NOT_VALIDATED.label),
]


class ResultsForm(forms.Form):
    decided_on = forms.DateField(label=_("Date de la délibération du jury"), widget=DATE_WIDGET)

    def __init__(self, *args, blocs, **kwargs):
        super().__init__(*args, **kwargs)
        self.bloc_fields = []
        for bloc in blocs:
            name = f"bloc_{bloc.pk}"
            self.fields[name] = forms.ChoiceField(
                label=f"{bloc.code} · {bloc.label}",
                choices=RESULT_CHOICES,
                required=False,
                widget=forms.RadioSelect,
                initial="",
            )
            self.bloc_fields.append((bloc.pk, name))

    def results(self) -> dict[int, str]:
        return {pk: self.cleaned_data.get(name) or "" for pk, name in self.bloc_fields}
