"""Orientation pages: the pathway's orientation (decisions and re-orientation requests, with the
chargé·e d'orientation's decision form), a group member's re-orientation request, and the answer
to a request. Thin views: the rules live in parcours/pathways/orientation.py."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _

from parcours.pathways import orientation as orientation_services
from parcours.pathways.enums import Orientation, PathwayStatus, ReorientationStatus
from parcours.www.decorators import pathway_view
from parcours.www.forms_flow import submit_form
from parcours.www.pathway_context import pathway_context

from . import forms


def orientation_page(request, pathway, categories):
    """Shown to every reader of the pathway (wrapped by `pathway_view` in the pathway pages);
    only a chargé·e d'orientation gets the decision form and may post it."""
    context = pathway_context(request, pathway, categories, tab="summary", title=_("Orientation"))
    is_officer = context["is_orientation_officer"]
    if request.method == "POST" and not is_officer:
        raise PermissionDenied(_("Seul·e un·e chargé·e d'orientation décide de l'orientation."))
    is_open = pathway.status == PathwayStatus.OPEN
    pending = orientation_services.pending_reorientation_request(pathway=pathway)
    form, status = None, 200
    if is_officer and is_open:
        form = forms.OrientationDecisionForm(request.POST or None, pathway=pathway)
        done, status = submit_form(
            request,
            form,
            lambda data: orientation_services.orientation_decide(
                pathway=pathway,
                orientation=data["orientation"],
                structure=data["structure"],
                referent=data["referent"],
                reason=data["reason"],
                membership=request.membership,
                acting_user=request.user,
            ),
            success=_("L'orientation a été enregistrée."),
            next_url=reverse("pathway", args=[pathway.pk]),
        )
        if done:
            return done
    decisions = list(orientation_services.orientation_history(pathway=pathway))
    context.update(
        form=form,
        decisions=decisions,
        latest_decision=decisions[0] if decisions else None,
        reorientation_requests=list(orientation_services.reorientation_requests_of(pathway=pathway)),
        pending_request=pending,
        can_decide=is_officer and is_open,
        can_request_reorientation=(
            is_open
            and context["own_seat"] is not None
            and pathway.orientation != Orientation.PENDING
            and pending is None
        ),
    )
    return render(request, "pathways/orientation.html", context, status=status)


@pathway_view()
def request_new(request, pathway, categories):
    """A member of the follow-up group asks for a re-orientation."""
    context = pathway_context(request, pathway, categories, tab="summary", title=_("Demander une réorientation"))
    if pathway.status != PathwayStatus.OPEN or context["own_seat"] is None:
        raise PermissionDenied(_("Seuls les membres du groupe de suivi peuvent demander une réorientation."))
    blocked = orientation_services.reorientation_blocker(pathway=pathway)
    form = forms.ReorientationRequestForm(request.POST or None, pathway=pathway)
    done, status = submit_form(
        request,
        form,
        lambda data: orientation_services.reorientation_request(
            pathway=pathway,
            proposed_orientation=data["proposed_orientation"],
            reason=data["reason"],
            membership=request.membership,
            acting_user=request.user,
        ),
        success=_("Votre demande de réorientation a été envoyée aux chargé·es d'orientation du département."),
        next_url=reverse("pathway_orientation", args=[pathway.pk]),
    )
    if done:
        return done
    context.update(form=form, blocked=blocked)
    return render(request, "orientation/request_new.html", context, status=status)


@pathway_view()
def request_decide(request, pathway, categories, request_id: int):
    """A chargé·e d'orientation accepts (with structure and referent) or refuses a request."""
    context = pathway_context(request, pathway, categories, tab="summary", title=_("Demande de réorientation"))
    if not context["is_orientation_officer"]:
        raise PermissionDenied(_("Seul·e un·e chargé·e d'orientation répond aux demandes de réorientation."))
    reorientation = get_object_or_404(
        orientation_services.reorientation_requests_of(pathway=pathway).select_related("decision"), pk=request_id
    )
    form, status = None, 200
    if pathway.status == PathwayStatus.OPEN:
        form = forms.ReorientationDecisionForm(request.POST or None, pathway=pathway)

        def save(data):
            accept = data["decision"] == forms.ACCEPT
            return orientation_services.reorientation_decide(
                request=reorientation,
                accept=accept,
                reason=data["reason"],
                structure=data["structure"] if accept else None,
                referent=data["referent"] if accept else None,
                membership=request.membership,
                acting_user=request.user,
            )

        done, status = submit_form(
            request,
            form,
            save,
            success=_("Votre réponse à la demande de réorientation a été enregistrée."),
            next_url=reverse("pathway_orientation", args=[pathway.pk]),
        )
        if done:
            return done
    context.update(
        form=form,
        reorientation=reorientation,
        is_pending=reorientation.status == ReorientationStatus.PENDING,
        decision=getattr(reorientation, "decision", None),
    )
    return render(request, "orientation/request_decide.html", context, status=status)
