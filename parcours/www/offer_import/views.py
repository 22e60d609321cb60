"""Imports of the offer (platform administrators) and its export (any professional: the offer is public
data, only published services leave).

Processing a long import: the upload request processes what fits in a few seconds, so that a
département's file is done when the page opens. A larger file continues with the "Poursuivre" button
on the run's page: a POST (a GET never writes) that again processes a few seconds' worth of chunks and
comes back to the page, which shows the progress. This works without JavaScript; the project loads no
htmx script yet, and its content security policy refuses inline scripts. For very large files the
command `manage.py directory_import` is the tool (its progress bar and `--resume`). Whatever stops a
run, it resumes where it stopped: each chunk commits with its progress."""

import re
import time

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from parcours.directory import exporting, importing
from parcours.directory.duplicates import detect_duplicates
from parcours.directory.models import ImportRun, ImportStatus
from parcours.www.forms_flow import paginate

from .forms import ImportUploadForm

PAGE_SIZE = 25
# Seconds of processing per request: long enough to finish a département's file, short enough for
# the request to come back well before any proxy timeout.
SECONDS_PER_REQUEST = 5
CHUNK_SIZE = 500
DEPARTEMENT = re.compile(r"^(0[1-9]|[1-8][0-9]|9[0-5]|2A|2B|97[1-8]|98[4-9])$")


def _require_platform_admin(request) -> None:
    if not request.user.is_superuser:
        raise PermissionDenied(_("Les imports de l'offre sont réservés aux administrateur·rices de la plateforme."))


def _runs():
    # The rows of a run can weigh tens of megabytes: never read them to show a page.
    return ImportRun.objects.defer("rows")


def _process_for_a_while(run: ImportRun) -> ImportRun:
    run = importing.run_to_completion(run, chunk_size=CHUNK_SIZE, deadline=time.monotonic() + SECONDS_PER_REQUEST)
    if run.status == ImportStatus.DONE and run.created_count + run.updated_count:
        detect_duplicates()  # a finished import may bring the same structure from a second source
    return run


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def import_list(request):
    _require_platform_admin(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        run = importing.create_run(
            parsed=form.cleaned_data["parsed"], source=form.cleaned_data["source"].strip(), user=request.user
        )
        try:
            _process_for_a_while(run)
        except DatabaseError:
            # The run is kept, marked failed with the error; its page offers to resume it.
            messages.error(request, _("L'import s'est interrompu : vous pouvez le reprendre depuis cette page."))
        return redirect("offer_import_detail", run_id=run.pk)
    page = paginate(request, _runs().select_related("started_by").order_by("-created_at", "-id"), PAGE_SIZE)
    return render(
        request,
        "offer_import/list.html",
        {"title": _("Imports de l'offre"), "nav": "offer_import", "form": form, "page": page},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_safe
def import_detail(request, run_id: int):
    _require_platform_admin(request)
    run = get_object_or_404(_runs().select_related("started_by"), pk=run_id)
    page = paginate(request, run.rejections.order_by("row_number"), PAGE_SIZE)
    return render(
        request,
        "offer_import/detail.html",
        {
            "title": _("Import n° %(id)s") % {"id": run.pk},
            "nav": "offer_import",
            "run": run,
            "percent": importing.percent(run),
            "page": page,
            "done": run.status == ImportStatus.DONE,
        },
    )


@login_required
@require_POST
def import_continue(request, run_id: int):
    _require_platform_admin(request)
    run = get_object_or_404(_runs(), pk=run_id)
    if run.status != ImportStatus.DONE:
        try:
            _process_for_a_while(run)
        except DatabaseError:
            messages.error(request, _("L'import s'est interrompu : vous pouvez le reprendre depuis cette page."))
    return redirect("offer_import_detail", run_id=run.pk)


@login_required
@require_safe
def offer_export(request, file_format: str):
    if request.membership is None and not request.user.is_superuser:
        raise PermissionDenied(_("Vous devez agir au nom d'une organisation pour exporter l'offre de services."))
    kind = request.GET.get("kind", "services")
    if kind not in importing.KINDS:
        return HttpResponseBadRequest(
            _("Paramètre « kind » invalide : « services » ou « structures » attendu.").encode(),
            content_type="text/plain; charset=utf-8",
        )
    departement = request.GET.get("departement", "").strip().upper() or None
    if departement is not None and not DEPARTEMENT.match(departement):
        return HttpResponseBadRequest(
            _("Code de département invalide (exemples : 44, 2A, 974).").encode(),
            content_type="text/plain; charset=utf-8",
        )
    rows = exporting.export_records(kind=kind, departement=departement)
    if file_format == "csv":
        content, content_type = exporting.iter_csv(rows, kind), "text/csv; charset=utf-8"
    else:
        content, content_type = exporting.iter_json(rows), "application/json"
    response = StreamingHttpResponse(content, content_type=content_type)
    name = f"offre-{kind}{'-' + departement if departement else ''}.{file_format}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
