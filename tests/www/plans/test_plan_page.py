import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from parcours.pathways.enums import ActionStatus
from parcours.people.enums import DataCategory
from tests.factories import (
    ActionFactory,
    AppointmentFactory,
    ConsentFactory,
    GoalFactory,
    MembershipFactory,
    NoteFactory,
    PathwayFactory,
    TerritoryGrantFactory,
)

pytestmark = pytest.mark.django_db


def test_plan_page_shows_goals_by_theme_with_agreement_and_status(login, pathway, membership):
    GoalFactory(pathway=pathway, theme="logement", text="Trouver un logement pérenne", agreed_by_person=True)
    GoalFactory(pathway=pathway, theme="emploi", text="Définir un projet professionnel", agreed_by_person=False)
    response = login(membership).get(reverse("pathway_plan", args=[pathway.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "!!INVALID" not in html
    assert "Trouver un logement pérenne" in html
    assert "Validé avec la personne" in html
    assert "À valider avec la personne" in html
    # themes in the nomenclature's order: Emploi before Logement
    assert html.index(">Emploi</h3>") < html.index(">Logement</h3>")


def test_plan_page_shows_actions_with_overdue_due_date_and_carrier(login, pathway, membership):
    goal = GoalFactory(pathway=pathway)
    late = timezone.localdate() - datetime.timedelta(days=3)
    ActionFactory(goal=goal, text="Envoyer le CV", due_on=late, carried_by=membership.organisation)
    ActionFactory(goal=goal, text="Action finie en retard", due_on=late, status=ActionStatus.DONE, done_on=late)
    html = login(membership).get(reverse("pathway_plan", args=[pathway.pk])).content.decode()
    assert "Envoyer le CV" in html
    assert html.count("En retard : ") == 1
    assert membership.organisation.name in html


def test_plan_page_offers_only_allowed_status_transitions(login, pathway, membership):
    goal = GoalFactory(pathway=pathway)
    planned = ActionFactory(goal=goal, text="Prévue")
    done = ActionFactory(goal=goal, text="Finie", status=ActionStatus.DONE, done_on=timezone.localdate())
    html = login(membership).get(reverse("pathway_plan", args=[pathway.pk])).content.decode()
    assert reverse("pathway_action_status", args=[pathway.pk, planned.pk]) in html
    assert reverse("pathway_action_status", args=[pathway.pk, done.pk]) not in html
    assert html.count(f'action="{reverse("pathway_action_status", args=[pathway.pk, planned.pk])}"') == 4


def test_plan_page_lists_upcoming_and_past_appointments_and_notes(login, pathway, membership):
    AppointmentFactory(pathway=pathway, with_member=membership, subject="Point logement")
    AppointmentFactory(
        pathway=pathway,
        with_member=membership,
        subject="Premier entretien",
        starts_at=timezone.now() - datetime.timedelta(days=10),
    )
    NoteFactory(pathway=pathway, author=membership.user, organisation=membership.organisation, text="A appelé")
    html = login(membership).get(reverse("pathway_plan", args=[pathway.pk])).content.decode()
    assert html.index("Point logement") < html.index("Premier entretien")
    assert "A appelé" in html
    assert membership.user.get_full_name() in html
    assert "!!INVALID" not in html


def test_health_goals_are_absent_without_health_consent(login, pathway, membership):
    GoalFactory(pathway=pathway, theme="sante", text="Reprendre les soins")
    html = login(membership).get(reverse("pathway_plan", args=[pathway.pk])).content.decode()
    assert "Reprendre les soins" not in html
    assert "Santé" not in html


def test_health_goals_are_shown_with_health_consent(login, pathway, membership):
    ConsentFactory(person=pathway.person, organisation=membership.organisation, category=DataCategory.HEALTH)
    GoalFactory(pathway=pathway, theme="sante", text="Reprendre les soins")
    html = login(membership).get(reverse("pathway_plan", args=[pathway.pk])).content.decode()
    assert "Reprendre les soins" in html


def test_plan_page_is_404_for_professional_outside_the_group(login, pathway):
    response = login(MembershipFactory()).get(reverse("pathway_plan", args=[pathway.pk]))
    assert response.status_code == 404


def test_plan_page_redirects_anonymous_visitor_to_login(client, pathway):
    response = client.get(reverse("pathway_plan", args=[pathway.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_orientation_officer_with_territory_grant_reads_plan_without_edit_buttons(login, pathway):
    GoalFactory(pathway=pathway, text="Trouver un logement pérenne")
    grant = TerritoryGrantFactory(departement=pathway.departement)
    response = login(grant.membership).get(reverse("pathway_plan", args=[pathway.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Trouver un logement pérenne" in html
    assert reverse("pathway_goal_new", args=[pathway.pk]) not in html


def test_plan_page_stays_within_15_queries_whatever_the_number_of_goals_and_actions(
    login, pathway, membership, django_assert_max_num_queries
):
    other_org = MembershipFactory().organisation
    for i in range(30):
        goal = GoalFactory(pathway=pathway, theme=["emploi", "logement", "mobilite"][i % 3])
        for j in range(5):
            ActionFactory(goal=goal, carried_by=other_org if j % 2 else membership.organisation)
    for i in range(15):
        AppointmentFactory(
            pathway=pathway, with_member=membership, starts_at=timezone.now() + datetime.timedelta(i + 1)
        )
        AppointmentFactory(
            pathway=pathway, with_member=membership, starts_at=timezone.now() - datetime.timedelta(i + 1)
        )
        NoteFactory(pathway=pathway, author=membership.user, organisation=membership.organisation)
    client = login(membership)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("pathway_plan", args=[pathway.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "!!INVALID" not in html
    assert html.count('class="parcours-goal') == 30
    assert html.count("Note de suivi") == 10


def test_plan_page_does_not_show_another_pathways_goals(login, pathway, membership):
    GoalFactory(pathway=PathwayFactory(), text="Objectif d'un autre parcours")
    html = login(membership).get(reverse("pathway_plan", args=[pathway.pk])).content.decode()
    assert "Objectif d&#x27;un autre parcours" not in html
    assert "Objectif d'un autre parcours" not in html


def test_plan_page_shows_the_ten_nearest_upcoming_and_ten_latest_past_appointments(login, pathway, membership):
    now = timezone.now()
    for i in range(1, 13):
        AppointmentFactory(
            pathway=pathway,
            with_member=membership,
            subject=f"Futur-{i:02d}",
            starts_at=now + datetime.timedelta(days=i),
        )
        AppointmentFactory(
            pathway=pathway,
            with_member=membership,
            subject=f"Passé-{i:02d}",
            starts_at=now - datetime.timedelta(days=i),
        )
    html = login(membership).get(reverse("pathway_plan", args=[pathway.pk])).content.decode()
    upcoming = [f"Futur-{i:02d}" for i in range(1, 11)]
    past = [f"Passé-{i:02d}" for i in range(1, 11)]
    positions = [html.index(subject) for subject in upcoming + past]
    assert positions == sorted(positions)  # soonest first, then latest past first
    assert "Futur-11" not in html and "Passé-11" not in html
