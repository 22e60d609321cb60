"""The placement pages of a programme, for its placement committee (parcours.matching.access.can_plan:
the accompanying professionals of the programme's operator organisations; pilotes and structure
administrators are refused, as everyone else, with a 403).

- placement_home: the batches, "Nouvelle affectation", the outcome model's card (quality,
  calibration chart and table, "Entraîner le modèle"), the online prices and the candidates who
  arrive one by one ("Proposer une session").
- placement_batch: one batch: balancing, candidates and their preferences, "Calculer
  l'affectation"; once solved, the summary, the infeasibility box, one card per person (session,
  predicted success, factors, price, next best, excluded sessions), "Valider l'affectation" and the
  fairness report.
- placement_line_preferences / placement_line_override: a person's preferences before solving,
  and the planner's change of a proposal, with its reason.
The POST actions (create, train, prices, online, balancing, solve, validate, cancel) answer with a
message and a redirect (POST-redirect-GET); a refusal is a 403, an unknown batch or line a 404.
Every person a page shows (the batch's candidates, the one whose preferences or proposal is
changed, the candidates arriving one by one) is a read of their data: one READ audit entry each.

The views are thin: rights and writes in parcours.matching.services_placement and
services_outcome, reads in selectors_placement and selectors_outcome; this module only turns
their figures into sentences a counsellor reads ("62 %", "prix 0,04 (session très demandée)")."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from parcours.matching import access as placement_access
from parcours.matching import selectors_outcome, selectors_placement, services_outcome, services_placement
from parcours.matching.enums import BatchKind, BatchStatus, Exclusion, ModelStatus, ScoreSource
from parcours.matching.models import OutcomeModel, PlacementBatch, PlacementLine
from parcours.programmes import selectors as programme_selectors
from parcours.programmes.models import Programme
from parcours.www.decorators import audit_reads
from parcours.www.forms_flow import add_service_errors, refusal_message

from . import forms

# Below this price a session is not contested (the dual price of its capacity is zero up to rounding).
PRICE_EPSILON = 0.005
# From this price (3 points of predicted success per place) a session reads as "très demandée".
HIGH_PRICE = 0.03
SOLVER_SENTENCES = {
    "flow": _("Optimum prouvé (flot à coût minimum)"),
    "mip": _("Optimum prouvé (programme en nombres entiers, foyers gardés ensemble)"),
}
SOLVER_NOT_PROVEN = _("Meilleure affectation trouvée dans le temps imparti (optimum non prouvé)")
SOLVER_OTHER = {
    "online": _("Placement au fil de l'eau : la meilleure réussite prédite, moins le prix de la session"),
    "greedy": _("Placement glouton, dans l'ordre d'arrivée"),
    "fcfs": _("Premier arrivé, premier servi"),
    "random": _("Affectation aléatoire"),
}
STATUS_BADGES = {
    BatchStatus.DRAFT: "fr-badge--info",
    BatchStatus.SOLVED: "fr-badge--new",
    BatchStatus.VALIDATED: "fr-badge--success",
    BatchStatus.CANCELLED: "fr-badge--warning",
}
MODEL_BADGES = {
    ModelStatus.ACTIVE: "fr-badge--success",
    ModelStatus.SUPERSEDED: "fr-badge--info",
    ModelStatus.INSUFFICIENT: "fr-badge--warning",
}
EDITABLE = (BatchStatus.DRAFT, BatchStatus.SOLVED)

# The calibration chart (SVG user units) and its DSFR colours, as on the other chart pages.
CHART_SIZE = 240
CHART_MARGIN = 56
CHART_POINT_COLOUR = "#000091"
CHART_TEXT_COLOUR = "#3a3a3a"
CHART_AXIS_COLOUR = "#929292"


# --- formatting -----------------------------------------------------------------------------------


def percent(value: float | None) -> str:
    """0.62 → "62 %" (French spacing), None → "—"."""
    if value is None:
        return "—"
    return f"{round(100 * value)}\u00a0%"


def decimal(value: float | None, digits: int = 2) -> str:
    """0.0412 → "0,04" (French decimal comma)."""
    if value is None:
        return "—"
    return number_format(round(value, digits), decimal_pos=digits, use_l10n=True)


def price_text(price: float | None) -> str:
    """How contested the session is, from the dual price of its capacity."""
    if price is None:
        return ""
    if price < PRICE_EPSILON:
        return _("non disputée")
    if price < HIGH_PRICE:
        return _("prix %(price)s (session demandée)") % {"price": decimal(price)}
    return _("prix %(price)s (session très demandée)") % {"price": decimal(price)}


def factor_rows(factors) -> list[dict]:
    """The stored top factors [{"label", "effect"}] as "+ label" / "− label" with a badge."""
    rows = []
    for factor in factors or []:
        effect = float(factor.get("effect") or 0)
        positive = effect >= 0
        rows.append(
            {
                "sign": "+" if positive else "−",
                "label": factor.get("label", ""),
                "badge": "fr-badge--success" if positive else "fr-badge--warning",
                "tone": _("Favorable") if positive else _("Défavorable"),
            }
        )
    return rows


def exclusion_label(code) -> str:
    try:
        return str(Exclusion(int(code)).label)
    except (TypeError, ValueError):
        return ""


def solver_sentence(batch: PlacementBatch) -> str:
    if batch.solver in SOLVER_SENTENCES:
        return str(SOLVER_SENTENCES[batch.solver] if batch.proven_optimal else SOLVER_NOT_PROVEN)
    return str(SOLVER_OTHER.get(batch.solver, batch.solver))


def score_source_sentence(source: str, model: OutcomeModel | None, fallback_why: str = "") -> str:
    """Which score the proposal rests on, and why."""
    if source == ScoreSource.MODEL and model is not None:
        sentence = _(
            "Réussite prédite par le modèle entraîné sur %(n)s parcours passés (dont %(pos)s sortis en emploi "
            "ou en formation)"
        ) % {"n": model.n_samples, "pos": model.n_positive}
        if model.auc is not None:
            sentence += _(" ; qualité mesurée en validation croisée : AUC %(auc)s") % {"auc": decimal(model.auc)}
        return sentence + "."
    if source == ScoreSource.MODEL:
        return _("Réussite prédite par le modèle entraîné sur l'historique.")
    if source == ScoreSource.FALLBACK:
        sentence = _(
            "Score transparent (adéquation aux métiers de la session, tension locale de ces métiers, distance), "
            "car aucun modèle fiable n'a pu être entraîné sur l'historique"
        )
        return sentence + (f" : {fallback_why}" if fallback_why else ".")
    return ""


def fallback_reason(model: OutcomeModel | None) -> str:
    if model is not None and model.status == ModelStatus.INSUFFICIENT and model.message:
        return model.message
    if model is None:
        return _("aucun modèle n'a encore été entraîné pour ce programme.")
    return ""


# --- rights and lookups ---------------------------------------------------------------------------


def _programme_for(request, code: str) -> Programme:
    """The programme (404 when unknown), for a member of its placement committee (403 otherwise)."""
    programme = programme_selectors.programme_get(code=code)
    placement_access.require_plan(request.membership, programme)
    return programme


def _batch_for(request, programme: Programme, batch_id: int) -> PlacementBatch:
    """The batch, when it belongs to this programme (404 otherwise, as for an unknown one)."""
    return selectors_placement.batch_get(membership=request.membership, batch_id=batch_id, programme=programme)


def _batch_url(batch: PlacementBatch, anchor: str = "") -> str:
    url = reverse("placement_batch", args=[batch.programme.code, batch.pk])
    return f"{url}#{anchor}" if anchor else url


def _home_url(programme: Programme, anchor: str = "") -> str:
    url = reverse("placement_home", args=[programme.code])
    return f"{url}#{anchor}" if anchor else url


def _refused(request, exc: ValidationError) -> None:
    """A service's French message as an error alert: it wrote nothing."""
    messages.error(request, _("Rien n'a été modifié. %(why)s") % {"why": " ".join(exc.messages)})


def _form_refused(request, form) -> None:
    errors = [m for errs in form.errors.values() for m in errs]
    messages.error(request, _("Rien n'a été modifié. %(why)s") % {"why": " ".join(errors)})


def _person(line: PlacementLine) -> str:
    return line.pathway.person.full_name


# --- the home page --------------------------------------------------------------------------------


def calibration_chart(bins) -> dict:
    """The calibration bins as points on a square (predicted → x, observed → y), with the diagonal
    of a perfectly calibrated model; the same figures are in the table that follows."""
    size, margin = CHART_SIZE, CHART_MARGIN
    points = []
    for row in bins or []:
        predicted, observed = float(row.get("predicted") or 0), float(row.get("observed") or 0)
        points.append(
            {
                # Whole user units: a float would be printed with a decimal comma (French locale).
                "cx": round(margin + predicted * size),
                "cy": round(margin + (1 - observed) * size),
                "r": 4 if int(row.get("n") or 0) < 30 else 6,
                "text": _("prédit %(p)s, observé %(o)s (%(n)s personnes)")
                % {"p": percent(predicted), "o": percent(observed), "n": row.get("n") or 0},
            }
        )
    ticks = [
        {"value": percent(t / 4), "x": margin + t * size // 4, "y": margin + size - t * size // 4} for t in range(5)
    ]
    return {
        "width": size + 2 * margin,
        "height": size + 2 * margin,
        "size": size,
        "left": margin,
        "top": margin,
        "right": margin + size,
        "bottom": margin + size,
        "label_x": margin + size // 2,
        "y_label_x": 12,
        "y_label_y": margin + size // 2,
        "label_y": margin + size + 36,
        "tick_label_y": margin + size + 16,
        "tick_label_x": margin - 6,
        "points": points,
        "ticks": ticks,
        "point_colour": CHART_POINT_COLOUR,
        "text_colour": CHART_TEXT_COLOUR,
        "axis_colour": CHART_AXIS_COLOUR,
    }


def model_card(model: OutcomeModel | None) -> dict | None:
    if model is None:
        return None
    bins = [
        {
            "predicted": percent(row.get("predicted")),
            "observed": percent(row.get("observed")),
            "n": row.get("n") or 0,
        }
        for row in model.calibration or []
    ]
    return {
        "model": model,
        "status_label": model.get_status_display(),
        "badge": MODEL_BADGES.get(model.status, "fr-badge--info"),
        "scope": _("tous les programmes") if model.programme_id is None else _("ce programme"),
        "auc": decimal(model.auc) if model.auc is not None else "",
        "auc_folds": [decimal(a) for a in model.auc_folds or []],
        "brier": decimal(model.brier, 3) if model.brier is not None else "",
        "bins": bins,
        "chart": calibration_chart(model.calibration) if bins else None,
        "positive_rate": percent(model.n_positive / model.n_samples) if model.n_samples else "—",
    }


def _latest_model(programme: Programme) -> OutcomeModel | None:
    """The model the batches use (the programme's active one, else the all-programmes one); when
    there is none, the latest attempt, whose message says why history was too thin."""
    model = selectors_outcome.active_model(programme=programme)
    if model is None:
        model = OutcomeModel.objects.filter(programme=programme).order_by("-trained_at", "-pk").first()
    return model


def _batch_rows(batches) -> list[dict]:
    return [
        {
            "batch": batch,
            "url": _batch_url(batch),
            "kind_label": batch.get_kind_display(),
            "status_label": batch.get_status_display(),
            "badge": STATUS_BADGES.get(batch.status, "fr-badge--info"),
            "lines": getattr(batch, "n_lines", None),
        }
        for batch in batches
    ]


def _price_rows(rows) -> list[dict]:
    """selectors_placement.latest_prices' rows, most contested first."""
    return [{"session": row.session, "price": decimal(row.price), "meaning": price_text(row.price)} for row in rows]


def _candidate_rows(pathways) -> list[dict]:
    return [
        {
            "pathway": pathway,
            "person": pathway.person.full_name,
            "since": pathway.first_candidacy_at,
            "id": f"en-ligne-{pathway.pk}",
        }
        for pathway in pathways
    ]


@login_required
@require_safe
def placement_home(request, code: str):
    programme = _programme_for(request, code)
    membership = request.membership
    model = _latest_model(programme)
    prices, price_rows = selectors_placement.latest_prices(membership=membership, programme=programme)
    candidates = list(selectors_placement.online_candidates(membership=membership, programme=programme))
    audit_reads(request, ((pathway, pathway.person) for pathway in candidates), "placement_home")
    context = {
        "title": _("Affectations"),
        "nav": "programmes",
        "programme": programme,
        "batches": _batch_rows(selectors_placement.batches_of(membership=membership, programme=programme)),
        "model": model_card(model),
        "fallback_why": fallback_reason(model) if model is None or model.status != ModelStatus.ACTIVE else "",
        "prices": prices,
        "price_rows": _price_rows(price_rows),
        "prices_source": prices.get_score_source_display() if prices is not None and prices.score_source else "",
        "candidates": _candidate_rows(candidates),
    }
    return render(request, "placement/home.html", context)


@login_required
@require_POST
def placement_batch_create(request, code: str):
    programme = _programme_for(request, code)
    try:
        batch = services_placement.batch_create(membership=request.membership, programme=programme)
    except ValidationError as exc:
        _refused(request, exc)
        return redirect(_home_url(programme))
    messages.success(
        request,
        _("L'affectation n° %(n)s est en préparation : vérifiez les préférences des candidat·es, puis calculez-la.")
        % {"n": batch.pk},
    )
    return redirect(_batch_url(batch))


@login_required
@require_POST
def placement_model_train(request, code: str):
    programme = _programme_for(request, code)
    try:
        model = services_outcome.outcome_model_train(membership=request.membership, programme=programme)
    except ValidationError as exc:
        _refused(request, exc)
        return redirect(_home_url(programme, "modele"))
    if model.status == ModelStatus.ACTIVE:
        messages.success(
            request,
            _("Le modèle est entraîné sur %(n)s parcours passés (AUC %(auc)s en validation croisée).")
            % {"n": model.n_samples, "auc": decimal(model.auc)},
        )
    else:
        messages.warning(
            request,
            _("Pas de modèle : %(why)s Le score transparent reste utilisé.") % {"why": model.message},
        )
    return redirect(_home_url(programme, "modele"))


@login_required
@require_POST
def placement_prices_refresh(request, code: str):
    programme = _programme_for(request, code)
    try:
        prices = services_placement.prices_refresh(programme=programme, membership=request.membership)
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request,
            _("Les prix des sessions sont recalculés sur %(n)s arrivées attendues.") % {"n": prices.expected_arrivals},
        )
    return redirect(_home_url(programme, "prix"))


@login_required
@require_POST
def placement_online_place(request, code: str, pathway_id: int):
    programme = _programme_for(request, code)
    candidates = selectors_placement.online_candidates(membership=request.membership, programme=programme)
    pathway = candidates.filter(pk=pathway_id).first()
    if pathway is None:
        raise Http404(_("Cette personne n'a pas de candidature ouverte à placer au fil de l'eau."))
    try:
        batch = services_placement.online_place(membership=request.membership, programme=programme, pathway=pathway)
    except ValidationError as exc:
        _refused(request, exc)
        return redirect(_home_url(programme, "fil-de-l-eau"))
    messages.success(
        request,
        _("Une session est proposée pour %(person)s : vérifiez-la, puis validez-la ou modifiez-la.")
        % {"person": pathway.person.full_name},
    )
    return redirect(_batch_url(batch))


# --- one batch ------------------------------------------------------------------------------------


def _session_labels(sessions) -> dict[int, str]:
    return {s.pk: s.label for s in sessions}


def line_row(line: PlacementLine, labels: dict[int, str], *, solved: bool, editable: bool, code: str) -> dict:
    """One person of the batch: preferences, and once solved the proposal and its explanation."""
    final = line.final_session
    proposed = line.proposed_session
    next_best = line.next_best or {}
    overridden = bool(line.override_reason)
    return {
        "line": line,
        "id": f"ligne-{line.pk}",
        "person": _person(line),
        "household": line.household,
        "preferred": [labels.get(int(sid), str(sid)) for sid in line.preferred_sessions or []],
        "refused": [labels.get(int(sid), str(sid)) for sid in line.refused_sessions or []],
        "solved": solved,
        "session": final.label if final is not None else "",
        "proposed": proposed.label if proposed is not None else "",
        "overridden": overridden,
        "override_reason": line.override_reason,
        "predicted": percent(line.predicted) if line.predicted is not None and final == proposed else "",
        "price": price_text(line.price) if final is not None and final == proposed else "",
        "factors": factor_rows(line.factors),
        "next_best": (
            {
                "label": next_best.get("label") or labels.get(next_best.get("session"), ""),
                "predicted": percent(next_best.get("predicted")),
            }
            if next_best.get("session") is not None
            else None
        ),
        "excluded": [
            {
                "session": item.get("label") or labels.get(item.get("session"), ""),
                "constraint": exclusion_label(item.get("constraint")),
            }
            for item in line.excluded or []
        ],
        "unplaced_reason": line.unplaced_reason,
        "preferences_url": reverse("placement_line_preferences", args=[code, line.batch_id, line.pk]),
        "override_url": reverse("placement_line_override", args=[code, line.batch_id, line.pk]),
        "editable": editable,
    }


def _method_value(group: dict, method: str, index: int) -> dict:
    """A group's figures for one method: the report lists them in the order of "methods"."""
    nested = group.get("methods") or []
    if isinstance(nested, list):
        for value in nested:
            if value.get("name") == method:
                return value
        return nested[index] if index < len(nested) else {}
    return nested.get(method) or {}


def fairness_context(report: dict) -> dict | None:
    """fairness.report(...) as tables: the methods compared, then one table per dimension (groups
    in rows, two columns per method), flagged rows marked; the flag sentences for the alert."""
    if not report or not report.get("methods"):
        return None
    methods = [
        {
            "name": m.get("name", ""),
            "total": decimal(m.get("total"), 1),
            "placed": m.get("placed", 0),
            "placed_rate": percent(m.get("placed_rate")),
            "mean": percent(m.get("mean")),
        }
        for m in report["methods"]
    ]
    names = [m["name"] for m in methods]
    dimensions = []
    for dimension in report.get("dimensions", []):
        rows = []
        for group in dimension.get("groups", []):
            cells = []
            for index, name in enumerate(names):
                value = _method_value(group, name, index)
                cells.append(
                    {"placed_rate": percent(value.get("placed_rate")), "mean": percent(value.get("mean_predicted"))}
                )
            rows.append(
                {
                    "label": group.get("label", ""),
                    "n": group.get("n", 0),
                    "small": bool(group.get("small")),
                    "cells": cells,
                    "flags": list(group.get("flags") or []),
                }
            )
        dimensions.append({"key": dimension.get("key", ""), "label": dimension.get("label", ""), "rows": rows})
    return {
        "methods": methods,
        "names": names,
        "dimensions": dimensions,
        "flags": list(report.get("flags") or []),
        "threshold": round(100 * float(report.get("threshold") or 0.10)),
        "min_group": report.get("min_group") or 5,
    }


def _observed_row(label: str, figures: dict) -> dict:
    gap = figures.get("gap")
    return {
        "label": label,
        "n": figures.get("n", 0),
        "pending": figures.get("pending", 0),
        "small": bool(figures.get("small")),
        "predicted": percent(figures.get("mean_predicted")),
        "observed": percent(figures.get("observed_rate")),
        "gap": "—" if gap is None else f"{'+' if gap >= 0 else '−'}{abs(round(100 * gap))} points",
        "flags": list(figures.get("flags") or []),
    }


def observed_context(observed: dict | None) -> dict | None:
    """selectors_placement.batch_observed (fairness.observed): overall, then per dimension,
    predicted vs observed success; nothing before the first known outcome."""
    if not observed or not observed.get("overall") or not observed["overall"].get("n"):
        return None
    tables = [
        {
            "key": dimension.get("key", ""),
            "label": dimension.get("label", ""),
            "rows": [_observed_row(g.get("label", ""), g) for g in dimension.get("groups", [])],
        }
        for dimension in observed.get("dimensions", [])
    ]
    return {
        "overall": _observed_row(_("Ensemble"), observed["overall"]),
        "tables": tables,
        "flags": list(observed.get("flags") or []),
        "left_out": int(observed.get("left_out_overridden") or 0),
    }


def _balancing_initial(batch: PlacementBatch) -> dict:
    stored = batch.balancing or {}
    defaults = {"session_min": 0, "session_max": 100, "territory_min": 0, "territory_max": 100}
    return {key: stored.get(key, default) for key, default in defaults.items()}


@login_required
@require_safe
def placement_batch(request, code: str, batch_id: int):
    programme = _programme_for(request, code)
    batch = _batch_for(request, programme, batch_id)
    lines = list(selectors_placement.batch_lines(membership=request.membership, batch=batch))
    audit_reads(request, ((line, line.pathway.person) for line in lines), "placement_batch")
    labels = _session_labels(selectors_placement.batch_sessions(batch))
    for line in lines:
        for session in (line.final_session, line.proposed_session):
            if session is not None:
                labels.setdefault(session.pk, session.label)
    solved = batch.status in (BatchStatus.SOLVED, BatchStatus.VALIDATED) and batch.solved_at is not None
    editable = batch.status in EDITABLE
    preferences_editable = editable and batch.kind == BatchKind.BATCH
    rows = [line_row(line, labels, solved=solved, editable=preferences_editable, code=programme.code) for line in lines]
    model = batch.outcome_model
    placed = [r for r in rows if r["session"]]
    context = {
        "title": _("Affectation n° %(n)s") % {"n": batch.pk},
        "nav": "programmes",
        "programme": programme,
        "batch": batch,
        "status_label": batch.get_status_display(),
        "status_badge": STATUS_BADGES.get(batch.status, "fr-badge--info"),
        "is_online": batch.kind == BatchKind.ONLINE,
        "editable": editable,
        "preferences_editable": preferences_editable,
        "solved": solved,
        "can_solve": batch.status == BatchStatus.DRAFT and batch.kind == BatchKind.BATCH,
        "can_validate": batch.status == BatchStatus.SOLVED,
        "balancing_form": forms.BalancingForm(initial=_balancing_initial(batch)),
        "rows": rows,
        "placed_count": len(placed),
        "unplaced": [r for r in rows if solved and not r["session"]],
        "solver_sentence": solver_sentence(batch) if solved else "",
        "objective": decimal(batch.objective, 1) if batch.objective is not None else "",
        "mean_predicted": percent(batch.objective / len(placed)) if batch.objective is not None and placed else "—",
        "score_sentence": (
            score_source_sentence(batch.score_source, model, fallback_reason(_latest_model(programme)))
            if solved and batch.score_source
            else ""
        ),
        "infeasibility": list(batch.infeasibility or []),
        "fairness": fairness_context(batch.report or {}),
        # Outcomes exist only once the people are enrolled, so before validation there is nothing to compare.
        "observed": (
            observed_context(selectors_placement.batch_observed(membership=request.membership, batch=batch))
            if batch.status == BatchStatus.VALIDATED
            else None
        ),
    }
    return render(request, "placement/batch.html", context)


def _batch_action(request, code: str, batch_id: int, action, success: str, anchor: str = ""):
    programme = _programme_for(request, code)
    batch = _batch_for(request, programme, batch_id)
    try:
        action(membership=request.membership, batch=batch)
    except ValidationError as exc:
        _refused(request, exc)
        return redirect(_batch_url(batch))
    messages.success(request, success % {"n": batch.pk})
    return redirect(_batch_url(batch, anchor))


@login_required
@require_POST
def placement_batch_solve(request, code: str, batch_id: int):
    return _batch_action(
        request,
        code,
        batch_id,
        services_placement.batch_solve,
        _("L'affectation n° %(n)s est calculée : lisez les propositions, modifiez-les au besoin, puis validez."),
        "resultat",
    )


@login_required
@require_POST
def placement_batch_validate(request, code: str, batch_id: int):
    return _batch_action(
        request,
        code,
        batch_id,
        services_placement.batch_validate,
        _("L'affectation n° %(n)s est validée : les personnes placées sont inscrites sur leur session."),
    )


@login_required
@require_POST
def placement_batch_cancel(request, code: str, batch_id: int):
    return _batch_action(
        request,
        code,
        batch_id,
        services_placement.batch_cancel,
        _("L'affectation n° %(n)s est abandonnée : aucune candidature n'a été modifiée."),
    )


@login_required
@require_POST
def placement_batch_balancing(request, code: str, batch_id: int):
    programme = _programme_for(request, code)
    batch = _batch_for(request, programme, batch_id)
    form = forms.BalancingForm(request.POST)
    if not form.is_valid():
        _form_refused(request, form)
        return redirect(_batch_url(batch, "equilibrage"))
    try:
        services_placement.batch_balancing_set(membership=request.membership, batch=batch, **form.cleaned_data)
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("L'équilibrage est enregistré : il s'appliquera au prochain calcul."))
    return redirect(_batch_url(batch, "equilibrage"))


# --- one person of a batch ------------------------------------------------------------------------


def option_label(option) -> str:
    """A session of the override select: its places, or why the person cannot go there."""
    if option.exclusion and option.exclusion != Exclusion.NO_PLACE:
        return _("%(session)s — impossible : %(why)s") % {
            "session": option.session.label,
            "why": option.exclusion_label.lower(),
        }
    left = option.free_places - option.in_batch
    return _("%(session)s — %(left)s place(s) encore libre(s) sur %(free)s") % {
        "session": option.session.label,
        "left": max(left, 0),
        "free": option.free_places,
    }


def _line_page(request, code: str, batch_id: int, line_id: int):
    programme = _programme_for(request, code)
    batch = _batch_for(request, programme, batch_id)
    line = selectors_placement.line_get(membership=request.membership, batch=batch, line_id=line_id)
    return programme, batch, line


def _checkbox_rows(form, name: str) -> list[dict]:
    field = form[name]
    chosen = {str(v) for v in (field.value() or [])}
    return [
        {"value": value, "label": label, "checked": str(value) in chosen, "id": f"{name}-{value}"}
        for value, label in field.field.choices
    ]


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def placement_line_preferences(request, code: str, batch_id: int, line_id: int):
    programme, batch, line = _line_page(request, code, batch_id, line_id)
    if batch.kind != BatchKind.BATCH:
        messages.error(
            request,
            _(
                "Une proposition au fil de l'eau ne reprend pas de préférences : validez-la, ou modifiez la "
                "session proposée."
            ),
        )
        return redirect(_batch_url(batch))
    if batch.status not in EDITABLE:
        messages.error(request, _("Cette affectation est close : les préférences ne sont plus modifiables."))
        return redirect(_batch_url(batch))
    initial = {
        "household": line.household,
        "accepts_move": line.accepts_move,
        "needs_childcare": line.needs_childcare,
        "preferred_sessions": list(line.preferred_sessions or []),
        "refused_sessions": list(line.refused_sessions or []),
    }
    sessions = selectors_placement.batch_sessions(batch)
    form = forms.PreferencesForm(request.POST if request.method == "POST" else None, initial=initial, sessions=sessions)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services_placement.line_preferences_set(
                membership=request.membership,
                line=line,
                household=data["household"],
                accepts_move=data["accepts_move"],
                needs_childcare=data["needs_childcare"],
                preferred_session_ids=data["preferred_sessions"],
                refused_session_ids=data["refused_sessions"],
            )
        except ValidationError as exc:
            add_service_errors(
                form,
                exc,
                aliases={"preferred_session_ids": "preferred_sessions", "refused_session_ids": "refused_sessions"},
            )
        except PermissionDenied as exc:
            form.add_error(None, refusal_message(exc))
            status = 403
        else:
            message = _("Les préférences de %(person)s sont enregistrées.") % {"person": _person(line)}
            if batch.status == BatchStatus.SOLVED:
                message += " " + _("L'affectation proposée est effacée : calculez-la de nouveau.")
            messages.success(request, message)
            return redirect(_batch_url(batch, f"ligne-{line.pk}"))
    context = {
        "title": _("Préférences de %(person)s") % {"person": _person(line)},
        "nav": "programmes",
        "programme": programme,
        "batch": batch,
        "line": line,
        "person": _person(line),
        "form": form,
        "preferred_rows": _checkbox_rows(form, "preferred_sessions"),
        "refused_rows": _checkbox_rows(form, "refused_sessions"),
        "was_solved": batch.status == BatchStatus.SOLVED,
        "back_url": _batch_url(batch, f"ligne-{line.pk}"),
    }
    audit_reads(request, [(line, line.pathway.person)], "placement_line_preferences")
    return render(request, "placement/preferences.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def placement_line_override(request, code: str, batch_id: int, line_id: int):
    programme, batch, line = _line_page(request, code, batch_id, line_id)
    if batch.status != BatchStatus.SOLVED:
        messages.error(request, _("Seule une affectation calculée et pas encore validée peut être modifiée."))
        return redirect(_batch_url(batch))
    current = line.final_session_id
    initial = {"session": str(current) if current is not None else forms.NO_SESSION}
    options = selectors_placement.override_options(membership=request.membership, line=line)
    choices = [(option.session.pk, option_label(option)) for option in options]
    form = forms.OverrideForm(request.POST if request.method == "POST" else None, initial=initial, choices=choices)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services_placement.line_override(
                membership=request.membership,
                line=line,
                session_id=form.session_id(),
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc, aliases={"session_id": "session"})
        except PermissionDenied as exc:
            form.add_error(None, refusal_message(exc))
            status = 403
        else:
            messages.success(
                request,
                _("L'affectation de %(person)s est modifiée ; le motif est conservé.") % {"person": _person(line)},
            )
            return redirect(_batch_url(batch, f"ligne-{line.pk}"))
    labels = _session_labels(option.session for option in options)
    context = {
        "title": _("Modifier l'affectation de %(person)s") % {"person": _person(line)},
        "nav": "programmes",
        "programme": programme,
        "batch": batch,
        "line": line,
        "person": _person(line),
        "row": line_row(line, labels, solved=True, editable=True, code=programme.code),
        "form": form,
        "back_url": _batch_url(batch, f"ligne-{line.pk}"),
    }
    audit_reads(request, [(line, line.pathway.person)], "placement_line_override")
    return render(request, "placement/override.html", context, status=status)
