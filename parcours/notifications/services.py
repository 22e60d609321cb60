"""Queue e-mail notifications. A notification is written in the caller's transaction and sent by a
background task once that transaction commits, so a rolled-back change never mails anyone. Users
who chose the daily digest get their notifications gathered by `send_digests`."""

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import DeliveryMode, Notification, NotificationPreference

User = get_user_model()


def absolute_url(path: str) -> str:
    return path if path.startswith("http") else settings.SITE_URL.rstrip("/") + path


def notify(
    *,
    kind: str,
    subject: str,
    body: str,
    url: str = "",
    users: Iterable = (),
    emails: Iterable[str] = (),
    urgent: bool = False,
) -> list[Notification]:
    """Queue one notification per active user (by their chosen delivery mode) and per outside
    address. `urgent` ones (an outside address, an escalation) are never held for the digest."""
    users = [u for u in users if u is not None and u.is_active and u.email]
    digest_ids = set(
        NotificationPreference.objects.filter(user__in=users, mode=DeliveryMode.DIGEST).values_list(
            "user_id", flat=True
        )
    )
    rows = [
        Notification(
            recipient=u,
            email=u.email,
            kind=kind,
            subject=subject[:200],
            body=body,
            url=url,
            digest=(u.pk in digest_ids and not urgent),
        )
        for u in dict.fromkeys(users)
    ]
    rows += [
        Notification(email=e, kind=kind, subject=subject[:200], body=body, url=url, digest=False)
        for e in dict.fromkeys(emails)
        if e
    ]
    created = Notification.objects.bulk_create(rows)
    immediate = [n.pk for n in created if not n.digest]
    if immediate:
        from .tasks import send_notifications

        transaction.on_commit(lambda: send_notifications.enqueue(immediate))
    return created


def _compose(n: Notification) -> str:
    return n.body + (f"\n\n{absolute_url(n.url)}" if n.url else "")


def deliver(notification_ids: list[int]) -> int:
    """Send the given unsent, non-digest notifications; returns how many went out. A failure is
    recorded on the row (attempts, last error) and the others still go."""
    sent = 0
    for n in Notification.objects.filter(pk__in=notification_ids, sent_at__isnull=True, digest=False).order_by("id"):
        try:
            send_mail(n.subject, _compose(n), None, [n.email])
        except Exception as exc:  # noqa: BLE001 - any transport error is kept on the row
            Notification.objects.filter(pk=n.pk).update(attempts=n.attempts + 1, last_error=str(exc)[:500])
            continue
        Notification.objects.filter(pk=n.pk).update(sent_at=timezone.now(), attempts=n.attempts + 1)
        sent += 1
    return sent


def send_digests() -> int:
    """One mail per user gathering their held notifications; returns the number of mails sent."""
    pending = (
        Notification.objects.filter(digest=True, sent_at__isnull=True)
        .select_related("recipient")
        .order_by("recipient_id", "created_at", "id")
    )
    by_user: dict[int, list[Notification]] = {}
    for n in pending:
        if n.recipient_id is not None:  # the check constraint guarantees it for digest rows
            by_user.setdefault(n.recipient_id, []).append(n)
    mails = 0
    for items in by_user.values():
        lines = [
            _("Bonjour,"),
            "",
            _("Voici ce qui s'est passé dans Parcours depuis votre dernier récapitulatif :"),
            "",
        ]
        for n in items:
            lines.append(f"• {n.subject}" + (f" — {absolute_url(n.url)}" if n.url else ""))
        subject = _("Parcours : votre récapitulatif (%(n)s notification(s))") % {"n": len(items)}
        send_mail(subject, "\n".join(lines), None, [items[0].email])
        Notification.objects.filter(pk__in=[n.pk for n in items]).update(sent_at=timezone.now())
        mails += 1
    return mails


def preference_set(*, user, mode: str) -> NotificationPreference:
    from django.core.exceptions import ValidationError

    if mode not in DeliveryMode.values:
        raise ValidationError({"mode": _("Choisissez un mode de réception proposé.")})
    pref, _created = NotificationPreference.objects.update_or_create(user=user, defaults={"mode": mode})
    return pref


def preference_of(user) -> str:
    pref = NotificationPreference.objects.filter(user=user).values_list("mode", flat=True).first()
    return pref or DeliveryMode.IMMEDIATE


def purge_sent(*, now=None) -> int:
    """Delete notifications sent more than NOTIFICATION_RETENTION_DAYS ago: their bodies may quote
    free text about a person (a refusal detail, a reason), which anonymisation cannot trace back."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.NOTIFICATION_RETENTION_DAYS)
    deleted, _by_model = Notification.objects.filter(sent_at__lt=cutoff).delete()
    return deleted
