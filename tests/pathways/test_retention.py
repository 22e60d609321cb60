import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from parcours.pathways.enums import PathwayStatus
from parcours.pathways.models import Note, Pathway
from parcours.pathways.retention import ANONYMISED, people_due_for_anonymisation
from parcours.people.models import Person
from tests.factories import PathwayFactory, PersonFactory, UserFactory


def _close(pathway, days_ago):
    Pathway.objects.filter(pk=pathway.pk).update(
        status=PathwayStatus.CLOSED, closed_at=timezone.now() - datetime.timedelta(days=days_ago)
    )


@pytest.mark.django_db
def test_person_closed_long_ago_is_anonymised_and_keeps_birth_year(settings):
    settings.PATHWAY_RETENTION_DAYS = 365
    person = PersonFactory(refugee=True, nir="185054410912345", phone="0601020304")
    pathway = PathwayFactory(person=person)
    Note.objects.create(
        pathway=pathway,
        author=UserFactory(),
        organisation=pathway.members.get().membership.organisation,
        text="Récit personnel",
    )
    _close(pathway, days_ago=400)
    birth_year = person.birth_date.year

    call_command("anonymise_closed_pathways")

    person.refresh_from_db()
    assert person.anonymised_at is not None
    assert (person.first_name, person.last_name, person.nir, person.phone) == (ANONYMISED, ANONYMISED, "", "")
    assert person.birth_date == datetime.date(birth_year, 1, 1)
    assert person.protection_status == "" and person.residence_permit_valid_until is None
    assert Note.objects.get(pathway=pathway).text == ANONYMISED


@pytest.mark.django_db
def test_anonymisation_removes_every_free_text_of_the_history(settings):
    from parcours.pathways import services
    from parcours.pathways.models import Action, Event, FollowUpMember

    settings.PATHWAY_RETENTION_DAYS = 365
    pathway = PathwayFactory()
    referent = pathway.members.get().membership
    goal = services.goal_create(
        pathway=pathway,
        theme="emploi",
        text="Devenir soudeur chez Durand",
        agreed_by_person=True,
        membership=referent,
        acting_user=referent.user,
    )
    services.action_create(
        goal=goal, text="Appeler M. Durand", due_on=None, membership=referent, acting_user=referent.user
    )
    services.pathway_close(
        pathway=pathway, reason="Embauché chez Durand", membership=referent, acting_user=referent.user
    )
    _close(pathway, days_ago=400)

    call_command("anonymise_closed_pathways")

    texts = [
        Pathway.objects.get(pk=pathway.pk).closure_reason,
        *Action.objects.filter(goal=goal).values_list("text", flat=True),
        *Event.objects.filter(pathway=pathway).values_list("summary", flat=True),
        *FollowUpMember.objects.filter(pathway=pathway).values_list("end_reason", flat=True),
    ]
    assert texts and not any("Durand" in text for text in texts)


@pytest.mark.django_db
def test_person_with_recent_or_open_pathway_is_kept(settings):
    settings.PATHWAY_RETENTION_DAYS = 365
    recent = PathwayFactory()
    _close(recent, days_ago=30)
    still_open = PathwayFactory()
    old_but_reopened = PathwayFactory()
    _close(old_but_reopened, days_ago=800)
    PathwayFactory(person=old_but_reopened.person)

    assert list(people_due_for_anonymisation()) == []
    call_command("anonymise_closed_pathways")
    assert not Person.objects.filter(anonymised_at__isnull=False).exists()
    assert still_open.person.first_name != ANONYMISED


@pytest.mark.django_db
def test_dry_run_changes_nothing(settings, capsys):
    settings.PATHWAY_RETENTION_DAYS = 10
    pathway = PathwayFactory()
    _close(pathway, days_ago=20)
    call_command("anonymise_closed_pathways", "--dry-run")
    assert "1 personne(s) à anonymiser" in capsys.readouterr().out
    assert Person.objects.get().anonymised_at is None
