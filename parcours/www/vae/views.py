"""The VAE pages of an enrolment: the pathway (target certification, blocs and results, route,
admissibility and the statement of experience, hours, jury, stage) with a form for each next
action, the opening form, and the actions (POST). Readers: the session's operator staff and the
pathway's follow-up members (404 for anyone else); the rules are in services_vae."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from parcours.audit.models import AuditAction
from parcours.audit.services import audit_log
from parcours.programmes import access, services_vae
from parcours.programmes import selectors_vae as selectors
from parcours.programmes.enums import ProgrammeKind
from parcours.programmes.services_vae import WRITABLE_STATES
from parcours.www.forms_flow import add_service_errors, refusal_message

from . import forms

# URL segment of each action, and the next action (services_vae.VaeStatus.next_actions) it performs.
ACTIONS = ("recevabilite", "heures", "jury", "resultats")
ACTION_NEEDS = {"recevabilite": "admissibility", "heures": "hours", "jury": "jury", "resultats": "results"}


def _enrolment(request, enrolment_id: int):
    if request.membership is None:
        raise Http404(_("Inscription introuvable."))
    enrolment = selectors.vae_enrolment_get(membership=request.membership, enrolment_id=enrolment_id)
    if enrolment.programme.kind != ProgrammeKind.VAE:
        raise Http404(_("Cette inscription ne relève pas d'un programme de VAE."))
    return enrolment


def _log_read(request, enrolment, view_name: str) -> None:
    audit_log(
        actor=request.user,
        organisation=request.membership.organisation,
        action=AuditAction.READ,
        obj=enrolment,
        person=enrolment.pathway.person,
        object_type=f"programmes.enrolment:{view_name}",
    )


def _forms(vae, data=None, action: str = "") -> dict:
    """The forms of the next actions; the one posted is bound to its data."""
    blocs = [r.bloc for r in vae.bloc_results.all()]
    built = {
        "recevabilite": forms.AdmissibilityForm(data if action == "recevabilite" else None, prefix="adm"),
        "heures": forms.HoursForm(data if action == "heures" else None, prefix="hrs"),
        "jury": forms.JuryForm(data if action == "jury" else None, prefix="jury", initial={"jury_date": vae.jury_date}),
        "resultats": forms.ResultsForm(data if action == "resultats" else None, prefix="res", blocs=blocs),
    }
    return built


def _detail_context(request, enrolment, vae, bound_forms=None) -> dict:
    context = {
        "title": _("Parcours VAE"),
        "nav": "programmes",
        "enrolment": enrolment,
        "person": enrolment.pathway.person,
        "vae": vae,
        "status": None,
        "rows": [],
        "can_write": enrolment.state in WRITABLE_STATES,
        "can_open": enrolment.state in WRITABLE_STATES and vae is None,
        "forms": {},
        "shown": frozenset(),
        "error_action": "",
        "is_member": access.is_follow_up_member(request.membership, enrolment.pathway),
    }
    if vae is not None:
        status = services_vae.vae_status(vae)
        context.update(
            status=status,
            rows=list(vae.bloc_results.all()),
            forms=bound_forms or _forms(vae),
        )
        if context["can_write"]:
            context["shown"] = frozenset(k for k, need in ACTION_NEEDS.items() if need in status.next_actions)
    return context


@login_required
@require_safe
def vae_detail(request, enrolment_id: int):
    enrolment = _enrolment(request, enrolment_id)
    vae = selectors.vae_of(enrolment)
    _log_read(request, enrolment, "vae_detail")
    return render(request, "vae/detail.html", _detail_context(request, enrolment, vae))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def vae_open(request, enrolment_id: int):
    enrolment = _enrolment(request, enrolment_id)
    if selectors.vae_of(enrolment) is not None:
        return redirect("vae_detail", enrolment_id=enrolment.pk)
    certifications = selectors.vae_certifications()
    form = forms.VaeOpenForm(
        request.POST if request.method == "POST" else None,
        certifications=certifications,
        routes=selectors.vae_routes(),
        diplomas=selectors.foreign_diplomas_of(enrolment),
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services_vae.vae_open(
                membership=request.membership,
                enrolment=enrolment,
                certification=data["certification"],
                route=data["route"],
                admissibility=data["admissibility"],
                experience_statement=data["experience_statement"],
                bloc_ids=data["bloc_ids"],
                foreign_diploma=data["foreign_diploma"],
                accompaniment_hours_planned=data["accompaniment_hours_planned"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, refusal_message(exc))
            status = 403
        else:
            messages.success(request, _("Le parcours VAE est ouvert."))
            return redirect("vae_detail", enrolment_id=enrolment.pk)
    _log_read(request, enrolment, "vae_open")
    chosen_blocs = set(form["bloc_ids"].value() or [])
    context = {
        "title": _("Ouvrir un parcours VAE"),
        "nav": "programmes",
        "enrolment": enrolment,
        "person": enrolment.pathway.person,
        "form": form,
        "routes": list(selectors.vae_routes()),
        "chosen_route": str(form["route"].value() or ""),
        "bloc_groups": [
            (cert, [(value, label, value in chosen_blocs) for value, label in choices])
            for cert, choices in form.bloc_groups
        ],
        "can_write": enrolment.state in WRITABLE_STATES,
    }
    return render(request, "vae/open.html", context, status=status)


@login_required
@require_POST
def vae_action(request, enrolment_id: int, action: str):
    if action not in ACTIONS:
        raise Http404(_("Action inconnue."))
    enrolment = _enrolment(request, enrolment_id)
    vae = selectors.vae_of(enrolment)
    if vae is None:
        raise Http404(_("Aucun parcours VAE n'est ouvert pour cette inscription."))
    bound = _forms(vae, request.POST, action)
    form = bound[action]
    status = 200
    if form.is_valid():
        data = form.cleaned_data
        try:
            if action == "recevabilite":
                services_vae.vae_admissibility_decide(
                    membership=request.membership, vae=vae, decision=data["decision"], decided_on=data["decided_on"]
                )
                success = _("La décision de recevabilité est enregistrée.")
            elif action == "heures":
                services_vae.vae_hours_record(
                    membership=request.membership,
                    vae=vae,
                    hours=data["hours"],
                    done_on=data["done_on"],
                    planned=data["planned"],
                )
                success = _("Les heures d'accompagnement sont enregistrées.")
            elif action == "jury":
                services_vae.vae_jury_schedule(membership=request.membership, vae=vae, jury_date=data["jury_date"])
                success = _("La date du jury est enregistrée.")
            else:
                services_vae.vae_bloc_results_record(
                    membership=request.membership, vae=vae, results=form.results(), decided_on=data["decided_on"]
                )
                success = _("Les résultats du jury sont enregistrés.")
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, refusal_message(exc))
            status = 403
        else:
            messages.success(request, success)
            return redirect(reverse("vae_detail", kwargs={"enrolment_id": enrolment.pk}) + f"#{action}")
    _log_read(request, enrolment, "vae_action")
    context = _detail_context(request, enrolment, selectors.vae_of(enrolment), bound)
    context["error_action"] = action
    context["shown"] = context["shown"] | {action}
    return render(request, "vae/detail.html", context, status=status)
