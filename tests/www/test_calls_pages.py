"""The call-for-projects pages: list, publishing a call, a call's target vs actual, granting a
project, a project's page, and the pathway's projects; bad input (nothing written) and refused
cases for every page."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape

from parcours.audit.models import AuditAction, AuditEntry
from parcours.organisations.enums import OrganisationKind, Role
from parcours.programmes.enums import ProjectType, TargetPublic
from parcours.programmes.models import CallForProjects, Project, ProjectParticipant
from tests.factories import (
    DepartementFactory,
    MembershipFactory,
    OrganisationFactory,
    PathwayFactory,
    TerritoryGrantFactory,
)
from tests.programmes.factories import CallForProjectsFactory, ProjectFactory

pytestmark = pytest.mark.django_db

START = datetime.date(2025, 1, 1)


def html_of(response) -> str:
    html = response.content.decode()
    assert "!!INVALID" not in html
    return html


def shows(html: str, text: str) -> bool:
    return escape(text) in html or text in html


@pytest.fixture
def funder(db):
    return OrganisationFactory(kind=OrganisationKind.DDETS, name="DDETS de Loire-Atlantique")


@pytest.fixture
def funder_pilote(funder):
    return MembershipFactory(organisation=funder, role=Role.PILOTE)


@pytest.fixture
def loire(db):
    return DepartementFactory(code="44", name="Loire-Atlantique")


@pytest.fixture
def call(funder):
    return CallForProjectsFactory(
        funder=funder,
        title="PIC – Intégration des réfugiés",
        budget=Decimal("200000"),
        starts_on=START,
        project_types=[ProjectType.MEDIATION_TRAINING, ProjectType.WOMEN_MOBILITY],
        publics=[TargetPublic.BPI],
    )


@pytest.fixture
def lead(db):
    return OrganisationFactory(kind=OrganisationKind.ASSOCIATION, name="Association Passerelles")


@pytest.fixture
def project(call, lead, loire):
    project = ProjectFactory(
        call=call, lead=lead, title="Passerelles formation", granted_amount=Decimal("90000"), target_beneficiaries=30
    )
    project.departements.set([loire])
    return project


@pytest.fixture
def lead_counsellor(lead):
    return MembershipFactory(organisation=lead, role=Role.CONSEILLER)


@pytest.fixture
def followed(lead_counsellor, loire):
    return PathwayFactory(referent=lead_counsellor, departement=loire, person__first_name="Amina")


# --- call_list --------------------------------------------------------------------------------------------


def test_list_shows_the_funders_calls_and_the_publish_button(login, funder_pilote, call, project):
    html = html_of(login(funder_pilote).get(reverse("call_list")))
    assert shows(html, call.title)
    assert reverse("call_create") in html
    assert "90\xa0000 €" in html


def test_list_hides_other_calls_and_the_button_from_a_counsellor(login, lead_counsellor, call, project):
    other = CallForProjectsFactory(title="Appel d'un autre territoire")
    html = html_of(login(lead_counsellor).get(reverse("call_list")))
    assert shows(html, call.title)
    assert not shows(html, other.title)
    assert reverse("call_create") not in html


def test_list_without_membership_is_refused(client, db):
    from tests.factories import UserFactory

    user = UserFactory()
    client.force_login(user)
    assert client.get(reverse("call_list")).status_code == 403


def test_list_queries_do_not_grow_with_the_calls(login, funder_pilote, funder, django_assert_max_num_queries):
    for _i in range(5):
        ProjectFactory(call=CallForProjectsFactory(funder=funder))
    client = login(funder_pilote)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("call_list")).status_code == 200


# --- call_create --------------------------------------------------------------------------------------------


def call_data(**overrides):
    data = {
        "title": "Mobilité des femmes",
        "description": "",
        "budget": "1 500 000",
        "starts_on": "2025-01-01",
        "ends_on": "2026-12-31",
        "publics": ["bpi", "women"],
        "project_types": ["women_mobility"],
    }
    data.update(overrides)
    return data


def test_pilote_publishes_a_call_and_lands_on_it(login, funder_pilote):
    client = login(funder_pilote)
    assert client.get(reverse("call_create")).status_code == 200
    response = client.post(reverse("call_create"), call_data())
    call = CallForProjects.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("call_detail", args=[call.pk])
    assert call.budget == Decimal("1500000")
    assert call.funder == funder_pilote.organisation


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ends_on": "2024-06-30"}, "La période ne peut pas se terminer avant de commencer."),
        ({"budget": "0"}, "Le montant doit être supérieur à zéro."),
        ({"budget": "1e30"}, "Ce montant est trop élevé."),
        ({"budget": "NaN"}, "Indiquez un montant en euros, par exemple 250000 ou 250000,50."),
        ({"project_types": []}, "Choisissez au moins un type de projet."),
        ({"publics": ["martians"]}, "Choisissez les publics dans la liste."),
    ],
)
def test_bad_call_shows_the_message_and_writes_nothing(login, funder_pilote, overrides, message):
    response = login(funder_pilote).post(reverse("call_create"), call_data(**overrides))
    assert response.status_code == 200
    assert shows(html_of(response), message)
    assert not CallForProjects.objects.exists()


def test_counsellor_may_not_open_the_publish_form(login, lead_counsellor):
    client = login(lead_counsellor)
    assert client.get(reverse("call_create")).status_code == 403
    assert client.post(reverse("call_create"), call_data()).status_code == 403
    assert not CallForProjects.objects.exists()


# --- call_detail --------------------------------------------------------------------------------------------


def test_detail_shows_target_vs_actual_per_project_and_territory(login, funder_pilote, call, project, followed):
    ProjectParticipant.objects.create(
        project=project, pathway=followed, joined_on=START, added_by=followed.members.get().membership
    )
    html = html_of(login(funder_pilote).get(reverse("call_detail", args=[call.pk])))
    assert shows(html, "Passerelles formation")
    assert "1 sur 30 visés" in html
    assert "<svg" in html
    assert "Loire-Atlantique (44)" in html
    assert "90\xa0000 €" in html  # granted, and the cost of the only participant
    assert "3,3 %" in html
    assert reverse("project_create", args=[call.pk]) in html
    assert not shows(html, "Amina")  # aggregates only


def test_pilote_of_another_organisation_sees_the_call_but_may_not_add_projects(login, call):
    html = html_of(login(MembershipFactory(role=Role.PILOTE)).get(reverse("call_detail", args=[call.pk])))
    assert shows(html, call.title)
    assert reverse("project_create", args=[call.pk]) not in html


def test_call_outside_the_readers_scope_is_not_found(login, call):
    response = login(MembershipFactory(role=Role.ADMIN_STRUCTURE)).get(reverse("call_detail", args=[call.pk]))
    assert response.status_code == 404


def test_detail_queries_do_not_grow_with_the_projects(login, funder_pilote, call, loire, django_assert_max_num_queries):
    for _i in range(6):
        p = ProjectFactory(call=call, granted_amount=Decimal("1000"))
        p.departements.set([loire])
        ProjectParticipant.objects.create(
            project=p, pathway=PathwayFactory(departement=loire), joined_on=START, added_by=MembershipFactory()
        )
    client = login(funder_pilote)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("call_detail", args=[call.pk])).status_code == 200


# --- project_create --------------------------------------------------------------------------------------------


def project_data(lead, loire, **overrides):
    data = {
        "title": "Femmes en mouvement",
        "project_type": "women_mobility",
        "lead": lead.pk,
        "consortium": [],
        "departements": [loire.pk],
        "granted_amount": "50000",
        "target_beneficiaries": "25",
    }
    data.update(overrides)
    return data


def test_funder_grants_a_project_and_lands_on_it(login, funder_pilote, call, lead, loire):
    partner = OrganisationFactory(kind=OrganisationKind.ORGANISME_FORMATION, name="AFPA")
    client = login(funder_pilote)
    html = html_of(client.get(reverse("project_create", args=[call.pk])))
    assert "il reste 200\xa0000 €" in html
    response = client.post(
        reverse("project_create", args=[call.pk]), project_data(lead, loire, consortium=[partner.pk])
    )
    project = Project.objects.get()
    assert response["Location"] == reverse("project_detail", args=[project.pk])
    assert list(project.consortium.all()) == [partner]


def test_budget_overflow_is_shown_and_nothing_written(login, funder_pilote, call, project, lead, loire):
    response = login(funder_pilote).post(
        reverse("project_create", args=[call.pk]), project_data(lead, loire, granted_amount="110000.01")
    )
    html = html_of(response)
    assert response.status_code == 200
    assert shows(html, "Ce financement dépasserait le budget de l'appel")
    assert Project.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"project_type": "craft_arts"}, "Choisissez un des types de projets prévus par l'appel."),
        ({"departements": []}, "Choisissez au moins un département où le projet agit."),
        ({"target_beneficiaries": "0"}, "Le projet doit viser au moins une personne."),
        ({"granted_amount": "-5"}, "Le montant ne peut pas être négatif."),
        ({"granted_amount": "1e30"}, "Ce montant est trop élevé."),
    ],
)
def test_bad_project_shows_the_message_and_writes_nothing(login, funder_pilote, call, lead, loire, overrides, message):
    response = login(funder_pilote).post(
        reverse("project_create", args=[call.pk]), project_data(lead, loire, **overrides)
    )
    assert response.status_code == 200
    assert shows(html_of(response), message)
    assert not Project.objects.exists()


def test_other_pilote_may_not_grant_a_project(login, call, lead, loire):
    client = login(MembershipFactory(role=Role.PILOTE))
    assert client.get(reverse("project_create", args=[call.pk])).status_code == 403
    assert client.post(reverse("project_create", args=[call.pk]), project_data(lead, loire)).status_code == 403
    assert not Project.objects.exists()


def test_project_form_of_a_hidden_call_is_not_found(login, call):
    client = login(MembershipFactory(role=Role.ADMIN_STRUCTURE))
    assert client.get(reverse("project_create", args=[call.pk])).status_code == 404


# --- project_detail --------------------------------------------------------------------------------------------


def _join(project, pathway):
    return ProjectParticipant.objects.create(
        project=project, pathway=pathway, joined_on=START, added_by=pathway.members.get().membership
    )


def test_lead_staff_see_the_participants_names(login, lead_counsellor, project, followed):
    _join(project, followed)
    html = html_of(login(lead_counsellor).get(reverse("project_detail", args=[project.pk])))
    assert shows(html, followed.person.full_name)
    assert reverse("pathway_projects", args=[followed.pk]) in html


def test_a_carrier_names_only_its_own_participants_and_counts_the_others(login, lead_counsellor, project, followed):
    partner = OrganisationFactory(kind=OrganisationKind.ORGANISME_FORMATION, name="AFPA Rezé")
    project.consortium.set([partner])
    partner_counsellor = MembershipFactory(organisation=partner, role=Role.CONSEILLER)
    theirs = PathwayFactory(referent=partner_counsellor, person__first_name="Bilal")
    _join(project, followed)
    _join(project, theirs)
    before = AuditEntry.objects.filter(action=AuditAction.READ).count()
    html = html_of(login(lead_counsellor).get(reverse("project_detail", args=[project.pk])))
    assert shows(html, followed.person.full_name)
    assert not shows(html, theirs.person.full_name)
    assert shows(html, "+ 1 autre participant·e suivi·e par d'autres structures.")
    reads = AuditEntry.objects.filter(action=AuditAction.READ).order_by("pk")[before:]
    assert [(e.object_type, e.person_id, e.actor_id) for e in reads] == [
        ("programmes.projectparticipant:project_detail", followed.person_id, lead_counsellor.user_id)
    ]


def test_a_carrier_following_nobody_sees_counts_and_writes_no_read(login, project, followed):
    _join(project, followed)
    partner = OrganisationFactory(kind=OrganisationKind.ORGANISME_FORMATION, name="AFPA Rezé")
    project.consortium.set([partner])
    before = AuditEntry.objects.filter(action=AuditAction.READ).count()
    reader = MembershipFactory(organisation=partner, role=Role.CONSEILLER)
    html = html_of(login(reader).get(reverse("project_detail", args=[project.pk])))
    assert not shows(html, followed.person.full_name)
    assert shows(html, "+ 1 autre participant·e suivi·e par d'autres structures.")
    assert "Aucune personne n'est encore inscrite" not in html
    assert AuditEntry.objects.filter(action=AuditAction.READ).count() == before


def test_funder_sees_counts_only(login, funder_pilote, project, followed):
    _join(project, followed)
    html = html_of(login(funder_pilote).get(reverse("project_detail", args=[project.pk])))
    assert "1 personne inscrite." in html
    assert not shows(html, followed.person.full_name)


def test_project_of_a_hidden_call_is_not_found(login, project):
    response = login(MembershipFactory(role=Role.CONSEILLER)).get(reverse("project_detail", args=[project.pk]))
    assert response.status_code == 404


# --- pathway_projects --------------------------------------------------------------------------------------------


def test_follow_up_member_of_the_lead_adds_the_person(login, lead_counsellor, project, followed):
    client = login(lead_counsellor)
    url = reverse("pathway_projects", args=[followed.pk])
    html = html_of(client.get(url))
    assert shows(html, "Inscrire la personne à un projet")
    assert shows(html, "Passerelles formation")
    response = client.post(url, {"project": project.pk, "joined_on": "2025-02-03"})
    assert response.status_code == 302
    assert ProjectParticipant.objects.get().joined_on == datetime.date(2025, 2, 3)
    html = html_of(client.get(url))
    assert shows(html, "La personne est inscrite au projet.")
    assert "03/02/2025" in html


def test_joined_on_before_the_call_is_shown_and_nothing_written(login, lead_counsellor, project, followed):
    response = login(lead_counsellor).post(
        reverse("pathway_projects", args=[followed.pk]), {"project": project.pk, "joined_on": "2024-12-01"}
    )
    assert response.status_code == 200
    assert shows(html_of(response), "La date d'entrée doit être comprise dans la période de l'appel")
    assert not ProjectParticipant.objects.exists()


def test_the_same_person_twice_is_refused_on_the_page(login, lead_counsellor, project, followed):
    _join(project, followed)
    response = login(lead_counsellor).post(
        reverse("pathway_projects", args=[followed.pk]), {"project": project.pk, "joined_on": "2025-02-03"}
    )
    assert response.status_code == 200
    assert shows(html_of(response), "Choisissez un projet porté par votre organisation dans la liste.")
    assert ProjectParticipant.objects.count() == 1


def test_member_of_another_organisation_cannot_pick_the_project(login, project, loire):
    outsider = MembershipFactory(role=Role.CONSEILLER)
    pathway = PathwayFactory(referent=outsider, departement=loire)
    client = login(outsider)
    html = html_of(client.get(reverse("pathway_projects", args=[pathway.pk])))
    assert not shows(html, "Inscrire la personne à un projet")
    response = client.post(
        reverse("pathway_projects", args=[pathway.pk]), {"project": project.pk, "joined_on": "2025-02-03"}
    )
    assert response.status_code == 200
    assert shows(html_of(response), "Choisissez un projet porté par votre organisation dans la liste.")
    assert not ProjectParticipant.objects.exists()


def test_pathway_projects_of_a_pathway_one_cannot_see_is_not_found(login, lead, followed, project):
    stranger = MembershipFactory(organisation=lead, role=Role.CONSEILLER)
    client = login(stranger)
    assert client.get(reverse("pathway_projects", args=[followed.pk])).status_code == 404
    response = client.post(
        reverse("pathway_projects", args=[followed.pk]), {"project": project.pk, "joined_on": "2025-02-03"}
    )
    assert response.status_code == 404
    assert not ProjectParticipant.objects.exists()


def test_reader_outside_the_group_may_see_but_not_add(login, project, followed, loire):
    """A chargé·e d'orientation with a grant on the département sees the pathway, not the form."""
    officer = TerritoryGrantFactory(departement=loire, membership__organisation=project.lead).membership
    client = login(officer)
    url = reverse("pathway_projects", args=[followed.pk])
    html = html_of(client.get(url))
    assert not shows(html, "Inscrire la personne à un projet")
    response = client.post(url, {"project": project.pk, "joined_on": "2025-02-03"})
    assert response.status_code == 403
    assert not ProjectParticipant.objects.exists()
