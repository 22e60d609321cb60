"""An organisation's own offer ("Mes services"): the list with quality and freshness, the service form,
publish / archive, the quick "places libres" update, and the review of possible duplicates. Pages are
for structure administrators (the duplicates review also for platform administrators); writes go
through parcours.directory.services, which checks the right again and refuses with a 403."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from parcours.directory import quality, services
from parcours.directory.models import DuplicateCandidate, DuplicateStatus, Service, ServiceStatus
from parcours.organisations.enums import Role
from parcours.www.decorators import require_role
from parcours.www.forms_flow import paginate, submit_form

from .forms import CapacityForm, DuplicateDecisionForm, ServiceForm, StructureForm

PAGE_SIZE = 25


def _require_admin(request):
    return require_role(
        request, Role.ADMIN_STRUCTURE, _("Cette page est réservée aux administrateur·rices de structure.")
    )


def _service_for(request, service_id: int) -> Service:
    membership = _require_admin(request)
    service = get_object_or_404(Service.objects.select_related("structure"), pk=service_id)
    if not services.can_manage(membership, service):
        raise PermissionDenied(_("Ce service est géré par une autre organisation : vous ne pouvez pas le modifier."))
    return service


@login_required
@require_safe
def offer_list(request):
    membership = _require_admin(request)
    status_order = Case(
        When(status=ServiceStatus.DRAFT, then=Value(0)),
        When(status=ServiceStatus.PUBLISHED, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    qs = (
        services.services_managed_by(membership=membership)
        .select_related("structure")
        .order_by(status_order, "nom", "id")
    )
    page = paginate(request, qs, PAGE_SIZE)
    today = timezone.localdate()
    rows = [
        {
            "service": service,
            "quality": quality.score(service, today=today),
            "stale": service.status == ServiceStatus.PUBLISHED and quality.is_stale(service.date_maj, today),
        }
        for service in page.object_list
    ]
    return render(
        request,
        "offer/list.html",
        {
            "title": _("Mes services"),
            "nav": "offer",
            "page": page,
            "rows": rows,
            "organisation": membership.organisation,
        },
    )


def _form_page(request, *, service: Service | None):
    membership = request.membership
    if request.method == "POST":
        form = ServiceForm(request.POST)
    else:
        form = ServiceForm(initial=ServiceForm.initial_for(service) if service else None)
    saved: dict = {}

    def save(_cleaned):
        saved["service"] = services.save_service(membership=membership, service=service, data=form.to_data())

    if service is None:
        success = _("Le service a été créé en brouillon : publiez-le quand il est prêt.")
    else:
        success = _("Le service a été enregistré.")
    response, status = submit_form(request, form, save, success=success, next_url=reverse("offer_list"))
    if response is not None:
        return response
    return render(
        request,
        "offer/form.html",
        {
            "title": _("Modifier le service") if service else _("Déclarer un service"),
            "nav": "offer",
            "form": form,
            "service": service,
            "quality": quality.score(service, today=timezone.localdate()) if service else None,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def offer_create(request):
    _require_admin(request)
    return _form_page(request, service=None)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def offer_edit(request, service_id: int):
    return _form_page(request, service=_service_for(request, service_id))


def _status_change(request, service_id: int, action, success: str):
    service = _service_for(request, service_id)
    try:
        action(membership=request.membership, service=service)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("offer_list")
    messages.success(request, success % {"nom": service.nom})
    return redirect("offer_list")


@login_required
@require_POST
def offer_publish(request, service_id: int):
    return _status_change(
        request, service_id, services.publish_service, _("« %(nom)s » est publié dans l'annuaire de l'offre.")
    )


@login_required
@require_POST
def offer_archive(request, service_id: int):
    return _status_change(
        request,
        service_id,
        services.archive_service,
        _("« %(nom)s » est archivé : il n'apparaît plus dans l'annuaire."),
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def offer_capacity(request, service_id: int):
    service = _service_for(request, service_id)
    form = (
        CapacityForm(request.POST)
        if request.method == "POST"
        else CapacityForm(initial=CapacityForm.initial_for(service))
    )

    def save(data):
        services.update_capacity(membership=request.membership, service=service, **data)

    response, status = submit_form(
        request,
        form,
        save,
        success=_("Les places de « %(nom)s » ont été mises à jour.") % {"nom": service.nom},
        next_url=reverse("offer_list"),
    )
    if response is not None:
        return response
    return render(
        request,
        "offer/capacity.html",
        {"title": _("Places libres"), "nav": "offer", "form": form, "service": service},
        status=status,
    )


def _require_reviewer(request):
    if request.user.is_superuser:
        return
    _require_admin(request)


@login_required
@require_safe
def offer_duplicates(request):
    _require_reviewer(request)
    qs = (
        services.duplicates_visible_to(user=request.user, membership=request.membership)
        .filter(status=DuplicateStatus.PENDING)
        .select_related(
            "first_structure",
            "second_structure",
            "first_service__structure",
            "second_service__structure",
        )
        .order_by("-score", "id")
    )
    page = paginate(request, qs, PAGE_SIZE)
    return render(
        request,
        "offer/duplicates.html",
        {"title": _("Doublons possibles"), "nav": "offer_duplicates", "page": page},
    )


@login_required
@require_POST
def offer_duplicate_decide(request, candidate_id: int):
    _require_reviewer(request)
    candidate = get_object_or_404(DuplicateCandidate, pk=candidate_id)
    form = DuplicateDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
        return redirect("offer_duplicates")
    try:
        services.decide_duplicate(
            user=request.user,
            membership=request.membership,
            candidate=candidate,
            decision=form.cleaned_data["decision"],
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("offer_duplicates")
    label = dict(DuplicateStatus.choices)[form.cleaned_data["decision"]]
    messages.success(request, _("Décision enregistrée : %(decision)s.") % {"decision": label})
    return redirect("offer_duplicates")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def offer_structure(request):
    """The organisation's own structure ("Ma structure"): its address and contacts, exported with its
    services and used to place those declared without an address of their own."""
    membership = _require_admin(request)
    structure = services.structure_for_organisation(organisation=membership.organisation)
    if request.method == "POST":
        form = StructureForm(request.POST)
    else:
        form = StructureForm(initial=StructureForm.initial_for(structure))

    def save(_cleaned):
        services.save_structure(membership=membership, data=form.to_data())

    response, status = submit_form(
        request,
        form,
        save,
        success=_("Les informations de votre structure ont été enregistrées."),
        next_url=reverse("offer_list"),
        # The commune is typed in one field: what the service says of the postcode or the code INSEE goes there.
        aliases={"code_postal": "commune", "code_insee": "commune"},
    )
    if response is not None:
        return response
    return render(
        request,
        "offer/structure_form.html",
        {"title": _("Ma structure"), "nav": "offer", "form": form, "structure": structure},
        status=status,
    )
