"""A platform administrator's reasoned, logged, time-limited access."""

import pytest
from django.urls import reverse

from parcours.audit.models import AuditAction, AuditEntry
from parcours.pathways.models import BreakGlassAccess
from tests.factories import MembershipFactory, UserFactory
from tests.www.pathways.conftest import html_of, shows

REASON = "Demande écrite de la personne reçue le 3 mars"


@pytest.fixture
def admin_client(client, db):
    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    client.admin = admin
    return client


@pytest.mark.django_db
def test_superuser_cannot_read_the_pathway_before_break_glass(admin_client, pathway):
    assert admin_client.get(reverse("pathway", args=[pathway.pk])).status_code == 404


@pytest.mark.django_db
def test_superuser_sees_the_break_glass_form_without_personal_data(admin_client, pathway):
    response = admin_client.get(reverse("pathway_break_glass", args=[pathway.pk]))
    assert response.status_code == 200
    html = html_of(response)
    assert pathway.person.last_name not in html
    assert not AuditEntry.objects.filter(person=pathway.person).exists()


@pytest.mark.django_db
def test_superuser_opens_break_glass_and_reaches_the_summary(admin_client, pathway):
    response = admin_client.post(reverse("pathway_break_glass", args=[pathway.pk]), {"reason": REASON})
    assert response.status_code == 302
    assert response.url == reverse("pathway", args=[pathway.pk])
    access = BreakGlassAccess.objects.get(pathway=pathway)
    assert access.user == admin_client.admin
    assert AuditEntry.objects.filter(person=pathway.person, action=AuditAction.BREAK_GLASS, reason=REASON).exists()
    summary = admin_client.get(reverse("pathway", args=[pathway.pk]))
    assert summary.status_code == 200
    assert pathway.person.first_name in html_of(summary)


@pytest.mark.django_db
def test_break_glass_never_reveals_sensitive_sections(admin_client, refugee_pathway):
    admin_client.post(reverse("pathway_break_glass", args=[refugee_pathway.pk]), {"reason": REASON})
    html = html_of(admin_client.get(reverse("pathway", args=[refugee_pathway.pk])))
    assert "Carte de résident" not in html


@pytest.mark.django_db
def test_short_reason_is_refused_and_nothing_written(admin_client, pathway):
    response = admin_client.post(reverse("pathway_break_glass", args=[pathway.pk]), {"reason": "curiosité"})
    assert response.status_code == 200
    assert shows(html_of(response), "Motivez l'accès exceptionnel (20 caractères au moins).")
    assert not BreakGlassAccess.objects.exists()
    assert not AuditEntry.objects.filter(action=AuditAction.BREAK_GLASS).exists()


@pytest.mark.django_db
def test_break_glass_on_unknown_pathway_is_404(admin_client, pathway):
    assert admin_client.get(reverse("pathway_break_glass", args=[pathway.pk + 1000])).status_code == 404


@pytest.mark.django_db
def test_professional_gets_404_on_break_glass(login, outsider, pathway):
    response = login(outsider).post(reverse("pathway_break_glass", args=[pathway.pk]), {"reason": REASON})
    assert response.status_code == 404
    assert not BreakGlassAccess.objects.exists()


@pytest.mark.django_db
def test_group_member_gets_404_on_break_glass(login, membership, pathway):
    response = login(membership).get(reverse("pathway_break_glass", args=[pathway.pk]))
    assert response.status_code == 404


@pytest.mark.django_db
def test_anonymous_is_sent_to_login_from_break_glass(client, pathway):
    response = client.get(reverse("pathway_break_glass", args=[pathway.pk]))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_superuser_already_in_the_group_is_redirected_to_the_summary(client, pathway):
    admin = UserFactory(is_superuser=True)
    membership = MembershipFactory(user=admin)
    pathway.members.create(membership=membership)
    client.force_login(admin)
    session = client.session
    session["current_membership_id"] = membership.pk
    session.save()
    response = client.get(reverse("pathway_break_glass", args=[pathway.pk]))
    assert response.status_code == 302
    assert not BreakGlassAccess.objects.exists()
