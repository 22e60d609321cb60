"""Sending a referral from a pathway: the page, the sharing profile, bad input (nothing created)
and who may open it."""

import pytest
from django.urls import reverse

from parcours.people.enums import ConsentPurpose, DataCategory
from parcours.referrals.enums import ReferralStatus
from parcours.referrals.models import Referral
from tests.directory.factories import ServiceFactory
from tests.factories import ConsentFactory, FollowUpMemberFactory, MembershipFactory
from tests.www.referrals.conftest import html_of, shows

pytestmark = pytest.mark.django_db


def create_url(pathway, service=None):
    url = reverse("referral_create", args=[pathway.pk])
    return f"{url}?service={service.pk}" if service is not None else url


def post_data(service, **overrides):
    data = {
        "service": service.pk,
        "theme": "emploi",
        "message": "Bonjour, je vous adresse Mme X pour l'atelier du mardi.",
        "shared_categories": ["contact"],
    }
    data.update(overrides)
    return data


def test_page_shows_the_service_its_answer_delay_and_places(login, membership, pathway, service):
    html = html_of(login(membership).get(create_url(pathway, service)))
    assert shows(html, service.nom)
    assert shows(html, service.structure.nom)
    assert "Réponse attendue sous 10 jours" in html
    assert "3 places libres" in html
    assert shows(html, "La personne accepte que le ou la professionnel·le qui l'accueille rejoigne son groupe de suivi")


def test_page_without_a_service_sends_to_the_directory(login, membership, pathway):
    html = html_of(login(membership).get(create_url(pathway)))
    assert shows(html, "Choisissez d'abord un service")
    assert f"?parcours={pathway.pk}" in html


def test_unknown_service_is_not_found(login, membership, pathway):
    response = login(membership).get(reverse("referral_create", args=[pathway.pk]) + "?service=999999")
    assert response.status_code == 404


def test_referent_sends_a_referral_and_lands_on_its_page(login, membership, pathway, service):
    client = login(membership)
    response = client.post(create_url(pathway, service), post_data(service, person_agrees_follow_up="on"))
    referral = Referral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("referral_detail", args=[referral.pk])
    assert referral.status == ReferralStatus.SENT
    assert referral.shared_categories == ["identity", "contact"]
    assert referral.person_agrees_follow_up is True
    html = html_of(client.get(response["Location"]))
    assert "La prescription a été envoyée" in html


def test_any_member_of_the_group_may_send(login, pathway, service):
    member = FollowUpMemberFactory(pathway=pathway).membership
    client = login(member)
    assert client.get(create_url(pathway, service)).status_code == 200
    client.post(create_url(pathway, service), post_data(service))
    assert Referral.objects.filter(sender=member).count() == 1


def test_blank_message_shows_the_french_message_and_creates_nothing(login, membership, pathway, service):
    response = login(membership).post(create_url(pathway, service), post_data(service, message="  "))
    html = html_of(response)
    assert response.status_code == 200
    assert shows(html, "Rédigez un message pour présenter la demande à la structure.")
    assert not Referral.objects.exists()


def test_archived_service_shows_the_french_message_and_creates_nothing(login, membership, pathway, association):
    archived = ServiceFactory(operator=association, archived=True)
    client = login(membership)
    html = html_of(client.get(create_url(pathway, archived)))
    assert shows(html, "Ce service ne reçoit pas de prescription")
    response = client.post(create_url(pathway, archived), post_data(archived))
    html = html_of(response)
    assert shows(html, "Ce service est archivé : il ne reçoit plus de prescriptions. Choisissez-en un autre.")
    assert not Referral.objects.exists()


def test_unknown_theme_is_refused(login, membership, pathway, service):
    response = login(membership).post(create_url(pathway, service), post_data(service, theme="astrologie"))
    assert shows(html_of(response), "Choisissez le besoin auquel répond la prescription dans la liste.")
    assert not Referral.objects.exists()


def test_sensitive_category_without_consent_is_disabled_for_a_member_who_may_not_override(login, pathway, service):
    member = FollowUpMemberFactory(pathway=pathway).membership
    # The member may read the residence status (consent for their organisation), not send it.
    ConsentFactory(person=pathway.person, organisation=member.organisation, category=DataCategory.RESIDENCE_STATUS)
    html = html_of(login(member).get(create_url(pathway, service)))
    assert 'value="residence_status" id="id_shared_categories_residence_status" disabled' in html
    assert shows(html, "La personne n'a pas consenti à transmettre ces données à Association Accueil 44.")
    assert "Motif de la dérogation" not in html


def test_sensitive_category_with_consent_for_the_recipient_is_enabled(login, pathway, service, association):
    member = FollowUpMemberFactory(pathway=pathway).membership
    ConsentFactory(person=pathway.person, organisation=member.organisation, category=DataCategory.RESIDENCE_STATUS)
    ConsentFactory(
        person=pathway.person,
        organisation=association,
        category=DataCategory.RESIDENCE_STATUS,
        purpose=ConsentPurpose.REFERRAL,
    )
    html = html_of(login(member).get(create_url(pathway, service)))
    assert 'value="residence_status" id="id_shared_categories_residence_status" aria-describedby' in html
    assert "la personne a consenti à la transmettre" in html


def test_referent_override_without_reason_is_refused_and_creates_nothing(login, membership, pathway, service):
    ConsentFactory(person=pathway.person, organisation=membership.organisation, category=DataCategory.RESIDENCE_STATUS)
    client = login(membership)
    html = html_of(client.get(create_url(pathway, service)))
    assert "Motif de la dérogation au consentement" in html
    response = client.post(
        create_url(pathway, service), post_data(service, shared_categories=["contact", "residence_status"])
    )
    html = html_of(response)
    assert shows(html, "La personne n'a pas consenti à transmettre ces données à Association Accueil 44")
    assert not Referral.objects.exists()


def test_referent_override_with_a_reason_is_sent(login, membership, pathway, service):
    ConsentFactory(person=pathway.person, organisation=membership.organisation, category=DataCategory.RESIDENCE_STATUS)
    response = login(membership).post(
        create_url(pathway, service),
        post_data(
            service,
            shared_categories=["residence_status"],
            override_reason="Titre de séjour à renouveler en urgence pour l'entrée en formation.",
        ),
    )
    assert response.status_code == 302
    referral = Referral.objects.get()
    assert "residence_status" in referral.shared_categories
    assert referral.overridden_by == membership.user


def test_outsider_gets_404(login, pathway, service):
    assert login(MembershipFactory()).get(create_url(pathway, service)).status_code == 404


def test_pilote_gets_404(login, pathway, service):
    assert login(MembershipFactory(pilote=True)).get(create_url(pathway, service)).status_code == 404


def test_anonymous_is_sent_to_login(client, pathway, service):
    response = client.get(create_url(pathway, service))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_service_page_from_a_pathway_search_offers_the_referral(login, membership, pathway, service):
    url = reverse("directory_service", args=[service.pk]) + f"?parcours={pathway.pk}"
    html = html_of(login(membership).get(url))
    assert "Orienter vers ce service" in html
    assert create_url(pathway, service) in html


def test_service_page_outside_a_pathway_offers_no_referral(login, membership, service):
    html = html_of(login(membership).get(reverse("directory_service", args=[service.pk])))
    assert "Orienter vers ce service" not in html
