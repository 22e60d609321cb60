"""Who reaches the pathway pages: group members yes, anyone else 404, anonymous to login; and
every GET of a tab leaves exactly one READ entry in the audit chain."""

import pytest
from django.urls import reverse

from parcours.audit.models import AuditAction, AuditEntry
from parcours.people.models import Person
from tests.www.pathways.conftest import html_of

TABS = [
    ("pathway", ()),
    ("pathway_person_edit", ("identity",)),
    ("pathway_group", ()),
    ("pathway_timeline", ()),
    ("pathway_consents", ()),
    ("pathway_access_log", ()),
    ("pathway_print", ()),
    ("pathway_referent_change", ()),
    ("pathway_member_add", ()),
    ("pathway_close", ()),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "args"), TABS)
def test_group_member_sees_the_page(login, membership, pathway, name, args):
    response = login(membership).get(reverse(name, args=[pathway.pk, *args]))
    assert response.status_code == 200
    assert pathway.person.first_name in html_of(response)


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "args"), TABS)
def test_professional_outside_the_group_gets_404(login, outsider, pathway, name, args):
    # A name no Faker value can produce, so that the page cannot contain it by chance.
    Person.objects.filter(pk=pathway.person_id).update(last_name="Nomquinefuitepas")
    response = login(outsider).get(reverse(name, args=[pathway.pk, *args]))
    assert response.status_code == 404
    assert "Nomquinefuitepas" not in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "args"), TABS)
def test_anonymous_visitor_is_sent_to_login(client, pathway, name, args):
    response = client.get(reverse(name, args=[pathway.pk, *args]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_unknown_pathway_is_404_for_a_member(login, membership, pathway):
    response = login(membership).get(reverse("pathway", args=[pathway.pk + 1000]))
    assert response.status_code == 404


@pytest.mark.django_db
def test_ended_member_no_longer_sees_the_pathway(login, plain_member, pathway):
    pathway.members.filter(membership=plain_member).update(ended_at="2024-01-01T00:00:00Z")
    response = login(plain_member).get(reverse("pathway", args=[pathway.pk]))
    assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ["pathway", "pathway_group", "pathway_timeline", "pathway_consents", "pathway_access_log"]
)
def test_each_tab_read_writes_one_read_audit_entry(login, membership, pathway, name):
    client = login(membership)
    before = AuditEntry.objects.filter(person=pathway.person, action=AuditAction.READ).count()
    client.get(reverse(name, args=[pathway.pk]))
    entries = AuditEntry.objects.filter(person=pathway.person, action=AuditAction.READ)
    assert entries.count() == before + 1
    entry = entries.order_by("-id").first()
    assert entry.actor == membership.user
    assert entry.organisation == membership.organisation


@pytest.mark.django_db
def test_refused_read_writes_no_audit_entry(login, outsider, pathway):
    login(outsider).get(reverse("pathway", args=[pathway.pk]))
    assert not AuditEntry.objects.filter(person=pathway.person, action=AuditAction.READ).exists()


@pytest.mark.django_db
def test_orientation_officer_with_territory_grant_sees_the_summary(login, orientation_officer, pathway):
    response = login(orientation_officer).get(reverse("pathway", args=[pathway.pk]))
    assert response.status_code == 200


@pytest.mark.django_db
def test_orientation_officer_without_grant_gets_404(login, pathway):
    from tests.factories import MembershipFactory

    officer = MembershipFactory(orientation=True)
    response = login(officer).get(reverse("pathway", args=[pathway.pk]))
    assert response.status_code == 404


# Every other pathway URL, including the item pages and the POST-only actions: the scope check
# comes first, so an outsider gets the same 404 and an anonymous visitor the login page.
ITEM_URLS = [
    ("pathway_orientation", lambda items: ()),
    ("pathway_diagnostic", lambda items: ()),
    ("pathway_diagnostic_new", lambda items: ()),
    ("pathway_cir", lambda items: ()),
    ("pathway_plan", lambda items: ()),
    ("pathway_goal_new", lambda items: ()),
    ("pathway_goal_edit", lambda items: (items["goal"],)),
    ("pathway_action_new", lambda items: (items["goal"],)),
    ("pathway_action_status", lambda items: (items["action"],)),
    ("pathway_appointment_new", lambda items: ()),
    ("pathway_appointment_status", lambda items: (items["appointment"],)),
    ("pathway_note_new", lambda items: ()),
    ("pathway_member_end", lambda items: (items["seat"],)),
    ("pathway_join_request_decide", lambda items: (items["join_request"],)),
    ("pathway_child_add", lambda items: ()),
]


@pytest.fixture
def items(pathway, membership):
    from parcours.pathways.models import JoinRequest
    from tests.factories import (
        ActionFactory,
        AppointmentFactory,
        FollowUpMemberFactory,
        GoalFactory,
        MembershipFactory,
    )

    goal = GoalFactory(pathway=pathway)
    return {
        "goal": goal.pk,
        "action": ActionFactory(goal=goal).pk,
        "appointment": AppointmentFactory(pathway=pathway, with_member=membership).pk,
        "seat": FollowUpMemberFactory(pathway=pathway).pk,
        "join_request": JoinRequest.objects.create(pathway=pathway, membership=MembershipFactory(), reason="r").pk,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(("name", "args"), ITEM_URLS)
def test_outsider_gets_404_on_every_other_pathway_url(login, outsider, pathway, items, name, args, method):
    from parcours.pathways.models import Event

    before = Event.objects.filter(pathway=pathway).count()
    response = getattr(login(outsider), method)(reverse(name, args=[pathway.pk, *args(items)]))
    assert response.status_code in (404, 405)  # 405: a POST-only or GET-only URL refuses the method first
    assert Event.objects.filter(pathway=pathway).count() == before


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "args"), ITEM_URLS)
def test_anonymous_visitor_is_sent_to_login_on_every_other_pathway_url(client, pathway, items, name, args):
    response = client.get(reverse(name, args=[pathway.pk, *args(items)]))
    assert response.status_code in (302, 405)
    if response.status_code == 302:
        assert response.url.startswith(reverse("login"))
