"""The signed-link page of a structure without a Parcours account (valid, tampered, expired,
replayed; answer and outcome), and the notification preferences page."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from parcours.audit.models import AuditAction, AuditEntry
from parcours.notifications.services import preference_of
from parcours.referrals import links
from parcours.referrals.enums import LinkPurpose, ReferralStatus
from parcours.referrals.models import Referral, ReferralLink
from parcours.referrals.services import link_issue, referral_cancel, referral_link_resend
from tests.directory.factories import ServiceFactory, StructureFactory
from tests.www.referrals.conftest import html_of, shows

pytestmark = pytest.mark.django_db


@pytest.fixture
def offline_service(db):
    """A service whose structure has no Parcours account: it answers by signed link."""
    return ServiceFactory(operator=None, structure=StructureFactory(courriel="accueil@asso.test"))


@pytest.fixture
def referral(pathway, membership, offline_service, send):
    return send(pathway, offline_service, membership)


def link_url(token):
    return reverse("referral_link", args=[token])


def answer_token(referral):
    return link_issue(referral=referral, purpose=LinkPurpose.ANSWER)


def test_link_url_has_the_fixed_path(referral):
    token = answer_token(referral)
    assert link_url(token) == f"/prescriptions/lien/{token}/"


def test_valid_link_shows_the_shared_data_and_the_answer_form(client, referral):
    response = client.get(link_url(answer_token(referral)))
    html = html_of(response)
    assert response.status_code == 200
    assert shows(html, referral.pathway.person.full_name)
    assert shows(html, referral.message)
    assert shows(html, "J'accepte la prescription")
    assert "Pas de place disponible" in html
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    assert AuditEntry.objects.filter(
        action=AuditAction.READ, object_type="referrals.referral", object_id=str(referral.pk), actor=None
    ).exists()


def test_tampered_link_is_refused_clearly(client, referral):
    token = answer_token(referral)
    response = client.get(link_url(token[:-3] + "abc"))
    assert response.status_code == 400
    assert shows(html_of(response), "Ce lien n'est pas valide.")


def test_expired_link_says_so(client, referral):
    token = answer_token(referral)
    ReferralLink.objects.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    response = client.get(link_url(token))
    assert response.status_code == 410
    assert "a expiré" in html_of(response)


def test_link_of_a_cancelled_referral_shows_why_and_no_data(client, referral, membership):
    token = answer_token(referral)
    assert shows(html_of(client.get(link_url(token))), referral.pathway.person.full_name)
    referral_cancel(referral=referral, reason="Erreur", membership=membership, acting_user=membership.user)
    for response in (client.get(link_url(token)), client.post(link_url(token), {"decision": "accept"})):
        html = html_of(response)
        assert response.status_code == 410
        assert shows(html, "Cette prescription a été annulée par son émetteur le ")
        assert shows(html, "ce lien ne sert plus.")
        assert not shows(html, referral.pathway.person.full_name)
        assert not shows(html, referral.message)
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.CANCELLED


def test_replaced_link_says_when_the_newer_one_was_sent(client, referral, membership):
    token = answer_token(referral)
    ReferralLink.objects.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    referral_link_resend(referral=referral, membership=membership, acting_user=membership.user)
    response = client.get(link_url(token))
    assert response.status_code == 410
    assert shows(html_of(response), "Ce lien a été remplacé par un lien plus récent envoyé le ")
    assert not shows(html_of(response), referral.pathway.person.full_name)


def test_accepted_link_referral_closes_only_as_did_not_come(client, referral):
    client.post(link_url(answer_token(referral)), {"decision": "accept"})
    outcome = ReferralLink.objects.get(purpose=LinkPurpose.OUTCOME)
    token = links.sign(link_id=outcome.pk, nonce=outcome.nonce)
    response = client.post(link_url(token), {"outcome": "completed"})
    assert response.status_code == 200
    assert shows(html_of(response), "L'accompagnement n'a pas démarré")
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.ACCEPTED
    client.post(link_url(token), {"outcome": "did_not_come"})
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.CLOSED


def test_accepting_by_link_then_replaying_changes_nothing(client, referral):
    token = answer_token(referral)
    response = client.post(link_url(token), {"decision": "accept"})
    html = html_of(response)
    assert response.status_code == 200
    assert "Merci, votre réponse est enregistrée" in html
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.ACCEPTED

    replay = client.post(link_url(token), {"decision": "refuse", "reason": "no_place"})
    assert replay.status_code == 410
    assert "Ce lien a déjà servi" in html_of(replay)
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.ACCEPTED
    again = client.get(link_url(token))
    assert again.status_code == 410 and "Ce lien a déjà servi" in html_of(again)


def test_refusing_by_link_without_reason_changes_nothing(client, referral):
    token = answer_token(referral)
    response = client.post(link_url(token), {"decision": "refuse"})
    html = html_of(response)
    assert response.status_code == 200
    assert "Choisissez un motif de refus dans la liste." in html
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.SENT
    assert ReferralLink.objects.get(purpose=LinkPurpose.ANSWER).used_at is None


def test_refusing_by_link_with_unknown_reason_changes_nothing(client, referral):
    response = client.post(link_url(answer_token(referral)), {"decision": "refuse", "reason": "humeur"})
    assert "Choisissez un motif de refus dans la liste." in html_of(response)
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.SENT


def test_refusing_by_link_with_a_reason(client, referral):
    response = client.post(
        link_url(answer_token(referral)), {"decision": "refuse", "reason": "other", "detail": "Public non accueilli"}
    )
    assert response.status_code == 200
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REFUSED
    assert referral.refusal_detail == "Public non accueilli"


def test_outcome_link_closes_the_referral(client, referral):
    client.post(link_url(answer_token(referral)), {"decision": "accept"})
    token = link_issue(referral=referral, purpose=LinkPurpose.OUTCOME)
    html = html_of(client.get(link_url(token)))
    assert shows(html, "L'issue de l'accompagnement")
    bad = client.post(link_url(token), {"outcome": "magie"})
    assert "Choisissez l" in html_of(bad)
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.ACCEPTED
    response = client.post(link_url(token), {"outcome": "did_not_come"})
    assert response.status_code == 200
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CLOSED and referral.outcome == "did_not_come"


def accepted_outcome_token(client, referral):
    client.post(link_url(answer_token(referral)), {"decision": "accept"})
    return link_issue(referral=referral, purpose=LinkPurpose.OUTCOME)


def test_outcome_link_marks_started_then_closes_with_the_same_link(client, referral):
    token = accepted_outcome_token(client, referral)
    html = html_of(client.get(link_url(token)))
    assert shows(html, "La personne a commencé l'accompagnement")
    assert 'name="action" value="start"' in html
    assert shows(html, "Clôturer la prescription")

    response = client.post(link_url(token), {"action": "start"}, follow=True)
    html = html_of(response)
    assert response.redirect_chain == [(link_url(token), 302)]
    assert shows(html, "C'est noté : l'accompagnement a démarré.")
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.STARTED
    # Started: the button is gone, the outcome form is still there, the link still valid.
    assert 'value="start"' not in html
    assert shows(html, "L'accompagnement a démarré le")
    assert shows(html, "Clôturer la prescription")
    assert ReferralLink.objects.get(purpose=LinkPurpose.OUTCOME).used_at is None
    assert AuditEntry.objects.filter(
        action=AuditAction.UPDATE,
        object_type="referrals.referral",
        object_id=str(referral.pk),
        actor=None,
        reason="lien sécurisé",
    ).exists()

    response = client.post(link_url(token), {"outcome": "help_received"})
    assert response.status_code == 200
    referral.refresh_from_db()
    assert (referral.status, referral.outcome) == (ReferralStatus.CLOSED, "help_received")
    assert referral.transitions.filter(to_status=ReferralStatus.STARTED).count() == 1


def test_starting_twice_by_link_says_so_and_changes_nothing(client, referral):
    token = accepted_outcome_token(client, referral)
    client.post(link_url(token), {"action": "start"})
    response = client.post(link_url(token), {"action": "start"}, follow=True)
    html = html_of(response)
    assert shows(html, "Rien n'a été modifié. L'accompagnement a déjà démarré le")
    assert shows(html, "Vous pouvez encore indiquer l'issue de l'accompagnement ci-dessous.")
    assert referral.transitions.filter(to_status=ReferralStatus.STARTED).count() == 1
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.STARTED
    assert ReferralLink.objects.get(purpose=LinkPurpose.OUTCOME).used_at is None


def test_starting_by_an_expired_or_tampered_link_changes_nothing(client, referral):
    token = accepted_outcome_token(client, referral)
    tampered = client.post(link_url(token[:-3] + "abc"), {"action": "start"})
    assert tampered.status_code == 400
    assert shows(html_of(tampered), "Ce lien n'est pas valide.")
    ReferralLink.objects.filter(purpose=LinkPurpose.OUTCOME).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    expired = client.post(link_url(token), {"action": "start"})
    assert expired.status_code == 410
    assert "a expiré" in html_of(expired)
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.ACCEPTED


def test_starting_a_referral_closed_meanwhile_shows_why_and_changes_nothing(client, referral):
    token = accepted_outcome_token(client, referral)
    Referral.objects.filter(pk=referral.pk).update(
        status=ReferralStatus.CLOSED, outcome="completed", closed_at=timezone.now()
    )
    response = client.post(link_url(token), {"action": "start"})
    assert response.status_code == 410
    assert shows(html_of(response), "Cette prescription a été clôturée le ")
    assert shows(html_of(response), "ce lien ne sert plus.")
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.CLOSED
    assert not referral.transitions.filter(to_status=ReferralStatus.STARTED).exists()


def test_answer_link_ignores_a_start(client, referral):
    response = client.post(link_url(answer_token(referral)), {"action": "start"})
    assert "Indiquez si vous acceptez ou refusez la prescription." in html_of(response)
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.SENT
    assert 'value="start"' not in html_of(client.get(link_url(answer_token(referral))))


def test_answer_link_cannot_close(client, referral):
    token = answer_token(referral)
    response = client.post(link_url(token), {"outcome": "completed"})
    # The answer form is shown again: the decision is missing; nothing moved.
    assert "Indiquez si vous acceptez ou refusez la prescription." in html_of(response)
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.SENT


# --- notification preferences -------------------------------------------------------------------------


PREFS = reverse("notification_preferences")


def test_preferences_page_shows_the_current_mode(login, membership):
    html = html_of(login(membership).get(PREFS))
    assert "Un récapitulatif par jour" in html
    assert 'value="immediate" id="id_mode_0" required checked' in html


def test_preferences_are_saved(login, membership):
    response = login(membership).post(PREFS, {"mode": "digest"})
    assert response.status_code == 302
    assert preference_of(membership.user) == "digest"


def test_unknown_preference_is_refused(login, membership):
    response = login(membership).post(PREFS, {"mode": "pigeon"})
    assert "Choisissez un mode de réception proposé." in html_of(response)
    assert preference_of(membership.user) == "immediate"


def test_preferences_send_anonymous_to_login(client):
    response = client.get(PREFS)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
