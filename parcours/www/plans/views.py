"""Goals, actions, appointments and notes of a pathway ("Objectifs et actions" tab). Reads are
bounded (prefetch, limited lists) so the page stays within its query budget; writes go through
parcours.pathways.services."""

from django.db.models import BooleanField, Case, ExpressionWrapper, F, Prefetch, Q, When, Window
from django.db.models.functions import RowNumber
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
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
from parcours.www.diagnostics.forms import visible_themes
from parcours.www.forms_flow import submit_form
from parcours.www.pathway_context import pathway_context, require_can_edit

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


def _goal_or_404(pathway, categories, goal_id: int) -> Goal:
    goal = goals_visible_to(pathway=pathway, categories=categories).filter(pk=goal_id).first()
    if goal is None:
        raise Http404(_("Objectif introuvable."))
    goal.pathway = pathway
    return goal


def _action_or_404(pathway, categories, action_id: int) -> Action:
    action = (
        Action.objects.filter(pk=action_id, goal__in=goals_visible_to(pathway=pathway, categories=categories))
        .select_related("goal")
        .first()
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
        goals_visible_to(pathway=pathway, categories=categories)
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


def _plan_form(request, pathway, categories, form, save, *, title, submit, success, heading="", intro=""):
    """A plan form page: refused to readers who may not write, the form submitted to its service,
    back to the plan on success."""
    context = pathway_context(request, pathway, categories, tab="plan", title=title)
    if request.method == "GET":
        require_can_edit(context)
    done, status = submit_form(
        request, form, save, success=success, next_url=reverse("pathway_plan", args=[pathway.pk])
    )
    if done:
        return done
    context.update({"form": form, "heading": heading or title, "submit": submit, "intro": intro})
    return render(request, "plans/form.html", context, status=status)


def _acting(request) -> dict:
    return {"membership": request.membership, "acting_user": request.user}


@pathway_view()
def pathway_goal_new(request, pathway, categories):
    return _plan_form(
        request,
        pathway,
        categories,
        GoalForm(request.POST or None, themes=visible_themes(categories)),
        lambda data: goal_create(pathway=pathway, **data, **_acting(request)),
        title=_("Nouvel objectif"),
        submit=_("Ajouter l'objectif"),
        success=_("Objectif ajouté."),
    )


@pathway_view()
def pathway_goal_edit(request, pathway, categories, goal_id: int):
    goal = _goal_or_404(pathway, categories, goal_id)
    initial = {"status": goal.status, "agreed_by_person": goal.agreed_by_person}
    return _plan_form(
        request,
        pathway,
        categories,
        GoalEditForm(request.POST or None, initial=initial),
        lambda data: goal_update(goal=goal, **data, **_acting(request)),
        title=_("Modifier un objectif"),
        heading=_("Modifier l'objectif"),
        submit=_("Enregistrer"),
        success=_("Objectif mis à jour."),
        intro=f"{goal.get_theme_display()} : {goal.text}",
    )


@pathway_view()
def pathway_action_new(request, pathway, categories, goal_id: int):
    goal = _goal_or_404(pathway, categories, goal_id)
    return _plan_form(
        request,
        pathway,
        categories,
        ActionForm(request.POST or None),
        lambda data: action_create(goal=goal, **data, **_acting(request)),
        title=_("Nouvelle action"),
        submit=_("Ajouter l'action"),
        success=_("Action ajoutée."),
        intro=_("Objectif : %(text)s") % {"text": goal.text},
    )


@pathway_view()
def pathway_action_status(request, pathway, categories, action_id: int):
    action = _action_or_404(pathway, categories, action_id)
    allowed = [value for value, _label in _status_choices(action.status)]
    return _plan_form(
        request,
        pathway,
        categories,
        ActionStatusForm(request.POST or None, allowed=allowed),
        lambda data: action_set_status(action=action, **data, **_acting(request)),
        title=_("Statut d'une action"),
        heading=_("Changer le statut de l'action"),
        submit=_("Enregistrer"),
        success=_("Statut de l'action mis à jour."),
        intro=_("%(text)s (actuellement : %(status)s)") % {"text": action.text, "status": action.get_status_display()},
    )


@pathway_view()
def pathway_appointment_new(request, pathway, categories):
    return _plan_form(
        request,
        pathway,
        categories,
        AppointmentForm(request.POST or None),
        lambda data: appointment_create(pathway=pathway, **data, **_acting(request)),
        title=_("Nouveau rendez-vous"),
        submit=_("Planifier"),
        success=_("Rendez-vous planifié."),
    )


@pathway_view()
def pathway_appointment_status(request, pathway, categories, appointment_id: int):
    appointment = _appointment_or_404(pathway, appointment_id)
    starts_at = timezone.localtime(appointment.starts_at).strftime("%d/%m/%Y %H:%M")
    return _plan_form(
        request,
        pathway,
        categories,
        AppointmentStatusForm(request.POST or None),
        lambda data: appointment_set_status(appointment=appointment, **data, **_acting(request)),
        title=_("Statut d'un rendez-vous"),
        heading=_("Issue du rendez-vous"),
        submit=_("Enregistrer"),
        success=_("Rendez-vous mis à jour."),
        intro=_("%(subject)s, le %(at)s") % {"subject": appointment.subject, "at": starts_at},
    )


@pathway_view()
def pathway_note_new(request, pathway, categories):
    return _plan_form(
        request,
        pathway,
        categories,
        NoteForm(request.POST or None),
        lambda data: note_create(pathway=pathway, **data, **_acting(request)),
        title=_("Nouvelle note"),
        submit=_("Ajouter la note"),
        success=_("Note ajoutée."),
    )
