"""The one-page printable summary for the person."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from parcours.audit.models import AuditAction, AuditEntry
from tests.factories import ActionFactory, AppointmentFactory, GoalFactory
from tests.www.pathways.conftest import html_of


@pytest.mark.django_db
def test_print_shows_referent_goals_actions_and_appointments(login, membership, pathway):
    membership.organisation.email = "accueil@agence.test"
    membership.organisation.save()
    goal = GoalFactory(pathway=pathway, text="Trouver un emploi dans le BTP")
    ActionFactory(goal=goal, text="Atelier CV", due_on=datetime.date(2030, 2, 3))
    AppointmentFactory(
        pathway=pathway,
        with_member=membership,
        subject="Point mensuel",
        starts_at=timezone.now() + datetime.timedelta(days=2),
    )
    html = html_of(login(membership).get(reverse("pathway_print", args=[pathway.pk])))
    assert pathway.person.first_name in html
    assert membership.user.get_full_name() in html
    assert "accueil@agence.test" in html
    assert "Trouver un emploi dans le BTP" in html
    assert "Atelier CV" in html and "03/02/2030" in html
    assert "Point mensuel" in html
    assert "parcours-print-only" in html


@pytest.mark.django_db
def test_print_is_audited_as_print_not_read(login, membership, pathway):
    login(membership).get(reverse("pathway_print", args=[pathway.pk]))
    entries = AuditEntry.objects.filter(person=pathway.person)
    assert entries.filter(action=AuditAction.PRINT, actor=membership.user).count() == 1
    assert not entries.filter(action=AuditAction.READ).exists()


@pytest.mark.django_db
def test_print_refused_to_an_outsider_and_not_audited(login, outsider, pathway):
    response = login(outsider).get(reverse("pathway_print", args=[pathway.pk]))
    assert response.status_code == 404
    assert not AuditEntry.objects.filter(person=pathway.person, action=AuditAction.PRINT).exists()


@pytest.mark.django_db
def test_print_hides_sensitive_data(login, membership, refugee_pathway):
    # A health goal is printed only with consent for health data: without it, it must not show,
    # while an ordinary goal of the same pathway does (positive control).
    GoalFactory(pathway=refugee_pathway, theme="sante", text="Suivi en addictologie")
    GoalFactory(pathway=refugee_pathway, theme="emploi", text="Trouver un stage")
    html = html_of(login(membership).get(reverse("pathway_print", args=[refugee_pathway.pk])))
    assert "Carte de résident" not in html
    assert "Suivi en addictologie" not in html
    assert "Trouver un stage" in html


@pytest.mark.django_db
def test_print_stays_within_the_query_budget_whatever_the_number_of_actions(
    login, membership, pathway, django_assert_max_num_queries
):
    from tests.factories import OrganisationFactory

    for g in range(5):
        goal = GoalFactory(pathway=pathway, text=f"Objectif {g}")
        for a in range(5):
            ActionFactory(goal=goal, text=f"Action {g}-{a}", carried_by=OrganisationFactory())
    client = login(membership)
    with django_assert_max_num_queries(15):
        html = html_of(client.get(reverse("pathway_print", args=[pathway.pk])))
    assert "Action 4-4" in html
