"""The call-for-projects pages: the calls the reader may see, publishing a call, one call's
projects (target vs actual, per territory, cost per participant), granting a project, one project,
and the pathway's projects with the form that adds the person to a project of the reader's
organisation.

A call or a project outside the reader's scope is answered 404 (not revealed); a page the reader
may see but an action they may not do is answered 403 with a French message. The rules are in
parcours.programmes.services_calls / selectors_calls."""

from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from parcours.programmes import selectors_calls, services_calls
from parcours.programmes.enums import ProjectType, TargetPublic
from parcours.programmes.models import CallForProjects
from parcours.www.decorators import audit_reads, pathway_view
from parcours.www.forms_flow import paginate, submit_form
from parcours.www.pathway_context import pathway_context, require_can_edit

from . import forms

LIST_PAGE_SIZE = 25
# The bar chart of a call: width of the drawing area, in SVG user units.
CHART_WIDTH = 400


def _require_professional(request) -> None:
    if request.membership is None:
        raise PermissionDenied(_("Vous devez agir au nom d'une organisation pour consulter les appels à projets."))


def _labels(enum, values) -> list[str]:
    return [str(enum(v).label) for v in values if v in enum.values]


def _bar(value: Decimal | int, scale: int) -> int:
    """Width in SVG units of a value on a scale whose maximum fills the chart (≥ 1 unit when > 0)."""
    if not value:
        return 0
    return max(1, round(float(value) / scale * CHART_WIDTH))


@login_required
@require_safe
def call_list(request):
    _require_professional(request)
    membership = request.membership
    page = paginate(request, selectors_calls.call_list_rows(membership=membership), LIST_PAGE_SIZE)
    context = {
        "title": _("Appels à projets"),
        "nav": "calls",
        "page": page,
        "calls": list(page.object_list),
        "can_create": services_calls.can_create_call(membership),
    }
    return render(request, "calls/list.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def call_create(request):
    _require_professional(request)
    membership = request.membership
    if not services_calls.can_create_call(membership):
        raise PermissionDenied(
            _("Seul·es les pilotes et les administrateur·rices d'une structure peuvent publier un appel à projets.")
        )
    form = forms.CallForm(request.POST if request.method == "POST" else None)
    created: list[CallForProjects] = []

    def save(data):
        created.append(services_calls.call_create(membership=membership, **data))

    done, status = submit_form(
        request, form, save, success=_("L'appel à projets est publié."), next_url=reverse("call_list")
    )
    if done is not None:
        return redirect("call_detail", created[0].pk)
    context = {
        "title": _("Publier un appel à projets"),
        "nav": "calls",
        "form": form,
        "funder": membership.organisation,
    }
    return render(request, "calls/create.html", context, status=status)


@login_required
@require_safe
def call_detail(request, call_id: int):
    _require_professional(request)
    membership = request.membership
    call = selectors_calls.call_get_for(membership=membership, call_id=call_id)
    summary = selectors_calls.call_summary(call=call)
    scale = summary.max_value
    bars = [
        {
            "line": line,
            "target_width": _bar(line.target, scale),
            "actual_width": _bar(line.actual, scale),
        }
        for line in summary.projects
    ]
    context = {
        "title": call.title,
        "nav": "calls",
        "call": call,
        "publics": _labels(TargetPublic, call.publics),
        "project_types": _labels(ProjectType, call.project_types),
        "summary": summary,
        "bars": bars,
        "chart_width": CHART_WIDTH,
        "can_add_project": services_calls.can_manage_call(membership, call),
    }
    return render(request, "calls/detail.html", context)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def project_create(request, call_id: int):
    _require_professional(request)
    membership = request.membership
    call = selectors_calls.call_get_for(membership=membership, call_id=call_id)
    if not services_calls.can_manage_call(membership, call):
        raise PermissionDenied(
            _(
                "Seul·es les pilotes et les administrateur·rices de l'organisation qui finance l'appel y ajoutent des projets."
            )
        )
    data = request.POST if request.method == "POST" else None
    form = forms.ProjectForm(data, project_types=call.project_types)
    created = []

    def save(cleaned):
        created.append(services_calls.project_create(membership=membership, call=call, **cleaned))

    done, status = submit_form(
        request,
        form,
        save,
        success=_("Le projet est enregistré dans l'appel."),
        next_url=reverse("call_detail", args=[call.pk]),
    )
    if done is not None:
        return redirect("project_detail", created[0].pk)
    granted = services_calls.granted_total(call)
    context = {
        "title": _("Nouveau projet"),
        "nav": "calls",
        "call": call,
        "form": form,
        "granted_total": granted,
        "budget_left": call.budget - granted,
    }
    return render(request, "calls/project_create.html", context, status=status)


@login_required
@require_safe
def project_detail(request, project_id: int):
    _require_professional(request)
    membership = request.membership
    project = selectors_calls.project_get_for(membership=membership, project_id=project_id)
    show_names = selectors_calls.is_carrier_staff(membership, project)
    participants = []
    others = 0
    if show_names:
        participants = list(selectors_calls.project_participants(membership=membership, project=project))
        others = selectors_calls.project_participants_not_named(membership=membership, project=project)
        # Each person named on the page is a read of their data (and tells a protection status).
        audit_reads(request, ((p, p.pathway.person) for p in participants), "project_detail")
    actual = project.actual
    context = {
        "title": project.title,
        "nav": "calls",
        "project": project,
        "call": project.call,
        "consortium": list(project.consortium.order_by("name")),
        "departements": list(project.departements.order_by("code")),
        "actual": actual,
        "cost_per_participant": (project.granted_amount / actual).quantize(Decimal("0.01")) if actual else None,
        "achievement_rate": (Decimal(actual) / project.target_beneficiaries * 100).quantize(Decimal("0.1")),
        "show_names": show_names,
        "participants": participants,
        "other_participants": others,
    }
    return render(request, "calls/project_detail.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
@pathway_view()
def pathway_projects(request, pathway, categories):
    context = pathway_context(request, pathway, categories, tab="programmes", title=_("Projets financés"))
    membership = request.membership
    open_projects = selectors_calls.projects_open_to(membership=membership, pathway_id=pathway.pk)
    if request.method == "POST":
        require_can_edit(context)
    form = forms.ParticipantForm(request.POST if request.method == "POST" else None, projects=open_projects)

    def save(data):
        services_calls.participant_add(
            membership=membership, project=data["project"], pathway=pathway, joined_on=data["joined_on"]
        )

    done, status = submit_form(
        request,
        form,
        save,
        success=_("La personne est inscrite au projet."),
        next_url=reverse("pathway_projects", args=[pathway.pk]),
        aliases={"project": "project"},
    )
    if done is not None:
        return done
    context.update(
        {
            "participations": list(selectors_calls.projects_of_pathway(pathway_id=pathway.pk)),
            "form": form,
            "can_add": context["can_edit"] and open_projects.exists(),
        }
    )
    return render(request, "calls/pathway_projects.html", context, status=status)
