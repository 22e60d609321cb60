import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from parcours.people.models import Person
from parcours.people.selectors import IDENTIFIER_FIELDS
from parcours.territories.models import Commune
from parcours.www.fields import CountryCodeField, LanguagesField
from parcours.www.widgets import DATE_WIDGET

IDENTIFIER_MAX_LENGTH = 20
# Search by name needs all three; by identifier, one value. Anything else is refused: the
# directory lookup is never a partial or prefix search.
PARTIAL_SEARCH_MESSAGE = gettext_lazy(
    "Pour rechercher une personne, indiquez son nom, son prénom et sa date de naissance, "
    "ou l'un de ses identifiants (NIR, identifiant France Travail, n° allocataire CAF, n° AGDREF / OFII)."
)


def normalise_identifier(value: str) -> str:
    return re.sub(r"[\s.\-]", "", value or "").upper()


class PersonSearchForm(forms.Form):
    identifier = forms.CharField(
        label=gettext_lazy("Identifiant"),
        help_text=gettext_lazy("NIR, identifiant France Travail, n° allocataire CAF ou n° AGDREF / OFII"),
        required=False,
        max_length=IDENTIFIER_MAX_LENGTH + 10,
    )
    last_name = forms.CharField(label=gettext_lazy("Nom"), required=False, max_length=100)
    first_name = forms.CharField(label=gettext_lazy("Prénom"), required=False, max_length=100)
    birth_date = forms.DateField(
        label=gettext_lazy("Date de naissance"),
        help_text=gettext_lazy("Format attendu : JJ/MM/AAAA"),
        required=False,
        widget=DATE_WIDGET,
    )

    def clean_identifier(self) -> str:
        value = normalise_identifier(self.cleaned_data.get("identifier", ""))
        if len(value) > IDENTIFIER_MAX_LENGTH:
            raise forms.ValidationError(_("Cet identifiant est trop long."))
        return value

    def clean_birth_date(self):
        value = self.cleaned_data.get("birth_date")
        if value and value > timezone.localdate():
            raise forms.ValidationError(_("La date de naissance ne peut pas être dans le futur."))
        return value

    def clean(self):
        data = super().clean()
        names = [data.get("last_name", "").strip(), data.get("first_name", "").strip(), data.get("birth_date")]
        if self.errors:
            return data
        if data.get("identifier"):
            data["mode"] = "identifier"
        elif all(names):
            data["mode"] = "name"
        elif any(names):
            raise forms.ValidationError(PARTIAL_SEARCH_MESSAGE, code="partial")
        else:
            data["mode"] = ""
        return data

    def criteria(self) -> dict:
        data = self.cleaned_data
        if data.get("mode") == "identifier":
            return {"identifier": data["identifier"]}
        if data.get("mode") == "name":
            return {"last_name": data["last_name"], "first_name": data["first_name"], "birth_date": data["birth_date"]}
        return {}


class JoinRequestForm(forms.Form):
    pathway = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label=gettext_lazy("Motif de la demande"),
        help_text=gettext_lazy("Expliquez au référent·e pourquoi vous souhaitez rejoindre le groupe de suivi."),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": gettext_lazy("Indiquez pourquoi vous souhaitez rejoindre le groupe de suivi.")},
    )


class PersonCreateForm(forms.ModelForm):
    """Identity, contact and first situation of a new person. The model's validators and clean()
    run on is_valid() (birth date in the future, year before 1900, malformed identifiers…), so a
    bad input is reported next to its field before the service is called."""

    languages = LanguagesField(
        label=gettext_lazy("Langues parlées"),
        help_text=gettext_lazy("Codes ISO 639 séparés par des virgules, par ex. « fr, ar, prs »"),
        required=False,
        max_length=200,
    )
    nationality = CountryCodeField(
        label=gettext_lazy("nationalité (code pays ISO)"),
        help_text=gettext_lazy("Code pays ISO à deux lettres, par ex. FR, AF, UA"),
        required=False,
    )

    class Meta:
        model = Person
        fields = [
            "last_name",
            "first_name",
            "birth_name",
            "sex",
            "birth_date",
            "birth_place",
            "nationality",
            "nir",
            "france_travail_id",
            "caf_number",
            "ofii_number",
            "email",
            "phone",
            "address",
            "commune",
            "languages",
            "arrival_date",
        ]
        widgets = {
            "sex": forms.RadioSelect,
            "birth_date": DATE_WIDGET,
            "arrival_date": DATE_WIDGET,
        }
        help_texts = {
            "nationality": gettext_lazy("Code pays ISO à deux lettres, par ex. FR, AF, UA"),
            "nir": gettext_lazy("13 ou 15 caractères, espaces permis"),
            "birth_date": gettext_lazy("Format attendu : JJ/MM/AAAA"),
        }

    def __init__(self, *args, departement_code: str, **kwargs):
        super().__init__(*args, **kwargs)
        for name in IDENTIFIER_FIELDS:
            # Wider than the stored value: spaces and dots typed by the user are removed before the
            # model's own length and format checks run.
            model_field = Person._meta.get_field(name)
            self.fields[name] = forms.CharField(
                label=model_field.verbose_name,
                help_text=self.Meta.help_texts.get(name, ""),
                required=False,
                max_length=IDENTIFIER_MAX_LENGTH + 10,
            )
        commune = self.fields["commune"]
        commune.queryset = Commune.objects.filter(departement_id=departement_code).order_by("name", "insee_code")
        commune.empty_label = _("— Choisir une commune —")
        commune.help_text = _("Communes du département de votre organisation")
        commune.error_messages["invalid_choice"] = _("Choisissez une commune de la liste.")
        self.fields["birth_date"].error_messages["required"] = _("Indiquez la date de naissance.")
        self.fields["last_name"].error_messages["required"] = _("Indiquez le nom.")
        self.fields["first_name"].error_messages["required"] = _("Indiquez le prénom.")

    def clean_first_name(self) -> str:
        return self.cleaned_data["first_name"].strip()

    def clean_last_name(self) -> str:
        return self.cleaned_data["last_name"].strip()

    def _identifier(self, name: str) -> str:
        return normalise_identifier(self.cleaned_data.get(name, ""))

    def clean_nir(self) -> str:
        return self._identifier("nir")

    def clean_france_travail_id(self) -> str:
        return self._identifier("france_travail_id")

    def clean_caf_number(self) -> str:
        return self._identifier("caf_number")

    def clean_ofii_number(self) -> str:
        return self._identifier("ofii_number")

    def person_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}
