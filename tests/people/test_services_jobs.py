"""Job wishes, target jobs and experiences recorded as appellations: only a member of an open
pathway's follow-up group writes; every refusal leaves nothing written."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from parcours.audit.models import AuditAction, AuditEntry
from parcours.pathways.enums import EventKind, PathwayStatus
from parcours.pathways.models import Event
from parcours.people import services_jobs
from parcours.people.models import JobWish, JobWishKind, WorkExperience
from parcours.people.services_household import experience_add
from parcours.people.services_jobs import job_wish_add, job_wish_remove
from tests.factories import MembershipFactory
from tests.occupations import factories as rome

pytestmark = pytest.mark.django_db


@pytest.fixture
def macon():
    return rome.appellation("Maçon / Maçonne", rome.sheet("F1703", "Maçonnerie"), code=12345, is_principal=True)


def _close(pathway):
    pathway.status = PathwayStatus.CLOSED
    pathway.closed_at = timezone.now()
    pathway.closure_reason = "Sortie vers l'emploi"
    pathway.save()


def _acting(membership, pathway):
    return {"pathway": pathway, "membership": membership, "acting_user": membership.user}


def _written(pathway):
    return (
        JobWish.objects.count(),
        WorkExperience.objects.count(),
        Event.objects.filter(pathway=pathway, kind=EventKind.PERSON_UPDATED).count(),
        AuditEntry.objects.exclude(action=AuditAction.READ).count(),
    )


def test_wish_added_with_event_and_audit(membership, pathway, macon):
    wish = job_wish_add(appellation_code=macon.code, kind=JobWishKind.WISH, **_acting(membership, pathway))
    assert (wish.person_id, wish.appellation_id, wish.kind, wish.added_by) == (
        pathway.person_id,
        12345,
        "wish",
        membership.user,
    )
    event = Event.objects.get(pathway=pathway, kind=EventKind.PERSON_UPDATED)
    assert "métier souhaité ajouté" in event.summary
    assert "Maçon" not in event.summary  # the timeline says what changed, never the value
    assert AuditEntry.objects.filter(object_type="people.jobwish", action=AuditAction.CREATE).count() == 1


def test_the_same_appellation_may_be_a_wish_and_a_target(membership, pathway, macon):
    job_wish_add(appellation_code=macon.code, kind=JobWishKind.WISH, **_acting(membership, pathway))
    target = job_wish_add(appellation_code=macon.code, kind=JobWishKind.TARGET, **_acting(membership, pathway))
    assert target.kind == "target"
    assert "métier visé ajouté" in Event.objects.filter(pathway=pathway).order_by("-id").first().summary
    assert JobWish.objects.filter(person=pathway.person).count() == 2


def test_duplicate_wish_is_refused_and_nothing_written(membership, pathway, macon):
    job_wish_add(appellation_code=macon.code, kind=JobWishKind.WISH, **_acting(membership, pathway))
    before = _written(pathway)
    with pytest.raises(ValidationError) as exc:
        job_wish_add(appellation_code=macon.code, kind=JobWishKind.WISH, **_acting(membership, pathway))
    assert exc.value.message_dict["appellation"] == [
        "« Maçon / Maçonne » figure déjà parmi les souhaits de la personne."
    ]
    assert _written(pathway) == before


def test_duplicate_target_is_refused_with_its_own_message(membership, pathway, macon):
    job_wish_add(appellation_code=macon.code, kind=JobWishKind.TARGET, **_acting(membership, pathway))
    with pytest.raises(ValidationError) as exc:
        job_wish_add(appellation_code=macon.code, kind=JobWishKind.TARGET, **_acting(membership, pathway))
    assert exc.value.message_dict["appellation"] == ["« Maçon / Maçonne » figure déjà parmi les métiers visés."]


@pytest.mark.parametrize(
    "kind, message",
    [
        (JobWishKind.WISH, "« Maçon / Maçonne » figure déjà parmi les souhaits de la personne."),
        (JobWishKind.TARGET, "« Maçon / Maçonne » figure déjà parmi les métiers visés."),
    ],
)
def test_double_submit_past_the_check_gives_the_same_message(membership, pathway, macon, monkeypatch, kind, message):
    """A second submit inserts the same wish between the check and the create (as a concurrent
    request would): the unique constraint is reported as the duplicate message, not a 500."""

    def concurrent_insert(*, person, appellation, kind):
        JobWish.objects.create(person=person, appellation=appellation, kind=kind, added_by=membership.user)
        return False

    monkeypatch.setattr(services_jobs, "_exists", concurrent_insert)
    before = _written(pathway)
    with pytest.raises(ValidationError) as exc:
        job_wish_add(appellation_code=macon.code, kind=kind, **_acting(membership, pathway))
    assert exc.value.message_dict["appellation"] == [message]
    # The service's transaction is rolled back whole: no event, no audit entry.
    assert _written(pathway) == before


@pytest.mark.parametrize("code", [999999, "absent"])
def test_unknown_appellation_is_refused_and_nothing_written(membership, pathway, macon, code):
    if code == "absent":  # an appellation no longer in the release in service
        macon.in_release = False
        macon.save()
        code = macon.code
    before = _written(pathway)
    with pytest.raises(ValidationError) as exc:
        job_wish_add(appellation_code=code, kind=JobWishKind.WISH, **_acting(membership, pathway))
    assert exc.value.message_dict["appellation"] == [
        "Appellation inconnue : recherchez le métier puis choisissez-le dans la liste."
    ]
    assert _written(pathway) == before


def test_unknown_kind_is_refused_and_nothing_written(membership, pathway, macon):
    before = _written(pathway)
    with pytest.raises(ValidationError) as exc:
        job_wish_add(appellation_code=macon.code, kind="dream", **_acting(membership, pathway))
    assert exc.value.message_dict["kind"] == [
        "Nature inconnue : choisissez « souhait de la personne » ou « métier visé »."
    ]
    assert _written(pathway) == before


def test_wish_refused_outside_the_group(pathway, macon):
    outsider = MembershipFactory()
    before = _written(pathway)
    with pytest.raises(PermissionDenied) as exc:
        job_wish_add(appellation_code=macon.code, kind=JobWishKind.WISH, **_acting(outsider, pathway))
    assert str(exc.value) == "Seuls les membres du groupe de suivi peuvent modifier ce parcours."
    assert _written(pathway) == before


def test_wish_refused_without_an_organisation(membership, pathway, macon):
    with pytest.raises(PermissionDenied) as exc:
        job_wish_add(
            pathway=pathway, appellation_code=macon.code, kind="wish", membership=None, acting_user=membership.user
        )
    assert str(exc.value) == "Vous devez agir au nom d'une organisation."
    assert not JobWish.objects.exists()


def test_wish_refused_on_a_closed_pathway(membership, pathway, macon):
    _close(pathway)
    before = _written(pathway)
    with pytest.raises(ValidationError) as exc:
        job_wish_add(appellation_code=macon.code, kind=JobWishKind.WISH, **_acting(membership, pathway))
    assert exc.value.messages == ["Ce parcours est clos : il ne peut plus être modifié."]
    assert _written(pathway) == before


def test_wish_removed_with_event_and_audit(membership, pathway, macon):
    wish = job_wish_add(appellation_code=macon.code, kind=JobWishKind.WISH, **_acting(membership, pathway))
    job_wish_remove(wish_id=wish.pk, **_acting(membership, pathway))
    assert not JobWish.objects.exists()
    assert Event.objects.filter(pathway=pathway, summary__contains="métier souhaité ou visé retiré").exists()
    assert AuditEntry.objects.filter(object_type="people.jobwish", action=AuditAction.UPDATE).count() == 1


def test_removal_refused_outside_the_group_and_on_a_closed_pathway(membership, pathway, macon):
    wish = job_wish_add(appellation_code=macon.code, kind=JobWishKind.WISH, **_acting(membership, pathway))
    outsider = MembershipFactory()
    with pytest.raises(PermissionDenied):
        job_wish_remove(wish_id=wish.pk, **_acting(outsider, pathway))
    _close(pathway)
    with pytest.raises(ValidationError):
        job_wish_remove(wish_id=wish.pk, **_acting(membership, pathway))
    assert JobWish.objects.filter(pk=wish.pk).exists()


def test_wish_of_another_person_cannot_be_removed(membership, pathway, macon):
    from tests.factories import PathwayFactory

    other_referent = MembershipFactory()
    other = PathwayFactory(referent=other_referent)
    wish = job_wish_add(appellation_code=macon.code, kind="wish", **_acting(other_referent, other))
    with pytest.raises(ValidationError) as exc:
        job_wish_remove(wish_id=wish.pk, **_acting(membership, pathway))
    assert exc.value.messages == ["Ce métier ne figure pas dans la fiche."]
    assert JobWish.objects.filter(pk=wish.pk).exists()


# --- experience by appellation ----------------------------------------------------------------------


def test_experience_by_appellation_records_the_appellation_and_its_sheet(membership, pathway, macon):
    experience = experience_add(
        appellation_code=macon.code, years=Decimal("3"), country="sy", **_acting(membership, pathway)
    )
    assert (experience.appellation_id, experience.rome_id, experience.country) == (12345, "F1703", "SY")
    assert AuditEntry.objects.filter(object_type="people.workexperience", action=AuditAction.CREATE).count() == 1
    assert Event.objects.filter(pathway=pathway, summary__contains="expérience professionnelle ajoutée").exists()


@pytest.mark.parametrize("absent", [False, True])
def test_experience_with_an_unknown_appellation_is_refused_and_nothing_written(membership, pathway, macon, absent):
    code = 999999
    if absent:
        macon.in_release = False
        macon.save()
        code = macon.code
    before = _written(pathway)
    with pytest.raises(ValidationError) as exc:
        experience_add(appellation_code=code, years=Decimal("3"), country="", **_acting(membership, pathway))
    assert exc.value.message_dict["appellation"] == [
        "Appellation inconnue : recherchez le métier puis choisissez-le dans la liste."
    ]
    assert _written(pathway) == before


def test_experience_without_any_job_is_refused(membership, pathway):
    with pytest.raises(ValidationError) as exc:
        experience_add(years=Decimal("3"), country="", **_acting(membership, pathway))
    assert "appellation" in exc.value.message_dict
    assert not WorkExperience.objects.exists()


def test_experience_by_appellation_refused_outside_the_group(pathway, macon):
    outsider = MembershipFactory()
    before = _written(pathway)
    with pytest.raises(PermissionDenied):
        experience_add(appellation_code=macon.code, years=Decimal("1"), country="", **_acting(outsider, pathway))
    assert _written(pathway) == before


def test_experience_by_appellation_refused_on_a_closed_pathway(membership, pathway, macon):
    _close(pathway)
    with pytest.raises(ValidationError):
        experience_add(appellation_code=macon.code, years=Decimal("1"), country="", **_acting(membership, pathway))
    assert not WorkExperience.objects.exists()


def test_experience_by_sheet_code_still_works_for_older_callers(membership, pathway):
    rome.sheet("J1501", "Aide-soignant")
    experience = experience_add(rome_code="j1501", years=Decimal("1"), country="", **_acting(membership, pathway))
    assert (experience.rome_id, experience.appellation_id) == ("J1501", None)
