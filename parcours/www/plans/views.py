"""Goals, actions, appointments and notes of a pathway ("Objectifs et actions" tab). Reads are
bounded (prefetch, limited lists) so the page stays within its query budget; writes go through
parcours.pathways.services."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import BooleanField, Case, ExpressionWrapper, F, Prefetch, Q, When, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from parcours.diagnostics.enums import Theme
from parcours.pathways.enums import ACTION_TRANSITIONS, FINISHED_ACTION_STATUSES, ActionStatus, AppointmentStatus
from parcours.pathways.models import Action, Appointment, Goal, Note
from parcours.pathways.selectors import goals_visible_to
from parcours.pathways.services import (
    action_create,
    action_set_status,
    appointment_create,
    appointment_set_status,
    goal_create,
    goal_update,
    note_create,
)
from parcours.www.decorators import pathway_view
from parcours.www.diagnostics.forms import add_service_errors, visible_themes
from parcours.www.diagnostics.views import require_can_edit
from parcours.www.pathway_context import pathway_context

from .forms import (
    APPOINTMENT_OUTCOMES,
    ActionForm,
    ActionStatusForm,
    AppointmentForm,
    AppointmentStatusForm,
    GoalEditForm,
    GoalForm,
    NoteForm,
)

APPOINTMENTS_SHOWN = 10
NOTES_SHOWN = 10


def goals_visible(pathway, categories):
    return goals_visible_to(pathway=pathway, categories=categories)


def _goal_or_404(pathway, categories, goal_id: int) -> Goal:
    goal = goals_visible(pathway, categories).filter(pk=goal_id).first()
    if goal is None:
        raise Http404(_("Objectif introuvable."))
    goal.pathway = pathway
    return goal


def _action_or_404(pathway, categories, action_id: int) -> Action:
    action = (
        Action.objects.filter(pk=action_id, goal__in=goals_visible(pathway, categories)).select_related("goal").first()
    )
    if action is None:
        raise Http404(_("Action introuvable."))
    return action


def _appointment_or_404(pathway, appointment_id: int) -> Appointment:
    appointment = Appointment.objects.filter(pk=appointment_id, pathway=pathway).first()
    if appointment is None:
        raise Http404(_("Rendez-vous introuvable."))
    return appointment


def _status_choices(status: str) -> list[tuple[str, str]]:
    allowed = ACTION_TRANSITIONS[ActionStatus(status)]
    return [(s.value, s.label) for s in ActionStatus if s in allowed]


def _appointments_around_now(pathway) -> tuple[list[Appointment], list[Appointment]]:
    """The next and the last APPOINTMENTS_SHOWN appointments, in one query: rows are numbered
    within each side of "now" (upcoming soonest first, past latest first) and cut at the limit."""
    is_upcoming = Q(starts_at__gte=timezone.now())
    rows = list(
        Appointment.objects.filter(pathway=pathway)
        .select_related("with_member__user", "with_member__organisation")
        .annotate(
            upcoming=ExpressionWrapper(is_upcoming, output_field=BooleanField()),
            rank=Window(
                RowNumber(),
                partition_by=[ExpressionWrapper(is_upcoming, output_field=BooleanField())],
                order_by=[
                    Case(When(is_upcoming, then=F("starts_at"))).asc(),
                    Case(When(~is_upcoming, then=F("starts_at"))).desc(),
                    F("id").asc(),
                ],
            ),
        )
        .filter(rank__lte=APPOINTMENTS_SHOWN)
    )
    upcoming = sorted((a for a in rows if a.upcoming), key=lambda a: (a.starts_at, a.pk))
    past = sorted((a for a in rows if not a.upcoming), key=lambda a: (a.starts_at, a.pk), reverse=True)
    return upcoming, past


@require_safe
@pathway_view()
def pathway_plan(request, pathway, categories):
    context = pathway_context(request, pathway, categories, tab="plan", title=_("Objectifs et actions"))
    actions = Action.objects.select_related("carried_by").order_by("due_on", "id")
    goals = list(
        goals_visible(pathway, categories)
        .prefetch_related(Prefetch("actions", queryset=actions))
        .order_by("created_at", "id")
    )
    today = timezone.localdate()
    by_theme: dict[str, list[Goal]] = {}
    for goal in goals:
        for action in goal.actions.all():
            action.is_overdue = (
                action.due_on is not None and action.due_on < today and action.status not in FINISHED_ACTION_STATUSES
            )
            action.next_statuses = _status_choices(action.status)
        by_theme.setdefault(goal.theme, []).append(goal)
    theme_groups = [
        {"theme": theme, "label": Theme(theme).label, "goals": by_theme[theme]}
        for theme in Theme.values
        if theme in by_theme
    ]
    upcoming, past = _appointments_around_now(pathway)
    context.update(
        {
            "theme_groups": theme_groups,
            "goal_count": len(goals),
            "upcoming": upcoming,
            "past": past,
            "notes": list(
                Note.objects.filter(pathway=pathway)
                .select_related("author", "organisation")
                .order_by("-created_at", "-id")[:NOTES_SHOWN]
            ),
            "appointment_outcomes": APPOINTMENT_OUTCOMES,
            "planned": AppointmentStatus.PLANNED,
            "list_limit": APPOINTMENTS_SHOWN,
            "notes_limit": NOTES_SHOWN,
        }
    )
    return render(request, "plans/plan.html", context)


def _form_page(request, context: dict, form, *, heading: str, submit: str, intro: str = ""):
    context.update({"form": form, "heading": heading, "submit": submit, "intro": intro})
    return render(request, "plans/form.html", context)


@pathway_view()
def pathway_goal_new(request, pathway, categories):
    context = pathway_context(request, pathway, categories, tab="plan", title=_("Nouvel objectif"))
    if request.method == "GET":
        require_can_edit(context)
    themes = visible_themes(categories)
    form = GoalForm(request.POST or None, themes=themes)
    if request.method == "POST" and form.is_valid():
        try:
            goal_create(
                pathway=pathway,
                theme=form.cleaned_data["theme"],
                text=form.cleaned_data["text"],
                agreed_by_person=form.cleaned_data["agreed_by_person"],
                membership=request.membership,
                acting_user=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Objectif ajouté."))
            return redirect("pathway_plan", pathway.pk)
    return _form_page(request, context, form, heading=_("Nouvel objectif"), submit=_("Ajouter l'objectif"))


@pathway_view()
def pathway_goal_edit(request, pathway, categories, goal_id: int):
    goal = _goal_or_404(pathway, categories, goal_id)
    context = pathway_context(request, pathway, categories, tab="plan", title=_("Modifier un objectif"))
    if request.method == "GET":
        require_can_edit(context)
    initial = {"status": goal.status, "agreed_by_person": goal.agreed_by_person}
    form = GoalEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            goal_update(
                goal=goal,
                status=form.cleaned_data["status"],
                agreed_by_person=form.cleaned_data["agreed_by_person"],
                membership=request.membership,
                acting_user=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Objectif mis à jour."))
            return redirect("pathway_plan", pathway.pk)
    return _form_page(
        request,
        context,
        form,
        heading=_("Modifier l'objectif"),
        submit=_("Enregistrer"),
        intro=f"{goal.get_theme_display()} : {goal.text}",
    )


@pathway_view()
def pathway_action_new(request, pathway, categories, goal_id: int):
    goal = _goal_or_404(pathway, categories, goal_id)
    context = pathway_context(request, pathway, categories, tab="plan", title=_("Nouvelle action"))
    if request.method == "GET":
        require_can_edit(context)
    form = ActionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            action_create(
                goal=goal,
                text=form.cleaned_data["text"],
                due_on=form.cleaned_data["due_on"],
                membership=request.membership,
                acting_user=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Action ajoutée."))
            return redirect("pathway_plan", pathway.pk)
    return _form_page(
        request,
        context,
        form,
        heading=_("Nouvelle action"),
        submit=_("Ajouter l'action"),
        intro=_("Objectif : %(text)s") % {"text": goal.text},
    )


@pathway_view()
def pathway_action_status(request, pathway, categories, action_id: int):
    action = _action_or_404(pathway, categories, action_id)
    context = pathway_context(request, pathway, categories, tab="plan", title=_("Statut d'une action"))
    if request.method == "GET":
        require_can_edit(context)
    allowed = [value for value, _label in _status_choices(action.status)]
    form = ActionStatusForm(request.POST or None, allowed=allowed)
    if request.method == "POST" and form.is_valid():
        try:
            action_set_status(
                action=action,
                status=form.cleaned_data["status"],
                done_on=form.cleaned_data["done_on"],
                membership=request.membership,
                acting_user=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Statut de l'action mis à jour."))
            return redirect("pathway_plan", pathway.pk)
    return _form_page(
        request,
        context,
        form,
        heading=_("Changer le statut de l'action"),
        submit=_("Enregistrer"),
        intro=_("%(text)s (actuellement : %(status)s)") % {"text": action.text, "status": action.get_status_display()},
    )


@pathway_view()
def pathway_appointment_new(request, pathway, categories):
    context = pathway_context(request, pathway, categories, tab="plan", title=_("Nouveau rendez-vous"))
    if request.method == "GET":
        require_can_edit(context)
    form = AppointmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            appointment_create(
                pathway=pathway,
                starts_at=form.cleaned_data["starts_at"],
                duration_minutes=form.cleaned_data["duration_minutes"],
                mode=form.cleaned_data["mode"],
                subject=form.cleaned_data["subject"],
                place=form.cleaned_data["place"],
                interpreter_booked=form.cleaned_data["interpreter_booked"],
                membership=request.membership,
                acting_user=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Rendez-vous planifié."))
            return redirect("pathway_plan", pathway.pk)
    return _form_page(request, context, form, heading=_("Nouveau rendez-vous"), submit=_("Planifier"))


@pathway_view()
def pathway_appointment_status(request, pathway, categories, appointment_id: int):
    appointment = _appointment_or_404(pathway, appointment_id)
    context = pathway_context(request, pathway, categories, tab="plan", title=_("Statut d'un rendez-vous"))
    if request.method == "GET":
        require_can_edit(context)
    form = AppointmentStatusForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            appointment_set_status(
                appointment=appointment,
                status=form.cleaned_data["status"],
                membership=request.membership,
                acting_user=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Rendez-vous mis à jour."))
            return redirect("pathway_plan", pathway.pk)
    return _form_page(
        request,
        context,
        form,
        heading=_("Issue du rendez-vous"),
        submit=_("Enregistrer"),
        intro=_("%(subject)s, le %(at)s")
        % {
            "subject": appointment.subject,
            "at": timezone.localtime(appointment.starts_at).strftime("%d/%m/%Y %H:%M"),
        },
    )


@pathway_view()
def pathway_note_new(request, pathway, categories):
    context = pathway_context(request, pathway, categories, tab="plan", title=_("Nouvelle note"))
    if request.method == "GET":
        require_can_edit(context)
    form = NoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            note_create(
                pathway=pathway, text=form.cleaned_data["text"], membership=request.membership, acting_user=request.user
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Note ajoutée."))
            return redirect("pathway_plan", pathway.pk)
    return _form_page(request, context, form, heading=_("Nouvelle note"), submit=_("Ajouter la note"))
