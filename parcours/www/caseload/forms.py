from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from parcours.pathways.enums import Orientation, PathwayStatus

SORT_CHOICES = [
    ("-activite", _("Dernière activité, la plus récente d'abord")),
    ("activite", _("Dernière activité, la plus ancienne d'abord")),
    ("nom", _("Nom, de A à Z")),
    ("-nom", _("Nom, de Z à A")),
    ("-ouverture", _("Ouverture, la plus récente d'abord")),
    ("ouverture", _("Ouverture, la plus ancienne d'abord")),
]
STATUS_ALL = "tous"
QUERY_MAX_LENGTH = 100


class CaseloadFilterForm(forms.Form):
    """Filters of the caseload page, read from the query string. Built with `from_query`, which
    replaces any unexpected value by its default: a hand-edited URL never breaks the page."""

    q = forms.CharField(label=_("Nom ou prénom"), required=False, max_length=QUERY_MAX_LENGTH)
    role = forms.ChoiceField(
        label=_("Mon rôle dans le groupe"),
        required=False,
        choices=[("", _("Tous")), ("referent", _("Référent·e")), ("membre", _("Membre du groupe de suivi"))],
    )
    status = forms.ChoiceField(
        label=_("Statut du parcours"),
        required=False,
        choices=[(PathwayStatus.OPEN, _("En cours")), (PathwayStatus.CLOSED, _("Clos")), (STATUS_ALL, _("Tous"))],
    )
    orientation = forms.ChoiceField(
        label=_("Orientation"), required=False, choices=[("", _("Toutes")), *Orientation.choices]
    )
    sort = forms.ChoiceField(label=_("Trier par"), required=False, choices=SORT_CHOICES)

    DEFAULTS = {"q": "", "role": "", "status": PathwayStatus.OPEN, "orientation": "", "sort": "-activite"}

    @classmethod
    def from_query(cls, query) -> "CaseloadFilterForm":
        data = {}
        for name, field in cls.base_fields.items():
            raw = query.get(name, "")
            if name == "q":
                raw = raw[:QUERY_MAX_LENGTH]
            try:
                value = field.clean(raw)
            except ValidationError:
                value = ""
            data[name] = value or cls.DEFAULTS[name]
        form = cls(data=data)
        form.is_valid()
        return form

    def selector_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "role": data["role"],
            "status": "" if data["status"] == STATUS_ALL else data["status"],
            "orientation": data["orientation"],
            "query": data["q"],
            "sort": data["sort"],
        }
