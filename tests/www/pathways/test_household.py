"""Children, qualifications obtained abroad and work experience on the situation section."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from parcours.audit.models import AuditAction, AuditEntry
from parcours.pathways.enums import EventKind
from parcours.pathways.models import Event
from parcours.people.models import Child, ForeignQualification, WorkExperience
from tests.factories import RomeJobFactory
from tests.www.pathways.conftest import html_of, shows


def _post(client, pathway, name, data, *args):
    return client.post(reverse(name, args=[pathway.pk, *args]), data)


@pytest.mark.django_db
def test_child_added_with_event_and_audit(login, membership, pathway):
    birth = (timezone.localdate() - datetime.timedelta(days=800)).isoformat()
    response = _post(
        login(membership), pathway, "pathway_child_add", {"child-birth_date": birth, "child-childcare": "creche"}
    )
    assert response.status_code == 302
    child = Child.objects.get(person=pathway.person)
    assert child.childcare == "creche"
    assert Event.objects.filter(pathway=pathway, kind=EventKind.PERSON_UPDATED).count() == 1
    assert AuditEntry.objects.filter(object_type="people.child", action=AuditAction.CREATE).count() == 1


@pytest.mark.django_db
def test_child_born_in_the_future_is_refused_and_nothing_written(login, membership, pathway):
    future = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    response = _post(
        login(membership), pathway, "pathway_child_add", {"child-birth_date": future, "child-childcare": "none"}
    )
    assert response.status_code == 200
    assert "La date ne peut pas être dans le futur." in html_of(response)
    assert not Child.objects.exists()
    assert not Event.objects.filter(pathway=pathway, kind=EventKind.PERSON_UPDATED).exists()


@pytest.mark.django_db
def test_child_removed(login, membership, pathway):
    child = Child.objects.create(person=pathway.person, birth_date=datetime.date(2020, 1, 1))
    response = _post(login(membership), pathway, "pathway_child_remove", {}, child.pk)
    assert response.status_code == 302
    assert not Child.objects.exists()


@pytest.mark.django_db
def test_child_of_another_person_cannot_be_removed(login, membership, pathway):
    from tests.factories import PersonFactory

    other_child = Child.objects.create(person=PersonFactory(), birth_date=datetime.date(2020, 1, 1))
    response = _post(login(membership), pathway, "pathway_child_remove", {}, other_child.pk)
    assert response.status_code == 302
    assert Child.objects.filter(pk=other_child.pk).exists()


@pytest.mark.django_db
def test_experience_removed(login, membership, pathway):
    experience = WorkExperience.objects.create(person=pathway.person, rome=RomeJobFactory(), years=2)
    response = _post(login(membership), pathway, "pathway_experience_remove", {}, experience.pk)
    assert response.status_code == 302
    assert not WorkExperience.objects.filter(pk=experience.pk).exists()


@pytest.mark.django_db
def test_qualification_added(login, membership, pathway):
    data = {
        "qualification-title": "Licence de génie civil",
        "qualification-country": "SY",
        "qualification-year": "2012",
        "qualification-recognition": "requested",
    }
    response = _post(login(membership), pathway, "pathway_qualification_add", data)
    assert response.status_code == 302
    assert ForeignQualification.objects.get(person=pathway.person).title == "Licence de génie civil"


@pytest.mark.django_db
def test_qualification_with_unknown_country_is_refused_and_nothing_written(login, membership, pathway):
    data = {
        "qualification-title": "Diplôme",
        "qualification-country": "QQ",
        "qualification-year": "2012",
        "qualification-recognition": "none",
    }
    response = _post(login(membership), pathway, "pathway_qualification_add", data)
    assert response.status_code == 200
    assert "Code pays inconnu" in html_of(response)
    assert not ForeignQualification.objects.exists()


@pytest.mark.django_db
def test_qualification_removed(login, membership, pathway):
    qualification = ForeignQualification.objects.create(person=pathway.person, title="Bac", country="MA")
    response = _post(login(membership), pathway, "pathway_qualification_remove", {}, qualification.pk)
    assert response.status_code == 302
    assert not ForeignQualification.objects.exists()


@pytest.mark.django_db
def test_situation_page_lists_children_and_experiences(login, membership, pathway):
    Child.objects.create(person=pathway.person, birth_date=datetime.date(2019, 4, 2), childcare="school")
    WorkExperience.objects.create(person=pathway.person, rome=RomeJobFactory(), years=3)
    html = html_of(login(membership).get(reverse("pathway_person_edit", args=[pathway.pk, "situation"])))
    assert "02/04/2019" in html
    assert shows(html, "Scolarisé·e")
    assert "Aide-soignant" in html


@pytest.mark.django_db
def test_outsider_cannot_add_a_child(login, outsider, pathway):
    response = _post(
        login(outsider), pathway, "pathway_child_add", {"child-birth_date": "2020-01-01", "child-childcare": "none"}
    )
    assert response.status_code == 404
    assert not Child.objects.exists()


@pytest.mark.django_db
def test_child_cannot_be_added_to_a_closed_pathway(login, membership, pathway):
    from parcours.pathways.services import pathway_close

    pathway_close(pathway=pathway, reason="Emploi durable", membership=membership, acting_user=membership.user)
    response = _post(
        login(membership), pathway, "pathway_child_add", {"child-birth_date": "2020-01-01", "child-childcare": "none"}
    )
    # still readable by the group of the time of closure, never writable
    assert response.status_code == 403
    assert not Child.objects.exists()


@pytest.mark.django_db
def test_situation_section_stays_within_15_queries(login, membership, pathway, django_assert_max_num_queries):
    for i in range(10):
        Child.objects.create(person=pathway.person, birth_date=datetime.date(2010 + i, 1, 1))
        WorkExperience.objects.create(person=pathway.person, rome=RomeJobFactory(), years=i)
    client = login(membership)
    with django_assert_max_num_queries(15):
        response = client.get(reverse("pathway_person_edit", args=[pathway.pk, "situation"]))
    assert response.status_code == 200
