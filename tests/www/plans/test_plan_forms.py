import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from parcours.pathways.enums import ActionKind, ActionStatus, AppointmentStatus, GoalStatus
from parcours.pathways.models import Action, Appointment, Goal, Note
from tests.factories import (
    ActionFactory,
    AppointmentFactory,
    GoalFactory,
    MembershipFactory,
    PathwayFactory,
    TerritoryGrantFactory,
)

pytestmark = pytest.mark.django_db


def tomorrow():
    return timezone.localdate() + datetime.timedelta(days=1)


def appointment_data(**overrides):
    starts = timezone.localtime() + datetime.timedelta(days=2)
    data = {
        "starts_at": starts.strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "45",
        "mode": "in_person",
        "subject": "Point sur la recherche d'emploi",
        "place": "Agence de Nantes",
        "interpreter_booked": "on",
    }
    data.update(overrides)
    return data


# --- goals ---------------------------------------------------------------------------------------


def test_group_member_adds_a_goal(login, pathway, membership):
    data = {"theme": "logement", "text": "Trouver un logement", "agreed_by_person": "on"}
    response = login(membership).post(reverse("pathway_goal_new", args=[pathway.pk]), data)
    assert response.status_code == 302
    goal = Goal.objects.get(pathway=pathway)
    assert (goal.theme, goal.text, goal.agreed_by_person) == ("logement", "Trouver un logement", True)


def test_goal_form_renders_for_group_member(login, pathway, membership):
    response = login(membership).get(reverse("pathway_goal_new", args=[pathway.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "!!INVALID" not in html
    assert 'value="sante"' not in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"theme": "logement", "text": "  "}, "Rédigez l&#x27;objectif."),
        ({"theme": "astrologie", "text": "Objectif"}, "Thème inconnu."),
        ({"theme": "sante", "text": "Reprendre les soins"}, "Thème inconnu."),
        ({"theme": "logement", "text": "x" * 301}, "L&#x27;objectif ne peut dépasser 300 caractères."),
    ],
    ids=["empty-text", "unknown-theme", "health-without-consent", "text-too-long"],
)
def test_bad_goal_input_is_refused_and_nothing_written(login, pathway, membership, data, message):
    response = login(membership).post(reverse("pathway_goal_new", args=[pathway.pk]), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert "!!INVALID" not in html
    assert not Goal.objects.exists()


def test_orientation_officer_outside_the_group_cannot_add_a_goal(login, pathway):
    grant = TerritoryGrantFactory(departement=pathway.departement)
    client = login(grant.membership)
    assert client.get(reverse("pathway_goal_new", args=[pathway.pk])).status_code == 403
    response = client.post(reverse("pathway_goal_new", args=[pathway.pk]), {"theme": "emploi", "text": "Objectif"})
    assert response.status_code == 403
    assert not Goal.objects.exists()


def test_professional_outside_the_group_gets_404_on_goal_form(login, pathway):
    response = login(MembershipFactory()).post(
        reverse("pathway_goal_new", args=[pathway.pk]), {"theme": "emploi", "text": "Objectif"}
    )
    assert response.status_code == 404
    assert not Goal.objects.exists()


def test_group_member_marks_a_goal_achieved_and_agreed(login, pathway, membership):
    goal = GoalFactory(pathway=pathway, agreed_by_person=False)
    response = login(membership).post(
        reverse("pathway_goal_edit", args=[pathway.pk, goal.pk]), {"status": "achieved", "agreed_by_person": "on"}
    )
    assert response.status_code == 302
    goal.refresh_from_db()
    assert (goal.status, goal.agreed_by_person) == (GoalStatus.ACHIEVED, True)


def test_unknown_goal_status_is_refused_and_nothing_changed(login, pathway, membership):
    goal = GoalFactory(pathway=pathway)
    response = login(membership).post(reverse("pathway_goal_edit", args=[pathway.pk, goal.pk]), {"status": "gagné"})
    assert "Statut d&#x27;objectif inconnu." in response.content.decode()
    goal.refresh_from_db()
    assert goal.status == GoalStatus.IN_PROGRESS


def test_goal_of_another_pathway_is_404(login, pathway, membership):
    foreign = GoalFactory(pathway=PathwayFactory(referent=membership))
    response = login(membership).post(
        reverse("pathway_goal_edit", args=[pathway.pk, foreign.pk]), {"status": "abandoned"}
    )
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == GoalStatus.IN_PROGRESS


def test_health_goal_is_404_without_health_consent(login, pathway, membership):
    goal = GoalFactory(pathway=pathway, theme="sante")
    response = login(membership).get(reverse("pathway_goal_edit", args=[pathway.pk, goal.pk]))
    assert response.status_code == 404


# --- actions -------------------------------------------------------------------------------------


def test_group_member_adds_an_action_carried_by_their_organisation(login, pathway, membership):
    goal = GoalFactory(pathway=pathway)
    response = login(membership).post(
        reverse("pathway_action_new", args=[pathway.pk, goal.pk]),
        {"text": "Inscription à l'atelier CV", "due_on": tomorrow().isoformat()},
    )
    assert response.status_code == 302
    action = Action.objects.get(goal=goal)
    assert (action.text, action.due_on, action.carried_by) == (
        "Inscription à l'atelier CV",
        tomorrow(),
        membership.organisation,
    )


def test_action_kind_recognised_by_the_break_rules_is_recorded(login, pathway, membership):
    goal = GoalFactory(pathway=pathway)
    response = login(membership).post(
        reverse("pathway_action_new", args=[pathway.pk, goal.pk]),
        {"text": "Rendez-vous en préfecture", "kind": ActionKind.PERMIT_RENEWAL},
    )
    assert response.status_code == 302
    assert Action.objects.get(goal=goal).kind == ActionKind.PERMIT_RENEWAL
    page = login(membership).get(reverse("pathway_plan", args=[pathway.pk])).content.decode()
    assert "Renouvellement du titre de séjour" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": "Envoyer le CV", "kind": "teleportation"}, "Choisissez un type d&#x27;action proposé."),
        (
            {"text": "Envoyer le CV", "due_on": (timezone.localdate() - datetime.timedelta(days=1)).isoformat()},
            "L&#x27;échéance ne peut pas être dans le passé.",
        ),
        ({"text": "", "due_on": ""}, "Décrivez l&#x27;action."),
        ({"text": "Envoyer le CV", "due_on": "31/02/2030"}, "Saisissez une date valide."),
    ],
    ids=["unknown-kind", "due-in-the-past", "empty-text", "invalid-date"],
)
def test_bad_action_input_is_refused_and_nothing_written(login, pathway, membership, data, message):
    goal = GoalFactory(pathway=pathway)
    response = login(membership).post(reverse("pathway_action_new", args=[pathway.pk, goal.pk]), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert "!!INVALID" not in html
    assert not Action.objects.exists()


def test_action_under_an_achieved_goal_is_refused_with_message(login, pathway, membership):
    goal = GoalFactory(pathway=pathway, status=GoalStatus.ACHIEVED)
    response = login(membership).post(reverse("pathway_action_new", args=[pathway.pk, goal.pk]), {"text": "Relancer"})
    assert "On n&#x27;ajoute pas d&#x27;action à un objectif atteint ou abandonné." in response.content.decode()
    assert not Action.objects.exists()


def test_action_on_a_goal_of_another_pathway_is_404(login, pathway, membership):
    foreign = GoalFactory(pathway=PathwayFactory(referent=membership))
    response = login(membership).post(reverse("pathway_action_new", args=[pathway.pk, foreign.pk]), {"text": "X"})
    assert response.status_code == 404
    assert not Action.objects.exists()


def test_group_member_marks_an_action_done(login, pathway, membership):
    action = ActionFactory(goal=GoalFactory(pathway=pathway))
    response = login(membership).post(
        reverse("pathway_action_status", args=[pathway.pk, action.pk]), {"status": "done"}
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert (action.status, action.done_on) == (ActionStatus.DONE, timezone.localdate())


def test_action_status_form_offers_only_allowed_transitions(login, pathway, membership):
    action = ActionFactory(goal=GoalFactory(pathway=pathway), status=ActionStatus.IN_PROGRESS)
    html = login(membership).get(reverse("pathway_action_status", args=[pathway.pk, action.pk])).content.decode()
    assert 'value="done"' in html
    assert 'value="planned"' not in html
    assert "!!INVALID" not in html


def test_action_done_twice_is_refused_the_second_time(login, pathway, membership):
    action = ActionFactory(goal=GoalFactory(pathway=pathway))
    client = login(membership)
    url = reverse("pathway_action_status", args=[pathway.pk, action.pk])
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    assert client.post(url, {"status": "done", "done_on": yesterday.isoformat()}).status_code == 302
    response = client.post(url, {"status": "done"})
    assert response.status_code == 200
    assert "Une action « Réalisée » ne peut pas passer à « Réalisée »." in response.content.decode()
    action.refresh_from_db()
    assert action.done_on == yesterday


def test_action_done_in_the_future_is_refused(login, pathway, membership):
    action = ActionFactory(goal=GoalFactory(pathway=pathway))
    response = login(membership).post(
        reverse("pathway_action_status", args=[pathway.pk, action.pk]),
        {"status": "done", "done_on": tomorrow().isoformat()},
    )
    assert "La date de réalisation ne peut pas être dans le futur." in response.content.decode()
    action.refresh_from_db()
    assert action.status == ActionStatus.PLANNED


def test_action_of_another_pathway_is_404(login, pathway, membership):
    foreign = ActionFactory(goal=GoalFactory(pathway=PathwayFactory(referent=membership)))
    response = login(membership).post(
        reverse("pathway_action_status", args=[pathway.pk, foreign.pk]), {"status": "done"}
    )
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == ActionStatus.PLANNED


def test_orientation_officer_outside_the_group_cannot_change_an_action(login, pathway):
    action = ActionFactory(goal=GoalFactory(pathway=pathway))
    grant = TerritoryGrantFactory(departement=pathway.departement)
    response = login(grant.membership).post(
        reverse("pathway_action_status", args=[pathway.pk, action.pk]), {"status": "done"}
    )
    assert response.status_code == 403
    action.refresh_from_db()
    assert action.status == ActionStatus.PLANNED


# --- appointments --------------------------------------------------------------------------------


def test_group_member_plans_an_appointment(login, pathway, membership):
    response = login(membership).post(reverse("pathway_appointment_new", args=[pathway.pk]), appointment_data())
    assert response.status_code == 302
    appointment = Appointment.objects.get(pathway=pathway)
    assert appointment.with_member == membership
    assert appointment.interpreter_booked
    assert appointment.subject == "Point sur la recherche d'emploi"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"duration_minutes": "0"}, "Un rendez-vous dure au moins 5 minutes."),
        ({"subject": ""}, "Indiquez l&#x27;objet du rendez-vous."),
        ({"mode": "pigeon"}, "Modalité inconnue."),
        ({"starts_at": "demain"}, "Saisissez une date et une heure valides."),
    ],
    ids=["zero-duration", "no-subject", "unknown-mode", "bad-date"],
)
def test_bad_appointment_input_is_refused_and_nothing_written(login, pathway, membership, overrides, message):
    response = login(membership).post(
        reverse("pathway_appointment_new", args=[pathway.pk]), appointment_data(**overrides)
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert "!!INVALID" not in html
    assert not Appointment.objects.exists()


def test_group_member_records_appointment_outcome(login, pathway, membership):
    appointment = AppointmentFactory(pathway=pathway, with_member=membership)
    response = login(membership).post(
        reverse("pathway_appointment_status", args=[pathway.pk, appointment.pk]), {"status": "held"}
    )
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.HELD


def test_appointment_outcome_recorded_twice_is_refused(login, pathway, membership):
    appointment = AppointmentFactory(pathway=pathway, with_member=membership, status=AppointmentStatus.HELD)
    response = login(membership).post(
        reverse("pathway_appointment_status", args=[pathway.pk, appointment.pk]), {"status": "missed"}
    )
    assert "Seul un rendez-vous prévu peut être marqué" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.HELD


def test_unknown_appointment_outcome_is_refused(login, pathway, membership):
    appointment = AppointmentFactory(pathway=pathway, with_member=membership)
    response = login(membership).post(
        reverse("pathway_appointment_status", args=[pathway.pk, appointment.pk]), {"status": "planned"}
    )
    assert "Statut de rendez-vous inconnu." in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.PLANNED


def test_appointment_of_another_pathway_is_404(login, pathway, membership):
    foreign = AppointmentFactory(pathway=PathwayFactory(referent=membership), with_member=membership)
    response = login(membership).post(
        reverse("pathway_appointment_status", args=[pathway.pk, foreign.pk]), {"status": "held"}
    )
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == AppointmentStatus.PLANNED


def test_orientation_officer_outside_the_group_cannot_plan_an_appointment(login, pathway):
    grant = TerritoryGrantFactory(departement=pathway.departement)
    response = login(grant.membership).post(reverse("pathway_appointment_new", args=[pathway.pk]), appointment_data())
    assert response.status_code == 403
    assert not Appointment.objects.exists()


# --- notes ---------------------------------------------------------------------------------------


def test_group_member_adds_a_note(login, pathway, membership):
    response = login(membership).post(reverse("pathway_note_new", args=[pathway.pk]), {"text": "A rappelé."})
    assert response.status_code == 302
    note = Note.objects.get(pathway=pathway)
    assert (note.text, note.author, note.organisation) == ("A rappelé.", membership.user, membership.organisation)


def test_note_form_renders_for_group_member(login, pathway, membership):
    html = login(membership).get(reverse("pathway_note_new", args=[pathway.pk])).content.decode()
    assert 'name="text"' in html
    assert "!!INVALID" not in html


@pytest.mark.parametrize(
    ("text", "message"),
    [("x" * 5001, "La note ne peut dépasser 5 000 caractères."), ("   ", "La note est vide.")],
    ids=["oversized", "empty"],
)
def test_bad_note_is_refused_and_nothing_written(login, pathway, membership, text, message):
    response = login(membership).post(reverse("pathway_note_new", args=[pathway.pk]), {"text": text})
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert not Note.objects.exists()


def test_orientation_officer_outside_the_group_cannot_add_a_note(login, pathway):
    grant = TerritoryGrantFactory(departement=pathway.departement)
    response = login(grant.membership).post(reverse("pathway_note_new", args=[pathway.pk]), {"text": "Note"})
    assert response.status_code == 403
    assert not Note.objects.exists()


def test_note_on_a_pathway_outside_the_readers_scope_is_404(login, pathway):
    response = login(MembershipFactory()).post(reverse("pathway_note_new", args=[pathway.pk]), {"text": "Note"})
    assert response.status_code == 404
    assert not Note.objects.exists()
