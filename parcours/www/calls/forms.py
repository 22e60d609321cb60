"""Forms of the call-for-projects pages. They check the shape of the input (a date, a choice from
the list); the rules (who may, budget left, period, the same person twice) are the services' job,
whose French messages are put back on the form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from parcours.organisations.models import Organisation
from parcours.programmes.enums import ProjectType, TargetPublic
from parcours.programmes.models import Project
from parcours.programmes.services_calls import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH
from parcours.territories.models import Departement

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_ERRORS = {"invalid": _("Indiquez une date valide (jj/mm/aaaa).")}


class CallForm(forms.Form):
    title = forms.CharField(
        label=_("Intitulé de l'appel"),
        max_length=TITLE_MAX_LENGTH,
        error_messages={"required": _("Indiquez l'intitulé."), "max_length": _("L'intitulé est trop long.")},
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=DESCRIPTION_MAX_LENGTH,
        error_messages={"max_length": _("La description est trop longue.")},
    )
    budget = forms.CharField(
        label=_("Budget de l'appel (€)"),
        help_text=_("Montant total que l'appel peut accorder, par exemple 2500000."),
        error_messages={"required": _("Indiquez le budget de l'appel.")},
    )
    starts_on = forms.DateField(
        label=_("Début de la période"),
        widget=DATE_WIDGET,
        error_messages={**DATE_ERRORS, "required": _("Indiquez la date de début de la période.")},
    )
    ends_on = forms.DateField(
        label=_("Fin de la période"),
        widget=DATE_WIDGET,
        error_messages={**DATE_ERRORS, "required": _("Indiquez la date de fin de la période.")},
    )
    publics = forms.MultipleChoiceField(
        label=_("Publics visés"),
        choices=TargetPublic.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choisissez les publics dans la liste.")},
    )
    project_types = forms.MultipleChoiceField(
        label=_("Types de projets attendus"),
        choices=ProjectType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choisissez les types de projets dans la liste.")},
    )


class OrganisationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organisation) -> str:
        return f"{obj.name} ({obj.get_kind_display()})"


class OrganisationsChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Organisation) -> str:
        return f"{obj.name} ({obj.get_kind_display()})"


class ProjectForm(forms.Form):
    """A project granted under a call; `project_types` are the call's types."""

    title = forms.CharField(
        label=_("Intitulé du projet"),
        max_length=TITLE_MAX_LENGTH,
        error_messages={"required": _("Indiquez l'intitulé."), "max_length": _("L'intitulé est trop long.")},
    )
    project_type = forms.ChoiceField(
        label=_("Type de projet"),
        error_messages={
            "required": _("Choisissez un des types de projets prévus par l'appel."),
            "invalid_choice": _("Choisissez un des types de projets prévus par l'appel."),
        },
    )
    lead = OrganisationChoiceField(
        label=_("Organisation porteuse"),
        queryset=Organisation.objects.none(),
        empty_label=_("Choisir une organisation"),
        error_messages={
            "required": _("Choisissez l'organisation porteuse du projet."),
            "invalid_choice": _("Choisissez l'organisation porteuse dans la liste."),
        },
    )
    consortium = OrganisationsChoiceField(
        label=_("Membres du consortium"),
        queryset=Organisation.objects.none(),
        required=False,
        help_text=_(
            "Les organisations qui portent le projet avec l'organisation porteuse (plusieurs choix possibles)."
        ),
        error_messages={"invalid_choice": _("Choisissez les membres du consortium dans la liste.")},
    )
    departements = forms.ModelMultipleChoiceField(
        label=_("Départements où le projet agit"),
        queryset=Departement.objects.none(),
        required=False,
        help_text=_("Plusieurs choix possibles."),
        error_messages={"invalid_choice": _("Choisissez les départements dans la liste.")},
    )
    granted_amount = forms.CharField(
        label=_("Financement accordé (€)"),
        error_messages={"required": _("Indiquez le financement accordé (0 si aucun).")},
    )
    target_beneficiaries = forms.IntegerField(
        label=_("Nombre de bénéficiaires visés"),
        error_messages={
            "required": _("Indiquez le nombre de bénéficiaires visés."),
            "invalid": _("Indiquez un nombre entier de bénéficiaires."),
        },
    )

    def __init__(self, *args, project_types: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project_type"].choices = [("", _("Choisir un type"))] + [
            (value, label) for value, label in ProjectType.choices if value in project_types
        ]
        organisations = Organisation.objects.filter(is_active=True).order_by("name")
        self.fields["lead"].queryset = organisations
        self.fields["consortium"].queryset = organisations
        self.fields["departements"].queryset = Departement.objects.order_by("code")


class ProjectChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Project) -> str:
        return f"{obj.title} — {obj.call.title}"


class ParticipantForm(forms.Form):
    project = ProjectChoiceField(
        label=_("Projet"),
        queryset=Project.objects.none(),
        empty_label=_("Choisir un projet"),
        error_messages={
            "required": _("Choisissez le projet."),
            "invalid_choice": _("Choisissez un projet porté par votre organisation dans la liste."),
        },
    )
    joined_on = forms.DateField(
        label=_("Date d'entrée dans le projet"),
        widget=DATE_WIDGET,
        error_messages={**DATE_ERRORS, "required": _("Indiquez la date d'entrée dans le projet.")},
    )

    def __init__(self, *args, projects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects
