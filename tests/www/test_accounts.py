from unittest import mock

import pytest
from django.db.utils import OperationalError
from django.urls import reverse

from parcours.audit.models import AuditAction, AuditEntry
from tests.factories import PASSWORD, MembershipFactory, OrganisationFactory


@pytest.mark.django_db
def test_healthz_answers_200_when_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"


@pytest.mark.django_db
def test_healthz_answers_503_when_database_fails(client):
    with mock.patch("parcours.www.accounts.views.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503


@pytest.mark.django_db
def test_login_succeeds_and_is_audited(client):
    membership = MembershipFactory()
    response = client.post(reverse("login"), {"username": membership.user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action=AuditAction.LOGIN, actor=membership.user).count() == 1


@pytest.mark.django_db
def test_login_failure_shows_french_message_and_is_audited(client):
    membership = MembershipFactory()
    response = client.post(reverse("login"), {"username": membership.user.username, "password": "faux"})
    assert response.status_code == 200
    assert "Identifiant ou mot de passe incorrect." in response.content.decode()
    assert AuditEntry.objects.filter(action=AuditAction.LOGIN_FAILED).count() == 1


@pytest.mark.django_db
def test_login_is_throttled_after_repeated_failures_even_with_right_password(client, settings):
    settings.LOGIN_MAX_FAILURES = 3
    membership = MembershipFactory()
    for _ in range(3):
        client.post(reverse("login"), {"username": membership.user.username, "password": "faux"})
    response = client.post(reverse("login"), {"username": membership.user.username, "password": PASSWORD})
    assert response.status_code == 200
    assert "Trop de tentatives de connexion échouées" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_anonymous_user_is_sent_to_login(client):
    response = client.get(reverse("switch_organisation"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
def test_user_switches_to_another_of_their_organisations(client, login):
    first = MembershipFactory(organisation=OrganisationFactory(name="A"))
    second = MembershipFactory(user=first.user, organisation=OrganisationFactory(name="B"))
    login(first)
    response = client.post(reverse("switch_organisation"), {"membership": second.pk})
    assert response.status_code == 302
    assert client.session["current_membership_id"] == second.pk


@pytest.mark.django_db
def test_user_cannot_switch_to_an_organisation_they_do_not_belong_to(client, login):
    mine = MembershipFactory()
    other = MembershipFactory()
    login(mine)
    response = client.post(reverse("switch_organisation"), {"membership": other.pk})
    assert response.status_code == 200
    assert "Choisissez une de vos organisations." in response.content.decode()
    assert client.session["current_membership_id"] == mine.pk


@pytest.mark.django_db
def test_inactive_membership_is_not_used_even_if_in_session(client, login):
    active = MembershipFactory(organisation=OrganisationFactory(name="Z active"))
    inactive = MembershipFactory(user=active.user, organisation=OrganisationFactory(name="A inactive"), is_active=False)
    login(active)
    session = client.session
    session["current_membership_id"] = inactive.pk
    session.save()
    response = client.get(reverse("switch_organisation"))
    assert response.context["current_membership"].pk == active.pk


@pytest.mark.django_db
def test_pages_send_a_content_security_policy(client):
    response = client.get(reverse("login"))
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["a b", "a\x00b", "x" * 10_000])
def test_odd_usernames_get_the_normal_message(client, username):
    response = client.post(reverse("login"), {"username": username, "password": "faux"})
    assert response.status_code == 200
    assert "Le formulaire contient des erreurs" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_throttling_behind_a_proxy_counts_the_forwarded_address(client, settings):
    settings.LOGIN_MAX_FAILURES = 2
    settings.TRUSTED_PROXY_COUNT = 1
    victim = MembershipFactory()
    for _ in range(2):
        client.post(reverse("login"), {"username": "inconnu", "password": "x"}, HTTP_X_FORWARDED_FOR="203.0.113.9")
    response = client.post(
        reverse("login"), {"username": victim.user.username, "password": PASSWORD}, HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    assert response.status_code == 302


@pytest.mark.django_db
def test_admin_audit_pages_do_not_show_whom_an_entry_is_about(admin_client):
    from parcours.audit.services import audit_log
    from tests.factories import PersonFactory

    person = PersonFactory(last_name="Nomconfidentiel")
    entry = audit_log(actor=None, action=AuditAction.UPDATE, obj=person, person=person, reason="Motif confidentiel")
    html = admin_client.get(reverse("admin:audit_auditentry_change", args=[entry.pk])).content.decode()
    assert "nomconfidentiel" not in html.lower()
    assert "Motif confidentiel" not in html


@pytest.mark.django_db
def test_admin_membership_change_is_audited(admin_client):
    membership = MembershipFactory()
    response = admin_client.post(
        reverse("admin:organisations_membership_change", args=[membership.pk]),
        {"user": membership.user.pk, "organisation": membership.organisation.pk, "role": "encadrant", "is_active": ""},
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.filter(object_type="organisations.membership", object_id=str(membership.pk)).get()
    assert set(entry.fields) == {"role", "is_active"}


@pytest.mark.django_db
def test_home_sends_a_professional_to_the_caseload_and_a_platform_admin_to_the_admin(client, login, admin_client):
    assert login(MembershipFactory()).get(reverse("home")).url == reverse("caseload")
    assert admin_client.get(reverse("home")).url == reverse("admin:index")


@pytest.mark.django_db
def test_home_sends_an_anonymous_visitor_to_login(client):
    assert client.get(reverse("home")).url.startswith(reverse("login"))


@pytest.mark.django_db
def test_logout_ends_the_session_and_refuses_get(client, login):
    client = login(MembershipFactory())
    assert client.get(reverse("logout")).status_code == 405
    assert "_auth_user_id" in client.session
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session
