"""The receiving organisation's inbox, the page of one referral (recipient and sender sides), its
action forms, and the pathway's referrals tab. Refused readers get a 404 (or 403 on the inbox for a
role that does not accompany people), never a hint that the referral exists."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from parcours.audit.models import AuditAction, AuditEntry
from parcours.organisations.enums import Role
from parcours.pathways.models import FollowUpMember
from parcours.people.enums import ConsentDecision, ConsentPurpose, DataCategory
from parcours.people.models import Consent
from parcours.referrals.enums import ReferralStatus
from parcours.referrals.models import Referral, ReferralTransition
from parcours.referrals.services import referral_accept
from tests.directory.factories import ServiceFactory
from tests.factories import ConsentFactory, FollowUpMemberFactory, MembershipFactory, PathwayFactory
from tests.www.referrals.conftest import html_of, shows

pytestmark = pytest.mark.django_db

INBOX = reverse("referral_inbox")


def detail(referral):
    return reverse("referral_detail", args=[referral.pk])


def action(referral, name):
    return reverse("referral_action", args=[referral.pk, name])


def make_overdue(referral, days):
    Referral.objects.filter(pk=referral.pk).update(due_at=timezone.now() - datetime.timedelta(days=days, hours=1))


# --- inbox ----------------------------------------------------------------------------------------


def test_inbox_lists_the_received_referral_with_its_countdown(login, recipient, pathway, membership, service, send):
    send(pathway, service, membership)
    html = html_of(login(recipient).get(INBOX))
    assert shows(html, pathway.person.full_name)
    assert shows(html, service.nom)
    assert shows(html, membership.organisation.name)
    assert "reste 10 jours" in html
    assert "fr-table" in html


def test_inbox_shows_overdue_referrals_and_filters_them(login, recipient, pathway, membership, service, send):
    late = send(pathway, service, membership)
    make_overdue(late, 2)
    other_pathway = PathwayFactory(referent=membership)
    send(other_pathway, service, membership)
    client = login(recipient)
    html = html_of(client.get(INBOX))
    assert "en retard de 2 jours" in html
    html = html_of(client.get(INBOX, {"overdue": "on"}))
    assert shows(html, pathway.person.full_name)
    assert not shows(html, other_pathway.person.full_name)


def test_inbox_filters_by_state_and_service(login, recipient, pathway, membership, service, association, send):
    other_service = ServiceFactory(operator=association, nom="Permanence logement")
    first = send(pathway, service, membership)
    other_pathway = PathwayFactory(referent=membership)
    send(other_pathway, other_service, membership)
    referral_accept(referral=first, membership=recipient, acting_user=recipient.user)
    client = login(recipient)
    html = html_of(client.get(INBOX, {"status": "accepted"}))
    assert shows(html, pathway.person.full_name) and not shows(html, other_pathway.person.full_name)
    html = html_of(client.get(INBOX, {"service": other_service.pk}))
    assert shows(html, other_pathway.person.full_name) and not shows(html, pathway.person.full_name)


def test_inbox_of_another_organisation_does_not_show_it(login, pathway, membership, service, send):
    send(pathway, service, membership)
    html = html_of(login(MembershipFactory()).get(INBOX))
    assert not shows(html, pathway.person.full_name)
    assert "aucune prescription" in html


@pytest.mark.parametrize("role", [Role.PILOTE, Role.ADMIN_STRUCTURE])
def test_inbox_refused_to_a_role_that_does_not_accompany(login, association, role):
    response = login(MembershipFactory(organisation=association, role=role)).get(INBOX)
    assert response.status_code == 403


def test_inbox_sends_anonymous_to_login(client):
    response = client.get(INBOX)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- detail, recipient side --------------------------------------------------------------------------


def test_recipient_opening_marks_seen_once_and_audits_each_read(login, recipient, pathway, membership, service, send):
    referral = send(pathway, service, membership)
    client = login(recipient)
    html = html_of(client.get(detail(referral)))
    assert shows(html, pathway.person.full_name)
    assert shows(html, referral.message)
    assert "Coordonnées" in html
    assert "Accepter" in html and "Refuser" in html
    html_of(client.get(detail(referral)))
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SEEN
    assert ReferralTransition.objects.filter(referral=referral, to_status=ReferralStatus.SEEN).count() == 1
    reads = AuditEntry.objects.filter(
        action=AuditAction.READ, object_type="referrals.referral", object_id=str(referral.pk), actor=recipient.user
    )
    assert reads.count() == 2


def test_recipient_page_shows_the_snapshot_not_the_live_record(login, recipient, pathway, membership, service, send):
    referral = send(pathway, service, membership)
    person = pathway.person
    person.first_name = "Nouveauprénom"
    person.save()
    html = html_of(login(recipient).get(detail(referral)))
    assert "Nouveauprénom" not in html


def test_member_of_another_organisation_gets_404(login, pathway, membership, service, send):
    referral = send(pathway, service, membership)
    assert login(MembershipFactory()).get(detail(referral)).status_code == 404


@pytest.mark.parametrize("role", [Role.PILOTE, Role.ADMIN_STRUCTURE])
def test_non_accompanying_role_of_the_recipient_organisation_gets_404(
    login, association, pathway, membership, service, send, role
):
    referral = send(pathway, service, membership)
    other = MembershipFactory(organisation=association, role=role)
    client = login(other)
    assert client.get(detail(referral)).status_code == 404
    assert client.post(action(referral, "accept")).status_code == 404
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.SENT


def test_withdrawn_referral_consent_replaces_the_sensitive_section(
    login, recipient, association, pathway, membership, service, send
):
    person = pathway.person
    person.disability_note = "Poste de travail adapté"
    person.save()
    # The sender reads it (accompaniment consent) and the person agreed to send it (referral consent).
    ConsentFactory(person=person, organisation=membership.organisation, category=DataCategory.DISABILITY)
    given = ConsentFactory(
        person=person, organisation=association, category=DataCategory.DISABILITY, purpose=ConsentPurpose.REFERRAL
    )
    referral = send(pathway, service, membership, shared_categories=["identity", "disability"])
    client = login(recipient)
    html = html_of(client.get(detail(referral)))
    assert shows(html, "Poste de travail adapté")
    assert "Retiré : la personne a retiré son consentement" not in html
    Consent.objects.filter(pk=given.pk).update(is_current=False, superseded_at=timezone.now())
    ConsentFactory(
        person=person,
        organisation=association,
        category=DataCategory.DISABILITY,
        purpose=ConsentPurpose.REFERRAL,
        decision=ConsentDecision.WITHDRAWN,
    )
    html = html_of(client.get(detail(referral)))
    assert shows(html, str(DataCategory.DISABILITY.label))
    assert "Retiré : la personne a retiré son consentement le " + timezone.localdate().strftime("%d/%m/%Y") in html
    assert not shows(html, "Poste de travail adapté")


def test_anonymous_is_sent_to_login(client, pathway, membership, service, send):
    referral = send(pathway, service, membership)
    response = client.get(detail(referral))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_unknown_referral_is_404(login, recipient):
    assert login(recipient).get(reverse("referral_detail", args=[999999])).status_code == 404


# --- detail, sender side -------------------------------------------------------------------------------


def test_sender_side_sees_status_and_cancel_form_without_marking_seen(login, pathway, membership, service, send):
    referral = send(pathway, service, membership)
    member = FollowUpMemberFactory(pathway=pathway).membership
    html = html_of(login(member).get(detail(referral)))
    assert "Annuler la prescription" in html
    assert "Accepter" not in html
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.SENT


def test_sender_cancels_before_an_answer(login, pathway, membership, service, send):
    referral = send(pathway, service, membership)
    client = login(membership)
    response = client.post(action(referral, "cancel"), {"reason": "La personne a trouvé une place ailleurs."})
    assert response.status_code == 302
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.CANCELLED
    assert "Prescription annulée" in html_of(client.get(detail(referral)))


def test_cancel_without_reason_changes_nothing(login, pathway, membership, service, send):
    referral = send(pathway, service, membership)
    client = login(membership)
    client.post(action(referral, "cancel"), {"reason": ""})
    html = html_of(client.get(detail(referral)))
    assert "Indiquez pourquoi vous annulez cette prescription." in html
    assert "fr-alert--error" in html
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.SENT


def test_sender_cannot_answer_for_the_recipient(login, pathway, membership, service, send):
    referral = send(pathway, service, membership)
    assert login(membership).post(action(referral, "accept")).status_code == 404
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.SENT


def test_cancel_after_acceptance_shows_the_conflict(login, recipient, pathway, membership, service, send):
    referral = send(pathway, service, membership)
    referral_accept(referral=referral, membership=recipient, acting_user=recipient.user)
    client = login(membership)
    client.post(action(referral, "cancel"), {"reason": "Plus nécessaire"})
    html = html_of(client.get(detail(referral)))
    assert shows(html, "Rien n'a été modifié.")
    assert "déjà été acceptée" in html
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.ACCEPTED


# --- recipient actions -----------------------------------------------------------------------------------


def test_recipient_accepts_and_joins_the_group_with_consent(login, recipient, pathway, membership, service, send):
    referral = send(pathway, service, membership, person_agrees_follow_up=True)
    client = login(recipient)
    assert "Rejoindre le groupe de suivi" in html_of(client.get(detail(referral)))
    response = client.post(action(referral, "accept"), {"join_follow_up": "on"})
    assert response.status_code == 302
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.ACCEPTED
    assert FollowUpMember.objects.filter(pathway=pathway, membership=recipient, ended_at__isnull=True).exists()


def test_join_option_hidden_without_the_persons_agreement(login, recipient, pathway, membership, service, send):
    referral = send(pathway, service, membership)
    assert "Rejoindre le groupe de suivi" not in html_of(login(recipient).get(detail(referral)))


def test_refuse_with_unknown_reason_changes_nothing(login, recipient, pathway, membership, service, send):
    referral = send(pathway, service, membership)
    client = login(recipient)
    client.post(action(referral, "refuse"), {"reason": "humeur"})
    html = html_of(client.get(detail(referral)))
    assert "Choisissez un motif de refus dans la liste." in html
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.SEEN


def test_refuse_other_without_detail_changes_nothing(login, recipient, pathway, membership, service, send):
    referral = send(pathway, service, membership)
    client = login(recipient)
    client.post(action(referral, "refuse"), {"reason": "other", "detail": ""})
    html = html_of(client.get(detail(referral)))
    assert "Précisez le motif du refus." in html
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.SEEN


def test_refuse_after_another_colleague_accepted_shows_the_conflict(
    login, recipient, association, pathway, membership, service, send
):
    referral = send(pathway, service, membership)
    colleague = MembershipFactory(organisation=association)
    referral_accept(referral=referral, membership=colleague, acting_user=colleague.user)
    client = login(recipient)
    response = client.post(action(referral, "refuse"), {"reason": "no_place"})
    assert response.status_code == 302
    html = html_of(client.get(detail(referral)))
    assert "déjà été acceptée" in html
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.ACCEPTED


def test_recipient_starts_then_closes_with_an_outcome(login, recipient, pathway, membership, service, send):
    referral = send(pathway, service, membership)
    client = login(recipient)
    client.post(action(referral, "accept"))
    client.post(action(referral, "start"))
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.STARTED
    client.post(action(referral, "close"), {"outcome": "completed"})
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.CLOSED and referral.outcome == "completed"
    html = html_of(client.get(detail(referral)))
    assert "Accompagnement mené à son terme" in html
    assert "Aucune action possible" in html


def test_close_with_unknown_outcome_changes_nothing(login, recipient, pathway, membership, service, send):
    referral = send(pathway, service, membership)
    client = login(recipient)
    client.post(action(referral, "accept"))
    client.post(action(referral, "close"), {"outcome": "magie"})
    html = html_of(client.get(detail(referral)))
    assert shows(html, "Choisissez l'issue de l'accompagnement dans la liste.")
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.ACCEPTED


def test_outsider_cannot_act(login, pathway, membership, service, send):
    referral = send(pathway, service, membership)
    assert login(MembershipFactory()).post(action(referral, "accept")).status_code == 404
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.SENT


def test_unknown_action_is_404(login, recipient, pathway, membership, service, send):
    referral = send(pathway, service, membership)
    assert login(recipient).post(action(referral, "explode")).status_code == 404


# --- the pathway's tab and the sender's list ----------------------------------------------------------------


def test_pathway_tab_lists_its_referrals(login, pathway, membership, service, send):
    send(pathway, service, membership)
    html = html_of(login(membership).get(reverse("pathway_referrals", args=[pathway.pk])))
    assert shows(html, service.nom)
    assert "Envoyée" in html
    assert 'aria-current="page">Prescriptions<' in html


def test_pathway_tab_refused_to_an_outsider(login, pathway):
    assert login(MembershipFactory()).get(reverse("pathway_referrals", args=[pathway.pk])).status_code == 404


def test_pathway_tab_refused_to_the_recipient(login, recipient, pathway, membership, service, send):
    send(pathway, service, membership)
    assert login(recipient).get(reverse("pathway_referrals", args=[pathway.pk])).status_code == 404


def test_sent_list_shows_my_referrals_only(login, pathway, membership, service, send):
    send(pathway, service, membership)
    html = html_of(login(membership).get(reverse("referral_sent")))
    assert shows(html, pathway.person.full_name)
    html = html_of(login(MembershipFactory()).get(reverse("referral_sent")))
    assert not shows(html, pathway.person.full_name)


def test_sent_list_leaves_out_a_pathway_the_sender_left(login, pathway, membership, service, send):
    send(pathway, service, membership)
    FollowUpMember.objects.filter(pathway=pathway, membership=membership).update(ended_at=timezone.now())
    html = html_of(login(membership).get(reverse("referral_sent")))
    assert not shows(html, pathway.person.full_name)


def test_health_referral_hidden_from_a_member_without_health_consent(login, pathway, membership, service, send):
    ConsentFactory(person=pathway.person, organisation=membership.organisation, category=DataCategory.HEALTH)
    referral = send(pathway, service, membership, theme="sante")
    member = FollowUpMemberFactory(pathway=pathway).membership
    client = login(member)
    assert not shows(html_of(client.get(reverse("pathway_referrals", args=[pathway.pk]))), service.nom)
    assert client.get(detail(referral)).status_code == 404
    assert not shows(html_of(client.get(reverse("referral_sent"))), pathway.person.full_name)
    assert shows(html_of(login(membership).get(reverse("pathway_referrals", args=[pathway.pk]))), service.nom)
