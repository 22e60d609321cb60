"""Factories for referrals. ReferralFactory writes a row directly (for the state machine, the
inbox and the sweep); the service tests create referrals through referral_create."""

import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from parcours.organisations.enums import OrganisationKind
from parcours.pathways.models import FollowUpMember
from parcours.referrals.enums import ReferralStatus
from parcours.referrals.models import Referral
from tests.directory.factories import ServiceFactory
from tests.factories import OrganisationFactory, PathwayFactory


class ReferralFactory(DjangoModelFactory):
    """A referral sent by the pathway's referent to a service operated by an association."""

    class Meta:
        model = Referral

    pathway = factory.SubFactory(PathwayFactory)
    theme = "emploi"
    service = factory.SubFactory(
        ServiceFactory, operator=factory.SubFactory(OrganisationFactory, kind=OrganisationKind.ASSOCIATION)
    )
    recipient_organisation = factory.LazyAttribute(lambda o: o.service.operator)
    recipient_email = ""
    sender = factory.LazyAttribute(
        lambda o: FollowUpMember.objects.filter(pathway=o.pathway, is_referent=True).first().membership
    )
    sent_by = factory.LazyAttribute(lambda o: o.sender.user)
    message = "Bonjour, je vous adresse Mme X pour un atelier."
    shared_categories = factory.LazyFunction(lambda: ["identity"])
    shared_data = factory.LazyAttribute(
        lambda o: {
            "name": o.pathway.person.full_name,
            "sections": [
                {
                    "category": "identity",
                    "label": "Identité",
                    "fields": [["Prénom", o.pathway.person.first_name], ["Nom d'usage", o.pathway.person.last_name]],
                }
            ],
        }
    )
    status = ReferralStatus.SENT
    sent_at = factory.LazyFunction(timezone.now)
    sla_days = 10
    due_at = factory.LazyAttribute(lambda o: o.sent_at + datetime.timedelta(days=o.sla_days))
