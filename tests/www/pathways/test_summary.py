"""The summary tab: what it shows, what it hides without consent, and its query budget."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from parcours.audit.models import AuditAction
from parcours.audit.services import audit_log
from parcours.diagnostics.models import Diagnostic
from parcours.organisations.enums import Role
from parcours.pathways.enums import EventKind
from parcours.pathways.models import Event
from parcours.people.enums import ConsentChannel, ConsentDecision, ConsentPurpose, DataCategory
from parcours.people.models import Child, WorkExperience
from parcours.people.services import consent_record
from tests.factories import (
    AppointmentFactory,
    ConsentFactory,
    GoalFactory,
    RomeJobFactory,
)
from tests.www.pathways.conftest import html_of

NOT_SHARED = "Certaines informations ne sont pas partagées avec votre organisation."


def _summary(client, pathway) -> str:
    response = client.get(reverse("pathway", args=[pathway.pk]))
    assert response.status_code == 200
    return html_of(response)


@pytest.mark.django_db
def test_summary_shows_identity_contact_and_situation(login, membership, refugee_pathway):
    person = refugee_pathway.person
    person.email, person.household = "amina@example.org", "single_parent"
    person.save()
    Child.objects.create(person=person, birth_date=timezone.localdate() - datetime.timedelta(days=400))
    WorkExperience.objects.create(person=person, rome=RomeJobFactory(), years=3, country="AF")
    html = _summary(login(membership), refugee_pathway)
    assert person.first_name in html
    assert "amina@example.org" in html
    assert "Dari, Pachto" in html
    assert "Parent isolé" in html
    assert "13 mois" in html
    assert "Aucune solution" in html
    assert "J1501" in html and "Aide-soignant" in html


@pytest.mark.django_db
def test_sensitive_sections_hidden_without_consent(login, membership, refugee_pathway):
    html = _summary(login(membership), refugee_pathway)
    assert "Droit au séjour" not in html
    assert "Carte de résident" not in html
    assert "Réfugié·e" not in html
    assert "RQTH" not in html
    assert NOT_SHARED in html


@pytest.mark.django_db
def test_neutral_sentence_shown_even_when_no_sensitive_data_exists(login, membership, pathway):
    html = _summary(login(membership), pathway)
    assert NOT_SHARED in html


@pytest.mark.django_db
def test_sensitive_section_shown_with_organisation_consent(login, membership, refugee_pathway):
    ConsentFactory(person=refugee_pathway.person, organisation=membership.organisation)
    html = _summary(login(membership), refugee_pathway)
    assert "Droit au séjour" in html
    assert "Carte de résident (10 ans)" in html
    # only the consented category
    assert "Réfugié·e (BPI)" not in html


@pytest.mark.django_db
def test_sensitive_section_shown_with_role_consent(login, membership, refugee_pathway):
    ConsentFactory(
        person=refugee_pathway.person,
        organisation=None,
        role=Role.CONSEILLER,
        category=DataCategory.ASYLUM_HISTORY,
    )
    html = _summary(login(membership), refugee_pathway)
    assert "Réfugié·e (BPI)" in html
    assert "Carte de résident" not in html


@pytest.mark.django_db
def test_consent_for_another_organisation_does_not_reveal(login, membership, refugee_pathway):
    ConsentFactory(person=refugee_pathway.person)  # another organisation
    html = _summary(login(membership), refugee_pathway)
    assert "Carte de résident" not in html


@pytest.mark.django_db
def test_withdrawal_hides_the_section_on_the_next_request(login, membership, refugee_pathway):
    client = login(membership)
    consent_record(
        person=refugee_pathway.person,
        organisation=membership.organisation,
        category=DataCategory.DISABILITY,
        purpose=ConsentPurpose.ACCOMPANIMENT,
        decision=ConsentDecision.GIVEN,
        channel=ConsentChannel.IN_PERSON,
        membership=membership,
        acting_user=membership.user,
        pathway=refugee_pathway,
    )
    assert "RQTH" in _summary(client, refugee_pathway)
    consent_record(
        person=refugee_pathway.person,
        organisation=membership.organisation,
        category=DataCategory.DISABILITY,
        purpose=ConsentPurpose.ACCOMPANIMENT,
        decision=ConsentDecision.WITHDRAWN,
        channel=ConsentChannel.PHONE,
        membership=membership,
        acting_user=membership.user,
        pathway=refugee_pathway,
    )
    assert "RQTH" not in _summary(client, refugee_pathway)


@pytest.mark.django_db
def test_summary_shows_goal_count_next_three_appointments_and_latest_diagnostic(login, membership, pathway):
    GoalFactory.create_batch(2, pathway=pathway)
    GoalFactory(pathway=pathway, status="achieved")
    now = timezone.now()
    for days in (1, 2, 3, 4):
        AppointmentFactory(
            pathway=pathway,
            with_member=membership,
            subject=f"RDV J+{days}",
            starts_at=now + datetime.timedelta(days=days),
        )
    AppointmentFactory(
        pathway=pathway, with_member=membership, subject="RDV passé", starts_at=now - datetime.timedelta(days=1)
    )
    Diagnostic.objects.create(
        person=pathway.person,
        version=1,
        recorded_at=timezone.make_aware(datetime.datetime(2025, 3, 14, 10, 0)),
        recorded_by=membership.user,
        organisation=membership.organisation,
    )
    html = _summary(login(membership), pathway)
    assert '<p class="fr-card__desc fr-h3 fr-mb-0">2</p>' in html
    assert "RDV J+1" in html and "RDV J+3" in html
    assert "RDV J+4" not in html
    assert "RDV passé" not in html
    assert "Enregistré le 14/03/2025" in html


@pytest.mark.django_db
def test_edit_links_offered_to_a_member_only_for_visible_sections(login, membership, refugee_pathway):
    html = _summary(login(membership), refugee_pathway)
    assert reverse("pathway_person_edit", args=[refugee_pathway.pk, "identity"]) in html
    assert reverse("pathway_person_edit", args=[refugee_pathway.pk, "situation"]) in html
    assert reverse("pathway_person_edit", args=[refugee_pathway.pk, "residence_status"]) not in html


@pytest.mark.django_db
def test_summary_stays_within_15_queries_with_a_long_history(
    login, membership, refugee_pathway, django_assert_max_num_queries
):
    person = refugee_pathway.person
    ConsentFactory(person=person, organisation=membership.organisation)
    Event.objects.bulk_create(
        Event(pathway=refugee_pathway, kind=EventKind.NOTE_ADDED, summary=f"Note {i}") for i in range(200)
    )
    for _ in range(200):
        audit_log(actor=membership.user, action=AuditAction.READ, object_type="pathways.pathway", person=person)
    GoalFactory.create_batch(30, pathway=refugee_pathway)
    AppointmentFactory.create_batch(10, pathway=refugee_pathway, with_member=membership)
    for i in range(5):
        Child.objects.create(person=person, birth_date=datetime.date(2015 + i, 1, 1))
        WorkExperience.objects.create(person=person, rome=RomeJobFactory(), years=i)
    client = login(membership)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("pathway", args=[refugee_pathway.pk]))
    assert response.status_code == 200


@pytest.mark.django_db
def test_closed_pathway_summary_offers_no_edit_link(login, membership, pathway):
    from parcours.pathways.services import pathway_close

    pathway_close(pathway=pathway, reason="Emploi durable", membership=membership, acting_user=membership.user)
    response = login(membership).get(reverse("pathway", args=[pathway.pk]))
    # the group of the time of closure still reads the pathway, without editing it
    assert response.status_code == 200
    html = html_of(response)
    assert "Emploi durable" in html
    assert reverse("pathway_person_edit", args=[pathway.pk, "identity"]) not in html
