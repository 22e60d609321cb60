"""Retention: people whose every pathway closed more than PATHWAY_RETENTION_DAYS ago are
anonymised. Statistics keep working (dates, themes, statuses stay); what identifies the person or
tells their story in free text goes."""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Exists, OuterRef, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from parcours.audit.models import AuditAction
from parcours.audit.services import audit_log
from parcours.diagnostics.models import Diagnostic, ThemeAssessment
from parcours.people.models import Child, ForeignQualification, Person
from parcours.programmes.enums import EligibilityStatus, VaeAdmissibility
from parcours.programmes.models import (
    Certification,
    Enrolment,
    EnrolmentTransition,
    StepRecord,
    VaePathway,
)
from parcours.referrals.enums import RefusalReason
from parcours.referrals.models import Referral, ReferralLink, ReferralTransition

from .enums import PathwayStatus, ReorientationStatus
from .models import (
    Action,
    Appointment,
    BreakGlassAccess,
    Event,
    FollowUpMember,
    Goal,
    JoinRequest,
    Note,
    OrientationDecision,
    Pathway,
    PathwayAlert,
    ReferentHandover,
    ReorientationRequest,
)

ANONYMISED = "Anonymisé"
# Required free texts (a check constraint wants them non-empty) are replaced rather than emptied.
ERASED = "(effacé)"
ERASED_MESSAGE = "(message effacé lors de l'anonymisation)"
# What a referral page shows in place of the data sent: the keys the pages read, nothing in them.
ERASED_SNAPSHOT = {"name": "Personne anonymisée", "sections": []}


def people_due_for_anonymisation(*, now: datetime.datetime | None = None) -> QuerySet[Person]:
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.PATHWAY_RETENTION_DAYS)
    recent_or_open = Pathway.objects.filter(person=OuterRef("pk")).exclude(
        status=PathwayStatus.CLOSED, closed_at__lt=cutoff
    )
    return (
        Person.objects.filter(anonymised_at__isnull=True, pathways__isnull=False)
        .exclude(Exists(recent_or_open))
        .distinct()
    )


@transaction.atomic
def person_anonymise(*, person: Person, now: datetime.datetime | None = None) -> Person:
    now = now or timezone.now()
    person = Person.objects.select_for_update().get(pk=person.pk)
    person.first_name = person.last_name = ANONYMISED
    person.birth_name = person.birth_place = person.address = person.email = person.phone = ""
    person.nir = person.france_travail_id = person.caf_number = person.ofii_number = ""
    person.birth_date = person.birth_date.replace(month=1, day=1)  # the year is kept for statistics
    person.residence_permit_kind = person.protection_status = ""
    person.right_to_work = person.residence_permit_issued_on = person.residence_permit_valid_until = None
    person.protection_granted_on = None
    person.asylum_note = person.disability_note = ""
    person.has_rqth = False
    person.anonymised_at = now
    person.save()
    # Kept as they are: ROME experience and CIR hours (not identifying, needed for outcome
    # statistics) and the consent ledger (it proves what was allowed when; it holds no free text).
    Child.objects.filter(person=person).delete()
    ForeignQualification.objects.filter(person=person).update(title=ANONYMISED)
    pathways = Pathway.objects.filter(person=person)
    # Every free text written about the person goes; kinds, dates, themes and statuses stay.
    pathways.update(closure_reason=ANONYMISED)
    Note.objects.filter(pathway__in=pathways).update(text=ANONYMISED)
    Goal.objects.filter(pathway__in=pathways).update(text=ANONYMISED)
    Action.objects.filter(goal__pathway__in=pathways).update(text=ANONYMISED)
    Appointment.objects.filter(pathway__in=pathways).update(subject=ANONYMISED, place="")
    ReferentHandover.objects.filter(pathway__in=pathways).update(reason=ANONYMISED, handover_note=ANONYMISED)
    FollowUpMember.objects.filter(pathway__in=pathways).update(start_reason=ANONYMISED, end_reason=ANONYMISED)
    JoinRequest.objects.filter(pathway__in=pathways).update(reason=ANONYMISED)
    BreakGlassAccess.objects.filter(pathway__in=pathways).update(reason=ANONYMISED)
    # Timeline summaries quote goal, action and appointment texts and the reasons given.
    Event.objects.filter(pathway__in=pathways).update(summary=ANONYMISED, payload={})
    Diagnostic.objects.filter(person=person).update(summary="")
    ThemeAssessment.objects.filter(diagnostic__person=person).update(note="")
    # Referrals: the snapshot sent to the recipient, the message and every reason go; the service,
    # the theme, the statuses, the dates, the refusal reason code and the outcome stay for the
    # statistics, and so does the recipient's address (the structure's, not the person's). The
    # check constraints want a reason when a consent was overridden or the refusal is "other".
    referrals = Referral.objects.filter(pathway__in=pathways)
    referrals.update(
        shared_data=ERASED_SNAPSHOT,
        message=ERASED_MESSAGE,
        override_reason=Case(When(overridden_by__isnull=False, then=Value(ERASED)), default=Value("")),
        refusal_detail=Case(When(refusal_reason=RefusalReason.OTHER, then=Value(ERASED)), default=Value("")),
    )
    ReferralTransition.objects.filter(referral__in=referrals).update(reason="")
    # A link opens the snapshot and lets a structure answer: none may outlive the anonymisation.
    ReferralLink.objects.filter(referral__in=referrals).delete()
    OrientationDecision.objects.filter(pathway__in=pathways).update(reason=ERASED)
    # A decided request keeps a (non-empty) decision reason, as its check constraint requires.
    ReorientationRequest.objects.filter(pathway__in=pathways).update(
        reason=ERASED,
        decision_reason=Case(When(status=ReorientationStatus.PENDING, then=Value("")), default=Value(ERASED)),
    )
    # Alert details quote the person's data (e.g. a residence permit's end date); open alerts close.
    PathwayAlert.objects.filter(pathway__in=pathways).update(details={}, closed_at=Coalesce("closed_at", Value(now)))
    # Programmes: the eligibility snapshot quotes the person's data (age, status, level…); only its
    # result stays. Reasons, evidence and the VAE statement of experience go; states, dates, outcome,
    # certifications obtained and survey answers stay for the indicators.
    enrolments = Enrolment.objects.filter(pathway__in=pathways)
    enrolments.update(
        eligibility={},
        override_reason=Case(
            When(eligibility_status=EligibilityStatus.ELIGIBLE, then=Value("")), default=Value(ERASED)
        ),
        reason_detail=Case(When(reason_detail="", then=Value("")), default=Value(ERASED)),
    )
    EnrolmentTransition.objects.filter(enrolment__in=enrolments).update(reason="")
    StepRecord.objects.filter(enrolment__in=enrolments).update(evidence="", details={})
    Certification.objects.filter(enrolment__in=enrolments).update(evidence="")
    VaePathway.objects.filter(enrolment__in=enrolments).update(
        experience_statement=Case(
            When(admissibility=VaeAdmissibility.DECLARATIVE, then=Value(ERASED)), default=Value("")
        ),
    )
    audit_log(
        actor=None,
        action=AuditAction.UPDATE,
        obj=person,
        person=person,
        fields=["anonymised_at"],
        reason="durée de conservation échue",
    )
    return person
