"""Finding a service of the territorial offer for a need, and reading one. Any professional acting
for an organisation may search; a search opened from a pathway is pre-filled from the person's open
needs, commune and languages, which is a read of the pathway: scoped and written to the audit chain."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from parcours.audit.models import AuditAction
from parcours.audit.services import audit_log
from parcours.diagnostics.enums import NeedLevel
from parcours.diagnostics.selectors import diagnostics_for
from parcours.directory import vocabulary
from parcours.directory.mapping import thematiques_for_themes
from parcours.directory.search import DEFAULT_DISTANCE_KM
from parcours.directory.selectors import describe, search_queryset, visible_service, zone_names
from parcours.matching.selectors import theme_mapping
from parcours.pathways.models import Pathway
from parcours.pathways.selectors import pathway_get_for
from parcours.people.languages import LANGUAGE_NAMES, language_name
from parcours.people.selectors import consented_categories
from parcours.www.forms_flow import paginate

from .forms import DirectorySearchForm

PAGE_SIZE = 20
# The needs a search is pre-filled with, most pressing first.
OPEN_NEEDS = (NeedLevel.PRIORITY, NeedLevel.TO_WORK_ON)


def _require_membership(request) -> None:
    if request.membership is None:
        raise PermissionDenied(_("Vous devez agir au nom d'une organisation pour consulter l'offre de services."))


def _pathway_from_query(request) -> Pathway | None:
    """The pathway named by ?parcours=, if the reader may see it (404 otherwise, as for a pathway
    that does not exist), its read written to the audit chain like every pathway page."""
    raw = request.GET.get("parcours")
    if raw is None:
        return None
    try:
        pathway_id = int(raw)
    except ValueError:
        raise Http404("Parcours introuvable.")
    membership = request.membership
    pathway = pathway_get_for(membership=membership, user=request.user, pathway_id=pathway_id)
    audit_log(
        actor=request.user,
        organisation=membership.organisation,
        action=AuditAction.READ,
        obj=pathway,
        person=pathway.person,
        object_type="pathways.pathway:directory_search",
    )
    return pathway


def prefill_from_pathway(pathway: Pathway, categories: frozenset[str]) -> dict:
    """Form data from the person's open needs (latest diagnostic; the health theme only where the
    consent covers health data, which diagnostics_for enforces), commune and language (the
    interpreting language of the diagnostic, else the first language of a person who does not
    speak French)."""
    person = pathway.person
    diagnostic = diagnostics_for(person=person, categories=categories, limit=1).first()
    themes: list[str] = []
    interpreting = ""
    if diagnostic is not None:
        assessments = list(diagnostic.themes.all())
        for need in OPEN_NEEDS:
            themes += [assessment.theme for assessment in assessments if assessment.need == need]
        if diagnostic.interpreting_needed:
            interpreting = diagnostic.interpreting_language
    # A person who speaks French needs no language filter; otherwise the services delivered in
    # their language, or with interpreting, are what they can use.
    spoken = [] if "fr" in (person.languages or []) else list(person.languages or [])
    language = next((code for code in [interpreting, *spoken] if code and code in LANGUAGE_NAMES), "")
    return {
        "thematiques": thematiques_for_themes(themes, theme_mapping()),
        "commune": str(person.commune) if person.commune_id else "",
        "distance_km": DEFAULT_DISTANCE_KM,
        "include_remote": True,
        "language": language,
    }


@login_required
@require_GET
def directory_search(request):
    _require_membership(request)
    pathway = _pathway_from_query(request)
    submitted = any(name in request.GET for name in DirectorySearchForm.base_fields)
    if submitted:
        form = DirectorySearchForm(request.GET)
    elif pathway is not None:
        categories = consented_categories(person=pathway.person_id, membership=request.membership)
        form = DirectorySearchForm(prefill_from_pathway(pathway, categories))
    else:
        form = DirectorySearchForm(initial={"distance_km": DEFAULT_DISTANCE_KM, "include_remote": True})
    context = {
        "title": _("Trouver un service"),
        "nav": "directory",
        "form": form,
        "pathway": pathway,
        "searched": False,
    }
    if form.is_bound and form.is_valid():
        criteria = form.criteria()
        page = paginate(request, search_queryset(criteria), PAGE_SIZE)
        context.update(
            searched=True,
            criteria=criteria,
            page=page,
            results=describe(page.object_list, criteria),
            query=request.GET.urlencode(),
        )
    elif form.is_bound:
        context["title"] = _("Erreur — Trouver un service")
    return render(request, "directory/search.html", context)


def _labels(enum, values) -> list[str]:
    return [vocabulary.label(enum, value) for value in values or []]


@login_required
@require_GET
def directory_service(request, service_id: int):
    _require_membership(request)
    service = visible_service(pk=service_id, membership=request.membership)
    back = request.GET.urlencode()
    # Opened from a pathway's search: offer to refer the person (the referral page checks the rights).
    raw_pathway = request.GET.get("parcours", "")
    context = {
        "referral_pathway_id": int(raw_pathway) if raw_pathway.isdigit() else None,
        "title": service.nom,
        "nav": "directory",
        "service": service,
        "structure": service.structure,
        "thematiques": _labels(vocabulary.THEMATIQUE, service.thematiques),
        "publics": _labels(vocabulary.PUBLIC, service.publics),
        "modes_accueil": _labels(vocabulary.MODE_ACCUEIL, service.modes_accueil),
        "modes_mobilisation": _labels(vocabulary.MODE_MOBILISATION, service.modes_mobilisation),
        "mobilisable_par": _labels(vocabulary.PERSONNE_MOBILISATRICE, service.mobilisable_par),
        "reseaux_porteurs": _labels(vocabulary.RESEAU_PORTEUR, service.structure.reseaux_porteurs),
        "zone": zone_names(service.zone_eligibilite or []),
        "languages": [language_name(code) for code in service.languages or []],
        "back_query": back,
    }
    return render(request, "directory/service.html", context)
