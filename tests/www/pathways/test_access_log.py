"""« Qui a consulté ce dossier » : the person's audit entries, newest first, 50 per page."""

import pytest
from django.urls import reverse

from parcours.audit.models import AuditAction, AuditEntry
from parcours.audit.services import audit_log
from parcours.pathways.services import break_glass_open
from tests.factories import MembershipFactory, PathwayFactory, UserFactory
from tests.www.pathways.conftest import html_of


@pytest.mark.django_db
def test_access_log_lists_who_read_the_file(login, membership, plain_member, pathway):
    login(plain_member).get(reverse("pathway", args=[pathway.pk]))
    html = html_of(login(membership).get(reverse("pathway_access_log", args=[pathway.pk])))
    assert plain_member.user.get_full_name() in html
    assert plain_member.organisation.name in html
    assert "Consultation · Synthèse" in html


@pytest.mark.django_db
def test_access_log_marks_break_glass_with_its_reason(login, membership, pathway):
    admin = UserFactory(is_superuser=True)
    break_glass_open(pathway=pathway, reason="Demande de la personne par courrier", acting_user=admin)
    html = html_of(login(membership).get(reverse("pathway_access_log", args=[pathway.pk])))
    assert "Accès exceptionnel" in html
    assert "Demande de la personne par courrier" in html
    assert "Administration de la plateforme" in html


@pytest.mark.django_db
def test_access_log_shows_only_this_persons_entries(login, membership, pathway):
    other = PathwayFactory()
    stranger = MembershipFactory()
    audit_log(actor=stranger.user, organisation=stranger.organisation, action=AuditAction.READ, person=other.person)
    html = html_of(login(membership).get(reverse("pathway_access_log", args=[pathway.pk])))
    assert stranger.organisation.name not in html


@pytest.mark.django_db
def test_access_log_is_paginated_by_50_newest_first(login, membership, pathway):
    for i in range(60):
        audit_log(actor=membership.user, action=AuditAction.UPDATE, person=pathway.person, reason=f"motif-{i:02d}")
    client = login(membership)
    first = html_of(client.get(reverse("pathway_access_log", args=[pathway.pk])))
    assert first.index("motif-59") < first.index("motif-58")
    assert "motif-09" not in first
    second = html_of(client.get(reverse("pathway_access_log", args=[pathway.pk]), {"page": 2}))
    assert "motif-09" in second
    assert "motif-59" not in second


@pytest.mark.django_db
def test_access_log_stays_within_15_queries_with_200_entries(login, membership, pathway, django_assert_max_num_queries):
    users = [MembershipFactory() for _ in range(5)]
    for i in range(200):
        m = users[i % 5]
        audit_log(actor=m.user, organisation=m.organisation, action=AuditAction.READ, person=pathway.person)
    client = login(membership)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("pathway_access_log", args=[pathway.pk]))
    assert response.status_code == 200
    assert AuditEntry.objects.filter(person=pathway.person).count() > 200
