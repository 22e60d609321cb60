"""The indicator pages of a programme: per cohort (with a session filter), one session, one cohort
per session, the definitions, a CSV export of every figure and a publication export where small
cells are masked (statistical confidentiality).

Aggregates only: no person is ever named on these pages. Who may read them is
parcours.programmes.access.can_view_indicators (any pilote, the owner organisation, the operators);
the figures come from parcours.programmes.stats and the formulas from parcours.programmes.indicators."""

import csv
import io
from collections.abc import Callable, Hashable, Mapping
from fractions import Fraction

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from parcours.programmes import access, stats
from parcours.programmes import indicators as ind
from parcours.programmes.enums import ExitOutcome
from parcours.programmes.indicators import IndicatorTable, MaskedValue
from parcours.programmes.models import Programme, Session

# The chart's geometry (SVG user units) and its DSFR colours (blue France, grey text).
CHART_BAR_COLOUR = "#000091"
CHART_TEXT_COLOUR = "#3a3a3a"
CHART_AXIS_COLOUR = "#929292"
CHART_HEIGHT = 220
CHART_TOP = 24
CHART_BOTTOM = 40
CHART_LEFT = 8
CHART_SLOT = 128
CHART_BAR = 48
MASK_SYMBOL = "s"  # the usual mark of statistical confidentiality in French publications


# --- access ---------------------------------------------------------------------------------------


def _require_membership(request):
    if request.membership is None:
        raise PermissionDenied(_("Vous devez agir au nom d'une organisation pour consulter les indicateurs."))
    return request.membership


def _check(request, programme: Programme) -> None:
    if not access.can_view_indicators(_require_membership(request), programme):
        raise PermissionDenied(
            _(
                "Les indicateurs de ce programme sont réservés aux pilotes, à l'organisation qui l'a déclaré et "
                "à ses opérateurs."
            )
        )


def _programme_for(request, code: str) -> Programme:
    programme = get_object_or_404(Programme.objects.select_related("owner"), code=code)
    _check(request, programme)
    return programme


# --- presentation ---------------------------------------------------------------------------------


def _percent(rate: Fraction | None) -> str:
    return ind.percent(rate)


def _cell(value: ind.IndicatorValue) -> dict:
    return {
        "numerator": value.numerator,
        "denominator": "—" if value.denominator is None else value.denominator,
        "rate": _percent(value.rate),
        "response_base": "—" if value.response_base is None else value.response_base,
        "response_rate": _percent(value.response_rate),
        "rate_value": value.rate,
    }


def _chart(definition: ind.IndicatorDefinition, bars: list[tuple[str, ind.IndicatorValue]]) -> dict:
    """A vertical bar chart (one bar per group) drawn server-side; the table under it gives the
    same values. Rates are drawn on a 0–100 % scale, counts up to the largest count."""
    is_rate = definition.kind == "rate"
    plot_height = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    largest = max((value.numerator for _label, value in bars), default=0) or 1
    items = []
    for index, (label, value) in enumerate(bars):
        if is_rate:
            share = value.rate
            text = _percent(share)
        else:
            share = Fraction(value.numerator, largest)
            text = str(value.numerator)
        height = round(float(share or 0) * plot_height)
        x = CHART_LEFT + index * CHART_SLOT + (CHART_SLOT - CHART_BAR) // 2
        items.append(
            {
                "x": x,
                "y": CHART_TOP + plot_height - height,
                "width": CHART_BAR,
                "height": height,
                "label": label,
                "text": text,
                "text_x": x + CHART_BAR // 2,
                "text_y": CHART_TOP + plot_height - height - 6,
                "label_y": CHART_HEIGHT - CHART_BOTTOM + 18,
            }
        )
    width = CHART_LEFT * 2 + max(len(bars), 1) * CHART_SLOT
    return {
        "width": width,
        "height": CHART_HEIGHT,
        "axis_y": CHART_TOP + plot_height,
        "axis_x1": CHART_LEFT,
        "axis_x2": width - CHART_LEFT,
        "bars": items,
        "bar_colour": CHART_BAR_COLOUR,
        "text_colour": CHART_TEXT_COLOUR,
        "axis_colour": CHART_AXIS_COLOUR,
    }


def _blocks(
    table: IndicatorTable,
    *,
    codes: tuple[str, ...],
    label_of: Callable[[Hashable], str],
    url_of: Callable[[Hashable], str],
    chart_id: str,
) -> list[dict]:
    """One block per indicator: its definition, a chart per group and the table of its figures."""
    blocks = []
    for code in codes:
        definition = ind.DEFINITIONS[code]
        rows = [{"label": label_of(key), "url": url_of(key), **_cell(result[code])} for key, result in table.groups]
        blocks.append(
            {
                "code": code,
                "definition": definition,
                "is_rate": definition.kind == "rate",
                "has_response": bool(definition.response),
                "rows": rows,
                "total": _cell(table.total[code]),
                "chart": _chart(definition, [(label_of(key), result[code]) for key, result in table.groups]),
                "chart_id": f"{chart_id}-{code}",
                "definition_url": reverse("indicator_definition", args=[code]),
            }
        )
    return blocks


def _positive_labels(programme: Programme) -> list[str]:
    labels = dict(ExitOutcome.choices)
    return [str(labels[o]) for o in programme.positive_outcomes if o in labels and o != ExitOutcome.UNKNOWN]


def _common(programme: Programme, table: IndicatorTable) -> dict:
    return {
        "programme": programme,
        "positive_labels": _positive_labels(programme),
        "in_progress": table.total.in_progress,
        "entrants": table.total.entrants,
        "as_of": timezone.localdate(),
        "definitions_url": reverse("indicator_definitions"),
        "nav": "programmes",
    }


# --- pages ----------------------------------------------------------------------------------------


def _session_filter(request, programme: Programme) -> tuple[Session | None, str]:
    raw = request.GET.get("session", "")
    if not raw:
        return None, ""
    try:
        return Session.objects.get(pk=int(raw), programme=programme), ""
    except (ValueError, Session.DoesNotExist):
        return None, _(
            "Cette session n'existe pas dans ce programme : les indicateurs de toutes les sessions sont affichés."
        )


@login_required
@require_safe
def indicators_programme(request, code):
    programme = _programme_for(request, code)
    session, session_error = _session_filter(request, programme)
    as_of = timezone.localdate()
    table = stats.programme_by_cohort(programme=programme, session=session, as_of=as_of)
    codes = ind.ordered_codes(programme.indicators)
    sessions = list(Session.objects.filter(programme=programme).order_by("starts_on", "id").values("pk", "label"))
    export_query = f"?session={session.pk}" if session else ""
    return render(
        request,
        "indicators/programme.html",
        {
            **_common(programme, table),
            "title": _("Indicateurs — %(name)s") % {"name": programme.name},
            "session": session,
            "session_error": session_error,
            "sessions": sessions,
            "has_groups": bool(table.groups),
            "blocks": _blocks(
                table,
                codes=codes,
                label_of=lambda key: str(key),
                url_of=lambda key: reverse("indicators_cohort", args=[programme.code, key]),
                chart_id="programme",
            ),
            "group_heading": _("Cohorte"),
            "csv_url": reverse("indicators_csv", args=[programme.code]) + export_query,
            "publication_url": reverse("indicators_publication", args=[programme.code]) + export_query,
        },
    )


@login_required
@require_safe
def indicators_session(request, session_id):
    session = get_object_or_404(Session.objects.select_related("programme", "commune"), pk=session_id)
    programme = session.programme
    _check(request, programme)
    table = stats.programme_by_cohort(programme=programme, session=session, as_of=timezone.localdate())
    return render(
        request,
        "indicators/session.html",
        {
            **_common(programme, table),
            "title": _("Indicateurs — %(session)s") % {"session": session.label},
            "session": session,
            "has_groups": bool(table.groups),
            "blocks": _blocks(
                table,
                codes=ind.ordered_codes(programme.indicators),
                label_of=lambda key: str(key),
                url_of=lambda key: reverse("indicators_cohort", args=[programme.code, key]),
                chart_id="session",
            ),
            "group_heading": _("Cohorte"),
            "csv_url": reverse("indicators_csv", args=[programme.code]) + f"?session={session.pk}",
            "publication_url": reverse("indicators_publication", args=[programme.code]) + f"?session={session.pk}",
        },
    )


@login_required
@require_safe
def indicators_cohort(request, code, cohort):
    programme = _programme_for(request, code)
    try:
        ind.cohort_bounds(cohort)
    except ValueError as exc:
        raise Http404(str(exc)) from exc
    table = stats.cohort_by_session(programme=programme, cohort=cohort, as_of=timezone.localdate())
    labels = dict(
        Session.objects.filter(pk__in=[key for key, _r in table.groups]).values_list("pk", "label").order_by()
    )
    return render(
        request,
        "indicators/cohort.html",
        {
            **_common(programme, table),
            "title": _("Indicateurs — %(name)s, cohorte %(cohort)s") % {"name": programme.name, "cohort": cohort},
            "cohort": cohort,
            "cohort_label": ind.cohort_label(cohort),
            "has_groups": bool(table.groups),
            "blocks": _blocks(
                table,
                codes=ind.ordered_codes(programme.indicators),
                label_of=lambda key: labels.get(key, str(key)),
                url_of=lambda key: reverse("indicators_session", args=[key]),
                chart_id="cohort",
            ),
            "group_heading": _("Session"),
        },
    )


@login_required
@require_safe
def indicator_definitions(request):
    return render(
        request,
        "indicators/definitions.html",
        {
            "title": _("Définitions des indicateurs des programmes"),
            "definitions": [
                {"definition": d, "url": reverse("indicator_definition", args=[d.code])}
                for d in ind.DEFINITIONS.values()
            ],
            "min_cell": settings.PUBLICATION_MIN_CELL,
            "nav": "programmes",
        },
    )


@login_required
@require_safe
def indicator_definition(request, indicator):
    definition = ind.DEFINITIONS.get(indicator)
    if definition is None:
        raise Http404(_("Cet indicateur n'existe pas."))
    return render(
        request,
        "indicators/definition.html",
        {
            "title": definition.label,
            "definition": definition,
            "definitions_url": reverse("indicator_definitions"),
            "min_cell": settings.PUBLICATION_MIN_CELL,
            "nav": "programmes",
        },
    )


# --- exports --------------------------------------------------------------------------------------

CSV_HEADER = (
    "programme",
    "regroupement",
    "groupe",
    "indicateur",
    "libelle",
    "numerateur",
    "denominateur",
    "taux_pct",
    "population_attendue",
    "taux_reponse_pct",
)


def _decimal(rate: Fraction | None) -> str:
    """A percentage with one decimal and a decimal comma (French spreadsheets), "" when undefined."""
    return "" if rate is None else ind.percent(rate).removesuffix(" %")


def _csv_response(filename: str, lines: list[list[object]]) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    writer.writerows(lines)
    # UTF-8 with a byte order mark: spreadsheets then read the accents right.
    response = HttpResponse(("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _plain_line(programme: Programme, grouping: str, group: str, value: ind.IndicatorValue) -> list[object]:
    definition = ind.DEFINITIONS[value.code]
    return [
        programme.code,
        grouping,
        group,
        value.code,
        definition.label,
        value.numerator,
        "" if value.denominator is None else value.denominator,
        _decimal(value.rate),
        "" if value.response_base is None else value.response_base,
        _decimal(value.response_rate),
    ]


def _masked_line(programme: Programme, grouping: str, group: str, value: MaskedValue) -> list[object]:
    definition = ind.DEFINITIONS[value.code]

    def count(name: str) -> object:
        if name in value.masked:
            return MASK_SYMBOL
        shown = getattr(value, name)
        return "" if shown is None else shown

    def rate(name: str) -> str:
        return MASK_SYMBOL if name in value.masked else _decimal(getattr(value, name))

    return [
        programme.code,
        grouping,
        group,
        value.code,
        definition.label,
        count("numerator"),
        count("denominator"),
        rate("rate"),
        count("response_base"),
        rate("response_rate"),
    ]


@login_required
@require_safe
def indicators_csv(request, code):
    """Every figure, unmasked (for the programme's managers and operators): per cohort, in total,
    and per session."""
    programme = _programme_for(request, code)
    session, _error = _session_filter(request, programme)
    as_of = timezone.localdate()
    rows = stats.enrolment_rows(programme=programme, session=session)
    by_cohort = ind.by_cohort(rows, positive_outcomes=programme.positive_outcomes, as_of=as_of)
    by_session = ind.by_session(rows, positive_outcomes=programme.positive_outcomes, as_of=as_of)
    labels: Mapping[int, str] = dict(Session.objects.filter(programme=programme).values_list("pk", "label").order_by())
    lines = []
    for key, result in by_cohort.groups:
        lines += [_plain_line(programme, "cohorte", str(key), result[c]) for c in ind.CODES]
    lines += [_plain_line(programme, "ensemble", "Ensemble", by_cohort.total[c]) for c in ind.CODES]
    for key, result in by_session.groups:
        label = labels.get(key, str(key))  # type: ignore[call-overload]
        lines += [_plain_line(programme, "session", label, result[c]) for c in ind.CODES]
    suffix = f"-session-{session.pk}" if session else ""
    return _csv_response(f"indicateurs-{programme.code}{suffix}.csv", lines)


@login_required
@require_safe
def indicators_publication(request, code):
    """The figures per cohort and in total, with the cells under settings.PUBLICATION_MIN_CELL
    masked ("s"), including the secondary masking (parcours.programmes.indicators.mask_table)."""
    programme = _programme_for(request, code)
    session, _error = _session_filter(request, programme)
    table = stats.programme_by_cohort(programme=programme, session=session, as_of=timezone.localdate())
    masked = ind.mask_table(table, min_cell=settings.PUBLICATION_MIN_CELL)
    lines = []
    for key, values in masked.groups:
        lines += [_masked_line(programme, "cohorte", str(key), values[c]) for c in ind.CODES]
    lines += [_masked_line(programme, "ensemble", "Ensemble", masked.total[c]) for c in ind.CODES]
    suffix = f"-session-{session.pk}" if session else ""
    return _csv_response(f"indicateurs-{programme.code}{suffix}-publication.csv", lines)
