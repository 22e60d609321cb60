"""Calls for projects: publishing a call, granting projects within the budget, linking participants,
who sees what, and the summary (target vs actual, per territory, cost per participant)."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from parcours.audit.models import AuditEntry
from parcours.organisations.enums import OrganisationKind, Role
from parcours.pathways.enums import EventKind, PathwayStatus
from parcours.pathways.models import Event
from parcours.programmes import selectors_calls
from parcours.programmes.enums import ProjectType, TargetPublic
from parcours.programmes.models import CallForProjects, Project, ProjectParticipant
from parcours.programmes.services_calls import call_create, participant_add, project_create
from tests.factories import (
    DepartementFactory,
    FollowUpMemberFactory,
    MembershipFactory,
    OrganisationFactory,
    PathwayFactory,
)
from tests.programmes.factories import CallForProjectsFactory, ProjectFactory

pytestmark = pytest.mark.django_db

START = datetime.date(2025, 1, 1)
END = datetime.date(2027, 12, 31)


@pytest.fixture
def funder(db):
    return OrganisationFactory(kind=OrganisationKind.DDETS, name="DDETS de Loire-Atlantique")


@pytest.fixture
def funder_pilote(funder):
    return MembershipFactory(organisation=funder, role=Role.PILOTE)


@pytest.fixture
def call(funder):
    return CallForProjectsFactory(
        funder=funder,
        budget=Decimal("300000"),
        starts_on=START,
        ends_on=END,
        project_types=[ProjectType.MEDIATION_TRAINING, ProjectType.WOMEN_MOBILITY],
        publics=[TargetPublic.BPI],
    )


@pytest.fixture
def lead(db):
    return OrganisationFactory(kind=OrganisationKind.ASSOCIATION, name="Association Passerelles")


@pytest.fixture
def partner(db):
    return OrganisationFactory(kind=OrganisationKind.ORGANISME_FORMATION, name="AFPA Saint-Herblain")


@pytest.fixture
def loire(db):
    return DepartementFactory(code="44", name="Loire-Atlantique")


@pytest.fixture
def vendee(db):
    return DepartementFactory(code="85", name="Vendée", region_code="52")


@pytest.fixture
def project(call, lead, partner, loire):
    project = ProjectFactory(call=call, lead=lead, granted_amount=Decimal("100000"), target_beneficiaries=40)
    project.consortium.set([partner])
    project.departements.set([loire])
    return project


@pytest.fixture
def lead_counsellor(lead):
    return MembershipFactory(organisation=lead, role=Role.CONSEILLER)


@pytest.fixture
def followed(lead_counsellor, loire):
    """A pathway whose referent works for the project's lead."""
    return PathwayFactory(referent=lead_counsellor, departement=loire)


def create_call(membership, **overrides):
    params = {
        "title": "PIC – Intégration professionnelle des réfugiés",
        "budget": "500000",
        "starts_on": START,
        "ends_on": END,
        "publics": [TargetPublic.BPI, TargetPublic.ASYLUM_SEEKERS],
        "project_types": [ProjectType.MEDIATION_TRAINING],
    }
    params.update(overrides)
    return call_create(membership=membership, **params)


def create_project(membership, call, lead_org, loire, **overrides):
    params = {
        "title": "Passerelles vers la formation",
        "project_type": ProjectType.MEDIATION_TRAINING,
        "lead": lead_org,
        "consortium": [],
        "departements": [loire],
        "granted_amount": "120000",
        "target_beneficiaries": 60,
    }
    params.update(overrides)
    return project_create(membership=membership, call=call, **params)


# --- call_create ------------------------------------------------------------------------------------


def test_pilote_publishes_a_call_funded_by_their_organisation(funder_pilote):
    call = create_call(funder_pilote)
    assert call.funder == funder_pilote.organisation
    assert call.budget == Decimal("500000")
    assert call.publics == ["bpi", "asylum_seekers"]
    entry = AuditEntry.objects.get(object_type="programmes.callforprojects")
    assert entry.object_id == str(call.pk)
    assert entry.actor == funder_pilote.user


def test_structure_administrator_may_publish_a_call(db):
    admin = MembershipFactory(role=Role.ADMIN_STRUCTURE)
    assert create_call(admin).funder == admin.organisation


def test_counsellor_may_not_publish_a_call(db):
    with pytest.raises(PermissionDenied, match="pilotes et les administrateur"):
        create_call(MembershipFactory(role=Role.CONSEILLER))
    assert not CallForProjects.objects.exists()


def test_inactive_membership_may_not_publish_a_call(db):
    with pytest.raises(PermissionDenied):
        create_call(MembershipFactory(role=Role.PILOTE, is_active=False))
    assert not CallForProjects.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"budget": "0"}, "budget", "Le montant doit être supérieur à zéro."),
        ({"budget": "-10"}, "budget", "Le montant doit être supérieur à zéro."),
        ({"budget": "beaucoup"}, "budget", "Indiquez un montant en euros"),
        ({"budget": "10.005"}, "budget", "deux décimales"),
        ({"budget": "1e30"}, "budget", "Ce montant est trop élevé."),
        ({"budget": "1E+400"}, "budget", "Ce montant est trop élevé."),
        ({"budget": "-1e30"}, "budget", "Le montant doit être supérieur à zéro."),
        ({"budget": "1e-30"}, "budget", "deux décimales"),
        ({"budget": "NaN"}, "budget", "Indiquez un montant en euros"),
        ({"budget": "Infinity"}, "budget", "Indiquez un montant en euros"),
        ({"budget": "1000000000000"}, "budget", "Ce montant est trop élevé."),
        ({"ends_on": datetime.date(2024, 12, 31)}, "ends_on", "ne peut pas se terminer avant de commencer"),
        ({"starts_on": None}, "starts_on", "Indiquez la date de début"),
        ({"publics": ["martians"]}, "publics", "Valeur inconnue : martians."),
        ({"publics": []}, "publics", "au moins un public"),
        ({"project_types": ["rocket"]}, "project_types", "Valeur inconnue : rocket."),
        ({"project_types": []}, "project_types", "au moins un type"),
        ({"title": "  "}, "title", "Indiquez l'intitulé."),
        ({"title": "x" * 201}, "title", "ne peut dépasser 200 caractères"),
    ],
)
def test_call_bad_input_is_refused_and_nothing_written(funder_pilote, overrides, field, message):
    with pytest.raises(ValidationError) as caught:
        create_call(funder_pilote, **overrides)
    assert message in " ".join(caught.value.message_dict[field])
    assert not CallForProjects.objects.exists()
    assert not AuditEntry.objects.filter(object_type="programmes.callforprojects").exists()


# --- project_create -----------------------------------------------------------------------------------


def test_funder_grants_a_project_with_a_consortium(funder_pilote, call, lead, partner, loire, vendee):
    project = create_project(funder_pilote, call, lead, loire, consortium=[partner], departements=[loire, vendee])
    assert project.lead == lead
    assert list(project.consortium.all()) == [partner]
    assert {d.code for d in project.departements.all()} == {"44", "85"}
    assert project.granted_amount == Decimal("120000")
    assert AuditEntry.objects.filter(object_type="programmes.project", object_id=str(project.pk)).exists()


def test_grants_may_use_the_whole_budget_but_not_more(funder_pilote, call, lead, loire):
    create_project(funder_pilote, call, lead, loire, granted_amount="200000")
    create_project(funder_pilote, call, lead, loire, title="Second", granted_amount="100000")
    with pytest.raises(ValidationError) as caught:
        create_project(funder_pilote, call, lead, loire, title="Troisième", granted_amount="0.01")
    message = " ".join(caught.value.message_dict["granted_amount"])
    assert "dépasserait le budget de l'appel" in message
    assert "300\u202f000 €" in message
    assert "il reste 0 €" in message
    assert Project.objects.count() == 2


def test_budget_overflow_writes_nothing(funder_pilote, call, lead, partner, loire):
    with pytest.raises(ValidationError, match="dépasserait le budget"):
        create_project(funder_pilote, call, lead, loire, consortium=[partner], granted_amount="300000.01")
    assert not Project.objects.exists()
    assert not AuditEntry.objects.filter(object_type="programmes.project").exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"granted_amount": "-1"}, "granted_amount", "ne peut pas être négatif"),
        ({"granted_amount": "1e30"}, "granted_amount", "Ce montant est trop élevé."),
        ({"granted_amount": "-1e30"}, "granted_amount", "ne peut pas être négatif"),
        ({"granted_amount": "-Infinity"}, "granted_amount", "Indiquez un montant en euros"),
        ({"target_beneficiaries": 0}, "target_beneficiaries", "au moins une personne"),
        ({"target_beneficiaries": "douze"}, "target_beneficiaries", "nombre entier"),
        ({"project_type": ProjectType.CRAFT_ARTS}, "project_type", "types de projets prévus par l'appel"),
        ({"departements": []}, "departements", "au moins un département"),
        ({"lead": None}, "lead", "organisation porteuse"),
        ({"title": ""}, "title", "Indiquez l'intitulé."),
    ],
)
def test_project_bad_input_is_refused_and_nothing_written(funder_pilote, call, lead, loire, overrides, field, message):
    with pytest.raises(ValidationError) as caught:
        create_project(funder_pilote, call, lead, loire, **overrides)
    assert message in " ".join(caught.value.message_dict[field])
    assert not Project.objects.exists()


def test_lead_may_not_also_be_in_its_consortium(funder_pilote, call, lead, loire):
    with pytest.raises(ValidationError, match="fait déjà partie du projet"):
        create_project(funder_pilote, call, lead, loire, consortium=[lead])
    assert not Project.objects.exists()


def test_free_of_charge_project_is_accepted(funder_pilote, call, lead, loire):
    assert create_project(funder_pilote, call, lead, loire, granted_amount="0").granted_amount == 0


@pytest.mark.parametrize(
    "who",
    [
        lambda funder: MembershipFactory(organisation=funder, role=Role.CONSEILLER),
        lambda funder: MembershipFactory(role=Role.PILOTE),
        lambda funder: MembershipFactory(role=Role.ADMIN_STRUCTURE),
    ],
    ids=["funder-counsellor", "other-pilote", "other-administrator"],
)
def test_only_the_funders_managers_grant_projects(call, funder, lead, loire, who):
    with pytest.raises(PermissionDenied, match="l'organisation qui finance l'appel"):
        create_project(who(funder), call, lead, loire)
    assert not Project.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_grants_cannot_exceed_the_budget(funder, lead, loire):
    """Each grant alone fits; together they would exceed the budget. The call row lock makes the
    second wait for the first and then see its amount."""
    pilote = MembershipFactory(organisation=funder, role=Role.PILOTE)
    call = CallForProjectsFactory(
        funder=funder, budget=Decimal("100000"), project_types=[ProjectType.MEDIATION_TRAINING]
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def grant(title):
        try:
            barrier.wait(timeout=10)
            create_project(pilote, call, lead, loire, title=title, granted_amount="60000")
            outcomes.append("granted")
        except ValidationError as exc:
            outcomes.append(" ".join(exc.messages))
        finally:
            connection.close()

    threads = [threading.Thread(target=grant, args=(f"Projet {i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes)[1] == "granted"
    assert "dépasserait le budget" in sorted(outcomes)[0]
    assert Project.objects.filter(call=call).count() == 1


# --- participant_add ------------------------------------------------------------------------------------


def test_lead_counsellor_adds_a_person_they_follow(lead_counsellor, project, followed):
    joined = datetime.date(2025, 3, 1)
    participant = participant_add(membership=lead_counsellor, project=project, pathway=followed, joined_on=joined)
    assert participant.joined_on == joined
    assert participant.added_by == lead_counsellor
    event = Event.objects.get(pathway=followed, kind=EventKind.PROJECT_JOINED)
    assert project.title in event.summary
    entry = AuditEntry.objects.get(object_type="programmes.projectparticipant")
    assert entry.person_id == followed.person_id


def test_consortium_counsellor_may_add_a_person_they_follow(project, partner, loire):
    counsellor = MembershipFactory(organisation=partner, role=Role.CONSEILLER)
    pathway = PathwayFactory(referent=counsellor, departement=loire)
    participant_add(membership=counsellor, project=project, pathway=pathway, joined_on=START)
    assert ProjectParticipant.objects.filter(pathway=pathway).exists()


def test_follow_up_member_of_another_organisation_is_refused(project, loire):
    outsider = MembershipFactory(role=Role.CONSEILLER)
    pathway = PathwayFactory(referent=outsider, departement=loire)
    with pytest.raises(PermissionDenied, match="organisation porteuse ou du consortium"):
        participant_add(membership=outsider, project=project, pathway=pathway, joined_on=START)
    assert not ProjectParticipant.objects.exists()


def test_lead_counsellor_outside_the_group_is_refused(project, lead, loire):
    counsellor = MembershipFactory(organisation=lead, role=Role.CONSEILLER)
    pathway = PathwayFactory(departement=loire)
    with pytest.raises(PermissionDenied, match="groupe de suivi"):
        participant_add(membership=counsellor, project=project, pathway=pathway, joined_on=START)
    assert not ProjectParticipant.objects.exists()
    assert not Event.objects.filter(kind=EventKind.PROJECT_JOINED).exists()


def test_ended_seat_is_refused(project, lead_counsellor, followed):
    seat = followed.members.get(membership=lead_counsellor)
    seat.ended_at = timezone.now()
    seat.save(update_fields=["ended_at"])
    with pytest.raises(PermissionDenied):
        participant_add(membership=lead_counsellor, project=project, pathway=followed, joined_on=START)


def test_lead_administrator_in_the_group_is_refused_not_accompanying(project, lead, loire):
    admin = MembershipFactory(organisation=lead, role=Role.ADMIN_STRUCTURE)
    pathway = PathwayFactory(departement=loire)
    FollowUpMemberFactory(pathway=pathway, membership=admin)
    with pytest.raises(PermissionDenied):
        participant_add(membership=admin, project=project, pathway=pathway, joined_on=START)


@pytest.mark.parametrize(
    ("joined_on", "message"),
    [
        (datetime.date(2024, 12, 31), "comprise dans la période de l'appel, du 01/01/2025 au 31/12/2027"),
        (None, "Indiquez la date d'entrée"),
    ],
)
def test_joined_on_outside_the_call_period_is_refused(lead_counsellor, project, followed, joined_on, message):
    with pytest.raises(ValidationError) as caught:
        participant_add(membership=lead_counsellor, project=project, pathway=followed, joined_on=joined_on)
    assert message in " ".join(caught.value.message_dict["joined_on"])
    assert not ProjectParticipant.objects.exists()
    assert not Event.objects.filter(kind=EventKind.PROJECT_JOINED).exists()


def test_joined_on_in_the_future_is_refused(lead_counsellor, project, followed):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError, match="ne peut pas être dans le futur"):
        participant_add(membership=lead_counsellor, project=project, pathway=followed, joined_on=tomorrow)
    assert not ProjectParticipant.objects.exists()


def test_the_same_person_twice_is_refused(lead_counsellor, project, followed):
    participant_add(membership=lead_counsellor, project=project, pathway=followed, joined_on=START)
    with pytest.raises(ValidationError, match="participe déjà à ce projet"):
        participant_add(membership=lead_counsellor, project=project, pathway=followed, joined_on=START)
    assert ProjectParticipant.objects.count() == 1
    assert Event.objects.filter(kind=EventKind.PROJECT_JOINED).count() == 1


def test_closed_pathway_is_refused(lead_counsellor, project, followed):
    followed.status = PathwayStatus.CLOSED
    followed.closed_at = timezone.now()
    followed.save(update_fields=["status", "closed_at"])
    with pytest.raises(ValidationError, match="Ce parcours est clos"):
        participant_add(membership=lead_counsellor, project=project, pathway=followed, joined_on=START)
    assert not ProjectParticipant.objects.exists()


# --- who sees which call ----------------------------------------------------------------------------------


def test_calls_visible_by_role(call, project, funder, lead, partner):
    other_call = CallForProjectsFactory()
    visible = lambda m: set(selectors_calls.calls_visible(membership=m))  # noqa: E731
    assert visible(MembershipFactory(role=Role.PILOTE)) == {call, other_call}
    assert visible(MembershipFactory(organisation=funder, role=Role.CONSEILLER)) == {call}
    assert visible(MembershipFactory(organisation=lead, role=Role.CONSEILLER)) == {call}
    assert visible(MembershipFactory(organisation=partner, role=Role.ENCADRANT)) == {call}


def test_calls_are_hidden_from_unrelated_organisations(call, project):
    assert not selectors_calls.calls_visible(membership=MembershipFactory(role=Role.ADMIN_STRUCTURE)).exists()
    assert not selectors_calls.calls_visible(membership=None).exists()


def test_call_list_rows_count_projects_and_grants_in_one_query(django_assert_num_queries, call, project, funder):
    ProjectFactory(call=call, granted_amount=Decimal("50000"))
    CallForProjectsFactory(funder=funder)
    pilote = MembershipFactory(role=Role.PILOTE)
    with django_assert_num_queries(1):
        rows = {c.pk: (c.project_count, c.granted_total) for c in selectors_calls.call_list_rows(membership=pilote)}
    assert rows[call.pk] == (2, Decimal("150000"))
    assert (0, Decimal(0)) in rows.values()


def test_participant_names_only_for_the_carriers_staff(project, lead_counsellor, followed, partner, funder):
    participant_add(membership=lead_counsellor, project=project, pathway=followed, joined_on=START)
    rows = list(selectors_calls.project_participants(membership=lead_counsellor, project=project))
    assert [r.pathway.person for r in rows] == [followed.person]
    assert rows[0].is_follower is True
    lead_colleague = MembershipFactory(organisation=project.lead, role=Role.CONSEILLER)
    rows = list(selectors_calls.project_participants(membership=lead_colleague, project=project))
    assert [r.pathway.person for r in rows] == [followed.person]  # added by a member of their organisation
    assert rows[0].is_follower is False
    for refused in (
        MembershipFactory(role=Role.PILOTE),
        MembershipFactory(organisation=funder, role=Role.PILOTE),
        MembershipFactory(role=Role.CONSEILLER),
    ):
        with pytest.raises(PermissionDenied):
            selectors_calls.project_participants(membership=refused, project=project)


def test_projects_open_to_lists_the_readers_projects_not_yet_joined(project, lead_counsellor, followed, call):
    other = ProjectFactory(call=call, title="Autre projet")  # another lead: not offered
    assert list(selectors_calls.projects_open_to(membership=lead_counsellor, pathway_id=followed.pk)) == [project]
    participant_add(membership=lead_counsellor, project=project, pathway=followed, joined_on=START)
    assert not selectors_calls.projects_open_to(membership=lead_counsellor, pathway_id=followed.pk).exists()
    assert other not in selectors_calls.projects_open_to(membership=lead_counsellor, pathway_id=followed.pk)


# --- the summary --------------------------------------------------------------------------------------------


def _participants(project, departement, n):
    for _i in range(n):
        ProjectParticipant.objects.create(
            project=project,
            pathway=PathwayFactory(departement=departement),
            joined_on=START,
            added_by=MembershipFactory(organisation=project.lead),
        )


def test_summary_per_project_per_territory_and_totals(django_assert_num_queries, call, project, loire, vendee):
    # Project A (44 only): 100 000 € for 40 people, 4 participants of the 44 and 1 of the 85.
    # Project B (44 and 85): 60 000 € for 20 people, 2 participants of the 85.
    # Project C (85): 0 € for 5 people, nobody yet.
    both = ProjectFactory(call=call, title="B mobilité", granted_amount=Decimal("60000"), target_beneficiaries=20)
    both.departements.set([loire, vendee])
    none_yet = ProjectFactory(call=call, title="C artisanat", granted_amount=Decimal("0"), target_beneficiaries=5)
    none_yet.departements.set([vendee])
    _participants(project, loire, 4)
    _participants(project, vendee, 1)
    _participants(both, vendee, 2)

    with django_assert_num_queries(5):
        summary = selectors_calls.call_summary(call=call)

    by_title = {line.label: line for line in summary.projects}
    a = by_title[project.title]
    assert (a.target, a.actual, a.granted) == (40, 5, Decimal("100000"))
    assert a.cost_per_participant == Decimal("20000.00")
    assert a.achievement_rate == Decimal("12.5")
    assert a.departements == ("44",)
    b = by_title["B mobilité"]
    assert (b.actual, b.cost_per_participant, b.achievement_rate) == (2, Decimal("30000.00"), Decimal("10.0"))
    assert b.departements == ("44", "85")
    c = by_title["C artisanat"]
    assert (c.actual, c.cost_per_participant, c.achievement_rate) == (0, None, Decimal("0.0"))

    territories = {line.key: line for line in summary.territories}
    assert territories["44"].label == "Loire-Atlantique (44)"
    # 44: all of A (40 people, 100 000 €) and half of B (10 people, 30 000 €); 4 participants.
    assert (territories["44"].target, territories["44"].granted, territories["44"].actual) == (
        Decimal("50"),
        Decimal("130000"),
        4,
    )
    assert territories["44"].cost_per_participant == Decimal("32500.00")
    # 85: half of B and all of C; 3 participants (one of A's lives in the 85).
    assert (territories["85"].target, territories["85"].granted, territories["85"].actual) == (
        Decimal("15"),
        Decimal("30000"),
        3,
    )
    assert territories["85"].cost_per_participant == Decimal("10000.00")

    assert (summary.total.target, summary.total.actual, summary.total.granted) == (65, 7, Decimal("160000"))
    assert summary.total.cost_per_participant == Decimal("22857.14")
    assert summary.people == 7
    assert summary.budget_left == Decimal("140000")
    assert sum(t.granted for t in summary.territories) == summary.total.granted
    assert sum(t.target for t in summary.territories) == summary.total.target


def test_summary_counts_a_person_in_two_projects_twice_as_participations_once_as_a_person(call, project, loire):
    other = ProjectFactory(call=call, title="Autre")
    other.departements.set([loire])
    pathway = PathwayFactory(departement=loire)
    for p in (project, other):
        ProjectParticipant.objects.create(
            project=p, pathway=pathway, joined_on=START, added_by=MembershipFactory(organisation=p.lead)
        )
    summary = selectors_calls.call_summary(call=call)
    assert summary.total.actual == 2
    assert summary.people == 1


def test_summary_of_an_empty_call(call):
    summary = selectors_calls.call_summary(call=call)
    assert summary.projects == [] and summary.territories == []
    assert summary.total.cost_per_participant is None
    assert summary.total.achievement_rate is None
    assert summary.max_value == 1


# --- whose names a carrier sees (review fix) ------------------------------------------------------------


def test_a_carrier_names_only_the_people_it_follows_or_added(project, lead_counsellor, followed, partner):
    """Taking part in a refugees' project tells a protection status: the consortium partner does not
    learn whom the lead accompanies, and the other way round; each sees a count for the rest."""
    partner_counsellor = MembershipFactory(organisation=partner, role=Role.CONSEILLER)
    partner_admin = MembershipFactory(organisation=partner, role=Role.ADMIN_STRUCTURE)
    theirs = PathwayFactory(referent=partner_counsellor)
    participant_add(membership=lead_counsellor, project=project, pathway=followed, joined_on=START)
    participant_add(membership=partner_counsellor, project=project, pathway=theirs, joined_on=START)

    def named(m):
        return [r.pathway for r in selectors_calls.project_participants(membership=m, project=project)]

    def others(m):
        return selectors_calls.project_participants_not_named(membership=m, project=project)

    assert (named(lead_counsellor), others(lead_counsellor)) == ([followed], 1)
    assert (named(partner_counsellor), others(partner_counsellor)) == ([theirs], 1)
    # An administrator sees the people added by their organisation, not the partner's.
    assert (named(partner_admin), others(partner_admin)) == ([theirs], 1)
    # A partner who joins the lead's follow-up group sees that person too.
    FollowUpMemberFactory(pathway=followed, membership=partner_counsellor)
    assert set(named(partner_counsellor)) == {followed, theirs}
    assert others(partner_counsellor) == 0


def test_an_ended_seat_no_longer_names_the_person(project, lead_counsellor, followed, partner):
    participant_add(membership=lead_counsellor, project=project, pathway=followed, joined_on=START)
    partner_counsellor = MembershipFactory(organisation=partner, role=Role.CONSEILLER)
    FollowUpMemberFactory(pathway=followed, membership=partner_counsellor, ended_at=timezone.now())
    assert not selectors_calls.project_participants(membership=partner_counsellor, project=project).exists()
    assert selectors_calls.project_participants_not_named(membership=partner_counsellor, project=project) == 1


def test_the_count_of_others_is_refused_outside_the_carriers(project, lead_counsellor, followed, funder):
    participant_add(membership=lead_counsellor, project=project, pathway=followed, joined_on=START)
    for refused in (MembershipFactory(organisation=funder, role=Role.PILOTE), MembershipFactory(role=Role.CONSEILLER)):
        with pytest.raises(PermissionDenied):
            selectors_calls.project_participants_not_named(membership=refused, project=project)
