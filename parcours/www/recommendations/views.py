"""The recommendation pages.

- pathway_recommendations: the pathway's "Pistes" tab: ranked jobs, services and programmes with
  their reasons, and what to do with each (orient, add to target jobs, check eligibility, propose a
  session, dismiss with a reason); the dismissed proposals, to show again. Follow-up members only.
- recommendation_dismiss / recommendation_restore / recommendation_job_target: the POSTs of that
  tab (messages, then back to the tab). "Proposer une session" is a link to the candidacy form
  (enrolment_propose) carrying `reco`: the programme is retained when the candidacy is proposed.
- recommendation_usage: acceptance rate per kind for a pilote's département (platform
  administrators: every département, with a filter); small counts masked.
- theme_mapping: the diagnostic themes → data·inclusion thématiques mapping the service proposals
  use; read by any professional, edited by a platform administrator.

The views are thin: rights in parcours.matching.access, writes in parcours.matching.services,
figures in parcours.matching.stats; the ranking is parcours.matching.selectors.recommend_for."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from parcours.diagnostics.enums import Theme
from parcours.directory import vocabulary
from parcours.matching import access, services, stats
from parcours.matching.enums import DismissReason, RecommendationKind
from parcours.matching.models import NOTE_MAX_LENGTH
from parcours.matching.selectors import recommend_for
from parcours.matching.selectors import theme_mapping as read_theme_mapping
from parcours.programmes import eligibility as rules
from parcours.territories.models import Departement
from parcours.users.models import User
from parcours.www.decorators import pathway_view
from parcours.www.forms_flow import refusal_message
from parcours.www.pathway_context import pathway_context

from . import forms

LIMIT = 10
TONE_BADGES = {
    "plus": ("fr-badge--success", _("Atout")),
    "minus": ("fr-badge--warning", _("Frein")),
    "warning": ("fr-badge--warning", _("Attention")),
    "info": ("fr-badge--info", _("À savoir")),
}
ELIGIBILITY_BADGES = {
    rules.ELIGIBLE: "fr-badge--success",
    rules.NOT_ELIGIBLE: "fr-badge--error",
    rules.UNDETERMINED: "fr-badge--warning",
}
ORIGIN_LABELS = {
    "experience": _("Expérience de la personne"),
    "wish": _("Souhait de la personne"),
    "target": _("Métier visé"),
    "mobility": _("Mobilité professionnelle"),
}
# The usage chart (SVG user units) and its DSFR colours, as on the indicator pages.
CHART_BAR_COLOUR = "#000091"
CHART_TEXT_COLOUR = "#3a3a3a"
CHART_AXIS_COLOUR = "#929292"
CHART_LABEL_WIDTH = 110
CHART_PLOT_WIDTH = 360
CHART_ROW = 36
CHART_BAR = 22
CHART_TOP = 8


# --- presentation of the proposals ------------------------------------------------------------------


def _reasons(reasons) -> list[dict]:
    rows = []
    for reason in reasons:
        badge, tone_label = TONE_BADGES.get(reason.tone, TONE_BADGES["info"])
        rows.append({"text": reason.text, "badge": badge, "tone_label": tone_label})
    return rows


def _proposal(*, kind: str, key: str, label: str, score: float, rank: int, theme: str = "") -> dict:
    """What the hidden fields of the proposal's forms carry (the label is shown, not posted: the
    service reads it), and ids unique on the page."""
    slug = f"{kind}-{key}".replace(" ", "-")
    return {
        "kind": kind,
        "key": key,
        "label": label,
        "theme": theme,
        "score": f"{score:.4f}",
        "rank": rank,
        "reco": forms.format_reco(score, rank),
        "id": f"piste-{slug}",
    }


def _job_rows(jobs) -> list[dict]:
    rows = []
    for job in jobs:
        rows.append(
            {
                "job": job,
                "proposal": _proposal(
                    kind=RecommendationKind.JOB, key=job.code, label=job.label, score=job.score, rank=job.rank
                ),
                "origin": ORIGIN_LABELS.get(job.origin, job.origin),
                "tension": None if job.tension_pct is None else round(job.tension_pct),
                "reasons": _reasons(job.reasons),
                "appellation_code": job.appellation_code or "",
            }
        )
    return rows


def _service_rows(service_proposals, pathway) -> list[dict]:
    rows = []
    base = reverse("referral_create", args=[pathway.pk])
    for proposal in service_proposals:
        service = proposal.service
        info = _proposal(
            kind=RecommendationKind.SERVICE,
            key=str(service.pk),
            label=service.nom,
            score=proposal.score,
            rank=proposal.rank,
            theme=proposal.theme,
        )
        query = urlencode({"service": service.pk, "theme": proposal.theme, "reco": info["reco"]})
        rows.append(
            {
                "service": service,
                "proposal": info,
                "theme_label": proposal.theme_label,
                "distance": None if proposal.distance_km is None else round(proposal.distance_km, 1),
                "reasons": _reasons(proposal.reasons),
                "referral_url": f"{base}?{query}",
            }
        )
    return rows


def _programme_rows(programmes) -> list[dict]:
    rows = []
    for proposal in programmes:
        programme = proposal.programme
        result = proposal.result
        rows.append(
            {
                "programme": programme,
                "proposal": _proposal(
                    kind=RecommendationKind.PROGRAMME,
                    key=programme.code,
                    label=programme.name,
                    score=proposal.score,
                    rank=proposal.rank,
                ),
                "status_visible": proposal.status_visible,
                "status_label": result.status_label,
                "badge": ELIGIBILITY_BADGES.get(result.status, "fr-badge--info"),
                "missing": list(result.missing),
                "sessions": [
                    {
                        "session": option.session,
                        "distance": None if option.distance_km is None else round(option.distance_km, 1),
                        "free_places": option.free_places,
                        "job_fit": list(option.job_fit),
                    }
                    for option in proposal.sessions
                ],
                "reasons": _reasons(proposal.reasons),
            }
        )
    return rows


def _dismissed_rows(dismissed) -> list[dict]:
    dismissed = list(dismissed)
    users = User.objects.in_bulk({f.decided_by_id for f in dismissed})
    kinds = dict(RecommendationKind.choices)
    reasons = dict(DismissReason.choices)
    rows = []
    for feedback in dismissed:
        user = users.get(feedback.decided_by_id)
        rows.append(
            {
                "feedback": feedback,
                "kind_label": kinds.get(feedback.kind, feedback.kind),
                "reason_label": reasons.get(feedback.reason, ""),
                "who": (user.get_full_name() or user.get_username()) if user is not None else "",
            }
        )
    return rows


@require_safe
@pathway_view()
def pathway_recommendations(request, pathway, categories):
    membership = request.membership
    access.require_view_proposals(membership, pathway)
    context = pathway_context(request, pathway, categories, tab="recommendations", title=_("Pistes pour la personne"))
    recommendations = recommend_for(pathway=pathway, membership=membership, categories=categories, limit=LIMIT)
    context.update(
        {
            "jobs": _job_rows(recommendations.jobs),
            "services": _service_rows(recommendations.services, pathway),
            "programmes": _programme_rows(recommendations.programmes),
            "dismissed": _dismissed_rows(recommendations.dismissed),
            "notes": list(recommendations.notes),
            "can_decide": access.can_decide(membership, pathway),
            "reason_choices": DismissReason.choices,
            "note_max_length": NOTE_MAX_LENGTH,
            "mapping_url": reverse("theme_mapping"),
        }
    )
    return render(request, "recommendations/pathway.html", context)


# --- the tab's actions ------------------------------------------------------------------------------


def _back(pathway, anchor: str = "") -> str:
    url = reverse("pathway_recommendations", args=[pathway.pk])
    return f"{url}#{anchor}" if anchor else url


def _refused(request, exc: ValidationError) -> None:
    """A service's French message as an error alert: it wrote nothing."""
    messages.error(request, " ".join(exc.messages))


@require_POST
@pathway_view()
def recommendation_dismiss(request, pathway, categories):
    access.require_decide(request.membership, pathway)
    form = forms.DismissForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(m for errors in form.errors.values() for m in errors))
        return redirect(_back(pathway))
    data = form.cleaned_data
    try:
        dismissed = services.feedback_dismiss(
            pathway=pathway,
            kind=data["kind"],
            key=data["key"],
            theme=data["theme"],
            reason=data["reason"],
            note=data["note"],
            score=data["score"],
            rank=data["rank"],
            membership=request.membership,
            acting_user=request.user,
        )
    except ValidationError as exc:
        _refused(request, exc)
        return redirect(_back(pathway))
    messages.success(
        request,
        _("« %(label)s » est écartée : elle figure dans les propositions écartées, d'où vous pouvez la réafficher.")
        % {"label": dismissed.label},
    )
    return redirect(_back(pathway, "ecartees"))


@require_POST
@pathway_view()
def recommendation_restore(request, pathway, categories, feedback_id: int):
    access.require_decide(request.membership, pathway)
    try:
        restored = services.feedback_revoke(
            pathway=pathway, feedback_id=feedback_id, membership=request.membership, acting_user=request.user
        )
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("« %(label)s » est de nouveau proposée.") % {"label": restored.label})
    return redirect(_back(pathway))


@require_POST
@pathway_view()
def recommendation_job_target(request, pathway, categories, code: str):
    access.require_decide(request.membership, pathway)
    form = forms.JobTargetForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Cette proposition de métier n'est pas valide : rechargez la page."))
        return redirect(_back(pathway))
    data = form.cleaned_data
    try:
        wish = services.job_target_accept(
            pathway=pathway,
            code=code,
            appellation_code=data["appellation_code"],
            score=data["score"],
            rank=data["rank"],
            membership=request.membership,
            acting_user=request.user,
        )
    except ValidationError as exc:
        _refused(request, exc)
    else:
        messages.success(
            request, _("« %(label)s » est ajouté aux métiers visés de la personne.") % {"label": wish.appellation.label}
        )
    return redirect(_back(pathway))


# --- usage ------------------------------------------------------------------------------------------


def _chart(usages: list[stats.KindUsage]) -> dict:
    """Horizontal bars, one per kind, on a 0–100 % scale; a masked or empty rate has no bar."""
    bars = []
    for index, usage in enumerate(usages):
        percent = usage.rate_percent
        y = CHART_TOP + index * CHART_ROW
        width = round(CHART_PLOT_WIDTH * (percent or 0) / 100)
        bars.append(
            {
                "label": usage.label,
                "text": usage.rate_display,
                "x": CHART_LABEL_WIDTH,
                "y": y,
                "width": width,
                "height": CHART_BAR,
                "label_y": y + CHART_BAR // 2 + 5,
                "text_x": CHART_LABEL_WIDTH + width + 6,
            }
        )
    height = CHART_TOP * 2 + len(usages) * CHART_ROW
    return {
        "width": CHART_LABEL_WIDTH + CHART_PLOT_WIDTH + 60,
        "height": height,
        "bars": bars,
        "axis_x": CHART_LABEL_WIDTH,
        "axis_y2": height - CHART_TOP,
        "bar_colour": CHART_BAR_COLOUR,
        "text_colour": CHART_TEXT_COLOUR,
        "axis_colour": CHART_AXIS_COLOUR,
    }


@login_required
@require_safe
def recommendation_usage(request):
    allowed = access.usage_departements(user=request.user, membership=request.membership)
    choices = None
    if allowed is None:
        choices = [(d.code, str(d)) for d in Departement.objects.order_by("code")]
    form = forms.UsageFilterForm(request.GET or None, departements=choices)
    departements, since = allowed, None
    if form.is_bound and form.is_valid():
        since = forms.period_start(form.cleaned_data["periode"], timezone.localdate())
        if allowed is None and form.cleaned_data.get("departement"):
            departements = [form.cleaned_data["departement"]]
    usages = stats.acceptance_by_kind(departements=departements, since=since)
    if departements is None:
        territory = _("tous les départements")
    else:
        territory = str(Departement.objects.get(code=departements[0]))
    reason_rows = [
        {"label": label, "cells": [u.reasons[index].count.display for u in usages]}
        for index, (_value, label) in enumerate(DismissReason.choices)
    ]
    context = {
        "title": _("Usage des pistes"),
        "nav": "recommendation_usage",
        "form": form,
        "usages": usages,
        "reason_rows": reason_rows,
        "chart": _chart(usages),
        "territory": territory,
        "since": since,
        "min_cell": settings.PUBLICATION_MIN_CELL,
        "is_admin": allowed is None,
    }
    return render(request, "recommendations/usage.html", context)


# --- theme → thématique mapping ---------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def theme_mapping(request):
    user = request.user
    if not access.can_read_mapping(user=user, membership=request.membership):
        raise PermissionDenied(_("Vous devez agir au nom d'une organisation pour consulter les correspondances."))
    can_edit = access.can_edit_mapping(user)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied(_("Seul·e un·e administrateur·rice de la plateforme peut modifier les correspondances."))
    mapping = read_theme_mapping()

    editing = None
    form = None
    status = 200
    raw_theme = request.POST.get("theme") if request.method == "POST" else request.GET.get("theme")
    if can_edit and raw_theme:
        if raw_theme not in Theme.values:
            messages.error(request, _("Thème du diagnostic inconnu : %(t)s.") % {"t": raw_theme[:50]})
            return redirect("theme_mapping")
        editing = Theme(raw_theme)
        initial = {"theme": editing.value, "thematiques": mapping.get(editing.value, [])}
        choices = [(code, label) for _group, items in vocabulary.grouped_thematiques() for code, label in items]
        form = forms.ThemeMappingForm(
            request.POST if request.method == "POST" else None, initial=initial, choices=choices
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.theme_mapping_set(theme=editing.value, thematiques=form.cleaned_data["thematiques"], user=user)
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            except PermissionDenied as exc:
                form.add_error(None, refusal_message(exc))
                status = 403
            else:
                messages.success(
                    request, _("Correspondances du thème « %(theme)s » enregistrées.") % {"theme": editing.label}
                )
                return redirect(f"{reverse('theme_mapping')}#theme-{editing.value}")
    rows = [
        {
            "theme": theme.value,
            "label": theme.label,
            "thematiques": [vocabulary.label(vocabulary.THEMATIQUE, code) for code in mapping.get(theme.value, [])],
            "edit_url": f"{reverse('theme_mapping')}?{urlencode({'theme': theme.value})}",
        }
        for theme in Theme
    ]
    groups = []
    if form is not None:
        chosen = set(form["thematiques"].value() or [])
        for index, (group, items) in enumerate(vocabulary.grouped_thematiques()):
            groups.append(
                {
                    "label": group,
                    "id": f"groupe-{index}",
                    "items": [
                        {"value": code, "label": label, "checked": code in chosen, "id": f"thematique-{code}"}
                        for code, label in items
                    ],
                }
            )
    context = {
        "title": _("Correspondances entre besoins et thématiques"),
        "nav": "",
        "rows": rows,
        "can_edit": can_edit,
        "editing": editing,
        "form": form,
        "groups": groups,
        "form_errors": form.non_field_errors() if form is not None else [],
        "field_errors": form.errors.get("thematiques", []) if form is not None else [],
    }
    return render(request, "recommendations/theme_mapping.html", context, status=status)
