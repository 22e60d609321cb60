"""Review fixes on enrolments: the overall eligibility result and the override reason are hidden
when a criterion is on a sensitive category the reader may not see (enrolment page and session
page); a health reason for abandoning is health data (masked on the page without the health
consent, its free text never written to the log nor the audit entry); the follow-up member's
withdraw form posts what the service requires; the waiting list is served in order and a cancelled
session takes nobody in."""

import datetime
from html.parser import HTMLParser

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from parcours.audit.models import AuditEntry
from parcours.organisations.enums import OrganisationKind
from parcours.people.enums import DataCategory
from parcours.programmes import services_enrolment
from parcours.programmes.enums import EnrolmentState, SessionStatus
from parcours.programmes.models import Enrolment, EnrolmentTransition
from parcours.programmes.services_enrolment import enrolment_move, enrolment_propose, transitions_for
from tests.concurrency import run_together
from tests.factories import ConsentFactory, MembershipFactory, OrganisationFactory, PathwayFactory, PersonFactory
from tests.programmes.factories import EnrolmentFactory, ProgrammeFactory, SessionFactory, operator_staff

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAYS = datetime.timedelta
REFUGEES_ONLY = [{"field": "protection_status", "op": "in", "value": ["refugee"]}]
HIDDEN_RESULT = "non consultable (données non partagées avec votre structure)"
HEALTH_MASK = "Motif non communiqué à votre structure"
SECRET = "hospitalisée pour dépression"


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    assert "!!INVALID" not in html
    return html


class _FormFields(HTMLParser):
    """The name → value pairs a browser would post from the form whose action is `action`."""

    def __init__(self, action: str):
        super().__init__()
        self.action, self.inside, self.fields = action, False, {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("action") == self.action
        elif self.inside and tag in ("input", "select", "textarea") and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def form_fields(html: str, action: str) -> dict:
    parser = _FormFields(action)
    parser.feed(html)
    assert parser.fields, f"no form posting to {action}"
    return parser.fields


def _refugee_programme_session():
    centre = OrganisationFactory(kind=OrganisationKind.ORGANISME_FORMATION)
    programme = ProgrammeFactory(eligibility_rules=REFUGEES_ONLY, operators=[centre])
    return SessionFactory(programme=programme, operator=centre, places=3)


def _proposed(session, *, refugee: bool, override_reason: str = ""):
    referent = MembershipFactory()
    pathway = PathwayFactory(referent=referent, person=PersonFactory(refugee=refugee))
    ConsentFactory(person=pathway.person, organisation=referent.organisation, category=DataCategory.ASYLUM_HISTORY)
    return enrolment_propose(membership=referent, session=session, pathway=pathway, override_reason=override_reason)


# --- 1. the overall eligibility result --------------------------------------------------------------


def test_eligibility_readable_only_when_every_sensitive_criterion_is_consented():
    snapshot = {"criteria": [{"category": ""}, {"category": DataCategory.ASYLUM_HISTORY}]}
    assert services_enrolment.eligibility_readable(snapshot, {"identity"}) is False
    assert services_enrolment.eligibility_readable(snapshot, {DataCategory.ASYLUM_HISTORY}) is True
    assert services_enrolment.eligibility_readable({"criteria": [{"category": ""}]}, set()) is True
    assert services_enrolment.eligibility_readable({}, set()) is True


def test_overall_result_hidden_from_operator_staff_without_consent(login):
    session = _refugee_programme_session()
    enrolment = _proposed(session, refugee=True)
    assert enrolment.eligibility_status == "eligible"
    staff = operator_staff(session)
    html = html_of(login(staff).get(reverse("enrolment_detail", args=[enrolment.pk])))
    assert "Donnée sensible : non affichée" in html
    assert f"Résultat : {HIDDEN_RESULT}." in html
    assert "Résultat : Éligible" not in html


def test_override_reason_and_log_reason_hidden_without_consent(login):
    session = _refugee_programme_session()
    enrolment = _proposed(session, refugee=False, override_reason="Statut en cours de réexamen à la CNDA")
    assert enrolment.eligibility_status != "eligible"
    staff = operator_staff(session)
    html = html_of(login(staff).get(reverse("enrolment_detail", args=[enrolment.pk])))
    assert f"Résultat : {HIDDEN_RESULT}." in html
    assert escape("Non éligible") not in html and escape("Indéterminé") not in html
    assert "CNDA" not in html
    assert "Dérogation motivée" not in html
    assert escape("Éligibilité dérogatoire") not in html  # the first line of the log


def test_overall_result_and_override_shown_with_consent(login):
    session = _refugee_programme_session()
    enrolment = _proposed(session, refugee=False, override_reason="Statut en cours de réexamen à la CNDA")
    staff = operator_staff(session)
    ConsentFactory(
        person=enrolment.pathway.person, organisation=staff.organisation, category=DataCategory.ASYLUM_HISTORY
    )
    html = html_of(login(staff).get(reverse("enrolment_detail", args=[enrolment.pk])))
    shown = {"not_eligible": "Non éligible", "undetermined": "Indéterminé"}[enrolment.eligibility_status]
    assert escape(f"Résultat : {shown}.") in html
    assert "CNDA" in html
    assert HIDDEN_RESULT not in html


def test_session_page_badge_hidden_without_consent_in_constant_queries(login, django_assert_max_num_queries):
    session = _refugee_programme_session()
    hidden = [_proposed(session, refugee=False, override_reason="Réexamen") for _ in range(3)]
    shown = _proposed(session, refugee=False, override_reason="Réexamen")
    staff = operator_staff(session)
    ConsentFactory(person=shown.pathway.person, organisation=staff.organisation, category=DataCategory.ASYLUM_HISTORY)
    client = login(staff)
    with django_assert_max_num_queries(14):
        html = html_of(client.get(reverse("session_detail", args=[session.pk])))
    assert html.count(escape("éligibilité dérogatoire")) == 1
    assert html.count(escape("éligibilité non consultable")) == len(hidden)


def test_session_page_badge_for_a_programme_without_sensitive_criteria(login):
    session = SessionFactory()
    EnrolmentFactory(
        session=session,
        eligibility_status="undetermined",
        eligibility={"criteria": [{"category": ""}]},
        override_reason="Dossier en cours",
    )
    html = html_of(login(operator_staff(session)).get(reverse("session_detail", args=[session.pk])))
    assert escape("éligibilité dérogatoire") in html
    assert escape("éligibilité non consultable") not in html


# --- 2. a health reason for abandoning -------------------------------------------------------------------


@pytest.fixture
def enrolled():
    session = SessionFactory(places=2)
    enrolment = EnrolmentFactory(
        session=session, state=EnrolmentState.ENROLLED, enrolled_on=TODAY, proposed_at=timezone.now() - DAYS(days=3)
    )
    return enrolment


def test_health_detail_never_written_to_the_log_nor_the_audit(enrolled):
    staff = operator_staff(enrolled.session)
    enrolment_move(membership=staff, enrolment=enrolled, to_state="abandoned", reason="health", detail=SECRET)
    enrolled.refresh_from_db()
    assert (enrolled.abandon_reason, enrolled.reason_detail) == ("health", SECRET)
    transition = EnrolmentTransition.objects.get(enrolment=enrolled, to_state="abandoned")
    assert "Raisons de santé" in transition.reason and SECRET not in transition.reason
    audit = AuditEntry.objects.filter(object_id=str(enrolled.pk), action="update").latest("pk")
    assert "Raisons de santé" in audit.reason and SECRET not in audit.reason


def test_other_abandon_reasons_keep_their_detail_in_the_log(enrolled):
    staff = operator_staff(enrolled.session)
    enrolment_move(membership=staff, enrolment=enrolled, to_state="abandoned", reason="other", detail="Parti à Lyon")
    assert "Parti à Lyon" in EnrolmentTransition.objects.get(enrolment=enrolled, to_state="abandoned").reason


def test_health_reason_masked_on_the_page_without_health_consent(login, enrolled):
    staff = operator_staff(enrolled.session)
    enrolment_move(membership=staff, enrolment=enrolled, to_state="abandoned", reason="health", detail=SECRET)
    member = enrolled.proposed_by
    html = html_of(login(member).get(reverse("enrolment_detail", args=[enrolled.pk])))
    assert escape(HEALTH_MASK) in html
    assert escape("Raisons de santé") not in html
    assert escape(SECRET) not in html


def test_health_reason_masked_for_an_old_log_line_with_its_detail(login):
    """A log line written before the fix still held the free text: the page masks it."""
    enrolment = EnrolmentFactory(
        state=EnrolmentState.ABANDONED,
        enrolled_on=TODAY,
        exited_on=TODAY,
        abandon_reason="health",
        reason_detail=SECRET,
    )
    EnrolmentTransition.objects.create(
        enrolment=enrolment, from_state="enrolled", to_state="abandoned", at=timezone.now(), reason=f"x — {SECRET}"
    )
    html = html_of(login(enrolment.proposed_by).get(reverse("enrolment_detail", args=[enrolment.pk])))
    assert escape(SECRET) not in html
    assert escape(HEALTH_MASK) in html


def test_health_reason_shown_with_health_consent(login, enrolled):
    staff = operator_staff(enrolled.session)
    enrolment_move(membership=staff, enrolment=enrolled, to_state="abandoned", reason="health", detail=SECRET)
    member = enrolled.proposed_by
    ConsentFactory(person=enrolled.pathway.person, organisation=member.organisation, category=DataCategory.HEALTH)
    html = html_of(login(member).get(reverse("enrolment_detail", args=[enrolled.pk])))
    assert escape(f"Raisons de santé : {SECRET}") in html
    assert escape(HEALTH_MASK) not in html


def test_session_page_does_not_show_the_health_reason(login, enrolled):
    staff = operator_staff(enrolled.session)
    enrolment_move(membership=staff, enrolment=enrolled, to_state="abandoned", reason="health", detail=SECRET)
    html = html_of(login(staff).get(reverse("session_detail", args=[enrolled.session_id])))
    assert enrolled.pathway.person.full_name in html
    assert escape(SECRET) not in html
    assert escape("Raisons de santé") not in html


# --- 3. the follow-up member's withdraw button --------------------------------------------------------------


@pytest.mark.parametrize("state", [EnrolmentState.CANDIDATE, EnrolmentState.SELECTED, EnrolmentState.WAITING_LIST])
def test_withdraw_form_as_rendered_withdraws_the_candidacy(login, state):
    enrolment = EnrolmentFactory(state=state, waiting_since=timezone.now() if state == "waiting_list" else None)
    client = login(enrolment.proposed_by)
    html = html_of(client.get(reverse("enrolment_detail", args=[enrolment.pk])))
    action = reverse("enrolment_transition", args=[enrolment.pk, "not_selected"])
    data = form_fields(html, action)
    assert data["reason"] == "person_declined"
    response = client.post(action, data)
    assert response.status_code == 302
    enrolment.refresh_from_db()
    assert (enrolment.state, enrolment.not_selected_reason) == ("not_selected", "person_declined")


def test_follow_up_member_may_not_give_another_reason(login):
    enrolment = EnrolmentFactory(state=EnrolmentState.SELECTED)
    client = login(enrolment.proposed_by)
    action = reverse("enrolment_transition", args=[enrolment.pk, "not_selected"])
    assert client.post(action, {"reason": "not_eligible"}).status_code == 403
    assert client.post(action, {}).status_code == 403
    enrolment.refresh_from_db()
    assert enrolment.state == EnrolmentState.SELECTED
    with pytest.raises(PermissionDenied):
        enrolment_move(membership=enrolment.proposed_by, enrolment=enrolment, to_state="not_selected", reason="other")


# --- 4. the waiting list ----------------------------------------------------------------------------------


def _waiting(session, minutes_ago: int):
    return EnrolmentFactory(
        session=session,
        state=EnrolmentState.WAITING_LIST,
        waiting_since=timezone.now() - DAYS(minutes=minutes_ago),
        proposed_at=timezone.now() - DAYS(days=1),
    )


def _moves(staff, enrolment):
    return [s for s, _label in transitions_for(membership=staff, enrolment=enrolment)]


def test_the_reviewers_scenario_the_freed_place_goes_to_the_waiting_list(login):
    session = SessionFactory(places=1)
    staff = operator_staff(session)
    a, b, c = (EnrolmentFactory(session=session, state=EnrolmentState.SELECTED) for _ in range(3))
    enrolment_move(membership=staff, enrolment=a, to_state="enrolled")
    enrolment_move(membership=staff, enrolment=b, to_state="waiting_list")
    enrolment_move(membership=staff, enrolment=a, to_state="abandoned", reason="moved")
    before = (EnrolmentTransition.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ValidationError) as info:
        enrolment_move(membership=staff, enrolment=c, to_state="enrolled")
    assert "rang 1" in info.value.messages[0]
    assert b.pathway.person.full_name in info.value.messages[0]
    assert "liste d'attente" in info.value.messages[0]
    assert (EnrolmentTransition.objects.count(), AuditEntry.objects.count()) == before
    c.refresh_from_db()
    assert c.state == EnrolmentState.SELECTED and c.enrolled_on is None
    assert "enrolled" not in _moves(staff, c)
    assert "waiting_list" in _moves(staff, c)
    b.refresh_from_db()
    assert "enrolled" in _moves(staff, b)
    enrolment_move(membership=staff, enrolment=b, to_state="enrolled")
    b.refresh_from_db()
    assert b.state == EnrolmentState.ENROLLED


def test_a_later_person_on_the_list_may_not_pass_the_first():
    session = SessionFactory(places=1)
    staff = operator_staff(session)
    first, second = _waiting(session, 30), _waiting(session, 10)
    assert services_enrolment.waiting_queue(session) == [first.pk, second.pk]
    with pytest.raises(ValidationError) as info:
        enrolment_move(membership=staff, enrolment=second, to_state="enrolled")
    assert "rang 2" in info.value.messages[0] and "rang 1" in info.value.messages[0]
    second.refresh_from_db()
    assert second.state == EnrolmentState.WAITING_LIST
    assert "enrolled" not in _moves(staff, second)
    assert "enrolled" in _moves(staff, first)
    enrolment_move(membership=staff, enrolment=first, to_state="not_selected", reason="person_declined")
    assert "enrolled" in _moves(staff, second)
    enrolment_move(membership=staff, enrolment=second, to_state="enrolled")


def test_selected_person_enrolled_when_nobody_waits():
    session = SessionFactory(places=1)
    staff = operator_staff(session)
    selected = EnrolmentFactory(session=session, state=EnrolmentState.SELECTED)
    assert "enrolled" in _moves(staff, selected)
    assert enrolment_move(membership=staff, enrolment=selected, to_state="enrolled").state == "enrolled"


def test_session_page_offers_the_place_to_the_head_of_the_queue_only(login):
    session = SessionFactory(places=1)
    staff = operator_staff(session)
    first, second = _waiting(session, 30), _waiting(session, 10)
    selected = EnrolmentFactory(session=session, state=EnrolmentState.SELECTED)
    html = html_of(login(staff).get(reverse("session_detail", args=[session.pk])))
    assert reverse("enrolment_transition", args=[first.pk, "enrolled"]) in html
    assert reverse("enrolment_transition", args=[second.pk, "enrolled"]) not in html
    assert reverse("enrolment_transition", args=[selected.pk, "enrolled"]) not in html
    assert reverse("enrolment_transition", args=[selected.pk, "waiting_list"]) in html


def test_jumping_the_queue_through_the_page_is_refused_with_the_message(login):
    session = SessionFactory(places=1)
    staff = operator_staff(session)
    _waiting(session, 30)
    second = _waiting(session, 10)
    client = login(staff)
    response = client.post(reverse("enrolment_transition", args=[second.pk, "enrolled"]), follow=True)
    assert "rang 2" in response.content.decode()
    second.refresh_from_db()
    assert second.state == EnrolmentState.WAITING_LIST


def test_a_cancelled_session_takes_nobody_in():
    session = SessionFactory(places=3)
    staff = operator_staff(session)
    selected = EnrolmentFactory(session=session, state=EnrolmentState.SELECTED)
    enrolled = EnrolmentFactory(
        session=session, state=EnrolmentState.ENROLLED, enrolled_on=TODAY, proposed_at=timezone.now() - DAYS(days=2)
    )
    session.status = SessionStatus.CANCELLED
    session.save(update_fields=["status"])
    selected.session.refresh_from_db()
    enrolled.session.refresh_from_db()
    before = EnrolmentTransition.objects.count()
    for enrolment, to_state in ((selected, "enrolled"), (enrolled, "in_progress")):
        with pytest.raises(ValidationError) as info:
            enrolment_move(membership=staff, enrolment=enrolment, to_state=to_state)
        assert "annulée" in info.value.messages[0]
        assert to_state not in _moves(staff, enrolment)
    assert EnrolmentTransition.objects.count() == before
    # the other moves stay possible (closing the files of the people concerned)
    assert "not_selected" in _moves(staff, selected)
    enrolment_move(membership=staff, enrolment=enrolled, to_state="abandoned", reason="other", detail="Session annulée")


def _enrol(staff, enrolment):
    return lambda: enrolment_move(membership=staff, enrolment=enrolment, to_state="enrolled")


@pytest.mark.django_db(transaction=True)
def test_two_operators_serving_the_queue_at_once_serve_the_first_person():
    for _ in range(3):
        session = SessionFactory(places=1)
        first, second = _waiting(session, 30), _waiting(session, 10)
        staff = [operator_staff(session), operator_staff(session)]

        outcomes = run_together(_enrol(staff[0], second), _enrol(staff[1], first))

        assert isinstance(outcomes[0], ValidationError), outcomes
        assert isinstance(outcomes[1], Enrolment), outcomes
        states = dict(Enrolment.objects.filter(session=session).values_list("pk", "state"))
        assert states == {first.pk: "enrolled", second.pk: "waiting_list"}
