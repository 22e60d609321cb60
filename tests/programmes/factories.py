"""Factories for programmes. They write rows directly (for the state machine, the evidence pages and
the indicators); the service tests go through the services."""

import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from parcours.organisations.enums import OrganisationKind, Role
from parcours.pathways.models import FollowUpMember
from parcours.programmes import enums
from parcours.programmes.models import (
    CallForProjects,
    Certification,
    CompetenceBloc,
    Enrolment,
    FollowUpSurvey,
    Programme,
    ProgrammeStep,
    Project,
    Session,
    TargetCertification,
    VaeRoute,
)
from tests.factories import CommuneFactory, MembershipFactory, OrganisationFactory, PathwayFactory, UserFactory


class ProgrammeFactory(DjangoModelFactory):
    """A programme owned by a DDETS, operated by a training body, open to everyone (no rule)."""

    class Meta:
        model = Programme
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"programme-{n}")
    name = factory.Sequence(lambda n: f"Programme {n}")
    owner = factory.SubFactory(OrganisationFactory, kind=OrganisationKind.DDETS)
    duration_months = 8
    eligibility_rules = factory.LazyFunction(list)
    created_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def operators(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.operators.set(extracted)


class ProgrammeStepFactory(DjangoModelFactory):
    class Meta:
        model = ProgrammeStep

    programme = factory.SubFactory(ProgrammeFactory)
    position = factory.Sequence(lambda n: n + 1)
    kind = enums.StepKind.FRENCH
    label = "Apprentissage du français"
    target_hours = 200


class SessionFactory(DjangoModelFactory):
    """A session of 12 places starting in a month, run by a training body (also set as operator of
    the programme)."""

    class Meta:
        model = Session
        skip_postgeneration_save = True

    programme = factory.SubFactory(ProgrammeFactory)
    operator = factory.SubFactory(OrganisationFactory, kind=OrganisationKind.ORGANISME_FORMATION)
    commune = factory.SubFactory(CommuneFactory)
    label = factory.Sequence(lambda n: f"Session {n}")
    starts_on = factory.LazyFunction(lambda: timezone.localdate() + datetime.timedelta(days=30))
    ends_on = factory.LazyAttribute(lambda o: o.starts_on + datetime.timedelta(days=240))
    places = 12
    created_by = factory.SubFactory(UserFactory)

    @factory.post_generation
    def link_operator(obj, create, extracted, **kwargs):
        if create:
            obj.programme.operators.add(obj.operator)


def operator_staff(session: Session, role: str = Role.CONSEILLER):
    """A professional of the session's operator centre."""
    return MembershipFactory(organisation=session.operator, role=role)


class EnrolmentFactory(DjangoModelFactory):
    """A candidacy proposed by the pathway's referent; pass `state=` and the dates for later states
    (`entered_on`, `exited_on`…), they are not derived."""

    class Meta:
        model = Enrolment

    session = factory.SubFactory(SessionFactory)
    programme = factory.LazyAttribute(lambda o: o.session.programme)
    pathway = factory.SubFactory(PathwayFactory)
    state = enums.EnrolmentState.CANDIDATE
    eligibility_status = enums.EligibilityStatus.ELIGIBLE
    eligibility = factory.LazyFunction(lambda: {"status": "eligible", "criteria": []})
    proposed_by = factory.LazyAttribute(
        lambda o: FollowUpMember.objects.filter(pathway=o.pathway, is_referent=True).first().membership
    )


class CertificationFactory(DjangoModelFactory):
    class Meta:
        model = Certification

    enrolment = factory.SubFactory(EnrolmentFactory)
    kind = enums.CertificationKind.LANGUAGE
    exam = enums.CertificationExam.DELF
    level = "A2"
    obtained_on = factory.LazyFunction(timezone.localdate)
    recorded_by = factory.SubFactory(UserFactory)


class FollowUpSurveyFactory(DjangoModelFactory):
    class Meta:
        model = FollowUpSurvey

    enrolment = factory.SubFactory(EnrolmentFactory)
    wave_months = 6
    due_on = factory.LazyFunction(timezone.localdate)


class VaeRouteFactory(DjangoModelFactory):
    class Meta:
        model = VaeRoute
        django_get_or_create = ("code",)

    code = "titre-complet"
    label = "Titre professionnel complet par la VAE"


class TargetCertificationFactory(DjangoModelFactory):
    class Meta:
        model = TargetCertification
        django_get_or_create = ("rncp_code",)

    rncp_code = "RNCP37274"
    title = "Agent de propreté et d'hygiène"
    level = 3


class CompetenceBlocFactory(DjangoModelFactory):
    class Meta:
        model = CompetenceBloc

    certification = factory.SubFactory(TargetCertificationFactory)
    code = factory.Sequence(lambda n: f"BC0{n + 1}")
    label = factory.Sequence(lambda n: f"Bloc de compétences {n + 1}")
    position = factory.Sequence(lambda n: n)


class CallForProjectsFactory(DjangoModelFactory):
    class Meta:
        model = CallForProjects

    funder = factory.SubFactory(OrganisationFactory, kind=OrganisationKind.DDETS)
    title = factory.Sequence(lambda n: f"Appel à projets {n}")
    budget = 1_000_000
    starts_on = datetime.date(2025, 1, 1)
    ends_on = datetime.date(2027, 12, 31)
    created_by = factory.SubFactory(UserFactory)


class ProjectFactory(DjangoModelFactory):
    class Meta:
        model = Project

    call = factory.SubFactory(CallForProjectsFactory)
    title = factory.Sequence(lambda n: f"Projet {n}")
    project_type = enums.ProjectType.MEDIATION_TRAINING
    lead = factory.SubFactory(OrganisationFactory, kind=OrganisationKind.ASSOCIATION)
    granted_amount = 100_000
    target_beneficiaries = 50
    created_by = factory.SubFactory(UserFactory)


def vae_reference() -> dict:
    """Load the VAE reference data (routes, certifications) and return the rows the tests use."""
    from parcours.programmes.models import TargetCertification, VaeRoute
    from parcours.programmes.services_vae import vae_reference_load

    vae_reference_load()
    return {
        "full": VaeRoute.objects.get(code="titre-complet"),
        "blocs": VaeRoute.objects.get(code="ccp-par-blocs"),
        "foreign": VaeRoute.objects.get(code="comparabilite-diplome-etranger"),
        "aph": TargetCertification.objects.get(rncp_code="RNCP37274"),
        "cook": TargetCertification.objects.get(rncp_code="RNCP34095"),
    }
