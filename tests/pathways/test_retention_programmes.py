"""Anonymisation of a person with programme history: the texts go, the figures the indicators read stay."""

import datetime

import pytest
from django.core.management import call_command
from django.utils import timezone

from parcours.pathways.enums import PathwayStatus
from parcours.pathways.models import Pathway
from parcours.pathways.retention import ERASED
from parcours.programmes import enums
from parcours.programmes.models import EnrolmentTransition, StepRecord, VaePathway
from tests.factories import PathwayFactory, UserFactory
from tests.programmes.factories import (
    CertificationFactory,
    EnrolmentFactory,
    ProgrammeFactory,
    ProgrammeStepFactory,
    SessionFactory,
    TargetCertificationFactory,
    VaeRouteFactory,
)


@pytest.mark.django_db
def test_anonymisation_clears_programme_texts_and_keeps_outcomes(settings):
    settings.PATHWAY_RETENTION_DAYS = 365
    pathway = PathwayFactory(person__last_name="Durand")
    enrolled_on = datetime.date(2024, 1, 8)
    hope = EnrolmentFactory(
        pathway=pathway,
        state=enums.EnrolmentState.ABANDONED,
        eligibility_status=enums.EligibilityStatus.UNDETERMINED,
        eligibility={"status": "undetermined", "criteria": [{"field": "protection_status", "value": "refugee"}]},
        override_reason="Statut confirmé oralement par Mme Durand",
        enrolled_on=enrolled_on,
        entered_on=enrolled_on,
        exited_on=datetime.date(2024, 3, 1),
        abandon_reason=enums.AbandonReason.OTHER,
        reason_detail="Hospitalisée à Nantes",
        exit_outcome=enums.ExitOutcome.JOB_SEARCH,
    )
    EnrolmentTransition.objects.create(enrolment=hope, from_state="in_progress", to_state="abandoned", reason="Santé")
    step = ProgrammeStepFactory(programme=hope.programme)
    user = UserFactory()
    StepRecord.objects.create(
        enrolment=hope,
        step=step,
        done_on=enrolled_on,
        evidence="Bail au 3 rue X",
        details={"commune": "Rezé"},
        recorded_by=user,
    )
    CertificationFactory(enrolment=hope, obtained_on=enrolled_on, evidence="Attestation n° 123")
    vae_enrolment = EnrolmentFactory(
        pathway=pathway,
        session=SessionFactory(programme=ProgrammeFactory(kind=enums.ProgrammeKind.VAE)),
        state=enums.EnrolmentState.IN_PROGRESS,
        enrolled_on=enrolled_on,
        entered_on=enrolled_on,
    )
    vae = VaePathway.objects.create(
        enrolment=vae_enrolment,
        certification=TargetCertificationFactory(),
        route=VaeRouteFactory(),
        admissibility=enums.VaeAdmissibility.DECLARATIVE,
        experience_statement="Six ans de ménage dans un hôtel à Kaboul",
    )
    Pathway.objects.filter(pk=pathway.pk).update(
        status=PathwayStatus.CLOSED, closed_at=timezone.now() - datetime.timedelta(days=400)
    )

    call_command("anonymise_closed_pathways")

    hope.refresh_from_db()
    hope.validate_constraints()
    assert (hope.eligibility, hope.override_reason, hope.reason_detail) == ({}, ERASED, ERASED)
    assert (hope.eligibility_status, hope.state, hope.exit_outcome) == ("undetermined", "abandoned", "job_search")
    assert (hope.entered_on, hope.exited_on) == (enrolled_on, datetime.date(2024, 3, 1))
    assert set(EnrolmentTransition.objects.filter(enrolment=hope).values_list("reason", flat=True)) == {""}
    record = StepRecord.objects.get(enrolment=hope)
    assert (record.evidence, record.details, record.done_on) == ("", {}, enrolled_on)
    certification = hope.certifications.get()
    assert (certification.evidence, certification.level) == ("", "A2")
    vae.refresh_from_db()
    vae.validate_constraints()
    assert vae.experience_statement == ERASED
