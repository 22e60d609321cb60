"""The consent tab: current consents, the full ledger, recording a decision."""

import pytest
from django.urls import reverse

from parcours.organisations.enums import Role
from parcours.people.enums import ConsentDecision, DataCategory
from parcours.people.models import Consent
from tests.factories import ConsentFactory, OrganisationFactory
from tests.www.pathways.conftest import html_of, shows


def _decision(**overrides):
    data = {
        "organisation": "",
        "role": "",
        "category": DataCategory.RESIDENCE_STATUS,
        "purpose": "accompaniment",
        "decision": "given",
        "channel": "in_person",
    }
    data.update(overrides)
    return data


def _post(client, pathway, data):
    return client.post(reverse("pathway_consents", args=[pathway.pk]), data)


@pytest.mark.django_db
def test_member_records_an_organisation_consent(login, membership, pathway):
    response = _post(login(membership), pathway, _decision(organisation=membership.organisation.pk))
    assert response.status_code == 302
    consent = Consent.objects.get(person=pathway.person)
    assert consent.organisation == membership.organisation
    assert consent.recorded_by == membership.user
    assert consent.is_current


@pytest.mark.django_db
def test_member_records_a_role_consent(login, membership, pathway):
    response = _post(login(membership), pathway, _decision(role=Role.REFERENT_RSA, category=DataCategory.DISABILITY))
    assert response.status_code == 302
    consent = Consent.objects.get(person=pathway.person)
    assert consent.role == Role.REFERENT_RSA
    assert consent.organisation is None


@pytest.mark.django_db
def test_organisation_and_role_together_are_refused(login, membership, pathway):
    response = _post(login(membership), pathway, _decision(organisation=membership.organisation.pk, role="conseiller"))
    assert response.status_code == 200
    assert "Choisissez une organisation ou un rôle, pas les deux." in html_of(response)
    assert not Consent.objects.exists()


@pytest.mark.django_db
def test_no_grantee_is_refused(login, membership, pathway):
    response = _post(login(membership), pathway, _decision())
    assert "Choisissez une organisation ou un rôle, pas les deux." in html_of(response)
    assert not Consent.objects.exists()


@pytest.mark.django_db
def test_withdrawing_a_consent_that_does_not_exist_is_refused(login, membership, pathway):
    response = _post(
        login(membership), pathway, _decision(organisation=membership.organisation.pk, decision="withdrawn")
    )
    assert response.status_code == 200
    assert "Aucun consentement en cours à retirer pour ce destinataire." in html_of(response)
    assert not Consent.objects.exists()


@pytest.mark.django_db
def test_portal_channel_is_not_offered_to_professionals(login, membership, pathway):
    response = _post(login(membership), pathway, _decision(organisation=membership.organisation.pk, channel="portal"))
    assert response.status_code == 200
    assert "Sélectionnez un choix valide" in html_of(response)
    assert not Consent.objects.exists()


@pytest.mark.django_db
def test_unknown_organisation_is_refused(login, membership, pathway):
    response = _post(login(membership), pathway, _decision(organisation=999999))
    assert response.status_code == 200
    assert not Consent.objects.exists()


@pytest.mark.django_db
def test_orientation_officer_outside_the_group_cannot_record_a_consent(login, orientation_officer, pathway):
    response = _post(login(orientation_officer), pathway, _decision(organisation=orientation_officer.organisation.pk))
    assert response.status_code == 403
    assert not Consent.objects.exists()


@pytest.mark.django_db
def test_withdrawal_supersedes_and_hides_the_section_for_that_organisation(
    login, membership, plain_member, refugee_pathway
):
    from parcours.pathways.models import FollowUpMember

    FollowUpMember.objects.create(pathway=refugee_pathway, membership=plain_member)
    referent_client = login(membership)
    _post(referent_client, refugee_pathway, _decision(organisation=plain_member.organisation.pk))
    member_client = login(plain_member)
    summary = reverse("pathway", args=[refugee_pathway.pk])
    assert "Carte de résident" in html_of(member_client.get(summary))
    referent_client = login(membership)
    response = _post(
        referent_client, refugee_pathway, _decision(organisation=plain_member.organisation.pk, decision="withdrawn")
    )
    assert response.status_code == 302
    member_client = login(plain_member)
    assert "Carte de résident" not in html_of(member_client.get(summary))
    ledger = Consent.objects.filter(person=refugee_pathway.person).order_by("id")
    assert [c.is_current for c in ledger] == [False, True]
    assert ledger[0].superseded_at is not None


@pytest.mark.django_db
def test_ledger_shows_current_and_superseded_entries(login, membership, pathway):
    ConsentFactory(
        person=pathway.person,
        organisation=membership.organisation,
        is_current=False,
        superseded_at="2025-01-02T10:00:00Z",
    )
    ConsentFactory(person=pathway.person, organisation=membership.organisation, decision=ConsentDecision.WITHDRAWN)
    html = html_of(login(membership).get(reverse("pathway_consents", args=[pathway.pk])))
    assert "Remplacée le 02/01/2025" in html
    assert "En vigueur" in html
    assert shows(html, "Retiré")
    assert "En entretien" in html


@pytest.mark.django_db
def test_consent_form_offers_organisations_of_the_territory(login, membership, pathway):
    local = OrganisationFactory(name="CCAS de Rezé", departement=pathway.departement)
    html = html_of(login(membership).get(reverse("pathway_consents", args=[pathway.pk])))
    assert local.name in html


@pytest.mark.django_db
def test_consent_page_stays_within_15_queries(login, membership, pathway, django_assert_max_num_queries):
    for _ in range(30):
        ConsentFactory(person=pathway.person)
    client = login(membership)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("pathway_consents", args=[pathway.pk]))
    assert response.status_code == 200
