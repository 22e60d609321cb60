"""A counsellor checks a refugee's eligibility to a HOPE-like programme and sees why; a pilote
declares a programme as data. Headless Chromium, each page checked by axe-core."""

import json

import pytest

from parcours.organisations.enums import OrganisationKind
from parcours.people.enums import DataCategory
from parcours.programmes.models import Programme
from tests.factories import ConsentFactory, MembershipFactory, OrganisationFactory, PathwayFactory, PersonFactory
from tests.programmes.factories import ProgrammeFactory, SessionFactory

RULES = [
    {"field": "protection_status", "op": "in", "value": ["refugee", "subsidiary"]},
    {"field": "age", "op": "between", "value": [18, 64]},
    {"field": "right_to_work", "op": "is_true"},
    {"field": "french_level", "op": "at_least", "value": "A1"},
    {"field": "departement", "op": "in", "value": ["44"]},
]


@pytest.fixture
def counsellor(db):
    return MembershipFactory(
        user__first_name="Claire",
        user__last_name="Martin",
        organisation=OrganisationFactory(name="France Travail Nantes"),
    )


@pytest.fixture
def hope(db):
    owner = OrganisationFactory(kind=OrganisationKind.DDETS, name="DDETS Loire-Atlantique")
    programme = ProgrammeFactory(owner=owner, code="hope-44", name="HOPE Loire-Atlantique", eligibility_rules=RULES)
    afpa = OrganisationFactory(kind=OrganisationKind.ORGANISME_FORMATION, name="AFPA Saint-Herblain")
    SessionFactory(programme=programme, operator=afpa, label="HOPE — AFPA Saint-Herblain", places=14)
    return programme


def test_a_counsellor_checks_a_refugees_eligibility_and_sees_why(page, axe_check, browser_login, counsellor, hope):
    person = PersonFactory(refugee=True, first_name="Yasmin", last_name="Karimi")
    pathway = PathwayFactory(person=person, referent=counsellor)
    ConsentFactory(person=person, organisation=counsellor.organisation, category=DataCategory.ASYLUM_HISTORY)

    browser_login(counsellor)
    page.goto(f"/parcours/{pathway.pk}/programmes/")
    row = page.get_by_role("row").filter(has_text="HOPE Loire-Atlantique")
    # The residence status is not shared with this organisation and the French level is unknown.
    assert row.get_by_text("Indéterminé").is_visible()
    axe_check(page, "eligibility-pathway-programmes")

    row.get_by_role("link", name="Vérifier l'éligibilité à HOPE Loire-Atlantique").click()
    page.wait_for_url(f"**/parcours/{pathway.pk}/programmes/hope-44/eligibilite/")
    assert page.get_by_text("Statut de protection : Réfugié·e (BPI), parmi").is_visible()
    assert page.get_by_text("Niveau de français (CECRL) : non renseigné : impossible de conclure.").is_visible()
    assert page.get_by_role("heading", name="À demander ou à vérifier pour conclure").is_visible()
    assert page.get_by_text(
        "Recueillir le consentement de la personne pour la catégorie « Droit au séjour »"
    ).first.is_visible()
    assert page.get_by_role("link", name="Proposer la personne pour HOPE — AFPA Saint-Herblain").is_visible()
    axe_check(page, "eligibility-check")


def test_a_pilote_declares_a_programme_as_data(page, axe_check, browser_login, db):
    pilote = MembershipFactory(organisation=OrganisationFactory(kind=OrganisationKind.DDETS), pilote=True)
    page = browser_login(pilote)
    page.goto("/programmes/declarer/")
    axe_check(page, "programme-declare")
    page.fill("input[name=code]", "plie-nantes")
    page.get_by_label("Nom du programme").fill("PLIE Nantes Métropole")
    page.get_by_label("Durée (mois)").fill("12")
    page.get_by_label("Règles d'éligibilité (JSON)").fill(json.dumps([{"field": "age", "op": ">=", "value": 26}]))
    page.get_by_role("button", name="Déclarer le programme").click()
    assert page.get_by_text('Critère n° 1 (Âge) : opérateur inconnu ">="').first.is_visible()
    axe_check(page, "programme-declare-errors")
    assert not Programme.objects.exists()
    page.get_by_label("Règles d'éligibilité (JSON)").fill(json.dumps([{"field": "age", "op": "gte", "value": 26}]))
    page.get_by_role("button", name="Déclarer le programme").click()
    page.wait_for_url("**/programmes/plie-nantes/")
    assert Programme.objects.get().eligibility_rules == [{"field": "age", "op": "gte", "value": 26}]
