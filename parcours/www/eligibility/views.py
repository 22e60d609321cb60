"""Declaring a programme, and checking a person's eligibility.

- programme_declare / programme_edit: the programme's managers (pilote or structure administrator
  of the owner organisation, access.can_manage_programme) fill a form whose rules and steps are
  JSON; everyone else gets a 403.
- pathway_programmes: the pathway's "Programmes" tab: the person's enrolments, and every open
  programme with the person's eligibility (as the reader may see the data).
- eligibility_check: for a follow-up member, each criterion with the value used, its status, why
  and what to ask (a group "au moins une condition parmi", then each of its criteria); then the
  programme's open sessions, to propose the person."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from parcours.pathways.enums import PathwayStatus
from parcours.programmes import eligibility as rules
from parcours.programmes.access import MANAGER_ROLES, can_manage_programme, is_follow_up_member
from parcours.programmes.enums import DEFAULT_POSITIVE_OUTCOMES, ProgrammeKind
from parcours.programmes.facts import eligibility_for, eligibility_for_programmes
from parcours.programmes.models import Programme
from parcours.programmes.selectors import sessions_of
from parcours.programmes.services_programme import programme_as_data, programme_update
from parcours.programmes.services_programme import programme_declare as programme_declare_service
from parcours.www.decorators import pathway_view
from parcours.www.forms_flow import add_service_errors, refusal_message
from parcours.www.pathway_context import pathway_context

from .forms import ProgrammeForm

STATUS_BADGES = {
    rules.ELIGIBLE: "fr-badge--success",
    rules.NOT_ELIGIBLE: "fr-badge--error",
    rules.UNDETERMINED: "fr-badge--warning",
}
CRITERION_BADGES = {
    rules.MET: "fr-badge--success",
    rules.NOT_MET: "fr-badge--error",
    rules.UNKNOWN: "fr-badge--warning",
}
CRITERION_LABELS = {
    rules.MET: gettext_lazy("Remplie"),
    rules.NOT_MET: gettext_lazy("Non remplie"),
    rules.UNKNOWN: gettext_lazy("À vérifier"),
}


def _field_reference() -> list[dict]:
    """The fields and operators a rule may use, for the help under the form."""
    return [
        {
            "name": f.name,
            "label": f.label,
            "operators": ", ".join(f.operators),
            "values": ", ".join(f.choices) if f.choices else (f.unit or _("code")),
        }
        for f in rules.fields().values()
    ]


def _form_page(request, *, form, title: str, submit: str, status: int = 200, programme: Programme | None = None):
    context = {
        "title": title,
        "nav": "programmes",
        "form": form,
        "submit": submit,
        "programme": programme,
        "fields_reference": _field_reference(),
        "operators_reference": list(rules.OPERATORS.items()),
        "checkbox_fields": ("target_publics", "positive_outcomes", "indicators"),
    }
    return render(request, "eligibility/programme_form.html", context, status=status)


def _save(request, form, write) -> tuple[Programme | None, int]:
    """Run the service on a valid POST: (programme, 200) when written; (None, status) otherwise,
    with the service's messages on the form (nothing written)."""
    if request.method != "POST" or not form.is_valid():
        return None, 200
    try:
        return write(form.as_data()), 200
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None, 200
    except PermissionDenied as exc:
        form.add_error(None, refusal_message(exc))
        return None, 403


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def programme_declare(request):
    membership = request.membership
    if membership is None or membership.role not in MANAGER_ROLES:
        raise PermissionDenied(_("Seul·e un·e pilote ou administrateur·rice de structure peut déclarer un programme."))
    initial = {"is_active": True, "kind": ProgrammeKind.GENERAL, "positive_outcomes": list(DEFAULT_POSITIVE_OUTCOMES)}
    form = ProgrammeForm(request.POST or None, initial=ProgrammeForm.initial_from(initial))
    programme, status = _save(request, form, lambda data: programme_declare_service(membership=membership, data=data))
    if programme is not None:
        messages.success(request, _("Programme « %(name)s » déclaré.") % {"name": programme.name})
        return redirect("programme_detail", programme.code)
    return _form_page(
        request, form=form, title=_("Déclarer un programme"), submit=_("Déclarer le programme"), status=status
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def programme_edit(request, code: str):
    programme = get_object_or_404(Programme.objects.select_related("owner"), code=code)
    membership = request.membership
    if not can_manage_programme(membership, programme):
        raise PermissionDenied(
            _(
                "Seul·e un·e pilote ou administrateur·rice de structure de l'organisation qui porte ce programme "
                "peut le modifier."
            )
        )
    form = ProgrammeForm(request.POST or None, initial=ProgrammeForm.initial_from(programme_as_data(programme)))
    saved, status = _save(
        request, form, lambda data: programme_update(membership=membership, programme=programme, data=data)
    )
    if saved is not None:
        messages.success(request, _("Programme « %(name)s » modifié.") % {"name": saved.name})
        return redirect("programme_detail", saved.code)
    return _form_page(
        request,
        form=form,
        title=_("Modifier le programme « %(name)s »") % {"name": programme.name},
        submit=_("Enregistrer les modifications"),
        status=status,
        programme=programme,
    )


@require_safe
@pathway_view()
def pathway_programmes(request, pathway, categories):
    context = pathway_context(request, pathway, categories, tab="programmes", title=_("Programmes du parcours"))
    enrolments = list(
        pathway.enrolments.select_related("programme", "session", "session__operator").order_by("-proposed_at", "-pk")
    )
    programmes = list(Programme.objects.filter(is_active=True).order_by("name", "pk"))
    results = eligibility_for_programmes(pathway=pathway, programmes=programmes, membership=request.membership)
    can_check = is_follow_up_member(request.membership, pathway)
    rows = []
    for programme in programmes:
        result = results[programme.pk]
        rows.append(
            {
                "programme": programme,
                "status": result.status,
                "status_label": result.status_label,
                "badge": STATUS_BADGES[result.status],
                "not_met": [c.label for c in result.criteria if c.status == rules.NOT_MET],
                "missing": len(result.missing),
            }
        )
    context.update({"enrolments": enrolments, "rows": rows, "can_check": can_check})
    return render(request, "eligibility/pathway_programmes.html", context)


def _criterion_row(criterion: rules.CriterionResult) -> dict:
    return {
        "criterion": criterion,
        "badge": CRITERION_BADGES[criterion.status],
        "status_label": CRITERION_LABELS[criterion.status],
    }


@require_safe
@pathway_view()
def eligibility_check(request, pathway, categories, code: str):
    membership = request.membership
    if not is_follow_up_member(membership, pathway):
        raise PermissionDenied(
            _("Seuls les membres du groupe de suivi de la personne peuvent vérifier son éligibilité à un programme.")
        )
    programme = get_object_or_404(Programme, code=code)
    result = eligibility_for(pathway=pathway, programme=programme, membership=membership)
    context = pathway_context(
        request, pathway, categories, tab="programmes", title=_("Éligibilité à « %(name)s »") % {"name": programme.name}
    )
    criteria = [
        {
            **_criterion_row(c),
            "items": [_criterion_row(item) for item in c.items],
        }
        for c in result.criteria
    ]
    sessions = list(sessions_of(programme, open_only=True)) if programme.is_active else []
    context.update(
        {
            "programme": programme,
            "result": result,
            "badge": STATUS_BADGES[result.status],
            "criteria": criteria,
            "sessions": sessions,
            "can_propose": pathway.status == PathwayStatus.OPEN and programme.is_active,
        }
    )
    return render(request, "eligibility/check.html", context)
