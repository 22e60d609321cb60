"""Editing the person record, one section at a time, through person_update."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from parcours.audit.models import AuditAction, AuditEntry
from parcours.pathways.enums import EventKind
from parcours.pathways.models import Event
from parcours.people.enums import DataCategory
from parcours.people.models import Person
from tests.factories import ConsentFactory
from tests.www.pathways.conftest import html_of, shows


def _identity(person, **overrides):
    data = {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "birth_name": "",
        "sex": person.sex,
        "birth_date": person.birth_date.isoformat(),
        "birth_place": "",
        "nir": "",
        "france_travail_id": "",
        "caf_number": "",
        "ofii_number": person.ofii_number,
    }
    data.update(overrides)
    return data


def _situation(**overrides):
    data = {
        "languages": "fr, ar",
        "nationality": "SY",
        "arrival_date": "2022-05-01",
        "household": "couple",
        "driving_licence": "none",
        "max_travel_minutes": "45",
        "education_level": "4",
        "rsa_status": "open",
        "are_status": "none",
    }
    data.update(overrides)
    return data


def _url(pathway, section):
    return reverse("pathway_person_edit", args=[pathway.pk, section])


@pytest.mark.django_db
def test_identity_update_is_saved_with_event_and_audit(login, membership, pathway):
    response = login(membership).post(_url(pathway, "identity"), _identity(pathway.person, first_name="Amina"))
    assert response.status_code == 302
    assert response.url == reverse("pathway", args=[pathway.pk])
    assert Person.objects.get(pk=pathway.person.pk).first_name == "Amina"
    assert Event.objects.filter(pathway=pathway, kind=EventKind.PERSON_UPDATED).count() == 1
    assert AuditEntry.objects.filter(person=pathway.person, action=AuditAction.UPDATE).count() == 1


@pytest.mark.django_db
def test_edit_form_is_prefilled(login, membership, refugee_pathway):
    html = html_of(login(membership).get(_url(refugee_pathway, "situation")))
    assert 'value="prs, ps"' in html
    assert 'value="AF"' in html


@pytest.mark.django_db
def test_birth_date_in_future_is_refused_and_nothing_written(login, membership, pathway):
    before = pathway.person.birth_date
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    response = login(membership).post(_url(pathway, "identity"), _identity(pathway.person, birth_date=future))
    assert response.status_code == 200
    assert "La date ne peut pas être dans le futur." in html_of(response)
    assert Person.objects.get(pk=pathway.person.pk).birth_date == before
    assert not Event.objects.filter(pathway=pathway, kind=EventKind.PERSON_UPDATED).exists()


@pytest.mark.django_db
def test_malformed_nir_is_refused_and_nothing_written(login, membership, pathway):
    response = login(membership).post(_url(pathway, "identity"), _identity(pathway.person, nir="12345"))
    assert "Le NIR doit compter 13 ou 15 caractères" in html_of(response)
    assert Person.objects.get(pk=pathway.person.pk).nir == ""


@pytest.mark.django_db
def test_malformed_caf_number_is_refused(login, membership, pathway):
    response = login(membership).post(_url(pathway, "identity"), _identity(pathway.person, caf_number="12AB"))
    assert shows(html_of(response), "Le numéro d'allocataire CAF compte 7 chiffres.")
    assert Person.objects.get(pk=pathway.person.pk).caf_number == ""


@pytest.mark.django_db
def test_unknown_language_code_is_refused_and_nothing_written(login, membership, pathway):
    response = login(membership).post(_url(pathway, "situation"), _situation(languages="fr, zz"))
    assert "Code de langue inconnu : zz." in html_of(response)
    person = Person.objects.get(pk=pathway.person.pk)
    assert person.languages == ["fr"]
    assert person.nationality == ""


@pytest.mark.django_db
def test_situation_update_saves_languages_as_a_list(login, membership, pathway):
    response = login(membership).post(_url(pathway, "situation"), _situation())
    assert response.status_code == 302
    person = Person.objects.get(pk=pathway.person.pk)
    assert person.languages == ["fr", "ar"]
    assert person.nationality == "SY"
    assert person.rsa_status == "open"


@pytest.mark.django_db
def test_unknown_commune_is_refused(login, membership, pathway):
    data = {"email": "", "phone": "", "address": "", "commune": "99999"}
    response = login(membership).post(_url(pathway, "contact"), data)
    assert "Commune inconnue" in html_of(response)
    assert Person.objects.get(pk=pathway.person.pk).commune_id == pathway.person.commune_id


@pytest.mark.django_db
def test_sensitive_section_refused_without_consent(login, membership, refugee_pathway):
    client = login(membership)
    assert client.get(_url(refugee_pathway, "residence_status")).status_code == 403
    response = client.post(
        _url(refugee_pathway, "residence_status"),
        {"residence_permit_kind": "none", "right_to_work": "false"},
    )
    assert response.status_code == 403
    assert Person.objects.get(pk=refugee_pathway.person.pk).residence_permit_kind == "resident_card"


@pytest.mark.django_db
def test_sensitive_section_editable_with_consent(login, membership, refugee_pathway):
    ConsentFactory(person=refugee_pathway.person, organisation=membership.organisation)
    data = {
        "residence_permit_kind": "multiyear_card",
        "right_to_work": "true",
        "residence_permit_issued_on": "2024-01-10",
        "residence_permit_valid_until": "2028-01-09",
    }
    response = login(membership).post(_url(refugee_pathway, "residence_status"), data)
    assert response.status_code == 302
    person = Person.objects.get(pk=refugee_pathway.person.pk)
    assert person.residence_permit_kind == "multiyear_card"
    # the timeline names the category, never the value
    event = Event.objects.get(pathway=refugee_pathway, kind=EventKind.PERSON_UPDATED)
    assert "Droit au séjour" in event.summary
    assert "multiyear" not in event.summary and "pluriannuelle" not in event.summary


@pytest.mark.django_db
def test_permit_expiry_before_issue_is_refused_and_nothing_written(login, membership, refugee_pathway):
    ConsentFactory(
        person=refugee_pathway.person, organisation=membership.organisation, category=DataCategory.RESIDENCE_STATUS
    )
    data = {
        "residence_permit_kind": "temporary_card",
        "right_to_work": "true",
        "residence_permit_issued_on": "2024-06-01",
        "residence_permit_valid_until": "2024-01-01",
    }
    response = login(membership).post(_url(refugee_pathway, "residence_status"), data)
    assert response.status_code == 200
    assert shows(html_of(response), "La date d'expiration doit suivre la date de délivrance.")
    assert Person.objects.get(pk=refugee_pathway.person.pk).residence_permit_kind == "resident_card"


@pytest.mark.django_db
def test_unknown_section_is_404(login, membership, pathway):
    assert login(membership).get(_url(pathway, "health")).status_code == 404


@pytest.mark.django_db
def test_orientation_officer_outside_the_group_cannot_edit(login, orientation_officer, pathway):
    response = login(orientation_officer).post(_url(pathway, "identity"), _identity(pathway.person, first_name="X"))
    assert response.status_code == 403
    assert Person.objects.get(pk=pathway.person.pk).first_name != "X"


@pytest.mark.django_db
def test_outsider_cannot_post_an_edit(login, outsider, pathway):
    response = login(outsider).post(_url(pathway, "identity"), _identity(pathway.person, first_name="X"))
    assert response.status_code == 404
    assert Person.objects.get(pk=pathway.person.pk).first_name != "X"
