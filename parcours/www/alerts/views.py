"""Pathway breaks: the professional's "À traiter" queue (the alerts they should act on), and the
counts by type for a structure administrator and for a pilote territorial (counts only, never a
person). Reads go through parcours.pathways.breaks, which scopes in SQL."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from parcours.organisations.enums import ACCOMPANYING_ROLES, Role
from parcours.pathways import breaks
from parcours.pathways.enums import BreakKind
from parcours.www.decorators import require_role
from parcours.www.forms_flow import paginate

from .presenters import alert_row

PAGE_SIZE = 25


class AlertFilterForm(forms.Form):
    type = forms.ChoiceField(
        label=gettext_lazy("Type d'alerte"),
        required=False,
        choices=[("", gettext_lazy("Tous les types"))] + list(BreakKind.choices),
        error_messages={"invalid_choice": gettext_lazy("Type d'alerte inconnu : choisissez un type dans la liste.")},
    )


@login_required
@require_GET
def to_handle(request):
    membership = request.membership
    if membership is None or membership.role not in ACCOMPANYING_ROLES:
        raise PermissionDenied(_("Cette page est réservée aux professionnel·les qui accompagnent des personnes."))
    form = AlertFilterForm(request.GET)
    kind = form.cleaned_data["type"] if form.is_valid() else ""
    qs = breaks.alerts_to_handle(membership=membership, kind=kind)
    page = paginate(request, qs, PAGE_SIZE)
    rows = [alert_row(alert, viewer_membership_id=membership.pk) for alert in page.object_list]
    return render(
        request,
        "alerts/to_handle.html",
        {
            "title": _("Alertes à traiter"),
            "nav": "alerts",
            "form": form,
            "page": page,
            "rows": rows,
            "kind": kind,
        },
    )


def _count_rows(counts: dict[str, int]) -> list[dict]:
    return [{"label": label, "count": counts.get(kind, 0)} for kind, label in BreakKind.choices]


@login_required
@require_GET
def organisation_counts(request):
    membership = require_role(
        request, Role.ADMIN_STRUCTURE, _("Cette page est réservée aux administrateur·rices de structure.")
    )
    counts = breaks.alert_counts_for_organisation(organisation=membership.organisation)
    return render(
        request,
        "alerts/counts.html",
        {
            "title": _("Ruptures de parcours de la structure"),
            "nav": "alerts_organisation",
            "scope": membership.organisation.name,
            "intro": _("Alertes en cours sur les parcours dont le·la référent·e appartient à votre structure."),
            "rows": _count_rows(counts),
            "total": sum(counts.values()),
        },
    )


@login_required
@require_GET
def territory_counts(request):
    membership = require_role(request, Role.PILOTE, _("Cette page est réservée aux pilotes territoriaux."))
    departement = membership.organisation.departement
    counts = breaks.alert_counts_for_departement(departement_code=departement.code)
    return render(
        request,
        "alerts/counts.html",
        {
            "title": _("Ruptures de parcours du territoire"),
            "nav": "alerts_territory",
            "scope": f"{departement.name} ({departement.code})",
            "intro": _("Alertes en cours sur les parcours du département."),
            "rows": _count_rows(counts),
            "total": sum(counts.values()),
        },
    )
