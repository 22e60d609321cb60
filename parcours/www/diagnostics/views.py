"""Diagnostic tab of a pathway: latest version, language levels, CIR and version history; the form
that records a new version; the CIR form. Writes go through parcours.diagnostics.services."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from parcours.diagnostics.enums import Theme
from parcours.diagnostics.models import IntegrationContract, Situation
from parcours.diagnostics.selectors import diagnostics_for
from parcours.diagnostics.services import CIR_FIELDS, diagnostic_record, integration_contract_save
from parcours.people.languages import language_name
from parcours.www.decorators import pathway_view
from parcours.www.forms_flow import add_service_errors, submit_form
from parcours.www.pathway_context import pathway_context, require_can_edit

from .forms import (
    DiagnosticForm,
    IntegrationContractForm,
    language_formset_class,
    visible_themes,
)
from .presenters import version_history

# Versions shown on the page; older ones stay in the database and in the timeline.
HISTORY_SHOWN = 10


@require_safe
@pathway_view()
def pathway_diagnostic(request, pathway, categories):
    context = pathway_context(request, pathway, categories, tab="diagnostic", title=_("Diagnostic"))
    # One more version than shown, so that the oldest row shown still says what changed.
    # The CIR rides along on the versions' query (one-to-one on the person) to save a round trip.
    diagnostics = list(
        diagnostics_for(person=pathway.person, categories=categories).select_related("person__integration_contract")[
            : HISTORY_SHOWN + 1
        ]
    )
    latest = diagnostics[0] if diagnostics else None
    themes_shown = visible_themes(categories)
    latest_themes = []
    if latest is not None:
        by_theme = {t.theme: t for t in latest.themes.all()}
        for theme in themes_shown:
            assessment = by_theme.get(theme)
            latest_themes.append(
                {
                    "label": Theme(theme).label,
                    "assessment": assessment,
                    "situations": [s.label for s in assessment.situations.all()] if assessment else [],
                }
            )
    languages = (
        [
            {"name": language_name(level.language), "level": level}
            for level in sorted(latest.language_levels.all(), key=lambda lvl: lvl.language)
        ]
        if latest
        else []
    )
    if latest is not None:
        contract = getattr(latest.person, "integration_contract", None)
    else:
        contract = IntegrationContract.objects.filter(person_id=pathway.person_id).first()
    context.update(
        {
            "latest": latest,
            "latest_themes": latest_themes,
            "languages": languages,
            "interpreting_language": language_name(latest.interpreting_language) if latest else "",
            "contract": contract,
            "contract_progress": (
                round(100 * contract.french_hours_done / contract.french_hours_prescribed)
                if contract and contract.french_hours_prescribed
                else None
            ),
            "history": version_history(diagnostics, shown=HISTORY_SHOWN),
            "history_truncated": len(diagnostics) > HISTORY_SHOWN,
            "history_shown": HISTORY_SHOWN,
        }
    )
    return render(request, "diagnostics/diagnostic.html", context)


@pathway_view()
def pathway_diagnostic_new(request, pathway, categories):
    context = pathway_context(request, pathway, categories, tab="diagnostic", title=_("Nouveau diagnostic"))
    if request.method == "GET":
        require_can_edit(context)
    themes = visible_themes(categories)
    situations = list(Situation.objects.filter(is_active=True, theme__in=themes).order_by("theme", "position", "label"))
    latest = diagnostics_for(person=pathway.person, categories=categories, limit=1).first()
    previous_levels = sorted(latest.language_levels.all(), key=lambda lvl: lvl.language) if latest else []
    extra_codes = tuple(lvl.language for lvl in previous_levels) + ((latest.interpreting_language,) if latest else ())
    formset_class = language_formset_class(len(previous_levels))
    form_kwargs = {"themes": themes, "situations": situations, "extra_codes": extra_codes}
    if request.method == "POST":
        form = DiagnosticForm(request.POST, **form_kwargs)
        formset = formset_class(request.POST, prefix="langues", form_kwargs={"extra_codes": extra_codes})
        if form.is_valid() and formset.is_valid():
            rows = [(f, f.payload()) for f in formset.forms]
            rows = [(f, p) for f, p in rows if p is not None]
            try:
                diagnostic = diagnostic_record(
                    person=pathway.person,
                    pathway=pathway,
                    themes=form.themes_payload(),
                    languages=[p for _f, p in rows],
                    interpreting_needed=form.cleaned_data["interpreting_needed"],
                    interpreting_language=form.cleaned_data["interpreting_language"],
                    summary=form.cleaned_data["summary"],
                    membership=request.membership,
                    acting_user=request.user,
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for key in list(exc.error_dict):
                        if key.startswith("language_"):
                            index = int(key.removeprefix("language_"))
                            rows[index][0].add_error(None, exc.error_dict.pop(key))
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Diagnostic version %(v)s enregistré.") % {"v": diagnostic.version})
                return redirect("pathway_diagnostic", pathway.pk)
    else:
        active_ids = {s.pk for s in situations}
        form = DiagnosticForm(initial=DiagnosticForm.initial_from(latest, active_ids=active_ids), **form_kwargs)
        formset = formset_class(
            prefix="langues",
            initial=[
                {
                    "language": lvl.language,
                    "level": lvl.level,
                    "method": lvl.method,
                    "assessed_on": lvl.assessed_on,
                }
                for lvl in previous_levels
            ],
            form_kwargs={"extra_codes": extra_codes},
        )
    context.update({"form": form, "formset": formset, "latest": latest})
    return render(request, "diagnostics/diagnostic_form.html", context)


@pathway_view()
def pathway_cir(request, pathway, categories):
    context = pathway_context(
        request, pathway, categories, tab="diagnostic", title=_("Contrat d'intégration républicaine")
    )
    if request.method == "GET":
        require_can_edit(context)
    contract = IntegrationContract.objects.filter(person_id=pathway.person_id).first()
    initial = {field: getattr(contract, field) for field in CIR_FIELDS} if contract is not None else {}
    form = IntegrationContractForm(request.POST or None, initial=initial)
    done, status = submit_form(
        request,
        form,
        lambda data: integration_contract_save(
            person=pathway.person,
            pathway=pathway,
            values={**data, "french_level_at_signature": data["french_level_at_signature"] or ""},
            membership=request.membership,
            acting_user=request.user,
        ),
        success=_("Contrat d'intégration républicaine enregistré."),
        next_url=reverse("pathway_diagnostic", args=[pathway.pk]),
    )
    if done:
        return done
    context.update({"form": form, "contract": contract})
    return render(request, "diagnostics/cir_form.html", context, status=status)
