"""Forms of the pathway pages. They validate the shape of the input; the rules that involve the
database or the actor (who may do what, a second referent…) are the services' job, whose
ValidationError messages are put back next to the fields."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from parcours.organisations.enums import Role
from parcours.organisations.models import Membership, Organisation
from parcours.pathways.enums import EventKind
from parcours.people.enums import (
    ChildcareSolution,
    ConsentChannel,
    ConsentDecision,
    ConsentPurpose,
    DataCategory,
)
from parcours.people.models import ForeignQualification, Person, validate_not_future
from parcours.territories.models import Commune
from parcours.www.fields import CountryCodeField, LanguagesField
from parcours.www.occupations.forms import appellation_field
from parcours.www.widgets import DATE_WIDGET


class SectionSpec:
    def __init__(self, title, fields, category):
        self.title, self.fields, self.category = title, fields, category


# The editable sections of the person record, each tied to its data category.
SECTIONS = {
    "identity": SectionSpec(
        _("Identité"),
        [
            "first_name",
            "last_name",
            "birth_name",
            "sex",
            "birth_date",
            "birth_place",
            "nir",
            "france_travail_id",
            "caf_number",
            "ofii_number",
        ],
        DataCategory.IDENTITY,
    ),
    "contact": SectionSpec(_("Coordonnées"), ["email", "phone", "address", "commune"], DataCategory.CONTACT),
    "situation": SectionSpec(
        _("Situation"),
        [
            "languages",
            "nationality",
            "arrival_date",
            "household",
            "driving_licence",
            "has_vehicle",
            "max_travel_minutes",
            "education_level",
            "rsa_status",
            "are_status",
        ],
        DataCategory.SITUATION,
    ),
    "residence_status": SectionSpec(
        _("Droit au séjour"),
        list(Person.SENSITIVE_FIELDS[DataCategory.RESIDENCE_STATUS]),
        DataCategory.RESIDENCE_STATUS,
    ),
    "asylum_history": SectionSpec(
        _("Parcours d'asile et protection"),
        list(Person.SENSITIVE_FIELDS[DataCategory.ASYLUM_HISTORY]),
        DataCategory.ASYLUM_HISTORY,
    ),
    "disability": SectionSpec(
        _("Handicap"), list(Person.SENSITIVE_FIELDS[DataCategory.DISABILITY]), DataCategory.DISABILITY
    ),
}


class SectionForm(forms.ModelForm):
    """One section of the person record. The model's own validation (validators, `clean`) runs on
    a copy of the person; its errors on fields outside the section are shown at the top."""

    def _update_errors(self, errors):
        if hasattr(errors, "error_dict"):
            remapped: dict = {}
            for field, messages in errors.error_dict.items():
                key = field if field in self.fields else NON_FIELD_ERRORS
                remapped.setdefault(key, []).extend(messages)
            errors = ValidationError(remapped)
        super()._update_errors(errors)

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields}


def section_form_class(section: str) -> type[SectionForm]:
    spec = SECTIONS[section]
    widgets = {
        name: DATE_WIDGET
        for name in (
            "birth_date",
            "arrival_date",
            "residence_permit_issued_on",
            "residence_permit_valid_until",
            "protection_granted_on",
        )
    }
    widgets["asylum_note"] = forms.Textarea(attrs={"rows": 4})
    widgets["disability_note"] = forms.Textarea(attrs={"rows": 4})
    help_texts = {
        "languages": _("Codes ISO 639 séparés par des virgules (ex. fr, ar, prs, uk)."),
        "nationality": _("Code pays ISO à deux lettres (ex. FR, AF, SY)."),
        "commune": _("Code INSEE de la commune (5 caractères, ex. 44109)."),
        "nir": _("13 ou 15 caractères, sans espaces."),
    }
    attrs = {
        "Meta": type(
            "Meta",
            (),
            {
                "model": Person,
                "fields": spec.fields,
                "widgets": {k: v for k, v in widgets.items() if k in spec.fields},
                "help_texts": {k: v for k, v in help_texts.items() if k in spec.fields},
            },
        )
    }
    if "languages" in spec.fields:
        attrs["languages"] = LanguagesField(
            label=_("langues parlées"), required=False, max_length=200, help_text=help_texts["languages"]
        )
    if "commune" in spec.fields:
        attrs["commune"] = forms.ModelChoiceField(
            label=_("commune"),
            queryset=Commune.objects.all(),
            to_field_name="insee_code",
            required=False,
            widget=forms.TextInput(attrs={"autocomplete": "off"}),
            help_text=help_texts["commune"],
            error_messages={"invalid_choice": _("Commune inconnue : saisissez son code INSEE (5 caractères).")},
        )
    if "nationality" in spec.fields:
        attrs["nationality"] = CountryCodeField(
            label=_("nationalité (code pays ISO)"), required=False, help_text=help_texts["nationality"]
        )
    return type(f"{section.title().replace('_', '')}SectionForm", (SectionForm,), attrs)


class ChildForm(forms.Form):
    birth_date = forms.DateField(label=_("Date de naissance de l'enfant"), widget=DATE_WIDGET)
    childcare = forms.ChoiceField(label=_("Mode de garde"), choices=ChildcareSolution.choices)

    def clean_birth_date(self):
        value = self.cleaned_data["birth_date"]
        validate_not_future(value)
        return value


class QualificationForm(forms.Form):
    title = forms.CharField(label=_("Intitulé du diplôme"), max_length=200)
    country = CountryCodeField(label=_("Pays d'obtention"), help_text=_("Code pays ISO à deux lettres (ex. SY)."))
    year = forms.IntegerField(label=_("Année d'obtention"), required=False, min_value=1930, max_value=2100)
    recognition = forms.ChoiceField(
        label=_("Reconnaissance"),
        choices=ForeignQualification._meta.get_field("recognition").choices,
        initial="none",
    )


class ExperienceForm(forms.Form):
    """A job the person held, chosen as an appellation among the results of a search (picker.py)."""

    appellation_code = appellation_field(
        label=_("Métier exercé (appellation)"),
        required_message=_("Recherchez le métier exercé puis choisissez-le dans la liste."),
    )
    years = forms.DecimalField(
        label=_("Durée (années)"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(0), MaxValueValidator(60)],
    )
    country = CountryCodeField(label=_("Pays"), required=False, help_text=_("Code pays ISO à deux lettres (ex. FR)."))


class MembershipChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        return f"{obj.user.get_full_name() or obj.user.username} — {obj.organisation.name} ({obj.get_role_display()})"


class EmailSearchForm(forms.Form):
    email = forms.EmailField(
        label=_("Rechercher un·e professionnel·le par son adresse e-mail exacte"),
        required=False,
        error_messages={"invalid": _("Saisissez une adresse e-mail valide.")},
    )


class ReferentChangeForm(forms.Form):
    new_membership = MembershipChoiceField(
        label=_("Nouveau·elle référent·e"),
        queryset=Membership.objects.none(),
        empty_label=_("Choisissez un·e professionnel·le"),
        error_messages={
            "required": _("Choisissez le·la nouveau·elle référent·e."),
            "invalid_choice": _("Ce·tte professionnel·le ne peut pas être désigné·e."),
        },
    )
    reason = forms.CharField(
        label=_("Motif du changement"),
        max_length=300,
        error_messages={"required": _("Indiquez le motif du changement de référent.")},
    )
    handover_note = forms.CharField(
        label=_("Note de passation"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Ce que le·la nouveau·elle référent·e doit savoir (5 000 caractères au plus)."),
        error_messages={"required": _("Rédigez une note de passation pour le·la nouveau·elle référent·e.")},
    )
    keep_previous_in_group = forms.BooleanField(
        label=_("L'ancien·ne référent·e reste membre du groupe de suivi"), required=False, initial=True
    )
    email = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_membership"].queryset = queryset


class MemberAddForm(forms.Form):
    new_membership = MembershipChoiceField(
        label=_("Professionnel·le à ajouter"),
        queryset=Membership.objects.none(),
        empty_label=_("Choisissez un·e professionnel·le"),
        error_messages={
            "required": _("Choisissez le·la professionnel·le à ajouter."),
            "invalid_choice": _("Ce·tte professionnel·le ne peut pas être ajouté·e."),
        },
    )
    reason = forms.CharField(
        label=_("Motif d'entrée dans le groupe"),
        max_length=300,
        error_messages={"required": _("Indiquez pourquoi ce·tte professionnel·le rejoint le groupe.")},
    )
    email = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_membership"].queryset = queryset


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Indiquez le motif.")},
    )


class ConsentForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Organisation destinataire"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("Aucune (consentement pour un rôle)"),
    )
    role = forms.ChoiceField(
        label=_("ou rôle destinataire"),
        choices=[("", _("Aucun (consentement pour une organisation)"))] + list(Role.choices),
        required=False,
    )
    category = forms.ChoiceField(label=_("Catégorie de données"), choices=DataCategory.choices)
    purpose = forms.ChoiceField(label=_("Finalité"), choices=ConsentPurpose.choices)
    decision = forms.ChoiceField(label=_("Décision de la personne"), choices=ConsentDecision.choices)
    # The portal channel is the person's own: a professional records what was said in person,
    # on paper or by phone.
    channel = forms.ChoiceField(
        label=_("Recueilli"), choices=[c for c in ConsentChannel.choices if c[0] != ConsentChannel.PORTAL]
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("organisation")) == bool(cleaned.get("role")):
            self.add_error("organisation", _("Choisissez une organisation ou un rôle, pas les deux."))
        return cleaned


class TimelineFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Type d'évènement"), choices=[("", _("Tous les évènements"))] + list(EventKind.choices), required=False
    )


class BreakGlassForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif de l'accès exceptionnel"),
        min_length=20,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("20 caractères au moins. Ce motif sera visible par la personne dans son journal des accès."),
        error_messages={
            "required": _("Motivez l'accès exceptionnel (20 caractères au moins)."),
            "min_length": _("Motivez l'accès exceptionnel (20 caractères au moins)."),
        },
    )
