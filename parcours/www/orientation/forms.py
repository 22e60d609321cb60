"""Forms of the orientation pages. They check the shape of the input (and that the referent belongs
to the chosen structure, to answer next to the field); the services check it again against the
database, with the actor's rights."""

from django import forms
from django.utils.translation import gettext_lazy as _

from parcours.organisations.models import Membership
from parcours.pathways import orientation as orientation_services
from parcours.pathways.enums import Orientation
from parcours.pathways.models import Pathway

REASON_MAX_LENGTH = orientation_services.REASON_MAX_LENGTH

ACCEPT, REFUSE = "accept", "refuse"


def _decided_orientations(exclude: str = "") -> list[tuple[str, str]]:
    return [(value, label) for value, label in Orientation.choices if value not in (Orientation.PENDING, exclude)]


class ReferentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        return f"{obj.user.get_full_name()} ({obj.organisation.name}, {obj.get_role_display()})"


class _StructureAndReferentForm(forms.Form):
    structure = forms.ModelChoiceField(
        label=_("Structure d'accompagnement"),
        queryset=None,
        empty_label=_("Choisissez une structure"),
        error_messages={
            "required": _("Choisissez la structure d'accompagnement."),
            "invalid_choice": _("Choisissez une structure parmi celles proposées."),
        },
    )
    referent = ReferentChoiceField(
        label=_("Référent·e désigné·e"),
        help_text=_("Un·e professionnel·le de la structure choisie. Sans choix, le·la référent·e actuel·le reste."),
        queryset=None,
        required=False,
        empty_label=_("Ne pas changer de référent·e"),
        error_messages={"invalid_choice": _("Choisissez un·e référent·e parmi les professionnel·les proposé·es.")},
    )
    reason = forms.CharField(
        label=_("Motivation de la décision"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Motivez la décision d'orientation.")},
    )

    def __init__(self, *args, pathway: Pathway, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["structure"].queryset = orientation_services.structure_choices(pathway=pathway)
        self.fields["referent"].queryset = orientation_services.referent_choices(pathway=pathway)

    def clean(self):
        data = super().clean()
        structure, referent = data.get("structure"), data.get("referent")
        if structure is not None and referent is not None and referent.organisation_id != structure.pk:
            self.add_error(
                "referent",
                _("Ce·tte professionnel·le ne travaille pas dans la structure choisie : choisissez-en un·e autre."),
            )
        return data


class OrientationDecisionForm(_StructureAndReferentForm):
    """A chargé·e d'orientation's decision: orientation, structure, referent, reason."""

    orientation = forms.ChoiceField(
        label=_("Orientation décidée"),
        choices=[("", _("Choisissez une orientation"))] + _decided_orientations(),
        error_messages={
            "required": _("Choisissez une orientation."),
            "invalid_choice": _("Choisissez une orientation parmi celles proposées."),
        },
    )

    field_order = ["orientation", "structure", "referent", "reason"]


class ReorientationRequestForm(forms.Form):
    proposed_orientation = forms.ChoiceField(
        label=_("Orientation proposée"),
        choices=(),
        error_messages={
            "required": _("Choisissez l'orientation que vous proposez."),
            "invalid_choice": _("Choisissez une orientation parmi celles proposées."),
        },
    )
    reason = forms.CharField(
        label=_("Motif de la demande"),
        help_text=_("Ce qui a changé dans la situation de la personne et justifie une autre orientation."),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Expliquez pourquoi vous demandez une réorientation.")},
    )

    def __init__(self, *args, pathway: Pathway, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["proposed_orientation"].choices = [("", _("Choisissez une orientation"))] + _decided_orientations(
            exclude=pathway.orientation
        )


class ReorientationDecisionForm(_StructureAndReferentForm):
    """The answer to a re-orientation request: accept (with the structure and referent of the new
    orientation) or refuse, always with a reason."""

    decision = forms.ChoiceField(
        label=_("Réponse"),
        choices=[(ACCEPT, _("Accepter la réorientation")), (REFUSE, _("Refuser la réorientation"))],
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choisissez d'accepter ou de refuser la demande."),
            "invalid_choice": _("Choisissez d'accepter ou de refuser la demande."),
        },
    )

    field_order = ["decision", "structure", "referent", "reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["structure"].required = False
        self.fields["structure"].label = _("Structure d'accompagnement (pour accepter)")
        self.fields["structure"].help_text = _("Obligatoire pour accepter la demande.")
        self.fields["reason"].label = _("Motivation de la réponse")
        self.fields["reason"].error_messages["required"] = _("Motivez votre réponse à la demande de réorientation.")

    def clean(self):
        data = super().clean()
        if data.get("decision") == ACCEPT and "structure" not in self.errors and data.get("structure") is None:
            self.add_error("structure", _("Choisissez la structure d'accompagnement pour accepter la demande."))
        return data
