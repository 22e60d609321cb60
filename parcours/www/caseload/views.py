"""The professional's entry pages: my caseload, and the lists of the territory roles (orientation
queue, people followed by a structure, territory dashboard). Reads go through the pathway
selectors, which scope in SQL; every list is paginated so that a page stays within its query
budget whatever the number of people."""

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch, Q
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from parcours.diagnostics.enums import CecrlLevel
from parcours.organisations.enums import Role
from parcours.pathways import selectors
from parcours.pathways.enums import Orientation, PathwayStatus
from parcours.pathways.models import FollowUpMember, Pathway
from parcours.pathways.orientation import orientation_work_queue
from parcours.people.enums import ProtectionStatus
from parcours.www.decorators import require_role
from parcours.www.forms_flow import paginate

from .forms import CaseloadFilterForm

PAGE_SIZE = 25
# Statistical confidentiality: a breakdown of people by a sensitive trait shows small counts as
# "fewer than 5", so that an aggregate never points at one person of a small territory.
SMALL_COUNT_THRESHOLD = 5


@dataclass
class CaseloadRow:
    pathway: Pathway
    referent: FollowUpMember | None
    is_my_referent_seat: bool


SORTABLE_COLUMNS = (
    # (key, label, first direction when the column is not the current sort)
    ("nom", gettext_lazy("Nom"), "nom"),
    ("activite", gettext_lazy("Dernière activité"), "-activite"),
    ("ouverture", gettext_lazy("Ouvert le"), "-ouverture"),
)


def _sort_headers(current: str) -> dict:
    headers = {}
    for key, label, first in SORTABLE_COLUMNS:
        if current == key:
            headers[key] = {"label": label, "aria_sort": "ascending", "next": f"-{key}"}
        elif current == f"-{key}":
            headers[key] = {"label": label, "aria_sort": "descending", "next": key}
        else:
            headers[key] = {"label": label, "aria_sort": "", "next": first}
    return headers


@login_required
@require_GET
def caseload(request):
    membership = request.membership
    context = {"title": _("Mes accompagnements"), "nav": "caseload"}
    if membership is None:
        return render(request, "caseload/no_membership.html", context)
    form = CaseloadFilterForm.from_query(request.GET)
    qs = selectors.caseload_for(membership=membership, **form.selector_kwargs())
    page = paginate(request, qs, PAGE_SIZE)
    rows = []
    for pathway in page.object_list:
        referent = pathway.referent_seats[0] if pathway.referent_seats else None
        rows.append(
            CaseloadRow(
                pathway=pathway,
                referent=referent,
                is_my_referent_seat=referent is not None and referent.membership_id == membership.pk,
            )
        )
    # The summary counts my own open caseload only: the active seats of this membership.
    summary = FollowUpMember.objects.filter(
        membership=membership, ended_at__isnull=True, pathway__status=PathwayStatus.OPEN
    ).aggregate(total=Count("id"), as_referent=Count("id", filter=Q(is_referent=True)))
    context.update(
        form=form,
        page=page,
        rows=rows,
        summary=summary,
        headers=_sort_headers(form.cleaned_data["sort"]),
        is_filtered=any(form.cleaned_data[k] != v for k, v in CaseloadFilterForm.DEFAULTS.items() if k != "sort"),
        membership=membership,
    )
    return render(request, "caseload/caseload.html", context)


@login_required
@require_GET
def orientation_queue(request):
    """The chargé·e d'orientation's work queue: first orientations and re-orientation requests of
    their granted départements, the longest wait first."""
    require_role(request, Role.CHARGE_ORIENTATION, _("Cette page est réservée aux chargé·es d'orientation."))
    qs = orientation_work_queue(membership=request.membership)
    page = paginate(request, qs, PAGE_SIZE)
    rows = []
    for p in page.object_list:
        is_request = p.pending_request_id is not None
        rows.append(
            {
                "pathway": p,
                "is_request": is_request,
                "kind": _("Réorientation demandée") if is_request else _("Première orientation"),
                "proposed": Orientation(p.proposed_orientation).label if is_request else "",
                "waiting_since": p.waiting_since,
                "waiting_days": max(p.waiting_days or 0, 0),
                "url": (
                    reverse("orientation_request_decide", args=[p.pk, p.pending_request_id])
                    if is_request
                    else reverse("pathway_orientation", args=[p.pk])
                ),
            }
        )
    return render(
        request,
        "caseload/orientation_queue.html",
        {
            "title": _("Orientations à décider"),
            "nav": "orientation",
            "page": page,
            "rows": rows,
        },
    )


@login_required
@require_GET
def structure_followed(request):
    require_role(request, Role.ADMIN_STRUCTURE, _("Cette page est réservée aux administrateur·rices de structure."))
    membership = request.membership
    # Only the seats held by members of this structure: who follows the person here, and whether
    # as referent. Nothing of the pathway's contents is loaded.
    own_seats = (
        FollowUpMember.objects.filter(membership__organisation_id=membership.organisation_id, ended_at__isnull=True)
        .select_related("membership__user")
        .order_by("-is_referent", "started_at")
    )
    qs = (
        selectors.people_followed_by_organisation(membership=membership)
        .only("id", "person__first_name", "person__last_name")
        .prefetch_related(Prefetch("members", queryset=own_seats, to_attr="own_seats"))
    )
    page = paginate(request, qs, PAGE_SIZE)
    return render(
        request,
        "caseload/structure_followed.html",
        {
            "title": _("Personnes suivies par la structure"),
            "nav": "structure",
            "page": page,
            "organisation": membership.organisation,
        },
    )


def _breakdown(counts: dict, choices, *, other_label: str = "", mask_small: bool) -> list[dict]:
    """One row per choice, in the choices' order, then (if `other_label`) one row for the values
    outside the choices (blank or not assessed)."""
    rows = [{"label": label, "count": counts.get(value, 0)} for value, label in choices]
    if other_label:
        known = {value for value, _label in choices}
        rows.append({"label": other_label, "count": sum(n for value, n in counts.items() if value not in known)})
    for row in rows:
        row["masked"] = mask_small and 0 < row["count"] < SMALL_COUNT_THRESHOLD
    # Complementary suppression: the total is shown, so a single masked cell could be recomputed
    # by subtraction; mask the smallest other non-zero cell too.
    if sum(row["masked"] for row in rows) == 1:
        others = [row for row in rows if not row["masked"] and row["count"] > 0]
        if others:
            min(others, key=lambda row: row["count"])["masked"] = True
    return rows


@login_required
@require_GET
def territory_dashboard(request):
    require_role(request, Role.PILOTE, _("Cette page est réservée aux pilotes territoriaux."))
    departement = request.membership.organisation.departement
    aggregates = selectors.territory_aggregates(departement_code=departement.code)
    people = selectors.territory_people_aggregates(departement_code=departement.code)
    by_orientation = _breakdown(aggregates["by_orientation"], Orientation.choices, mask_small=False)
    by_protection = _breakdown(
        people["by_protection_status"], ProtectionStatus.choices, other_label=_("Non renseigné"), mask_small=True
    )
    by_french = _breakdown(people["by_french_level"], CecrlLevel.choices, other_label=_("Non évalué"), mask_small=True)
    return render(
        request,
        "caseload/territory_dashboard.html",
        {
            "title": _("Tableau de bord du territoire"),
            "nav": "territory",
            "departement": departement,
            "aggregates": aggregates,
            "by_orientation": by_orientation,
            "by_protection": by_protection,
            "by_french": by_french,
            "threshold": SMALL_COUNT_THRESHOLD,
        },
    )
