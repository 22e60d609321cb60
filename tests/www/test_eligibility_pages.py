"""The programme declaration pages and the eligibility pages of a pathway: what they show, bad input
(French messages, nothing written) and who may open them."""

import datetime
import json

import pytest
from django.urls import reverse
from django.utils.html import escape

from parcours.organisations.enums import OrganisationKind
from parcours.people.enums import DataCategory
from parcours.programmes.enums import EnrolmentState, SessionStatus
from parcours.programmes.models import Programme
from tests.factories import (
    ConsentFactory,
    FollowUpMemberFactory,
    MembershipFactory,
    OrganisationFactory,
    PathwayFactory,
    PersonFactory,
    TerritoryGrantFactory,
)
from tests.programmes.factories import EnrolmentFactory, ProgrammeFactory, SessionFactory

pytestmark = pytest.mark.django_db

RULES = [
    {"field": "protection_status", "op": "in", "value": ["refugee", "subsidiary"]},
    {"field": "age", "op": "between", "value": [18, 64]},
    {"field": "right_to_work", "op": "is_true"},
]


def html_of(response) -> str:
    html = response.content.decode()
    assert "!!INVALID" not in html
    return html


def shows(html: str, text: str) -> bool:
    return escape(text) in html or text in html


@pytest.fixture
def owner(db):
    return OrganisationFactory(kind=OrganisationKind.DDETS, name="DDETS 44")


@pytest.fixture
def pilote(owner):
    return MembershipFactory(organisation=owner, pilote=True)


@pytest.fixture
def programme(owner):
    return ProgrammeFactory(owner=owner, code="hope-44", name="HOPE 44", eligibility_rules=RULES)


@pytest.fixture
def refugee_pathway(membership):
    return PathwayFactory(person=PersonFactory(refugee=True), referent=membership)


def form_data(**overrides):
    data = {
        "code": "plie-nantes",
        "name": "PLIE Nantes",
        "kind": "general",
        "description": "Plan local pour l'insertion et l'emploi.",
        "duration_months": "12",
        "target_publics": ["long_term_unemployed"],
        "rome_codes": "",
        "operators": "",
        "positive_outcomes": ["sustainable_employment"],
        "indicators": ["entrants"],
        "eligibility_rules": json.dumps([{"field": "departement", "op": "in", "value": ["44"]}]),
        "steps": json.dumps([{"kind": "training_module", "label": "Module découverte", "week": 2}]),
        "is_active": "on",
    }
    data.update(overrides)
    return data


# --- declaring -------------------------------------------------------------------------------------------


def test_declare_page_lists_fields_and_operators(login, pilote):
    html = html_of(login(pilote).get(reverse("programme_declare")))
    assert "Déclarer un programme" in html
    assert "<code>years_since_arrival</code>" in html
    assert "<code>at_least</code>" in html


def test_a_pilote_declares_a_programme(login, pilote):
    response = login(pilote).post(reverse("programme_declare"), form_data())
    programme = Programme.objects.get(code="plie-nantes")
    assert response.status_code == 302
    assert response["Location"] == reverse("programme_detail", args=["plie-nantes"])
    assert programme.owner == pilote.organisation
    assert programme.steps.get().label == "Module découverte"
    assert programme.eligibility_rules == [{"field": "departement", "op": "in", "value": ["44"]}]


def test_bad_rules_get_a_message_per_criterion_and_nothing_is_written(login, pilote):
    rules = [{"field": "agee", "op": "gte", "value": 18}, {"field": "age", "op": "plus", "value": 18}]
    response = login(pilote).post(reverse("programme_declare"), form_data(eligibility_rules=json.dumps(rules)))
    html = html_of(response)
    assert response.status_code == 200
    assert shows(html, 'Critère n° 1 : champ inconnu "agee"')
    assert shows(html, 'Critère n° 2 (Âge) : opérateur inconnu "plus"')
    assert not Programme.objects.exists()


def test_broken_json_gets_its_line_and_column(login, pilote):
    response = login(pilote).post(reverse("programme_declare"), form_data(steps='[{"kind": "french",'))
    html = html_of(response)
    assert shows(html, "Étapes : JSON invalide à la ligne 1")
    assert not Programme.objects.exists()


def test_service_errors_come_back_on_their_field(login, pilote):
    response = login(pilote).post(reverse("programme_declare"), form_data(code="declarer", rome_codes="Z9999"))
    html = html_of(response)
    assert shows(html, "Le code « declarer » est réservé")
    assert shows(html, "Métiers : code(s) ROME inconnu(s) Z9999.")
    assert not Programme.objects.exists()


def test_a_counsellor_may_not_declare(login, membership):
    response = login(membership).post(reverse("programme_declare"), form_data())
    assert response.status_code == 403
    assert login(membership).get(reverse("programme_declare")).status_code == 403
    assert not Programme.objects.exists()


def test_declare_needs_login(client):
    response = client.get(reverse("programme_declare"))
    assert response.status_code == 302


def test_edit_page_is_prefilled_and_saves(login, pilote, programme):
    client = login(pilote)
    html = html_of(client.get(reverse("programme_edit", args=[programme.code])))
    assert shows(html, '"field": "protection_status"')
    response = client.post(
        reverse("programme_edit", args=[programme.code]),
        form_data(code="hope-44", name="HOPE 44 — 2026", eligibility_rules=json.dumps(RULES[:1])),
    )
    assert response.status_code == 302
    programme.refresh_from_db()
    assert programme.name == "HOPE 44 — 2026"
    assert programme.eligibility_rules == RULES[:1]


def test_edit_refused_to_a_pilote_of_another_organisation(login, programme):
    other = MembershipFactory(pilote=True)
    response = login(other).post(reverse("programme_edit", args=[programme.code]), form_data(code="hope-44"))
    assert response.status_code == 403
    programme.refresh_from_db()
    assert programme.name == "HOPE 44"


def test_edit_of_an_unknown_programme_is_404(login, pilote):
    assert login(pilote).get(reverse("programme_edit", args=["inconnu"])).status_code == 404


# --- the pathway's programmes tab --------------------------------------------------------------------------


def test_programmes_tab_lists_enrolments_and_eligibility(login, membership, refugee_pathway, programme):
    enrolment = EnrolmentFactory(
        session=SessionFactory(programme=ProgrammeFactory(name="VAE nouveaux arrivants")),
        pathway=refugee_pathway,
        state=EnrolmentState.IN_PROGRESS,
    )
    html = html_of(login(membership).get(reverse("pathway_programmes", args=[refugee_pathway.pk])))
    assert reverse("enrolment_detail", args=[enrolment.pk]) in html
    assert "VAE nouveaux arrivants" in html
    assert "En cours" in html
    # No consent for the sensitive data: undetermined, never "not eligible".
    assert "Indéterminé" in html
    assert reverse("eligibility_check", args=[refugee_pathway.pk, programme.code]) in html
    assert reverse("pathway_projects", args=[refugee_pathway.pk]) in html


def test_programmes_tab_reads_a_constant_number_of_queries(
    login, membership, refugee_pathway, programme, django_assert_max_num_queries
):
    for _ in range(5):
        ProgrammeFactory(eligibility_rules=RULES)
        EnrolmentFactory(
            session=SessionFactory(),
            pathway=refugee_pathway,
            state=EnrolmentState.NOT_SELECTED,
            not_selected_reason="other",
        )
    client = login(membership)
    with django_assert_max_num_queries(30):
        assert client.get(reverse("pathway_programmes", args=[refugee_pathway.pk])).status_code == 200


def test_programmes_tab_is_404_for_a_professional_outside_the_group(login, refugee_pathway, programme):
    stranger = MembershipFactory()
    assert login(stranger).get(reverse("pathway_programmes", args=[refugee_pathway.pk])).status_code == 404


# --- the eligibility check -----------------------------------------------------------------------------------


def test_check_explains_each_criterion_and_asks_for_consent(login, membership, refugee_pathway, programme):
    html = html_of(login(membership).get(reverse("eligibility_check", args=[refugee_pathway.pk, programme.code])))
    assert "Indéterminé" in html
    assert "non consultable" in html
    assert shows(html, "Recueillir le consentement de la personne pour la catégorie « Parcours d'asile et protection »")
    age = refugee_pathway.person.age
    assert shows(html, f"Âge : {age} ans, entre 18 et 64 ans : condition remplie.")


def test_check_with_consent_shows_the_values_used(login, membership, refugee_pathway, programme):
    for category in (DataCategory.ASYLUM_HISTORY, DataCategory.RESIDENCE_STATUS):
        ConsentFactory(person=refugee_pathway.person, organisation=membership.organisation, category=category)
    html = html_of(login(membership).get(reverse("eligibility_check", args=[refugee_pathway.pk, programme.code])))
    assert "Éligible" in html
    assert shows(
        html,
        "Statut de protection : Réfugié·e (BPI), parmi Réfugié·e (BPI) ou Protection subsidiaire (BPI) : condition remplie.",
    )
    assert shows(html, "Autorisé·e à travailler : oui : condition remplie.")


def test_check_lists_open_sessions_with_places_and_a_proposal_link(login, membership, refugee_pathway, programme):
    open_session = SessionFactory(programme=programme, label="AFPA Saint-Herblain — mars", places=12)
    EnrolmentFactory(session=open_session, state=EnrolmentState.ENROLLED)
    closed = SessionFactory(programme=programme, label="Session close", status=SessionStatus.CLOSED)
    html = html_of(login(membership).get(reverse("eligibility_check", args=[refugee_pathway.pk, programme.code])))
    assert "AFPA Saint-Herblain — mars" in html
    assert "11 / 12" in html
    assert reverse("enrolment_propose", args=[open_session.pk, refugee_pathway.pk]) in html
    assert closed.label not in html


def test_check_refused_to_a_reader_outside_the_follow_up_group(login, refugee_pathway, programme):
    # An orientation officer of the département sees the pathway, but is not in its group.
    officer = TerritoryGrantFactory(departement=refugee_pathway.departement).membership
    assert login(officer).get(reverse("pathway_programmes", args=[refugee_pathway.pk])).status_code == 200
    response = login(officer).get(reverse("eligibility_check", args=[refugee_pathway.pk, programme.code]))
    assert response.status_code == 403


def test_check_is_404_for_a_stranger_and_for_an_unknown_programme(login, membership, refugee_pathway, programme):
    stranger = MembershipFactory()
    assert (
        login(stranger).get(reverse("eligibility_check", args=[refugee_pathway.pk, programme.code])).status_code == 404
    )
    assert login(membership).get(reverse("eligibility_check", args=[refugee_pathway.pk, "inconnu"])).status_code == 404


def test_a_group_member_who_is_not_referent_may_check(login, refugee_pathway, programme):
    member = FollowUpMemberFactory(pathway=refugee_pathway).membership
    response = login(member).get(reverse("eligibility_check", args=[refugee_pathway.pk, programme.code]))
    assert response.status_code == 200


# --- review fixes: non-finite numbers, non-ASCII digits -------------------------------------------------


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_number_in_the_rules_gets_a_message(login, pilote, constant):
    rules = '[{"field": "age", "op": "gte", "value": ' + constant + "}]"
    response = login(pilote).post(reverse("programme_declare"), form_data(eligibility_rules=rules))
    html = html_of(response)
    assert response.status_code == 200
    assert shows(html, f"Règles d'éligibilité : « {constant} » n'est pas un nombre accepté ; indiquez un nombre fini.")
    assert not Programme.objects.exists()


@pytest.mark.parametrize("operators", ["²", "٣", "12²"])
def test_non_ascii_digits_in_operators_get_a_message(login, pilote, operators):
    response = login(pilote).post(reverse("programme_declare"), form_data(operators=operators))
    html = html_of(response)
    assert response.status_code == 200
    assert shows(html, f"Opérateurs : {operators} n'est ni un identifiant d'organisation ni un SIRET à 14 chiffres.")
    assert not Programme.objects.exists()


# --- groups: one criterion suffices ---------------------------------------------------------------------

PLIE_RULES = [
    {"field": "age", "op": "gte", "value": 18},
    {
        "any": [
            {"field": "rsa_status", "op": "in", "value": ["open", "suspended"]},
            {"field": "has_rqth", "op": "is_true"},
            {"field": "education_level", "op": "at_most", "value": "3"},
        ],
        "label": "Public prioritaire",
    },
]


@pytest.fixture
def plie(owner):
    return ProgrammeFactory(owner=owner, code="plie", name="PLIE", eligibility_rules=PLIE_RULES)


def test_check_shows_a_met_group_and_each_of_its_criteria(login, membership, plie):
    person = PersonFactory(birth_date=datetime.date(1980, 1, 1), rsa_status="none", education_level="1")
    pathway = PathwayFactory(person=person, referent=membership)
    html = html_of(login(membership).get(reverse("eligibility_check", args=[pathway.pk, plie.code])))
    assert "Éligible" in html
    assert shows(html, "une condition suffit parmi les 3 suivantes")
    assert shows(html, "au moins une condition parmi : RSA : parmi Droits ouverts ou Suspendus")
    assert shows(html, "— remplie par « Niveau de formation ».")
    assert html.count(escape("ou (Public prioritaire) :")) == 3
    assert shows(html, "RSA : Non, attendu parmi Droits ouverts ou Suspendus : condition non remplie.")
    assert "non consultable" in html  # the RQTH, hidden, does not matter: one criterion suffices
    assert shows(html, "Niveau de formation : Scolarité primaire ou collège, sans diplôme, au plus Niveau 3")


def test_check_of_an_undetermined_group_asks_for_one_of_its_criteria(login, membership, plie):
    person = PersonFactory(birth_date=datetime.date(1980, 1, 1), rsa_status="none", education_level="5")
    pathway = PathwayFactory(person=person, referent=membership)
    html = html_of(login(membership).get(reverse("eligibility_check", args=[pathway.pk, plie.code])))
    assert "Indéterminé" in html
    assert shows(html, "« Public prioritaire » (une seule condition suffit) : Recueillir le consentement")
    assert shows(html, "impossible de conclure sans vérifier « Reconnaissance de travailleur handicapé (RQTH) »")


def test_programmes_tab_names_an_unmet_group(login, membership, plie):
    person = PersonFactory(birth_date=datetime.date(1980, 1, 1), rsa_status="none", education_level="5")
    pathway = PathwayFactory(person=person, referent=membership)
    ConsentFactory(person=person, organisation=membership.organisation, category=DataCategory.DISABILITY)
    html = html_of(login(membership).get(reverse("pathway_programmes", args=[pathway.pk])))
    assert shows(html, "Non rempli : Public prioritaire")


def test_a_pilote_declares_a_group_and_the_programme_page_reads_it(login, pilote):
    response = login(pilote).post(reverse("programme_declare"), form_data(eligibility_rules=json.dumps(PLIE_RULES)))
    assert response.status_code == 302
    assert Programme.objects.get(code="plie-nantes").eligibility_rules == PLIE_RULES
    html = html_of(login(pilote).get(reverse("programme_detail", args=["plie-nantes"])))
    assert shows(html, "<strong>Public prioritaire</strong> : au moins une condition parmi")
    assert shows(html, "ou <strong>Niveau de formation</strong> : au plus Niveau 3 (CAP, BEP)")


def test_a_bad_group_gets_its_message_and_nothing_is_written(login, pilote):
    rules = [{"any": [{"field": "has_rqth", "op": "is_true"}, {"any": []}]}]
    response = login(pilote).post(reverse("programme_declare"), form_data(eligibility_rules=json.dumps(rules)))
    assert response.status_code == 200
    assert shows(html_of(response), "Groupe n° 1, critère n° 2 : un groupe ne peut pas contenir un autre groupe")
    assert not Programme.objects.exists()
