"""Reads on programmes: the catalogue's counts and filters, a session's counts, and the scoped
reads of participants and enrolments (refused or 404 outside the scope), with their query counts."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from parcours.programmes import selectors
from parcours.programmes.enums import EnrolmentState
from tests.factories import CommuneFactory, DepartementFactory, MembershipFactory, PathwayFactory
from tests.programmes.factories import EnrolmentFactory, ProgrammeFactory, SessionFactory, operator_staff

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def _enrolled(session, n, state=EnrolmentState.ENROLLED):
    for _ in range(n):
        EnrolmentFactory(session=session, state=state, enrolled_on=TODAY)


def test_catalogue_counts_open_sessions_and_free_places(django_assert_num_queries):
    programme = ProgrammeFactory(name="HOPE")
    first = SessionFactory(programme=programme, places=10)
    _enrolled(first, 3)
    _enrolled(first, 2, EnrolmentState.CANDIDATE)
    SessionFactory(programme=programme, places=5)
    SessionFactory(programme=programme, places=7, status="closed")
    SessionFactory(programme=programme, places=7, starts_on=TODAY - datetime.timedelta(days=30), ends_on=TODAY)
    ProgrammeFactory(name="Inactif", is_active=False)
    with django_assert_num_queries(3):  # programmes, operators, jobs
        rows = list(selectors.programmes_catalogue())
    assert [p.name for p in rows] == ["HOPE"]
    assert (rows[0].open_sessions, rows[0].free_places) == (3, 7 + 5 + 7)


def test_catalogue_filters_by_public_and_departement():
    refugees = ProgrammeFactory(name="Réfugiés", target_publics=["bpi", "newcomers"])
    ProgrammeFactory(name="RSA", target_publics=["rsa"])
    vendee = CommuneFactory(insee_code="85191", name="La Roche-sur-Yon", departement=DepartementFactory(code="85"))
    SessionFactory(programme=refugees, commune=vendee)
    assert [p.name for p in selectors.programmes_catalogue(public="bpi")] == ["Réfugiés"]
    assert [p.name for p in selectors.programmes_catalogue(departement="85")] == ["Réfugiés"]
    assert list(selectors.programmes_catalogue(departement="44")) == []
    # An unknown public is ignored rather than matching a substring.
    assert len(selectors.programmes_catalogue(public="b")) == 2


def test_sessions_of_annotates_the_counts():
    session = SessionFactory(places=2)
    _enrolled(session, 2)
    _enrolled(session, 1, EnrolmentState.WAITING_LIST)
    _enrolled(session, 1, EnrolmentState.CANDIDATE)
    (row,) = selectors.sessions_of(session.programme)
    assert (row.seats_taken, row.free_places, row.waiting, row.candidates) == (2, 0, 1, 1)
    assert selectors.session_get(session_id=session.pk).free_places == 0
    assert selectors.session_state_counts(session)["waiting_list"] == 1


def test_session_get_unknown_is_404():
    with pytest.raises(Http404):
        selectors.session_get(session_id=999999)


def test_participants_for_the_centre_staff_only(django_assert_num_queries):
    session = SessionFactory()
    _enrolled(session, 3, EnrolmentState.CANDIDATE)
    EnrolmentFactory(session=SessionFactory(), state=EnrolmentState.CANDIDATE)
    staff = operator_staff(session)
    with django_assert_num_queries(1):
        rows = list(selectors.session_participants(membership=staff, session=session))
        assert all(r.pathway.person.first_name for r in rows)
    assert len(rows) == 3
    with pytest.raises(PermissionDenied):
        selectors.session_participants(membership=MembershipFactory(), session=session)
    with pytest.raises(PermissionDenied):
        selectors.session_participants(
            membership=MembershipFactory(organisation=session.operator, admin=True), session=session
        )


def test_enrolments_of_pathway_are_scoped():
    referent = MembershipFactory()
    pathway = PathwayFactory(referent=referent)
    mine = EnrolmentFactory(pathway=pathway)
    staff = operator_staff(mine.session)
    other_centre = operator_staff(SessionFactory())
    assert list(selectors.enrolments_of_pathway(membership=referent, pathway=pathway)) == [mine]
    assert list(selectors.enrolments_of_pathway(membership=staff, pathway=pathway)) == [mine]
    assert list(selectors.enrolments_of_pathway(membership=other_centre, pathway=pathway)) == []


def test_enrolment_get_for_is_404_outside_the_scope():
    enrolment = EnrolmentFactory()
    assert selectors.enrolment_get_for(membership=enrolment.proposed_by, enrolment_id=enrolment.pk) == enrolment
    with pytest.raises(Http404):
        selectors.enrolment_get_for(membership=MembershipFactory(), enrolment_id=enrolment.pk)
    with pytest.raises(Http404):
        selectors.enrolment_get_for(membership=MembershipFactory(pilote=True), enrolment_id=enrolment.pk)
