"""Notifications: queued in the caller's transaction, mailed after commit (immediately, or in the
daily digest for users who chose it); a rolled-back change mails nobody."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from parcours.notifications.models import DeliveryMode, Notification, NotificationPreference
from parcours.notifications.services import notify, preference_of, preference_set, send_digests
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_immediate_notification_is_mailed_after_commit(django_capture_on_commit_callbacks):
    user = UserFactory(email="camille@example.org")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notify(
            kind="referral_new",
            subject="Nouvelle prescription",
            body="Une personne vous est adressée.",
            url="/prescriptions/1/",
            users=[user],
        )
        assert mail.outbox == []  # nothing leaves before the commit
    assert len(callbacks) == 1
    assert [m.to for m in mail.outbox] == [["camille@example.org"]]
    assert mail.outbox[0].subject == "Nouvelle prescription"
    assert mail.outbox[0].body.endswith("/prescriptions/1/")
    assert Notification.objects.get().sent_at is not None


def test_rolled_back_change_mails_nobody(django_capture_on_commit_callbacks):
    user = UserFactory(email="camille@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            notify(kind="k", subject="s", body="b", users=[user])
            raise RuntimeError("rollback")
    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_outside_address_and_duplicates(django_capture_on_commit_callbacks):
    user = UserFactory(email="a@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        created = notify(
            kind="k",
            subject="s",
            body="b",
            users=[user, user],
            emails=["accueil@asso.example", "", "accueil@asso.example"],
        )
    assert len(created) == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.org", "accueil@asso.example"]


def test_inactive_user_or_user_without_email_is_skipped(django_capture_on_commit_callbacks):
    gone = UserFactory(is_active=False, email="gone@example.org")
    blank = UserFactory(email="")
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(kind="k", subject="s", body="b", users=[gone, blank, None]) == []
    assert mail.outbox == []


def test_digest_users_get_one_summary_mail(django_capture_on_commit_callbacks):
    user = UserFactory(email="digest@example.org")
    other = UserFactory(email="now@example.org")
    preference_set(user=user, mode=DeliveryMode.DIGEST)
    with django_capture_on_commit_callbacks(execute=True):
        notify(kind="k", subject="Première", body="b", url="/a/", users=[user, other])
        notify(kind="k", subject="Seconde", body="b", users=[user])
    assert [m.to for m in mail.outbox] == [["now@example.org"]]
    assert Notification.objects.filter(recipient=user, digest=True, sent_at__isnull=True).count() == 2
    mail.outbox.clear()
    assert send_digests() == 1
    assert len(mail.outbox) == 1
    digest = mail.outbox[0]
    assert digest.to == ["digest@example.org"]
    assert "2 notification" in digest.subject
    assert "• Première" in digest.body and "• Seconde" in digest.body
    # Sent once: a second run finds nothing.
    assert send_digests() == 0


def test_urgent_notifications_skip_the_digest(django_capture_on_commit_callbacks):
    user = UserFactory(email="digest@example.org")
    preference_set(user=user, mode=DeliveryMode.DIGEST)
    with django_capture_on_commit_callbacks(execute=True):
        notify(kind="escalation", subject="Urgent", body="b", users=[user], urgent=True)
    assert [m.subject for m in mail.outbox] == ["Urgent"]


def test_digest_command_reports_in_french(capsys):
    user = UserFactory(email="digest@example.org")
    preference_set(user=user, mode=DeliveryMode.DIGEST)
    notify(kind="k", subject="s", body="b", users=[user])
    call_command("notifications_digest")
    assert "1 récapitulatif(s) envoyé(s)." in capsys.readouterr().out


def test_unknown_mode_is_refused_and_changes_nothing():
    user = UserFactory()
    with pytest.raises(ValidationError) as excinfo:
        preference_set(user=user, mode="hourly")
    assert "mode de réception" in str(excinfo.value)
    assert not NotificationPreference.objects.exists()
    assert preference_of(user) == DeliveryMode.IMMEDIATE


def test_transport_failure_is_kept_on_the_row(django_capture_on_commit_callbacks, settings):
    settings.EMAIL_BACKEND = "tests.notifications.failing_backend.Backend"
    user = UserFactory(email="a@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        notify(kind="k", subject="s", body="b", users=[user])
    row = Notification.objects.get()
    assert row.sent_at is None and row.attempts == 1 and "serveur" in row.last_error


def test_sent_notifications_are_purged_after_the_retention_period(settings, capsys):
    settings.NOTIFICATION_RETENTION_DAYS = 90
    user = UserFactory(email="a@example.org")
    now = timezone.now()
    old, recent, unsent = notify(kind="k", subject="s", body="Motif : détail", users=[user]) + [
        Notification.objects.create(recipient=user, email=user.email, kind="k", subject="s", body="b", sent_at=now),
        Notification.objects.create(recipient=user, email=user.email, kind="k", subject="s", body="b"),
    ]
    Notification.objects.filter(pk=old.pk).update(sent_at=now - datetime.timedelta(days=91))
    call_command("notifications_purge")
    assert "1 notification(s) supprimée(s)" in capsys.readouterr().out
    assert set(Notification.objects.values_list("pk", flat=True)) == {recent.pk, unsent.pk}
