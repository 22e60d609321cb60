"""Forms of the referral pages. They check the shape of the input (a choice from the list, a text
not too long); the rules that need the database or the actor (consent, archived service, who may
override, a referral that moved meanwhile) are the services' job, whose French messages are put
back on the form or shown at the top of the page."""

from django import forms
from django.utils.translation import gettext_lazy as _

from parcours.diagnostics.enums import Theme
from parcours.notifications.models import DeliveryMode
from parcours.pathways.models import Goal
from parcours.people.enums import DataCategory
from parcours.referrals.enums import ReferralOutcome, ReferralStatus, RefusalReason
from parcours.referrals.models import MESSAGE_MAX_LENGTH
from parcours.referrals.selectors import AWAITING
from parcours.referrals.services import REASON_MAX_LENGTH

TEXTAREA = forms.Textarea(attrs={"rows": 3})


class GoalChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Goal) -> str:
        return f"{obj.get_theme_display()} — {obj.text}"


class ReferralCreateForm(forms.Form):
    """The referral of a pathway to one service. `themes` are the (value, label) choices the
    reader may pick (the pathway's open needs first), `goals` the goals in progress the reader may
    see; `categories` the data categories whose checkbox is enabled."""

    service = forms.IntegerField(widget=forms.HiddenInput)
    theme = forms.ChoiceField(
        label=_("Besoin auquel répond la prescription"),
        required=False,
        help_text=_("Les besoins à travailler du dernier diagnostic sont proposés en premier."),
        error_messages={"invalid_choice": _("Choisissez le besoin auquel répond la prescription dans la liste.")},
    )
    goal = GoalChoiceField(
        label=_("Objectif du parcours"),
        queryset=Goal.objects.none(),
        required=False,
        empty_label=_("Aucun objectif précis"),
        help_text=_("Facultatif : si vous choisissez un objectif, la prescription porte sur son besoin."),
        error_messages={"invalid_choice": _("Choisissez un objectif en cours de ce parcours.")},
    )
    message = forms.CharField(
        label=_("Message à la structure"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=MESSAGE_MAX_LENGTH,
        help_text=_("Présentez la personne et sa demande : ce que vous attendez du service, ses disponibilités."),
        error_messages={
            "required": _("Rédigez un message pour présenter la demande à la structure."),
            "max_length": _("Le message ne peut dépasser 2 000 caractères."),
        },
    )
    shared_categories = forms.MultipleChoiceField(
        label=_("Données transmises"),
        choices=DataCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Catégorie de données inconnue : %(value)s.")},
    )
    override_reason = forms.CharField(
        label=_("Motif de la dérogation au consentement"),
        widget=TEXTAREA,
        required=False,
        max_length=REASON_MAX_LENGTH,
        help_text=_(
            "Seulement pour transmettre une donnée sensible sans le consentement de la personne : seul·e le·la "
            "référent·e ou un·e chargé·e d'orientation peut le faire, et le motif figure dans le journal des accès "
            "de la personne."
        ),
        error_messages={"max_length": _("Ce texte ne peut dépasser 500 caractères.")},
    )
    person_agrees_follow_up = forms.BooleanField(
        label=_("La personne accepte que le ou la professionnel·le qui l'accueille rejoigne son groupe de suivi"),
        required=False,
    )
    # "<score>:<rank>" of the proposal the referral comes from (the pathway's "Pistes" tab): the
    # referral then records the proposal as retained. Malformed or absent: no decision recorded.
    reco = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, themes: list, goals, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["theme"].choices = [("", _("Choisissez un besoin")), *themes]
        self.fields["goal"].queryset = goals


class AcceptForm(forms.Form):
    join_follow_up = forms.BooleanField(
        label=_("Rejoindre le groupe de suivi de la personne (elle a donné son accord)"), required=False
    )


class RefuseForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Motif du refus"),
        choices=RefusalReason.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choisissez un motif de refus dans la liste."),
            "invalid_choice": _("Choisissez un motif de refus dans la liste."),
        },
    )
    detail = forms.CharField(
        label=_("Précision"),
        widget=TEXTAREA,
        required=False,
        max_length=REASON_MAX_LENGTH,
        help_text=_("Obligatoire pour « Autre motif »."),
        error_messages={"max_length": _("Ce texte ne peut dépasser 500 caractères.")},
    )


class CloseForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Issue de l'accompagnement"),
        choices=ReferralOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choisissez l'issue de l'accompagnement dans la liste."),
            "invalid_choice": _("Choisissez l'issue de l'accompagnement dans la liste."),
        },
    )
    detail = forms.CharField(
        label=_("Précision"),
        widget=TEXTAREA,
        required=False,
        max_length=REASON_MAX_LENGTH,
        error_messages={"max_length": _("Ce texte ne peut dépasser 500 caractères.")},
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Motif de l'annulation"),
        widget=TEXTAREA,
        max_length=REASON_MAX_LENGTH,
        error_messages={
            "required": _("Indiquez pourquoi vous annulez cette prescription."),
            "max_length": _("Ce texte ne peut dépasser 500 caractères."),
        },
    )


class LinkAnswerForm(RefuseForm):
    """The answer through a signed link: accept, or refuse with a reason."""

    decision = forms.ChoiceField(
        label=_("Votre réponse"),
        choices=[("accept", _("J'accepte la prescription")), ("refuse", _("Je refuse la prescription"))],
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Indiquez si vous acceptez ou refusez la prescription."),
            "invalid_choice": _("Indiquez si vous acceptez ou refusez la prescription."),
        },
    )

    field_order = ["decision", "reason", "detail"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = False
        self.fields["reason"].label = _("Motif du refus (si vous refusez)")

    def clean(self):
        data = super().clean()
        if data.get("decision") == "refuse" and not data.get("reason") and "reason" not in self.errors:
            self.add_error("reason", _("Choisissez un motif de refus dans la liste."))
        return data


INBOX_STATUS_CHOICES = [
    ("", _("Tous les états")),
    (AWAITING, _("En attente de réponse")),
    *ReferralStatus.choices,
]


class InboxFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("État"), choices=INBOX_STATUS_CHOICES, required=False)
    service = forms.TypedChoiceField(label=_("Service"), coerce=int, required=False, empty_value=None)
    overdue = forms.BooleanField(label=_("Seulement les prescriptions en retard de réponse"), required=False)

    def __init__(self, *args, services, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = [("", _("Tous les services")), *[(s.pk, s.nom) for s in services]]


class PreferenceForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("Comment voulez-vous recevoir les courriels de Parcours ?"),
        choices=DeliveryMode.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choisissez un mode de réception proposé."),
            "invalid_choice": _("Choisissez un mode de réception proposé."),
        },
    )


def theme_choices(*, open_needs: list[str], readable: set[str]) -> list:
    """The diagnostic's open needs first, then the other themes the reader may see."""
    first = [(t, Theme(t).label) for t in open_needs if t in readable]
    rest = [(t.value, t.label) for t in Theme if t.value in readable and t.value not in open_needs]
    if not first:
        return rest
    return [(_("Besoins à travailler (dernier diagnostic)"), first), (_("Autres besoins"), rest)]
