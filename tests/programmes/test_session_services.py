"""Sessions: who may open and change them, and the bad input refused with a French message and
nothing written. Also the month arithmetic of the follow-up surveys."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from parcours.audit.models import AuditEntry
from parcours.organisations.enums import OrganisationKind, Role
from parcours.programmes import enums
from parcours.programmes.models import Session
from parcours.programmes.services_enrolment import add_months, places_left, session_create, session_update
from tests.factories import CommuneFactory, MembershipFactory, OrganisationFactory, RomeJobFactory
from tests.programmes.factories import EnrolmentFactory, ProgrammeFactory, SessionFactory, operator_staff

pytestmark = pytest.mark.django_db

START = datetime.date(2026, 9, 1)
END = datetime.date(2027, 4, 30)


@pytest.fixture
def centre():
    return OrganisationFactory(kind=OrganisationKind.ORGANISME_FORMATION, name="AFPA Saint-Herblain")


@pytest.fixture
def programme(centre):
    return ProgrammeFactory(operators=[centre])


@pytest.fixture
def manager(programme):
    return MembershipFactory(organisation=programme.owner, role=Role.PILOTE)


def _create(membership, programme, centre, **overrides):
    data = {
        "label": "HOPE Saint-Herblain — automne 2026",
        "operator": centre,
        "commune": CommuneFactory(),
        "starts_on": START,
        "ends_on": END,
        "places": 12,
    }
    data.update(overrides)
    return session_create(membership=membership, programme=programme, **data)


def _written():
    return Session.objects.count(), AuditEntry.objects.count()


def test_programme_manager_creates_a_session_with_jobs_and_partners(manager, programme, centre):
    RomeJobFactory(code="F1703", label="Maçon / Maçonne")
    session = _create(
        manager,
        programme,
        centre,
        target_rome_codes=["f1703"],
        partner_companies=["Bouygues Bâtiment", " ", "Bouygues Bâtiment"],
        offers_housing=True,
    )
    assert session.operator == centre
    assert [j.code for j in session.target_jobs.all()] == ["F1703"]
    assert session.partner_companies == ["Bouygues Bâtiment"]
    assert session.offers_housing and not session.offers_childcare
    assert AuditEntry.objects.filter(object_type="programmes.session", object_id=str(session.pk)).exists()


def test_operator_staff_creates_a_session_of_their_own_centre(programme, centre):
    staff = MembershipFactory(organisation=centre, role=Role.CONSEILLER)
    assert _create(staff, programme, centre).created_by == staff.user


def test_operator_staff_cannot_create_a_session_for_another_centre(programme, centre):
    other = OrganisationFactory(kind=OrganisationKind.ORGANISME_FORMATION)
    programme.operators.add(other)
    staff = MembershipFactory(organisation=centre, role=Role.CONSEILLER)
    before = _written()
    with pytest.raises(PermissionDenied, match="votre propre centre"):
        _create(staff, programme, other)
    assert _written() == before


def test_stranger_cannot_create_a_session(programme, centre):
    before = _written()
    with pytest.raises(PermissionDenied, match="gestionnaires du programme"):
        _create(MembershipFactory(), programme, centre)
    assert _written() == before


def test_session_ending_before_it_starts_is_refused(manager, programme, centre):
    before = _written()
    with pytest.raises(ValidationError) as exc:
        _create(manager, programme, centre, ends_on=START - datetime.timedelta(days=1))
    assert exc.value.message_dict["ends_on"] == ["La session ne peut pas se terminer avant de commencer."]
    assert _written() == before


def test_unknown_rome_code_is_refused(manager, programme, centre):
    before = _written()
    with pytest.raises(ValidationError) as exc:
        _create(manager, programme, centre, target_rome_codes=["Z9999"])
    assert exc.value.message_dict["target_rome_codes"] == ["Code ROME inconnu : Z9999."]
    assert _written() == before


@pytest.mark.parametrize("places", [0, -3])
def test_session_needs_at_least_one_place(manager, programme, centre, places):
    before = _written()
    with pytest.raises(ValidationError) as exc:
        _create(manager, programme, centre, places=places)
    assert exc.value.message_dict["places"] == ["Une session compte au moins une place."]
    assert _written() == before


def test_operator_must_be_an_operator_of_the_programme(manager, programme):
    outsider = OrganisationFactory(kind=OrganisationKind.ORGANISME_FORMATION)
    with pytest.raises(ValidationError) as exc:
        _create(manager, programme, outsider)
    assert "centre opérateur du programme" in exc.value.message_dict["operator"][0]
    assert not Session.objects.exists()


def test_update_changes_the_fields_passed_and_is_audited(manager, programme, centre):
    session = SessionFactory(programme=programme, operator=centre, places=5)
    updated = session_update(membership=manager, session=session, places=8, label="Nouvel intitulé")
    assert (updated.places, updated.label) == (8, "Nouvel intitulé")
    entry = AuditEntry.objects.filter(object_type="programmes.session").latest("pk")
    assert entry.fields == ["label", "places"]


def test_places_cannot_drop_below_the_seats_taken():
    session = SessionFactory(places=3)
    staff = operator_staff(session)
    for state in (enums.EnrolmentState.ENROLLED, enums.EnrolmentState.IN_PROGRESS):
        EnrolmentFactory(session=session, state=state, enrolled_on=datetime.date(2026, 1, 5))
    with pytest.raises(ValidationError) as exc:
        session_update(membership=staff, session=session, places=1)
    assert "ne peut pas compter moins de 2 places" in exc.value.message_dict["places"][0]
    session.refresh_from_db()
    assert session.places == 3
    assert places_left(session) == 1


def test_update_refuses_an_end_before_the_start():
    session = SessionFactory()
    staff = operator_staff(session)
    with pytest.raises(ValidationError) as exc:
        session_update(membership=staff, session=session, ends_on=session.starts_on - datetime.timedelta(days=1))
    assert exc.value.message_dict["ends_on"] == ["La session ne peut pas se terminer avant de commencer."]


def test_stranger_cannot_update_a_session():
    session = SessionFactory(places=5)
    with pytest.raises(PermissionDenied):
        session_update(membership=MembershipFactory(), session=session, places=50)
    session.refresh_from_db()
    assert session.places == 5


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (datetime.date(2025, 8, 31), 6, datetime.date(2026, 2, 28)),
        (datetime.date(2027, 8, 31), 6, datetime.date(2028, 2, 29)),
        (datetime.date(2025, 12, 15), 12, datetime.date(2026, 12, 15)),
        (datetime.date(2025, 7, 31), 6, datetime.date(2026, 1, 31)),
        (datetime.date(2025, 3, 31), 6, datetime.date(2025, 9, 30)),
    ],
)
def test_add_months_keeps_the_day_or_takes_the_month_end(day, months, expected):
    assert add_months(day, months) == expected


def test_placement_constraints_are_set_at_creation_and_changed_by_update(manager, programme, centre):
    session = _create(manager, programme, centre, min_french_level="B1", hosts_households=True)
    session.refresh_from_db()
    assert (session.min_french_level, session.hosts_households) == ("B1", True)
    default = _create(manager, programme, centre)
    default.refresh_from_db()
    assert (default.min_french_level, default.hosts_households) == ("", False)
    session_update(membership=manager, session=session, min_french_level="", hosts_households=False)
    session.refresh_from_db()
    assert (session.min_french_level, session.hosts_households) == ("", False)
    entry = AuditEntry.objects.filter(object_type="programmes.session").latest("pk")
    assert sorted(entry.fields) == ["hosts_households", "min_french_level"]
    session_update(membership=manager, session=session, min_french_level="A2")
    session.refresh_from_db()
    assert (session.min_french_level, session.hosts_households) == ("A2", False)


def test_unknown_french_level_is_refused_and_nothing_written(manager, programme, centre):
    before = _written()
    with pytest.raises(ValidationError) as exc:
        _create(manager, programme, centre, min_french_level="B3", hosts_households=True)
    assert exc.value.message_dict["min_french_level"] == [
        "Niveau de français inconnu : B3. Choisissez un niveau du CECRL (A1.1 à C2) ou aucun minimum."
    ]
    assert _written() == before
    session = SessionFactory(programme=programme, operator=centre, min_french_level="A1")
    before = _written()
    with pytest.raises(ValidationError) as exc:
        session_update(membership=manager, session=session, min_french_level="Z", hosts_households=True, places=20)
    assert list(exc.value.message_dict) == ["min_french_level"]
    assert _written() == before
    session.refresh_from_db()
    assert (session.min_french_level, session.hosts_households, session.places) == ("A1", False, 12)
