"""The job pages: appellation search (and its htmx suggestions), the job sheet, the French level of
each professional domain, the ROME releases and tension imports (platform administrators), and
the person's job wishes on the pathway's situation section.

The referential holds no personal data: any professional acting for an organisation (and a
platform administrator) reads it. The wishes go through `pathway_view` and the situation section's
checks, like the experiences (parcours/www/pathways/views.py)."""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from parcours.occupations.models import ProfessionalDomain, ReleaseStatus, RomeRelease, TensionImport
from parcours.occupations.search import query_error, search_appellations
from parcours.occupations.services import domain_french_level_set
from parcours.occupations.sheets import SheetNotFound, sheet_detail
from parcours.people import services_jobs
from parcours.www.decorators import pathway_view
from parcours.www.pathways import views as pathway_views

from .forms import AppellationQueryForm, DomainLevelForm, JobWishForm

SEARCH_LIMIT = 50
SUGGEST_LIMIT = 10
_FIELD_NAME = re.compile(r"[a-z][a-z0-9_-]{0,59}")
DEFAULT_FIELD_NAME = "appellation_code"


def _require_reader(request) -> None:
    """A professional acting for an organisation, or a platform administrator."""
    if request.membership is None and not request.user.is_superuser:
        raise PermissionDenied(_("Vous devez agir au nom d'une organisation pour consulter les métiers."))


def _require_platform_admin(request, message: str) -> None:
    if not request.user.is_superuser:
        raise PermissionDenied(message)


# --- search --------------------------------------------------------------------------------------


@require_safe
@login_required
def job_search(request):
    _require_reader(request)
    form = AppellationQueryForm(
        request.GET if "q" in request.GET else None, label=_("Rechercher un métier ou une appellation")
    )
    q = ""
    hits = []
    if form.is_bound and form.is_valid():
        q = form.cleaned_data["q"]
        if q:
            hits = search_appellations(q, limit=SEARCH_LIMIT)
    return render(
        request,
        "occupations/search.html",
        {
            "title": _("Métiers"),
            "nav": "jobs",
            "form": form,
            "q": q,
            "hits": hits,
            "limit": SEARCH_LIMIT,
            "is_superuser": request.user.is_superuser,
        },
    )


def _suggest_query(request) -> str:
    """`q`, or the field of a picker's search (`<prefix>-q`) that htmx sends under its own name."""
    if "q" in request.GET:
        return request.GET["q"]
    return next((value for key, value in request.GET.items() if key.endswith("-q")), "")


@require_safe
@login_required
def appellation_suggest(request):
    """An HTML fragment (for htmx): up to 10 appellations as radio buttons named `name`."""
    _require_reader(request)
    name = request.GET.get("name", "")
    if not _FIELD_NAME.fullmatch(name):
        name = DEFAULT_FIELD_NAME
    q = _suggest_query(request).strip()
    error = query_error(q)
    hits = [] if error else search_appellations(q, limit=SUGGEST_LIMIT)
    return render(request, "occupations/_suggestions.html", {"name": name, "q": q, "error": error or "", "hits": hits})


# --- sheet ---------------------------------------------------------------------------------------


@require_safe
@login_required
def job_sheet(request, code: str):
    _require_reader(request)
    departement_code = request.membership.organisation.departement_id if request.membership else None
    try:
        detail = sheet_detail(code, departement_code=departement_code)
    except SheetNotFound:
        raise Http404("Fiche métier introuvable.")
    return render(
        request,
        "occupations/sheet.html",
        {"title": f"{detail.job.code} · {detail.job.label}", "nav": "jobs", "detail": detail, "job": detail.job},
    )


# --- domains and their French level --------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def domain_levels(request):
    _require_reader(request)
    can_edit = request.user.is_superuser
    failed_form = None
    if request.method == "POST":
        _require_platform_admin(
            request,
            _("Seul·e un·e administrateur·rice de la plateforme peut modifier le niveau de français d'un domaine."),
        )
        form = DomainLevelForm(request.POST)
        if form.is_valid():
            try:
                domain = domain_french_level_set(
                    code=form.cleaned_data["code"], level=form.cleaned_data["level"], user=request.user
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(
                    request,
                    _("Niveau de français du domaine « %(d)s » : %(l)s.")
                    % {"d": domain.label, "l": domain.french_level},
                )
                return redirect("domain_levels")
        failed_form = form
    domains = list(ProfessionalDomain.objects.annotate(jobs_count=Count("jobs")).order_by("code"))
    for domain in domains:
        domain.level_form = (
            failed_form
            if failed_form is not None and failed_form.data.get("code") == domain.code
            else DomainLevelForm(
                initial={"code": domain.code, "level": domain.french_level}, auto_id=f"id_{domain.code}_%s"
            )
        )
    return render(
        request,
        "occupations/domains.html",
        {
            "title": _("Niveau de français par domaine professionnel"),
            "nav": "jobs",
            "domains": domains,
            "can_edit": can_edit,
            "failed_form": failed_form,
        },
        status=200,
    )


# --- releases (platform administrators) ----------------------------------------------------------


@require_safe
@login_required
def rome_releases(request):
    _require_platform_admin(
        request, _("Le suivi du référentiel des métiers est réservé aux administrateur·rices de la plateforme.")
    )
    releases = list(RomeRelease.objects.select_related("loaded_by").order_by("-loaded_at", "-id"))
    tension = TensionImport.objects.filter(is_current=True).select_related("imported_by").first()
    return render(
        request,
        "occupations/releases.html",
        {
            "title": _("Référentiel des métiers"),
            "nav": "rome_releases",
            "releases": releases,
            "current": next((r for r in releases if r.status == ReleaseStatus.CURRENT), None),
            "failed_status": ReleaseStatus.FAILED,
            "tension": tension,
        },
    )


# --- the person's job wishes (situation section of the pathway) ----------------------------------


@require_POST
@pathway_view()
def job_wish_add(request, pathway, categories):
    return pathway_views._household_add(
        request,
        pathway,
        categories,
        form_class=JobWishForm,
        prefix="wish",
        service=services_jobs.job_wish_add,
        message=_("Métier ajouté à la fiche."),
        aliases={"appellation": "appellation_code"},
        anchor="wishes-title",
    )


@require_POST
@pathway_view()
def job_wish_remove(request, pathway, categories, wish_id):
    return pathway_views._household_remove(
        request,
        pathway,
        categories,
        service=services_jobs.job_wish_remove,
        item_id=wish_id,
        key="wish_id",
        message=_("Métier retiré de la fiche."),
        anchor="wishes-title",
    )
