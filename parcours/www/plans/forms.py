from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from parcours.diagnostics.enums import Theme
from parcours.pathways.enums import ActionKind, ActionStatus, AppointmentMode, AppointmentStatus, GoalStatus
from parcours.pathways.models import NOTE_MAX_LENGTH
from parcours.www.widgets import DATE_WIDGET


class GoalForm(forms.Form):
    theme = forms.ChoiceField(
        label=_("Thème"),
        error_messages={"required": _("Choisissez un thème."), "invalid_choice": _("Thème inconnu.")},
    )
    text = forms.CharField(
        label=_("Objectif"),
        max_length=300,
        help_text=_("Formulé avec la personne, en quelques mots."),
        error_messages={
            "required": _("Rédigez l'objectif."),
            "max_length": _("L'objectif ne peut dépasser 300 caractères."),
        },
    )
    agreed_by_person = forms.BooleanField(label=_("Objectif validé avec la personne"), required=False)

    def __init__(self, *args, themes: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["theme"].choices = [("", "—")] + [(t, Theme(t).label) for t in themes]

    def clean_text(self):
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError(_("Rédigez l'objectif."))
        return text


class GoalEditForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Statut"),
        choices=GoalStatus.choices,
        error_messages={"invalid_choice": _("Statut d'objectif inconnu.")},
    )
    agreed_by_person = forms.BooleanField(label=_("Objectif validé avec la personne"), required=False)


class ActionForm(forms.Form):
    text = forms.CharField(
        label=_("Action"),
        max_length=300,
        error_messages={
            "required": _("Décrivez l'action."),
            "max_length": _("L'action ne peut dépasser 300 caractères."),
        },
    )
    kind = forms.ChoiceField(
        label=_("Type d'action"),
        help_text=_(
            "Le renouvellement du titre de séjour et les cours de français du CIR lèvent les alertes de rupture "
            "correspondantes."
        ),
        choices=ActionKind.choices,
        initial=ActionKind.OTHER,
        required=False,
        error_messages={"invalid_choice": _("Choisissez un type d'action proposé.")},
    )
    due_on = forms.DateField(
        label=_("Échéance"),
        required=False,
        widget=DATE_WIDGET,
        error_messages={"invalid": _("Saisissez une date valide.")},
    )

    def clean_text(self):
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError(_("Décrivez l'action."))
        return text

    def clean_kind(self):
        return self.cleaned_data.get("kind") or ActionKind.OTHER

    def clean_due_on(self):
        due_on = self.cleaned_data.get("due_on")
        if due_on and due_on < timezone.localdate():
            raise forms.ValidationError(_("L'échéance ne peut pas être dans le passé."))
        return due_on


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Nouveau statut"),
        choices=ActionStatus.choices,
        error_messages={"required": _("Choisissez un statut."), "invalid_choice": _("Statut d'action inconnu.")},
    )
    done_on = forms.DateField(
        label=_("Réalisée le"),
        required=False,
        widget=DATE_WIDGET,
        help_text=_("Seulement pour une action réalisée ; aujourd'hui par défaut."),
        error_messages={"invalid": _("Saisissez une date valide.")},
    )

    def __init__(self, *args, allowed: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if allowed is not None and not self.is_bound:
            # Offer only the allowed transitions; a bound form keeps every status so that the
            # service gives its own message for a refused transition.
            self.fields["status"].choices = [(s, ActionStatus(s).label) for s in allowed]


class AppointmentForm(forms.Form):
    starts_at = forms.DateTimeField(
        label=_("Date et heure"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={
            "required": _("Indiquez la date et l'heure du rendez-vous."),
            "invalid": _("Saisissez une date et une heure valides."),
        },
    )
    duration_minutes = forms.IntegerField(
        label=_("Durée (minutes)"),
        min_value=5,
        max_value=480,
        initial=45,
        error_messages={
            "required": _("Indiquez la durée."),
            "min_value": _("Un rendez-vous dure au moins 5 minutes."),
            "max_value": _("Un rendez-vous dure au plus 8 heures (480 minutes)."),
            "invalid": _("Saisissez un nombre entier de minutes."),
        },
    )
    mode = forms.ChoiceField(
        label=_("Modalité"),
        choices=[("", "—"), *AppointmentMode.choices],
        error_messages={"required": _("Choisissez une modalité."), "invalid_choice": _("Modalité inconnue.")},
    )
    subject = forms.CharField(
        label=_("Objet"),
        max_length=200,
        error_messages={
            "required": _("Indiquez l'objet du rendez-vous."),
            "max_length": _("L'objet ne peut dépasser 200 caractères."),
        },
    )
    place = forms.CharField(
        label=_("Lieu"),
        max_length=200,
        required=False,
        error_messages={"max_length": _("Le lieu ne peut dépasser 200 caractères.")},
    )
    interpreter_booked = forms.BooleanField(label=_("Interprète réservé·e"), required=False)

    def clean_subject(self):
        subject = self.cleaned_data["subject"].strip()
        if not subject:
            raise forms.ValidationError(_("Indiquez l'objet du rendez-vous."))
        return subject


APPOINTMENT_OUTCOMES = [s for s in AppointmentStatus if s != AppointmentStatus.PLANNED]


class AppointmentStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Statut"),
        choices=[(s.value, s.label) for s in APPOINTMENT_OUTCOMES],
        error_messages={"required": _("Choisissez un statut."), "invalid_choice": _("Statut de rendez-vous inconnu.")},
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Visible par les membres du groupe de suivi. 5 000 caractères au plus."),
        error_messages={
            "required": _("La note est vide."),
            "max_length": _("La note ne peut dépasser 5 000 caractères."),
        },
    )

    def clean_text(self):
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError(_("La note est vide."))
        return text
