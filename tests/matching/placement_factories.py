"""Small placement worlds for the placement tests: a programme with a planner (a conseiller·ère of
one of its operator organisations: parcours.matching.access.can_plan), sessions in Nantes, Rezé (44)
and Angers (49), and candidates with open candidacies; and the professionals who are NOT planners."""

import datetime

import numpy as np
from django.utils import timezone

from parcours.diagnostics.enums import AssessmentMethod
from parcours.diagnostics.models import Diagnostic, LanguageLevel
from parcours.matching import outcome
from parcours.matching.enums import ModelStatus
from parcours.matching.models import OutcomeModel
from parcours.organisations.enums import OrganisationKind, Role
from parcours.people.enums import ChildcareSolution
from parcours.people.models import Child
from parcours.programmes.enums import EnrolmentState
from tests.factories import (
    CommuneFactory,
    DepartementFactory,
    MembershipFactory,
    OrganisationFactory,
    PathwayFactory,
    PersonFactory,
)
from tests.programmes.factories import EnrolmentFactory, ProgrammeFactory, SessionFactory

NANTES = {"insee_code": "44109", "name": "Nantes", "latitude": 47.2316, "longitude": -1.5483}
REZE = {"insee_code": "44143", "name": "Rezé", "latitude": 47.1833, "longitude": -1.5500}
ANGERS = {"insee_code": "49007", "name": "Angers", "latitude": 47.4784, "longitude": -0.5632}


def commune(place: dict):
    if place["insee_code"].startswith("49"):
        departement = DepartementFactory(code="49", name="Maine-et-Loire")
    else:
        departement = DepartementFactory(code="44", name="Loire-Atlantique")
    return CommuneFactory(departement=departement, **place)


def programme_with_planner():
    """A programme with one operator organisation and a conseiller·ère of it (the planner)."""
    operator = OrganisationFactory(kind=OrganisationKind.ORGANISME_FORMATION)
    programme = ProgrammeFactory(operators=[operator])
    planner = MembershipFactory(organisation=operator, role=Role.CONSEILLER)
    return programme, planner


def not_planners(programme) -> dict:
    """Professionals close to the programme who are not planners: a pilote of its owner, a structure
    administrator of one of its operators, a conseiller·ère of an organisation that does not operate
    it."""
    operator = programme.operators.order_by("pk").first()
    return {
        "pilote_of_owner": MembershipFactory(organisation=programme.owner, role=Role.PILOTE),
        "admin_of_operator": MembershipFactory(organisation=operator, role=Role.ADMIN_STRUCTURE),
        "conseiller_elsewhere": MembershipFactory(role=Role.CONSEILLER),
    }


def session(programme, place: dict = NANTES, **kwargs):
    return SessionFactory(programme=programme, commune=commune(place), **kwargs)


def candidate(sessions, *, place: dict = NANTES, days_ago: int = 10, state=EnrolmentState.CANDIDATE, **person):
    """A pathway whose person lives at `place`, with a candidacy on each session (in that order)."""
    person_obj = PersonFactory(commune=commune(place), **person)
    pathway = PathwayFactory(person=person_obj)
    for k, s in enumerate(sessions):
        EnrolmentFactory(
            session=s,
            pathway=pathway,
            state=state,
            proposed_at=timezone.now() - datetime.timedelta(days=days_ago, minutes=-k),
        )
    return pathway


def french(person, level: str, *, version: int = 1):
    referent = MembershipFactory()
    diagnostic = Diagnostic.objects.create(
        person=person,
        version=version,
        recorded_at=timezone.now(),
        recorded_by=referent.user,
        organisation=referent.organisation,
    )
    LanguageLevel.objects.create(diagnostic=diagnostic, language="fr", level=level, method=AssessmentMethod.OFII_TEST)


def toddler(person, *, childcare=ChildcareSolution.NONE):
    return Child.objects.create(
        person=person, birth_date=timezone.localdate() - datetime.timedelta(days=700), childcare=childcare
    )


def model_row(programme, **params):
    """An active outcome model whose only effect is the French level (higher is better); `params`
    overrides stored numbers."""
    k = len(outcome.FEATURES)
    fitted = outcome.FittedModel(
        features=outcome.FEATURES,
        coef=np.array([1.0] + [0.0] * (k - 1)),
        intercept=0.0,
        mean=np.zeros(k),
        scale=np.ones(k),
        platt_a=-1.0,
        platt_b=-1.0,
    )
    return OutcomeModel.objects.create(
        programme=programme, status=ModelStatus.ACTIVE, params={**fitted.to_params(), **params}
    ), fitted
