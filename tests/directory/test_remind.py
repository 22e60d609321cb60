import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from parcours.directory.models import Service, ServiceStatus
from tests.factories import MembershipFactory, OrganisationFactory
from tests.www.offer.factories import days_ago, operated_service

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run the command; e-mails leave on commit, so run the on-commit callbacks."""

    def _run(*args) -> str:
        out = StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("directory_remind_stale", "--base-url", "https://parcours.example", *args, stdout=out)
        return out.getvalue()

    return _run


def test_one_email_per_organisation_to_its_admins_listing_stale_services(run):
    organisation = OrganisationFactory(email="contact@org.fr")
    admin = MembershipFactory(organisation=organisation, admin=True)
    MembershipFactory(organisation=organisation)  # a conseiller is not written to
    old = operated_service(organisation, nom="Atelier ancien", date_maj=days_ago(200))
    older = operated_service(organisation, nom="Permanence ancienne", date_maj=days_ago(400))
    operated_service(organisation, nom="Atelier récent", date_maj=days_ago(10))
    output = run()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [admin.user.email]
    assert "2 service(s)" in message.subject
    assert "Atelier ancien" in message.body and "Permanence ancienne" in message.body
    assert "Atelier récent" not in message.body
    assert f"https://parcours.example/offre/mes-services/{old.pk}/" in message.body
    assert "1 courriel(s) envoyé(s) pour 2 service(s)" in output
    for service in (old, older):
        service.refresh_from_db()
        assert service.last_reminded_at is not None


def test_falls_back_to_the_organisation_email_without_admin(run):
    organisation = OrganisationFactory(email="contact@org.fr")
    operated_service(organisation, date_maj=days_ago(200))
    run()
    assert mail.outbox[0].to == ["contact@org.fr"]


def test_not_reminded_again_within_30_days_but_after(run):
    organisation = OrganisationFactory(email="contact@org.fr")
    service = operated_service(organisation, date_maj=days_ago(200))
    Service.objects.filter(pk=service.pk).update(last_reminded_at=timezone.now() - datetime.timedelta(days=10))
    run()
    assert mail.outbox == []
    Service.objects.filter(pk=service.pk).update(last_reminded_at=timezone.now() - datetime.timedelta(days=31))
    run()
    assert len(mail.outbox) == 1


def test_drafts_archived_and_unoperated_services_are_not_reminded(run):
    organisation = OrganisationFactory(email="contact@org.fr")
    operated_service(organisation, date_maj=days_ago(200), status=ServiceStatus.DRAFT)
    operated_service(organisation, date_maj=days_ago(200), status=ServiceStatus.ARCHIVED)
    unoperated = operated_service(organisation, date_maj=days_ago(200))
    Service.objects.filter(pk=unoperated.pk).update(operator=None)
    output = run()
    assert mail.outbox == []
    assert "0 courriel(s)" in output


def test_dry_run_sends_and_changes_nothing(run):
    organisation = OrganisationFactory(email="contact@org.fr")
    service = operated_service(organisation, date_maj=days_ago(200))
    output = run("--dry-run")
    assert mail.outbox == []
    assert "Simulation : 1 courriel(s)" in output
    service.refresh_from_db()
    assert service.last_reminded_at is None


def test_organisation_without_address_is_reported_and_not_marked(run):
    organisation = OrganisationFactory(email="")
    service = operated_service(organisation, date_maj=days_ago(200))
    output = run()
    assert mail.outbox == []
    assert "sans adresse électronique" in output
    service.refresh_from_db()
    assert service.last_reminded_at is None
