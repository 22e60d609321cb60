"""Sensitive data must not reach a member without consent by an indirect route."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from parcours.audit.models import AuditAction, AuditEntry
from parcours.pathways import services
from parcours.pathways.models import Goal
from parcours.people.enums import ConsentPurpose, DataCategory
from parcours.people.services import person_update
from tests.factories import ConsentFactory, FollowUpMemberFactory, MembershipFactory

pytestmark = pytest.mark.django_db

SECRET = "Consultation en addictologie"


@pytest.fixture
def health_consented_referent(pathway, membership):
    ConsentFactory(person=pathway.person, organisation=membership.organisation, category=DataCategory.HEALTH)
    return membership


@pytest.fixture
def health_goal(pathway, health_consented_referent):
    goal = services.goal_create(
        pathway=pathway,
        theme="sante",
        text=SECRET,
        agreed_by_person=True,
        membership=health_consented_referent,
        acting_user=health_consented_referent.user,
    )
    services.action_create(
        goal=goal,
        text="Prendre rendez-vous au CSAPA",
        due_on=None,
        membership=health_consented_referent,
        acting_user=health_consented_referent.user,
    )
    return goal


@pytest.fixture
def member_without_consent(pathway):
    other = MembershipFactory()
    FollowUpMemberFactory(pathway=pathway, membership=other)
    return other


def test_timeline_hides_health_goal_events_without_consent(login, pathway, health_goal, member_without_consent):
    html = login(member_without_consent).get(reverse("pathway_timeline", args=[pathway.pk])).content.decode()
    assert SECRET not in html
    assert "CSAPA" not in html


def test_timeline_shows_health_goal_events_with_consent(login, pathway, health_goal, health_consented_referent):
    html = login(health_consented_referent).get(reverse("pathway_timeline", args=[pathway.pk])).content.decode()
    assert SECRET in html


def test_print_page_hides_health_goals_without_consent(login, pathway, health_goal, member_without_consent):
    html = login(member_without_consent).get(reverse("pathway_print", args=[pathway.pk])).content.decode()
    assert SECRET not in html


def test_summary_goal_count_ignores_hidden_health_goals(login, pathway, health_goal, member_without_consent):
    response = login(member_without_consent).get(reverse("pathway", args=[pathway.pk]))
    assert response.context["goals_count"] == 0


def test_consent_for_a_referral_does_not_open_the_pathway_pages(login, pathway, member_without_consent):
    ConsentFactory(
        person=pathway.person,
        organisation=member_without_consent.organisation,
        category=DataCategory.HEALTH,
        purpose=ConsentPurpose.REFERRAL,
    )
    response = login(member_without_consent).get(reverse("pathway", args=[pathway.pk]))
    assert DataCategory.HEALTH not in response.context["categories"]


def test_health_goal_cannot_be_created_without_consent(pathway, member_without_consent):
    with pytest.raises(PermissionDenied):
        services.goal_create(
            pathway=pathway,
            theme="sante",
            text="x",
            agreed_by_person=False,
            membership=member_without_consent,
            acting_user=member_without_consent.user,
        )
    assert not Goal.objects.exists()


def test_sensitive_update_event_is_hidden_from_members_without_that_consent(
    login, pathway, membership, member_without_consent
):
    ConsentFactory(person=pathway.person, organisation=membership.organisation, category=DataCategory.RESIDENCE_STATUS)
    person_update(
        person=pathway.person,
        changes={"residence_permit_kind": "temporary_card", "phone": "0601020304"},
        membership=membership,
        acting_user=membership.user,
        pathway=pathway,
    )
    hidden = login(member_without_consent).get(reverse("pathway_timeline", args=[pathway.pk])).content.decode()
    assert "Droit au séjour" not in hidden
    assert "téléphone" in hidden
    shown = login(membership).get(reverse("pathway_timeline", args=[pathway.pk])).content.decode()
    assert "Droit au séjour" in shown


@pytest.mark.parametrize(
    "name",
    [
        "pathway",
        "pathway_group",
        "pathway_timeline",
        "pathway_access_log",
        "pathway_print",
        "pathway_diagnostic",
        "pathway_plan",
    ],
)
def test_read_only_pages_refuse_post(login, pathway, membership, name):
    response = login(membership).post(reverse(name, args=[pathway.pk]))
    assert response.status_code == 405


def test_form_re_rendered_with_errors_is_audited_as_a_read(login, pathway, membership):
    before = AuditEntry.objects.filter(action=AuditAction.READ, person=pathway.person).count()
    response = login(membership).post(reverse("pathway_note_new", args=[pathway.pk]), {"text": ""})
    assert response.status_code == 200
    after = AuditEntry.objects.filter(action=AuditAction.READ, person=pathway.person).count()
    assert after == before + 1


def test_member_with_deactivated_account_cannot_become_referent(pathway, membership):
    colleague = MembershipFactory()
    FollowUpMemberFactory(pathway=pathway, membership=colleague)
    colleague.user.is_active = False
    colleague.user.save(update_fields=["is_active"])
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.referent_change(
            pathway=pathway,
            new_membership=colleague,
            reason="Départ",
            handover_note="Note",
            membership=membership,
            acting_user=membership.user,
        )
    assert pathway.members.get(is_referent=True, ended_at__isnull=True).membership == membership


def test_refused_form_shown_again_is_audited_as_a_read(login, pathway, plain_member):
    before = AuditEntry.objects.filter(action=AuditAction.READ, person=pathway.person).count()
    response = login(plain_member).post(reverse("pathway_close", args=[pathway.pk]), {"reason": "Déménagement"})
    assert response.status_code == 403
    after = AuditEntry.objects.filter(action=AuditAction.READ, person=pathway.person).count()
    assert after == before + 1


def test_health_goal_and_its_actions_cannot_be_changed_without_consent(pathway, health_goal, member_without_consent):
    action = health_goal.actions.get()
    acting = {"membership": member_without_consent, "acting_user": member_without_consent.user}
    with pytest.raises(PermissionDenied):
        services.goal_update(goal=health_goal, status="achieved", agreed_by_person=True, **acting)
    with pytest.raises(PermissionDenied):
        services.action_create(goal=health_goal, text="Autre", due_on=None, **acting)
    with pytest.raises(PermissionDenied):
        services.action_set_status(action=action, status="done", **acting)
    health_goal.refresh_from_db()
    action.refresh_from_db()
    assert (health_goal.status, action.status, health_goal.actions.count()) == ("in_progress", "planned", 1)


def test_health_goal_is_changed_by_a_member_with_consent(pathway, health_goal, health_consented_referent):
    goal = services.goal_update(
        goal=health_goal,
        status="achieved",
        agreed_by_person=True,
        membership=health_consented_referent,
        acting_user=health_consented_referent.user,
    )
    assert goal.status == "achieved"
