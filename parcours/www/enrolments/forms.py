"""Forms of the enrolment page and of the follow-up surveys. They check the shape of the input; the
rules (dates, levels, who may write) are the services' (parcours/programmes/services_progress.py,
services_surveys.py), whose French messages are shown on the form."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from parcours.diagnostics.enums import CecrlLevel
from parcours.programmes import enums
from parcours.www.widgets import DATE_WIDGET

DATE_ERRORS = {"invalid": _("Saisissez une date valide (jj/mm/aaaa)."), "required": _("Indiquez la date.")}


def _choices(enum, empty: str):
    return [("", empty), *enum.choices]


class StepRecordForm(forms.Form):
    done_on = forms.DateField(label=_("Date"), widget=DATE_WIDGET, error_messages=DATE_ERRORS)
    hours = forms.CharField(
        label=_("Heures réalisées"),
        required=False,
        max_length=10,
        help_text=_("Pour les étapes comptées en heures, par exemple 12 ou 3,5."),
    )
    evidence = forms.CharField(
        label=_("Justificatif"),
        required=False,
        max_length=500,
        help_text=_("Ce qui le prouve : attestation, feuille d'émargement, bail…"),
    )

    def clean_hours(self):
        raw = (self.cleaned_data.get("hours") or "").strip().replace(",", ".")
        if not raw:
            return None
        try:
            return Decimal(raw)
        except InvalidOperation:
            raise forms.ValidationError(_("Indiquez un nombre d'heures (par exemple 12 ou 3,5).")) from None


class CertificationForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type de certification"), choices=_choices(enums.CertificationKind, "—"))
    exam = forms.ChoiceField(label=_("Certification"), choices=_choices(enums.CertificationExam, "—"))
    level = forms.ChoiceField(
        label=_("Niveau CECRL"),
        required=False,
        choices=[("", _("— (certification professionnelle)")), *CecrlLevel.choices],
        help_text=_("Obligatoire pour une certification en français."),
    )
    title = forms.CharField(
        label=_("Intitulé"),
        required=False,
        max_length=200,
        help_text=_("Obligatoire pour une certification professionnelle (titre, CCP ou bloc)."),
    )
    rncp_code = forms.CharField(label=_("Code RNCP"), required=False, max_length=12)
    obtained_on = forms.DateField(label=_("Obtenue le"), widget=DATE_WIDGET, error_messages=DATE_ERRORS)
    evidence = forms.CharField(label=_("Justificatif"), required=False, max_length=500)


class ContractForm(forms.Form):
    company = forms.CharField(label=_("Entreprise"), max_length=200)
    siret = forms.CharField(label=_("SIRET"), required=False, max_length=20, help_text=_("14 chiffres."))
    contract_kind = forms.ChoiceField(label=_("Type de contrat"), choices=_choices(enums.WorkStudyKind, "—"))
    starts_on = forms.DateField(label=_("Début"), widget=DATE_WIDGET, error_messages=DATE_ERRORS)
    ends_on = forms.DateField(label=_("Fin"), widget=DATE_WIDGET, error_messages=DATE_ERRORS)


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Situation à la sortie"),
        choices=_choices(enums.ExitOutcome, "—"),
        error_messages={"required": _("Choisissez la situation à la sortie.")},
    )


class SurveyAnswerForm(forms.Form):
    status = forms.ChoiceField(
        label=_("La personne a-t-elle répondu ?"),
        widget=forms.RadioSelect,
        choices=[
            (enums.SurveyStatus.ANSWERED, _("Oui, elle a répondu")),
            (enums.SurveyStatus.NO_ANSWER, _("Non, pas de réponse (personne injoignable)")),
        ],
        error_messages={"required": _("Indiquez si la personne a répondu.")},
    )
    employment = forms.ChoiceField(
        label=_("Situation d'emploi"),
        required=False,
        choices=_choices(enums.SurveyEmployment, _("— (pas de réponse)")),
        help_text=_("Seulement si la personne a répondu. « Pas de réponse » n'est pas « sans emploi »."),
    )
    answered_on = forms.DateField(label=_("Date de l'enquête"), widget=DATE_WIDGET, error_messages=DATE_ERRORS)


class TransitionForm(forms.Form):
    """The fields posted to `enrolment_transition` (B's view): the reason of an abandonment or of
    a candidacy not selected, a detail, and the date of a dated move."""

    reason = forms.ChoiceField(label=_("Motif"), choices=[])
    detail = forms.CharField(label=_("Précision"), required=False, max_length=500)
    on_date = forms.DateField(label=_("Date"), required=False, widget=DATE_WIDGET, error_messages=DATE_ERRORS)

    def __init__(self, *args, reasons=None, fixed_reason="", dated=False, **kwargs):
        super().__init__(*args, **kwargs)
        if reasons:
            self.fields["reason"].choices = [("", "—"), *reasons]
        elif fixed_reason:
            # The one reason this reader may give (a follow-up member withdrawing a candidacy).
            self.fields["reason"] = forms.CharField(widget=forms.HiddenInput, initial=fixed_reason)
            del self.fields["detail"]
        else:
            del self.fields["reason"]
            del self.fields["detail"]
        if not dated:
            del self.fields["on_date"]
