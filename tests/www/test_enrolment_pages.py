"""The enrolment page and its forms, and the follow-up survey pages: what each reader sees, the
refused cases (404 for an enrolment or survey out of scope, 403 for a non-accompanying role), the
sensitive eligibility values hidden without consent, and form errors with nothing written."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from parcours.audit.models import AuditEntry
from parcours.organisations.enums import Role
from parcours.pathways.models import FollowUpMember
from parcours.people.enums import DataCategory
from parcours.programmes import enums
from parcours.programmes.models import Certification, Enrolment, FollowUpSurvey, StepRecord
from tests.factories import ConsentFactory, MembershipFactory
from tests.programmes.factories import EnrolmentFactory, FollowUpSurveyFactory, ProgrammeStepFactory, operator_staff

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)

SNAPSHOT = {
    "status": "eligible",
    "evaluated_on": "2025-01-10",
    "criteria": [
        {
            "field": "age",
            "label": "Âge",
            "op": "between",
            "expected_display": "entre 18 et 64 ans",
            "value": 34,
            "value_display": "34 ans",
            "status": "met",
            "reason": "34 ans : dans l'intervalle.",
            "ask": "",
            "category": "",
        },
        {
            "field": "protection_status",
            "label": "Statut de protection",
            "op": "in",
            "expected_display": "réfugié·e ou protection subsidiaire",
            "value": "refugee",
            "value_display": "Réfugié·e statutaire",
            "status": "met",
            "reason": "Réfugié·e statutaire : dans la liste.",
            "ask": "",
            "category": DataCategory.ASYLUM_HISTORY,
        },
    ],
}


def html_of(response) -> str:
    html = response.content.decode()
    assert "!!INVALID" not in html
    return html


@pytest.fixture
def enrolment():
    return EnrolmentFactory(
        state=enums.EnrolmentState.IN_PROGRESS,
        enrolled_on=TODAY - 30 * DAY,
        entered_on=TODAY - 20 * DAY,
        eligibility=SNAPSHOT,
        pathway__person__first_name="Amina",
        pathway__person__last_name="Rahimi",
    )


@pytest.fixture
def french(enrolment):
    return ProgrammeStepFactory(programme=enrolment.programme, label="Cours de français", target_hours=200)


def referent(enrolment):
    return FollowUpMember.objects.get(pathway=enrolment.pathway, is_referent=True).membership


def url(name, *args):
    return reverse(name, args=args)


def test_operator_staff_sees_the_page_without_sensitive_values(login, enrolment, french):
    staff = operator_staff(enrolment.session)
    response = login(staff).get(url("enrolment_detail", enrolment.pk))
    assert response.status_code == 200
    html = html_of(response)
    assert "Amina RAHIMI" in html
    assert escape(enrolment.programme.name) in html and escape(enrolment.session.label) in html
    assert "34 ans" in html
    assert escape("Réfugié·e statutaire") not in html
    assert "Donnée sensible" in html
    assert "Cours de français" in html and "0 h sur 200 h" in html
    assert AuditEntry.objects.filter(action="read", object_type="programmes.enrolment:enrolment_detail").exists()


def test_a_consented_reader_sees_the_sensitive_value(login, enrolment):
    member = referent(enrolment)
    ConsentFactory(
        person=enrolment.pathway.person, organisation=member.organisation, category=DataCategory.ASYLUM_HISTORY
    )
    html = html_of(login(member).get(url("enrolment_detail", enrolment.pk)))
    assert escape("Réfugié·e statutaire") in html
    # The referent is in the follow-up group: the breadcrumb links to the pathway.
    assert url("pathway", enrolment.pathway_id) in html


@pytest.mark.parametrize(
    "who",
    [
        lambda e: MembershipFactory(),
        lambda e: MembershipFactory(organisation=e.session.operator, role=Role.ADMIN_STRUCTURE),
    ],
)
def test_others_get_404_on_every_enrolment_url(login, enrolment, french, who):
    client = login(who(enrolment))
    assert client.get(url("enrolment_detail", enrolment.pk)).status_code == 404
    assert client.post(url("enrolment_step_add", enrolment.pk, french.pk), {"done_on": TODAY}).status_code == 404
    assert client.post(url("enrolment_certification_add", enrolment.pk), {}).status_code == 404
    assert client.post(url("enrolment_contract_add", enrolment.pk), {}).status_code == 404
    assert client.post(url("enrolment_outcome", enrolment.pk), {"outcome": "job_search"}).status_code == 404
    assert StepRecord.objects.count() == 0


def test_anonymous_is_sent_to_login(client, enrolment):
    response = client.get(url("enrolment_detail", enrolment.pk))
    assert response.status_code == 302 and "connexion" in response["Location"]


def test_recording_french_hours(login, enrolment, french):
    client = login(operator_staff(enrolment.session))
    response = client.post(
        url("enrolment_step_add", enrolment.pk, french.pk),
        {"done_on": TODAY.isoformat(), "hours": "12,5", "evidence": "Feuille d'émargement"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"#step-{french.pk}")
    record = StepRecord.objects.get()
    assert str(record.hours) == "12.5"
    html = html_of(client.get(url("enrolment_detail", enrolment.pk)))
    assert "12,5 h sur 200 h" in html or "12.5 h sur 200 h" in html


def test_negative_hours_show_the_error_and_write_nothing(login, enrolment, french):
    client = login(referent(enrolment))
    response = client.post(url("enrolment_step_add", enrolment.pk, french.pk), {"done_on": TODAY, "hours": "-3"})
    assert response.status_code == 200
    assert "ne peut pas être négatif" in html_of(response)
    assert StepRecord.objects.count() == 0


def test_a_step_of_another_programme_is_404(login, enrolment):
    other = ProgrammeStepFactory()
    response = login(referent(enrolment)).post(url("enrolment_step_add", enrolment.pk, other.pk), {"done_on": TODAY})
    assert response.status_code == 404


def test_a_delf_without_level_is_refused_then_recorded(login, enrolment):
    client = login(referent(enrolment))
    data = {"kind": "language", "exam": "delf", "obtained_on": TODAY.isoformat()}
    response = client.post(url("enrolment_certification_add", enrolment.pk), data)
    assert response.status_code == 200
    assert "niveau CECRL obtenu" in html_of(response)
    assert Certification.objects.count() == 0
    response = client.post(url("enrolment_certification_add", enrolment.pk), {**data, "level": "A2"})
    assert response.status_code == 302
    assert Certification.objects.get().level == "A2"


def test_a_contract_ending_before_it_starts_is_refused(login, enrolment):
    response = login(referent(enrolment)).post(
        url("enrolment_contract_add", enrolment.pk),
        {
            "company": "Propreté Atlantique",
            "contract_kind": "apprenticeship",
            "starts_on": TODAY.isoformat(),
            "ends_on": (TODAY - DAY).isoformat(),
        },
    )
    assert response.status_code == 200
    assert "ne peut pas se terminer avant de commencer" in html_of(response)


def test_the_outcome_before_the_exit_is_refused_on_the_page(login, enrolment):
    response = login(referent(enrolment)).post(url("enrolment_outcome", enrolment.pk), {"outcome": "job_search"})
    assert response.status_code == 200
    assert "une fois le parcours terminé ou abandonné" in html_of(response)
    assert Enrolment.objects.get(pk=enrolment.pk).exit_outcome == ""


def test_a_candidacy_page_offers_no_progress_form(login):
    candidacy = EnrolmentFactory(eligibility=SNAPSHOT)
    html = html_of(login(referent(candidacy)).get(url("enrolment_detail", candidacy.pk)))
    assert "se renseignent une fois la personne inscrite" in html
    assert url("enrolment_certification_add", candidacy.pk) not in html


def test_the_exited_page_shows_outcome_form_and_surveys(login):
    exited = EnrolmentFactory(
        state=enums.EnrolmentState.COMPLETED,
        enrolled_on=TODAY - 300 * DAY,
        entered_on=TODAY - 290 * DAY,
        exited_on=TODAY - 200 * DAY,
    )
    survey = FollowUpSurveyFactory(enrolment=exited, due_on=TODAY - 20 * DAY)
    client = login(referent(exited))
    html = html_of(client.get(url("enrolment_detail", exited.pk)))
    assert url("enrolment_outcome", exited.pk) in html
    assert url("survey_answer", survey.pk) in html
    response = client.post(url("enrolment_outcome", exited.pk), {"outcome": "work_study"})
    assert response.status_code == 302
    assert Enrolment.objects.get(pk=exited.pk).exit_outcome == "work_study"


def test_a_vae_enrolment_links_to_its_vae_page(login):
    vae = EnrolmentFactory(session__programme__kind=enums.ProgrammeKind.VAE)
    html = html_of(login(referent(vae)).get(url("enrolment_detail", vae.pk)))
    assert url("vae_detail", vae.pk) in html


# --- surveys -------------------------------------------------------------------------------------------


@pytest.fixture
def survey():
    exited = EnrolmentFactory(
        state=enums.EnrolmentState.ABANDONED,
        abandon_reason=enums.AbandonReason.HEALTH,
        enrolled_on=TODAY - 300 * DAY,
        entered_on=TODAY - 290 * DAY,
        exited_on=TODAY - 190 * DAY,
        pathway__person__first_name="Karim",
        pathway__person__last_name="Haddad",
    )
    return FollowUpSurveyFactory(enrolment=exited, wave_months=6, due_on=TODAY - 7 * DAY)


def test_the_referent_sees_the_survey_due_and_answers_no_answer(login, survey):
    client = login(referent(survey.enrolment))
    html = html_of(client.get(url("survey_todo")))
    assert "Karim HADDAD" in html and escape(survey.enrolment.programme.name) in html
    assert url("survey_answer", survey.pk) in html
    assert html_of(client.get(url("survey_answer", survey.pk)))
    response = client.post(url("survey_answer", survey.pk), {"status": "no_answer", "answered_on": TODAY.isoformat()})
    assert response.status_code == 302
    survey.refresh_from_db()
    assert (survey.status, survey.employment) == ("no_answer", "")
    html = html_of(client.get(url("survey_todo")))
    assert "enquête de suivi de Karim HADDAD est enregistrée" in html
    assert url("survey_answer", survey.pk) not in html


def test_answered_without_employment_shows_the_error(login, survey):
    response = login(referent(survey.enrolment)).post(
        url("survey_answer", survey.pk), {"status": "answered", "answered_on": TODAY.isoformat()}
    )
    assert response.status_code == 200
    assert escape("situation d'emploi donnée par la personne") in html_of(response)
    assert FollowUpSurvey.objects.get(pk=survey.pk).status == "pending"


def test_someone_else_gets_404_on_the_survey(login, survey):
    client = login(MembershipFactory())
    assert client.get(url("survey_answer", survey.pk)).status_code == 404
    assert (
        client.post(url("survey_answer", survey.pk), {"status": "no_answer", "answered_on": TODAY}).status_code == 404
    )
    assert "Karim" not in html_of(client.get(url("survey_todo")))
    assert FollowUpSurvey.objects.get(pk=survey.pk).status == "pending"


def test_the_survey_list_is_refused_to_a_non_accompanying_role(login):
    response = login(MembershipFactory(role=Role.ADMIN_STRUCTURE)).get(url("survey_todo"))
    assert response.status_code == 403


def test_operator_staff_gets_the_transition_forms_back_to_this_page(login, enrolment):
    html = html_of(login(operator_staff(enrolment.session)).get(url("enrolment_detail", enrolment.pk)))
    assert url("enrolment_transition", enrolment.pk, "completed") in html
    assert url("enrolment_transition", enrolment.pk, "abandoned") in html
    assert escape(str(enums.AbandonReason.HEALTH.label)) in html
    assert f'name="next" value="{url("enrolment_detail", enrolment.pk)}"' in html


def test_a_follow_up_member_gets_no_transition_on_an_enrolment_in_progress(login, enrolment):
    html = html_of(login(referent(enrolment)).get(url("enrolment_detail", enrolment.pk)))
    assert url("enrolment_transition", enrolment.pk, "completed") not in html
    assert "Aucun changement d" in html


# --- a group ("au moins une condition parmi") with a sensitive criterion ------------------------------------


def group_snapshot() -> dict:
    """The snapshot a consented proposer took: the group met by the RQTH (a disability datum)."""
    from parcours.programmes.eligibility import evaluate

    rules = [
        {"field": "age", "op": "gte", "value": 26},
        {
            "any": [
                {"field": "rsa_status", "op": "in", "value": ["open", "suspended"]},
                {"field": "has_rqth", "op": "is_true"},
            ],
            "label": "Public prioritaire",
        },
    ]
    facts = {"age": 40, "rsa_status": "none", "has_rqth": True}
    return evaluate(rules, facts, today=datetime.date(2025, 1, 10)).as_dict()


@pytest.fixture
def group_enrolment():
    return EnrolmentFactory(
        state=enums.EnrolmentState.IN_PROGRESS,
        enrolled_on=TODAY - 30 * DAY,
        entered_on=TODAY - 20 * DAY,
        eligibility=group_snapshot(),
        eligibility_status="eligible",
    )


def test_a_group_with_a_hidden_sensitive_criterion_is_hidden_whole(login, group_enrolment):
    staff = operator_staff(group_enrolment.session)
    html = html_of(login(staff).get(url("enrolment_detail", group_enrolment.pk)))
    assert "Public prioritaire" in html and "40 ans" in html
    assert "remplie par" not in html
    # The rule (what is expected) is public; the value used is not.
    assert "<td>" + escape("Reconnaissance de travailleur handicapé (RQTH) : oui") not in html
    assert escape("RSA : Non") not in html  # the group's other criterion is hidden with it
    assert html.count("Donnée sensible") == 3  # the group and its two criteria
    assert escape("non consultable (données non partagées avec votre structure)") in html


def test_a_reader_consented_for_the_group_sees_it_and_its_criteria(login, group_enrolment):
    member = referent(group_enrolment)
    ConsentFactory(
        person=group_enrolment.pathway.person, organisation=member.organisation, category=DataCategory.DISABILITY
    )
    html = html_of(login(member).get(url("enrolment_detail", group_enrolment.pk)))
    assert "Donnée sensible" not in html
    assert escape("remplie par « Reconnaissance de travailleur handicapé (RQTH) »") in html
    assert "<td>" + escape("Reconnaissance de travailleur handicapé (RQTH) : oui") in html
    assert escape("ou :") in html
    assert escape("Non rempli") in html  # the RSA, inside the group
