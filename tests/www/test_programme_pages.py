"""The programme pages: catalogue, programme, session forms, session page, proposing a candidacy
and moving an enrolment; each with its refused case (403 or 404) and its bad input."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from parcours.organisations.enums import OrganisationKind, Role
from parcours.pathways.models import FollowUpMember
from parcours.programmes.enums import EnrolmentState
from parcours.programmes.models import Enrolment, EnrolmentTransition, ProgrammeStep, Session
from tests.factories import (
    CommuneFactory,
    MembershipFactory,
    OrganisationFactory,
    PathwayFactory,
    RomeJobFactory,
)
from tests.programmes.factories import EnrolmentFactory, ProgrammeFactory, SessionFactory, operator_staff

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def html_of(response) -> str:
    html = response.content.decode()
    assert "!!INVALID" not in html
    return html


@pytest.fixture
def centre():
    return OrganisationFactory(kind=OrganisationKind.ORGANISME_FORMATION, name="AFPA Saint-Herblain")


@pytest.fixture
def programme(centre):
    programme = ProgrammeFactory(
        code="hope",
        name="HOPE Loire-Atlantique",
        target_publics=["bpi"],
        eligibility_rules=[{"field": "age", "op": "between", "value": [18, 64]}],
        operators=[centre],
    )
    ProgrammeStep.objects.create(programme=programme, position=1, kind="french", label="Français", target_hours=400)
    return programme


@pytest.fixture
def session(programme, centre):
    return SessionFactory(programme=programme, operator=centre, label="HOPE Saint-Herblain", places=2)


@pytest.fixture
def staff(session):
    return operator_staff(session)


@pytest.fixture
def manager(programme):
    return MembershipFactory(organisation=programme.owner, role=Role.PILOTE)


# --- catalogue ------------------------------------------------------------------------------------


def test_catalogue_lists_active_programmes_with_places(login, session, django_assert_max_num_queries):
    EnrolmentFactory(session=session, state=EnrolmentState.ENROLLED, enrolled_on=TODAY)
    ProgrammeFactory(name="Programme arrêté", is_active=False)
    client = login(MembershipFactory())
    with django_assert_max_num_queries(12):
        response = client.get(reverse("programme_list"))
    html = html_of(response)
    assert "HOPE Loire-Atlantique" in html
    assert "AFPA Saint-Herblain" in html
    assert "Programme arrêté" not in html
    assert "Bénéficiaires de la protection internationale" in html


def test_catalogue_filters(login, session):
    ProgrammeFactory(name="PLIE Nantes", target_publics=["rsa"])
    client = login(MembershipFactory())
    html = html_of(client.get(reverse("programme_list"), {"public": "rsa"}))
    assert "PLIE Nantes" in html and "HOPE Loire-Atlantique" not in html
    html = html_of(client.get(reverse("programme_list"), {"departement": "85"}))
    assert "Aucun programme ne correspond" in html


def test_catalogue_needs_login_and_an_organisation(client):
    assert client.get(reverse("programme_list")).status_code == 302


# --- programme page -------------------------------------------------------------------------------


def test_programme_page_explains_rules_steps_and_sessions(login, session):
    html = html_of(login(MembershipFactory()).get(reverse("programme_detail", args=["hope"])))
    assert "Âge" in html and "entre 18 et 64 ans" in html
    assert "Français" in html
    assert "HOPE Saint-Herblain" in html
    assert reverse("session_create", args=["hope"]) not in html
    assert reverse("programme_edit", args=["hope"]) not in html


def test_programme_page_links_for_the_manager(login, manager, session):
    html = html_of(login(manager).get(reverse("programme_detail", args=["hope"])))
    assert reverse("session_create", args=["hope"]) in html
    assert reverse("programme_edit", args=["hope"]) in html
    assert reverse("indicators_programme", args=["hope"]) in html


def test_programme_page_unknown_or_inactive_is_404(login, programme):
    client = login(MembershipFactory())
    assert client.get(reverse("programme_detail", args=["inconnu"])).status_code == 404
    programme.is_active = False
    programme.save()
    assert client.get(reverse("programme_detail", args=["hope"])).status_code == 404


# --- session forms --------------------------------------------------------------------------------


def _session_post(centre, **overrides):
    data = {
        "label": "HOPE Rezé",
        "operator": centre.pk,
        "commune": CommuneFactory().insee_code,
        "starts_on": "2026-10-01",
        "ends_on": "2027-05-31",
        "places": "10",
        "target_rome_codes": "J1501",
        "partner_companies": "Vinci\nEiffage",
    }
    data.update(overrides)
    return data


def test_operator_staff_opens_a_session(login, programme, centre):
    RomeJobFactory()
    staff = MembershipFactory(organisation=centre)
    client = login(staff)
    assert client.get(reverse("session_create", args=["hope"])).status_code == 200
    response = client.post(reverse("session_create", args=["hope"]), _session_post(centre))
    session = Session.objects.get(label="HOPE Rezé")
    assert response.url == reverse("session_detail", args=[session.pk])
    assert session.partner_companies == ["Vinci", "Eiffage"]


def test_session_form_bad_input_writes_nothing(login, programme, centre):
    client = login(MembershipFactory(organisation=centre))
    response = client.post(
        reverse("session_create", args=["hope"]),
        _session_post(centre, ends_on="2026-09-01", target_rome_codes="Z9999"),
    )
    html = html_of(response)
    assert response.status_code == 200
    assert escape("La session ne peut pas se terminer avant de commencer.") in html
    assert not Session.objects.exists()
    response = client.post(reverse("session_create", args=["hope"]), _session_post(centre, places="0"))
    assert "Une session compte au moins une place." in html_of(response)
    response = client.post(reverse("session_create", args=["hope"]), _session_post(centre, target_rome_codes="Z9999"))
    assert "Code ROME inconnu : Z9999." in html_of(response)
    assert not Session.objects.exists()


def test_session_form_sets_and_changes_the_placement_constraints(login, programme, centre):
    client = login(MembershipFactory(organisation=centre))
    html = html_of(client.get(reverse("session_create", args=["hope"])))
    assert "Niveau de français minimum" in html and "Aucun minimum" in html
    assert escape("Accueille les familles (foyer placé ensemble)") in html
    assert "Utilisé par les affectations" in html
    response = client.post(
        reverse("session_create", args=["hope"]),
        _session_post(centre, target_rome_codes="", min_french_level="A2", hosts_households="on"),
    )
    session = Session.objects.get(label="HOPE Rezé")
    assert response.url == reverse("session_detail", args=[session.pk])
    assert (session.min_french_level, session.hosts_households) == ("A2", True)
    html = html_of(client.get(reverse("session_edit", args=[session.pk])))
    assert '<option value="A2" selected>' in html
    data = _session_post(centre, target_rome_codes="", status="open", min_french_level="")
    client.post(reverse("session_edit", args=[session.pk]), data)
    session.refresh_from_db()
    assert (session.min_french_level, session.hosts_households) == ("", False)


def test_session_form_refuses_an_unknown_french_level(login, programme, centre):
    client = login(MembershipFactory(organisation=centre))
    data = _session_post(centre, target_rome_codes="", min_french_level="B3")
    html = html_of(client.post(reverse("session_create", args=["hope"]), data))
    assert escape("Choisissez un niveau de français de la liste.") in html
    assert not Session.objects.exists()


def test_session_create_refused_to_others(login, programme):
    client = login(MembershipFactory())
    assert client.get(reverse("session_create", args=["hope"])).status_code == 403
    assert client.post(reverse("session_create", args=["hope"]), {}).status_code == 403


def test_session_edit_refuses_places_below_the_seats(login, session, staff):
    EnrolmentFactory(session=session, state=EnrolmentState.ENROLLED, enrolled_on=TODAY)
    EnrolmentFactory(session=session, state=EnrolmentState.IN_PROGRESS, enrolled_on=TODAY, entered_on=TODAY)
    client = login(staff)
    assert client.get(reverse("session_edit", args=[session.pk])).status_code == 200
    data = _session_post(session.operator, label=session.label, places="1", status="open", target_rome_codes="")
    html = html_of(client.post(reverse("session_edit", args=[session.pk]), data))
    assert "ne peut pas compter moins de 2 places" in html
    session.refresh_from_db()
    assert session.places == 2


def test_session_edit_refused_to_others(login, session):
    assert login(MembershipFactory()).get(reverse("session_edit", args=[session.pk])).status_code == 403
    assert login(MembershipFactory()).get(reverse("session_edit", args=[999999])).status_code == 404


# --- session page ---------------------------------------------------------------------------------


def test_session_page_shows_participants_and_moves_to_the_centre(login, session, staff, django_assert_max_num_queries):
    candidate = EnrolmentFactory(session=session)
    EnrolmentFactory(session=session, state=EnrolmentState.WAITING_LIST, waiting_since=timezone.now())
    client = login(staff)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("session_detail", args=[session.pk]))
    html = html_of(response)
    assert candidate.pathway.person.full_name in html
    assert reverse("enrolment_detail", args=[candidate.pk]) in html
    assert reverse("enrolment_transition", args=[candidate.pk, "selected"]) in html
    assert "Rang 1 sur la liste d" in html


def test_session_page_shows_only_counts_to_others(login, session):
    candidate = EnrolmentFactory(session=session)
    html = html_of(login(MembershipFactory()).get(reverse("session_detail", args=[session.pk])))
    assert candidate.pathway.person.last_name.upper() not in html
    assert "Nombre de personnes par état" in html
    assert reverse("enrolment_transition", args=[candidate.pk, "selected"]) not in html


def test_session_page_shows_the_placement_constraints_when_set(login, session):
    client = login(MembershipFactory())
    html = html_of(client.get(reverse("session_detail", args=[session.pk])))
    assert "Niveau de français minimum" not in html and "foyer placé ensemble" not in html
    Session.objects.filter(pk=session.pk).update(min_french_level="B1", hosts_households=True)
    html = html_of(client.get(reverse("session_detail", args=[session.pk])))
    assert "<dt>Niveau de français minimum</dt><dd>B1</dd>" in html
    assert escape("accueille les familles (foyer placé ensemble)") in html


def test_session_page_unknown_is_404(login):
    assert login(MembershipFactory()).get(reverse("session_detail", args=[999999])).status_code == 404


# --- proposing ------------------------------------------------------------------------------------


def test_referent_sees_the_eligibility_and_proposes(login, session, staff):
    referent = MembershipFactory()
    pathway = PathwayFactory(referent=referent)
    client = login(referent)
    url = reverse("enrolment_propose", args=[session.pk, pathway.pk])
    html = html_of(client.get(url))
    assert "Éligible" in html and "condition remplie" in html
    assert 'name="override_reason"' not in html
    response = client.post(url, {})
    enrolment = Enrolment.objects.get(pathway=pathway)
    assert response.url == reverse("enrolment_detail", args=[enrolment.pk])


def test_ineligible_person_needs_an_override_reason_on_the_page(login, session):
    session.programme.eligibility_rules = [{"field": "age", "op": "gte", "value": 100}]
    session.programme.save()
    referent = MembershipFactory()
    pathway = PathwayFactory(referent=referent)
    client = login(referent)
    url = reverse("enrolment_propose", args=[session.pk, pathway.pk])
    html = html_of(client.get(url))
    assert "Non éligible" in html and 'name="override_reason"' in html
    html = html_of(client.post(url, {"override_reason": ""}))
    assert "ne remplit pas les conditions" in html
    assert not Enrolment.objects.exists()
    client.post(url, {"override_reason": "Accord de la commission"})
    assert Enrolment.objects.get().override_reason == "Accord de la commission"


def test_propose_refused_outside_the_follow_up_group(login, session, staff):
    pathway = PathwayFactory()
    # The centre's staff do not see the pathway at all: 404.
    assert login(staff).get(reverse("enrolment_propose", args=[session.pk, pathway.pk])).status_code == 404
    referent = pathway.members.get().membership
    assert login(referent).get(reverse("enrolment_propose", args=[999999, pathway.pk])).status_code == 404


def test_propose_refused_to_a_group_member_who_does_not_accompany(login, session):
    admin = MembershipFactory(admin=True)
    pathway = PathwayFactory(referent=MembershipFactory(organisation=admin.organisation))
    FollowUpMember.objects.create(pathway=pathway, membership=admin)
    response = login(admin).post(reverse("enrolment_propose", args=[session.pk, pathway.pk]), {})
    assert response.status_code == 403
    assert not Enrolment.objects.exists()


# --- moving ---------------------------------------------------------------------------------------


def test_staff_moves_a_candidate_and_comes_back_to_the_session(login, session, staff):
    enrolment = EnrolmentFactory(session=session, proposed_at=timezone.now() - datetime.timedelta(days=3))
    client = login(staff)
    url = reverse("enrolment_transition", args=[enrolment.pk, "selected"])
    response = client.post(url, {"next": reverse("session_detail", args=[session.pk])})
    assert response.url == reverse("session_detail", args=[session.pk])
    enrolment.refresh_from_db()
    assert enrolment.state == EnrolmentState.SELECTED
    html = html_of(client.get(response.url))
    assert escape("retenu·e") in html


def test_a_move_with_bad_input_shows_the_french_message_and_writes_nothing(login, session, staff):
    enrolment = EnrolmentFactory(session=session, state=EnrolmentState.ENROLLED, enrolled_on=TODAY)
    client = login(staff)
    response = client.post(
        reverse("enrolment_transition", args=[enrolment.pk, "abandoned"]), {"reason": ""}, follow=True
    )
    assert escape("Rien n'a été modifié. Choisissez le motif de l'abandon dans la liste.") in html_of(response)
    response = client.post(reverse("enrolment_transition", args=[enrolment.pk, "completed"]), follow=True)
    assert escape("elle ne peut pas passer à « Parcours terminé »") in html_of(response)
    enrolment.refresh_from_db()
    assert enrolment.state == EnrolmentState.ENROLLED
    assert not EnrolmentTransition.objects.exists()


def test_move_refused_to_a_follow_up_member_and_404_to_a_stranger(login, session):
    enrolment = EnrolmentFactory(session=session)
    url = reverse("enrolment_transition", args=[enrolment.pk, "selected"])
    assert login(enrolment.proposed_by).post(url).status_code == 403
    assert login(MembershipFactory()).post(url).status_code == 404
    assert login(enrolment.proposed_by).get(url).status_code == 405
    enrolment.refresh_from_db()
    assert enrolment.state == EnrolmentState.CANDIDATE


def test_unknown_move_is_404(login, session, staff):
    enrolment = EnrolmentFactory(session=session)
    assert login(staff).post(reverse("enrolment_transition", args=[enrolment.pk, "graduated"])).status_code == 404


def test_next_outside_the_site_is_ignored(login, session, staff):
    enrolment = EnrolmentFactory(session=session)
    response = login(staff).post(
        reverse("enrolment_transition", args=[enrolment.pk, "selected"]), {"next": "https://evil.example/"}
    )
    assert response.url == reverse("session_detail", args=[session.pk])


def test_follow_up_member_withdraws_a_candidacy_from_the_page(login, session):
    enrolment = EnrolmentFactory(session=session, state=EnrolmentState.SELECTED)
    response = login(enrolment.proposed_by).post(
        reverse("enrolment_transition", args=[enrolment.pk, "not_selected"]), {"reason": "person_declined"}
    )
    assert response.url == reverse("enrolment_detail", args=[enrolment.pk])
    enrolment.refresh_from_db()
    assert (enrolment.state, enrolment.not_selected_reason) == (EnrolmentState.NOT_SELECTED, "person_declined")
