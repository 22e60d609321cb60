"""Writes on referrals (prescriptions). Each function is keyword-only and atomic, checks the actor's
right, locks the referral row, moves it along REFERRAL_TRANSITIONS, and writes the transition log,
the timeline event and the audit entry; mails are queued in the same transaction and sent after
commit. Permission failures raise PermissionDenied, invalid requests ValidationError, a referral
that moved meanwhile ReferralConflict; all with a French message, and nothing written."""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.audit.models import AuditAction
from parcours.audit.services import audit_log
from parcours.diagnostics.enums import SENSITIVE_THEMES, Theme
from parcours.diagnostics.models import ThemeAssessment
from parcours.directory.models import Service, ServiceStatus
from parcours.directory.selectors import zone_names
from parcours.directory.vocabulary import NATIONAL_ZONE_CODES
from parcours.notifications.services import notify
from parcours.organisations.enums import ACCOMPANYING_ROLES, Role
from parcours.organisations.models import Membership, Organisation
from parcours.pathways.enums import EventKind, GoalStatus, PathwayStatus
from parcours.pathways.models import Event, FollowUpMember, Goal, Pathway
from parcours.pathways.services import (
    _is_orientation_officer_for,
    _require_open,
    _require_seat,
    _require_theme_readable,
    event_record,
    goal_category,
    member_name,
)
from parcours.people.countries import country_name
from parcours.people.enums import SENSITIVE_CATEGORIES, DataCategory
from parcours.people.languages import language_name
from parcours.people.models import Person
from parcours.people.selectors import consented_categories
from parcours.territories.selectors import zone_codes_for_commune

from . import links, selectors
from .enums import (
    AWAITING_ANSWER,
    REFERRAL_TRANSITIONS,
    LinkPurpose,
    ReferralOutcome,
    ReferralStatus,
    RefusalReason,
    TransitionChannel,
)
from .models import MESSAGE_MAX_LENGTH, Referral, ReferralLink, ReferralTransition

User = get_user_model()

REASON_MAX_LENGTH = 500
LINK_AUDIT_REASON = "lien sécurisé"
# How many referrals a grouped mail (reminder, escalation, expiry) lists before "and N more".
MAIL_LIST_LIMIT = 20


# While a signed link may be used: an answer link while the referral awaits the answer, an outcome
# link while the accompaniment is accepted or started. Leaving these states ends the live links.
LINK_USABLE_STATUSES: dict[str, frozenset[str]] = {
    LinkPurpose.ANSWER: AWAITING_ANSWER,
    LinkPurpose.OUTCOME: frozenset({ReferralStatus.ACCEPTED, ReferralStatus.STARTED}),
}
# Moves that are not work on the pathway: they leave its last activity as it was (so do the
# automatic expiries, see _EXPIRE_SQL).
NOT_ACTIVITY = frozenset({ReferralStatus.SEEN, ReferralStatus.EXPIRED})


class ReferralConflict(ValidationError):
    """The referral moved meanwhile (another answer, an expiry, a cancellation): the message says
    what it is now."""


# ---------------------------------------------------------------------------------------------
# Small helpers


def _date(value: datetime.datetime | None) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y") if value else ""


def _datetime(value: datetime.datetime | None) -> str:
    return timezone.localtime(value).strftime("%d/%m/%Y à %H:%M") if value else ""


def _label(enum, value: str) -> str:
    try:
        return str(enum(value).label)
    except ValueError:
        return value


def _lock(referral: Referral | int) -> Referral:
    """The referral row locked (FOR NO KEY UPDATE), then read afresh with what the messages need.
    Two statements on purpose: when the lock had to wait for another answer, a joined read would
    re-check the locked row only and return the old joined rows (the previous `answered_by`)."""
    pk = referral if isinstance(referral, int) else referral.pk
    Referral.objects.select_for_update(no_key=True).filter(pk=pk).values_list("pk", flat=True).get()
    return Referral.objects.select_related(
        "pathway__person",
        "service__structure",
        "recipient_organisation",
        "sender__user",
        "sender__organisation",
        "answered_by__user",
        "answered_by__organisation",
    ).get(pk=pk)


def _link_actor(referral: Referral) -> str:
    """Who acted through a signed link, for the messages and the timeline."""
    return _("la structure %(name)s, par lien sécurisé (%(email)s)") % {
        "name": referral.service.structure.nom,
        "email": referral.recipient_email,
    }


def _answerer(referral: Referral) -> str:
    if referral.answered_by is not None:
        return member_name(referral.answered_by)
    return _link_actor(referral)


def _conflict_message(referral: Referral) -> str:
    """What the referral is now, for someone whose move it no longer allows."""
    status = referral.status
    if status == ReferralStatus.ACCEPTED:
        return _("Cette prescription a déjà été acceptée le %(date)s par %(who)s.") % {
            "date": _datetime(referral.answered_at),
            "who": _answerer(referral),
        }
    if status == ReferralStatus.STARTED:
        return _("L'accompagnement a déjà démarré le %(date)s (prescription acceptée par %(who)s).") % {
            "date": _datetime(referral.status_changed_at),
            "who": _answerer(referral),
        }
    if status == ReferralStatus.REFUSED:
        return _("Cette prescription est déjà refusée depuis le %(date)s (%(reason)s).") % {
            "date": _datetime(referral.answered_at or referral.status_changed_at),
            "reason": _label(RefusalReason, referral.refusal_reason),
        }
    if status == ReferralStatus.EXPIRED:
        return _("Cette prescription a expiré le %(date)s, faute de réponse dans le délai de %(days)s jours.") % {
            "date": _datetime(referral.status_changed_at),
            "days": referral.sla_days,
        }
    if status == ReferralStatus.CLOSED:
        return _("Cette prescription est déjà clôturée depuis le %(date)s (%(outcome)s).") % {
            "date": _datetime(referral.closed_at),
            "outcome": _label(ReferralOutcome, referral.outcome),
        }
    if status == ReferralStatus.CANCELLED:
        return _("Cette prescription a été annulée par son émetteur le %(date)s.") % {
            "date": _datetime(referral.status_changed_at)
        }
    return _("Cette prescription attend encore la réponse de la structure : acceptez-la d'abord.")


def _reason_length_error(value: str, field: str) -> dict:
    if len(value.strip()) > REASON_MAX_LENGTH:
        return {field: _("Ce texte ne peut dépasser %(n)s caractères.") % {"n": REASON_MAX_LENGTH}}
    return {}


def _users_by_organisation(organisation_ids: set[int], memberships) -> dict[int, list]:
    """The accounts of `memberships` (a selectors.live_members / acting_recipients queryset) in
    each of these organisations, each account once."""
    by_org: dict[int, list] = {}
    for m in memberships.filter(organisation_id__in=organisation_ids).select_related("user").order_by("pk"):
        users = by_org.setdefault(m.organisation_id, [])
        if m.user not in users:
            users.append(m.user)
    return by_org


def _recipient_users(organisation_id: int | None) -> list:
    """Who is told of a new referral, a reminder or a cancellation: the members who may act on it."""
    if organisation_id is None:
        return []
    return _users_by_organisation({organisation_id}, selectors.acting_recipients()).get(organisation_id, [])


def _require_recipient(referral: Referral, membership: Membership | None) -> None:
    """A member who may act as the recipient (selectors.acting_recipients), read live."""
    if not selectors.may_act_as_recipient(membership=membership, organisation_id=referral.recipient_organisation_id):
        raise PermissionDenied(
            _(
                "Seul·es les professionnel·les qui accompagnent les personnes dans l'organisation destinataire "
                "peuvent traiter cette prescription."
            )
        )


def _require_sender_side(referral: Referral, membership: Membership | None) -> None:
    """An active seat in the pathway's follow-up group (the sender who left it no longer acts), or
    a chargé·e d'orientation acting on the pathway (the rule of the pathway services)."""
    if _is_orientation_officer_for(pathway=referral.pathway, membership=membership):
        return
    _require_seat(pathway=referral.pathway, membership=membership)


def service_recipient(service: Service) -> Organisation | None:
    """The organisation that answers a referral to this service in Parcours: its operator while
    active; None when the structure answers through a signed link sent to its address."""
    operator = service.operator
    return operator if operator is not None and operator.is_active else None


def may_override(*, seat: FollowUpMember | None, membership: Membership) -> bool:
    """Who may send sensitive data without the person's consent for the recipient (a motivated
    override): the pathway's referent, or a chargé·e d'orientation."""
    return (seat is not None and seat.is_referent) or membership.role == Role.CHARGE_ORIENTATION


def _service_title(referral: Referral) -> str:
    return f"« {referral.service.nom} » ({referral.service.structure.nom})"


def _move(
    referral: Referral,
    to_status: str,
    *,
    acting_user,
    membership: Membership | None,
    channel: str = TransitionChannel.APP,
    reason: str = "",
    changes: dict | None = None,
    summary: str,
) -> Referral:
    """Move a locked referral to `to_status`: checked against REFERRAL_TRANSITIONS, then the row,
    the transition log, the end of the signed links the new state no longer allows, the timeline
    event (activity for the pathway, except "seen": see NOT_ACTIVITY) and
    the audit entry. A move the current state does not allow raises ReferralConflict."""
    if to_status not in REFERRAL_TRANSITIONS[ReferralStatus(referral.status)]:
        raise ReferralConflict(_conflict_message(referral))
    now = timezone.now()
    from_status = referral.status
    fields = {"status": to_status, "status_changed_at": now, **(changes or {})}
    for name, value in fields.items():
        setattr(referral, name, value)
    referral.save(update_fields=list(fields))
    organisation = membership.organisation if membership is not None else None
    try:
        with transaction.atomic():
            ReferralTransition.objects.create(
                referral=referral,
                from_status=from_status,
                to_status=to_status,
                at=now,
                actor=acting_user if channel == TransitionChannel.APP else None,
                organisation=organisation,
                channel=channel,
                reason=reason[:REASON_MAX_LENGTH],
            )
    except IntegrityError as exc:  # pragma: no cover - guarded by the row lock and the transitions
        raise ReferralConflict(_("Cette prescription est déjà passée par cet état ; rechargez la page.")) from exc
    ended = [purpose for purpose, usable in LINK_USABLE_STATUSES.items() if to_status not in usable]
    ReferralLink.objects.filter(referral=referral, purpose__in=ended, used_at__isnull=True).update(used_at=now)
    actor = acting_user if channel == TransitionChannel.APP else None
    event_record(
        pathway=referral.pathway,
        kind=EventKind.REFERRAL_UPDATED,
        actor=actor,
        membership=membership,
        summary=summary,
        payload={"referral": referral.pk, "status": to_status},
        category=goal_category(referral.theme),
        is_activity=to_status not in NOT_ACTIVITY,
    )
    audit_log(
        actor=actor,
        organisation=organisation,
        action=AuditAction.UPDATE,
        obj=referral,
        person=referral.pathway.person,
        fields=sorted({"status", *(changes or {})}),
        reason=LINK_AUDIT_REASON if channel == TransitionChannel.LINK else reason[:REASON_MAX_LENGTH],
    )
    return referral


def _notify_recipients(referral: Referral, *, kind: str, subject: str, body: str, with_link: str = "") -> None:
    """The recipient organisation's members (by role), or the structure's address (with a signed
    link when one is given)."""
    users = _recipient_users(referral.recipient_organisation_id)
    if users:
        notify(kind=kind, subject=subject, body=body, url=links.referral_path(referral), users=users)
    elif referral.recipient_email:
        url = links.link_path(with_link) if with_link else ""
        notify(kind=kind, subject=subject, body=body, url=url, emails=[referral.recipient_email], urgent=True)


def _notify_sender(referral: Referral, *, kind: str, subject: str, body: str) -> None:
    notify(kind=kind, subject=subject, body=body, url=links.referral_path(referral), users=[referral.sender.user])


def _notify_accepted(referral: Referral, *, who: str, at: datetime.datetime) -> None:
    """The sender is told that the referral was accepted (in Parcours or through a link)."""
    _notify_sender(
        referral,
        kind="referral_answered",
        subject=_("Prescription acceptée : %(service)s") % {"service": referral.service.nom},
        body=_("Bonjour,\n\n%(who)s a accepté votre prescription vers « %(service)s » le %(date)s.")
        % {"who": who, "service": referral.service.nom, "date": _date(at)},
    )


# ---------------------------------------------------------------------------------------------
# The sharing profile


def _display(person: Person, field: str) -> str:
    value = getattr(person, field)
    if value is None or value == "" or value == []:
        return ""
    model_field = Person._meta.get_field(field)
    if getattr(model_field, "choices", None):
        return str(getattr(person, f"get_{field}_display")())
    if isinstance(value, bool):
        return _("Oui") if value else _("Non")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if field == "languages":
        return ", ".join(language_name(str(code)) for code in value)
    if field == "nationality":
        return country_name(str(value))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


_CATEGORY_FIELDS = {
    DataCategory.IDENTITY: ("first_name", "last_name", "birth_name", "sex", "birth_date", "nationality"),
    DataCategory.CONTACT: ("email", "phone", "address"),
    DataCategory.SITUATION: (
        "languages",
        "arrival_date",
        "household",
        "driving_licence",
        "has_vehicle",
        "education_level",
        "rsa_status",
        "are_status",
    ),
    **Person.SENSITIVE_FIELDS,
}


def _health_fields(person: Person) -> list[list[str]]:
    """Health data lives in the diagnostic: the health theme of the latest one."""
    assessment = (
        ThemeAssessment.objects.filter(diagnostic__person=person, theme=Theme.SANTE)
        .order_by("-diagnostic__version")
        .prefetch_related("situations")
        .first()
    )
    if assessment is None:
        return []
    rows = [[_("Besoin en santé (dernier diagnostic)"), assessment.get_need_display()]]
    situations = ", ".join(s.label for s in assessment.situations.all())
    if situations:
        rows.append([_("Situations"), situations])
    if assessment.note:
        rows.append([_("Note"), assessment.note])
    return rows


def shared_snapshot(*, person: Person, categories: set[str]) -> dict:
    """What travels with the referral, frozen when sent: the person's display name (identity always
    travels) and one section per shared category, in the order of DataCategory, each a list of
    [label, value] strings (dates in ISO format; empty fields left out):

        {"name": "Awa DIALLO",
         "sections": [{"category": "identity", "label": "Identité", "fields": [["Prénom", "Awa"], ...]}, ...]}
    """
    sections = []
    for category in DataCategory:
        if category not in categories:
            continue
        if category == DataCategory.HEALTH:
            rows = _health_fields(person)
        else:
            rows = []
            for field in _CATEGORY_FIELDS.get(category, ()):
                value = _display(person, field)
                if value:
                    rows.append(
                        [str(getattr(Person._meta.get_field(field), "verbose_name", field)).capitalize(), value]
                    )
            if category == DataCategory.CONTACT and person.commune is not None:
                rows.append([_("Commune"), f"{person.commune.name} ({person.commune_id})"])
        sections.append({"category": str(category), "label": str(category.label), "fields": rows})
    return {"name": person.full_name, "sections": sections}


def _category_names(categories) -> str:
    return ", ".join(str(DataCategory(c).label).lower() for c in sorted(categories))


# ---------------------------------------------------------------------------------------------
# Creation


def _check_zone(service: Service, person: Person) -> None:
    zone = set(service.zone_eligibilite or [])
    if not zone or zone & NATIONAL_ZONE_CODES:
        return
    names = ", ".join(zone_names(sorted(zone)))
    if person.commune_id is None:
        raise ValidationError(
            {
                "service": _(
                    "La commune de la personne n'est pas renseignée : seuls les services ouverts à tout le "
                    "territoire peuvent la recevoir (zone de ce service : %(zone)s). Renseignez sa commune dans "
                    "sa fiche ou choisissez un autre service."
                )
                % {"zone": names}
            }
        )
    commune = person.commune
    assert commune is not None  # commune_id was checked above
    # Région codes collide with département codes (data·inclusion writes a région as its départements).
    codes = zone_codes_for_commune(commune) - {commune.departement.region_code} | {commune.departement_id}
    if not zone & codes:
        raise ValidationError(
            {
                "service": _(
                    "Ce service n'est pas ouvert aux habitant·es de %(commune)s : sa zone d'éligibilité est "
                    "%(zone)s. Choisissez un service qui couvre la commune de la personne."
                )
                % {"commune": commune.name, "zone": names}
            }
        )


@transaction.atomic
def referral_create(
    *,
    pathway: Pathway,
    service: Service,
    theme: str,
    goal: Goal | None = None,
    message: str,
    shared_categories: list[str],
    person_agrees_follow_up: bool = False,
    override_reason: str = "",
    membership: Membership,
    acting_user,
) -> Referral:
    pathway = Pathway.objects.select_related(
        "person__commune__departement", "person__commune__epci", "departement"
    ).get(pk=pathway.pk)
    _require_open(pathway)
    seat = _require_seat(pathway=pathway, membership=membership)
    person = pathway.person

    service = Service.objects.select_related("structure", "operator").get(pk=service.pk)
    if service.status == ServiceStatus.ARCHIVED:
        raise ValidationError(
            {"service": _("Ce service est archivé : il ne reçoit plus de prescriptions. Choisissez-en un autre.")}
        )
    if service.status != ServiceStatus.PUBLISHED:
        raise ValidationError({"service": _("Ce service n'est pas publié : il ne reçoit pas encore de prescriptions.")})
    recipient = service_recipient(service)
    recipient_email = service.courriel or service.structure.courriel
    if recipient is None and not recipient_email:
        raise ValidationError(
            {
                "service": _(
                    "Ce service ne peut pas recevoir de prescription : sa structure n'a ni compte Parcours ni "
                    "courriel de contact. Contactez-la directement, ou demandez à l'administrateur·rice de "
                    "l'offre de compléter sa fiche."
                )
            }
        )
    _check_zone(service, person)

    errors: dict = {}
    message = (message or "").strip()
    if not message:
        errors["message"] = _("Rédigez un message pour présenter la demande à la structure.")
    elif len(message) > MESSAGE_MAX_LENGTH:
        errors["message"] = _("Le message ne peut dépasser %(n)s caractères.") % {"n": "2 000"}
    if goal is not None:
        goal = Goal.objects.filter(pk=goal.pk, pathway=pathway).first()
        if goal is None:
            errors["goal"] = _("Cet objectif n'appartient pas à ce parcours.")
        elif goal.status != GoalStatus.IN_PROGRESS:
            errors["goal"] = _("Cet objectif est atteint ou abandonné : choisissez un objectif en cours.")
        else:
            theme = goal.theme
    if goal is None and "goal" not in errors and theme not in Theme.values:
        errors["theme"] = _("Choisissez le besoin auquel répond la prescription.")
    categories = list(shared_categories or [])
    unknown = [c for c in categories if c not in DataCategory.values]
    if unknown:
        errors["shared_categories"] = _("Catégorie de données inconnue : %(c)s.") % {"c": ", ".join(map(str, unknown))}
    errors.update(_reason_length_error(override_reason or "", "override_reason"))
    if errors:
        raise ValidationError(errors)
    _require_theme_readable(pathway=pathway, theme=theme, membership=membership)

    shared = {str(c) for c in categories} | {DataCategory.IDENTITY.value}
    unreadable = shared - consented_categories(person=person, membership=membership)
    if unreadable:
        raise PermissionDenied(
            _("Vous ne pouvez pas transmettre des données que vous ne pouvez pas consulter : %(c)s.")
            % {"c": _category_names(unreadable)}
        )
    missing = (shared & SENSITIVE_CATEGORIES) - selectors.referral_consented(
        person_id=person.pk, organisation_id=recipient.pk if recipient else None
    )
    override_reason = (override_reason or "").strip()
    overridden = False
    if missing:
        if recipient is None:
            refusal = _(
                "Cette structure n'a pas de compte Parcours : les données sensibles (%(c)s) ne peuvent lui être "
                "transmises que par une dérogation motivée. Retirez ces catégories ou motivez la dérogation."
            )
        else:
            refusal = _(
                "La personne n'a pas consenti à transmettre ces données à %(org)s : %(c)s. Retirez ces "
                "catégories, recueillez son consentement, ou motivez une dérogation."
            )
        if not override_reason:
            raise ValidationError(
                {
                    "shared_categories": refusal
                    % {"c": _category_names(missing), "org": recipient.name if recipient else ""}
                }
            )
        if not may_override(seat=seat, membership=membership):
            raise PermissionDenied(
                _(
                    "Seul·e le·la référent·e du parcours ou un·e chargé·e d'orientation peut transmettre des "
                    "données sensibles sans le consentement de la personne."
                )
            )
        overridden = True

    now = timezone.now()
    referral = Referral.objects.create(
        pathway=pathway,
        theme=theme,
        goal=goal,
        service=service,
        recipient_organisation=recipient,
        recipient_email=recipient_email,
        sender=membership,
        sent_by=acting_user,
        message=message,
        shared_categories=[c.value for c in DataCategory if c in shared],
        shared_data=shared_snapshot(person=person, categories=shared),
        override_reason=override_reason if overridden else "",
        overridden_by=acting_user if overridden else None,
        person_agrees_follow_up=person_agrees_follow_up,
        status=ReferralStatus.SENT,
        sent_at=now,
        sla_days=service.referral_sla_days,
        due_at=now + datetime.timedelta(days=service.referral_sla_days),
        status_changed_at=now,
    )
    ReferralTransition.objects.create(
        referral=referral,
        from_status="",
        to_status=ReferralStatus.SENT,
        at=now,
        actor=acting_user,
        organisation=membership.organisation,
        channel=TransitionChannel.APP,
    )
    event_record(
        pathway=pathway,
        kind=EventKind.REFERRAL_SENT,
        actor=acting_user,
        membership=membership,
        summary=_("Prescription vers %(service)s pour le besoin « %(theme)s » ; réponse attendue avant le %(due)s")
        % {"service": _service_title(referral), "theme": Theme(theme).label, "due": _date(referral.due_at)},
        payload={"referral": referral.pk, "status": ReferralStatus.SENT},
        category=goal_category(theme),
    )
    audit_log(
        actor=acting_user,
        organisation=membership.organisation,
        action=AuditAction.CREATE,
        obj=referral,
        person=person,
        fields=referral.shared_categories,
        reason=(
            _("Dérogation au consentement (%(c)s) : %(r)s") % {"c": _category_names(missing), "r": override_reason}
        )[:REASON_MAX_LENGTH]
        if overridden
        else "",
    )
    subject = _("Nouvelle prescription vers %(service)s") % {"service": service.nom}
    body = _(
        "Bonjour,\n\n%(who)s vous adresse une personne pour le service « %(service)s ».\n"
        "Merci de répondre (accepter ou refuser) avant le %(due)s."
    ) % {"who": member_name(membership), "service": service.nom, "due": _date(referral.due_at)}
    token = ""
    if recipient is None or not _recipient_users(recipient.pk):
        token = _issue_link(referral, LinkPurpose.ANSWER)
        body += "\n" + _("Ce lien personnel, valable %(n)s jours, vous permet de répondre sans compte Parcours.") % {
            "n": settings.REFERRAL_LINK_VALID_DAYS
        }
    _notify_recipients(referral, kind="referral_new", subject=subject, body=body, with_link=token)
    return referral


def referral_read_audit(*, referral: Referral, membership: Membership | None, acting_user) -> None:
    """The page of one referral shows the person's shared data: each reading is in their access log."""
    audit_log(
        actor=acting_user,
        organisation=membership.organisation if membership is not None else None,
        action=AuditAction.READ,
        obj=referral,
        person=Person(pk=referral.pathway.person_id),
        fields=referral.shared_categories,
    )


# ---------------------------------------------------------------------------------------------
# Recipient side


@transaction.atomic
def referral_mark_seen(*, referral: Referral, membership: Membership, acting_user) -> Referral:
    """The recipient opened it: SENT → SEEN; any later state is left as it is."""
    referral = _lock(referral)
    _require_recipient(referral, membership)
    if referral.status != ReferralStatus.SENT:
        return referral
    return _move(
        referral,
        ReferralStatus.SEEN,
        acting_user=acting_user,
        membership=membership,
        summary=_("Prescription vers %(service)s : vue par %(who)s")
        % {"service": _service_title(referral), "who": membership.organisation.name},
    )


def _join_follow_up(referral: Referral, membership: Membership, acting_user) -> None:
    pathway = referral.pathway
    if FollowUpMember.objects.filter(pathway=pathway, membership=membership, ended_at__isnull=True).exists():
        return
    FollowUpMember.objects.create(
        pathway=pathway,
        membership=membership,
        start_reason=(_("Prescription acceptée : %(service)s") % {"service": referral.service.nom})[:300],
    )
    membership = Membership.objects.select_related("user", "organisation").get(pk=membership.pk)
    event_record(
        pathway=pathway,
        kind=EventKind.MEMBER_ADDED,
        actor=acting_user,
        membership=membership,
        summary=_("%(who)s rejoint le groupe de suivi (prescription acceptée, avec l'accord de la personne)")
        % {"who": member_name(membership)},
        payload={"referral": referral.pk},
    )
    audit_log(
        actor=acting_user,
        organisation=membership.organisation,
        action=AuditAction.UPDATE,
        obj=pathway,
        person=pathway.person,
        fields=["members"],
    )


@transaction.atomic
def referral_accept(
    *, referral: Referral, membership: Membership, acting_user, join_follow_up: bool = False
) -> Referral:
    referral = _lock(referral)
    _require_recipient(referral, membership)
    if join_follow_up:
        if not referral.person_agrees_follow_up:
            raise ValidationError(
                {
                    "join_follow_up": _(
                        "La personne n'a pas donné son accord pour que vous rejoigniez son groupe de suivi."
                    )
                }
            )
        if membership.role not in ACCOMPANYING_ROLES:
            raise ValidationError({"join_follow_up": _("Votre rôle ne permet pas de rejoindre un groupe de suivi.")})
        if referral.pathway.status != PathwayStatus.OPEN:
            raise ValidationError({"join_follow_up": _("Ce parcours est clos : son groupe de suivi est fermé.")})
    now = timezone.now()
    _move(
        referral,
        ReferralStatus.ACCEPTED,
        acting_user=acting_user,
        membership=membership,
        changes={"answered_at": now, "answered_by": membership},
        summary=_("Prescription vers %(service)s : acceptée par %(who)s")
        % {"service": _service_title(referral), "who": membership.organisation.name},
    )
    if join_follow_up:
        _join_follow_up(referral, membership, acting_user)
    _notify_accepted(referral, who=membership.organisation.name, at=now)
    return referral


def _refusal_errors(reason: str, detail: str) -> dict:
    if reason not in RefusalReason.values:
        return {"reason": _("Choisissez un motif de refus dans la liste.")}
    if reason == RefusalReason.OTHER and not (detail or "").strip():
        return {"detail": _("Précisez le motif du refus.")}
    return _reason_length_error(detail or "", "detail")


def _refuse(referral: Referral, *, reason: str, detail: str, acting_user, membership, channel, who: str) -> Referral:
    now = timezone.now()
    detail = (detail or "").strip()
    _move(
        referral,
        ReferralStatus.REFUSED,
        acting_user=acting_user,
        membership=membership,
        channel=channel,
        reason=detail or str(RefusalReason(reason).label),
        changes={
            "answered_at": now,
            "answered_by": membership,
            "refusal_reason": reason,
            "refusal_detail": detail,
        },
        summary=_("Prescription vers %(service)s : refusée par %(who)s (%(reason)s)")
        % {"service": _service_title(referral), "who": who, "reason": RefusalReason(reason).label},
    )
    _notify_sender(
        referral,
        kind="referral_answered",
        subject=_("Prescription refusée : %(service)s") % {"service": referral.service.nom},
        body=_(
            "Bonjour,\n\n%(who)s a refusé votre prescription vers « %(service)s » le %(date)s.\n"
            "Motif : %(reason)s%(detail)s\n\nProposez une autre solution à la personne."
        )
        % {
            "who": who,
            "service": referral.service.nom,
            "date": _date(now),
            "reason": RefusalReason(reason).label,
            "detail": f" ({detail})" if detail else "",
        },
    )
    return referral


@transaction.atomic
def referral_refuse(
    *, referral: Referral, reason: str, detail: str = "", membership: Membership, acting_user
) -> Referral:
    referral = _lock(referral)
    _require_recipient(referral, membership)
    if errors := _refusal_errors(reason, detail):
        raise ValidationError(errors)
    return _refuse(
        referral,
        reason=reason,
        detail=detail,
        acting_user=acting_user,
        membership=membership,
        channel=TransitionChannel.APP,
        who=membership.organisation.name,
    )


@transaction.atomic
def referral_start(*, referral: Referral, membership: Membership, acting_user) -> Referral:
    referral = _lock(referral)
    _require_recipient(referral, membership)
    return _move(
        referral,
        ReferralStatus.STARTED,
        acting_user=acting_user,
        membership=membership,
        summary=_("Prescription vers %(service)s : accompagnement démarré") % {"service": _service_title(referral)},
    )


def _outcome_errors(outcome: str, detail: str) -> dict:
    if outcome not in ReferralOutcome.values:
        return {"outcome": _("Choisissez l'issue de l'accompagnement dans la liste.")}
    return _reason_length_error(detail or "", "detail")


def _close(referral: Referral, *, outcome: str, detail: str, acting_user, membership, channel, who: str) -> Referral:
    if referral.status == ReferralStatus.ACCEPTED and outcome != ReferralOutcome.DID_NOT_COME:
        raise ValidationError(
            {
                "outcome": _(
                    "L'accompagnement n'a pas démarré : la seule issue possible est « %(did_not_come)s ». Si la "
                    "personne est venue, indiquez d'abord le démarrage de l'accompagnement, puis son issue."
                )
                % {"did_not_come": ReferralOutcome.DID_NOT_COME.label}
            }
        )
    now = timezone.now()
    detail = (detail or "").strip()
    _move(
        referral,
        ReferralStatus.CLOSED,
        acting_user=acting_user,
        membership=membership,
        channel=channel,
        reason=detail,
        changes={"outcome": outcome, "closed_at": now},
        summary=_("Prescription vers %(service)s : clôturée (%(outcome)s)")
        % {"service": _service_title(referral), "outcome": ReferralOutcome(outcome).label},
    )
    _notify_sender(
        referral,
        kind="referral_closed",
        subject=_("Prescription clôturée : %(service)s") % {"service": referral.service.nom},
        body=_(
            "Bonjour,\n\n%(who)s a clôturé votre prescription vers « %(service)s » le %(date)s.\nIssue : %(outcome)s%(detail)s"
        )
        % {
            "who": who,
            "service": referral.service.nom,
            "date": _date(now),
            "outcome": ReferralOutcome(outcome).label,
            "detail": f" ({detail})" if detail else "",
        },
    )
    return referral


@transaction.atomic
def referral_close(
    *, referral: Referral, outcome: str, detail: str = "", membership: Membership, acting_user
) -> Referral:
    referral = _lock(referral)
    _require_recipient(referral, membership)
    if errors := _outcome_errors(outcome, detail):
        raise ValidationError(errors)
    return _close(
        referral,
        outcome=outcome,
        detail=detail,
        acting_user=acting_user,
        membership=membership,
        channel=TransitionChannel.APP,
        who=membership.organisation.name,
    )


# ---------------------------------------------------------------------------------------------
# Sender side


@transaction.atomic
def referral_cancel(*, referral: Referral, reason: str, membership: Membership, acting_user) -> Referral:
    """The sender side withdraws a referral that has not been answered yet."""
    referral = _lock(referral)
    _require_sender_side(referral, membership)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Indiquez pourquoi vous annulez cette prescription.")})
    if errors := _reason_length_error(reason, "reason"):
        raise ValidationError(errors)
    if referral.status not in AWAITING_ANSWER:
        raise ReferralConflict(_conflict_message(referral) + " " + _("Elle ne peut plus être annulée."))
    _move(
        referral,
        ReferralStatus.CANCELLED,
        acting_user=acting_user,
        membership=membership,
        reason=reason,
        summary=_("Prescription vers %(service)s : annulée par %(who)s")
        % {"service": _service_title(referral), "who": member_name(membership)},
    )
    _notify_recipients(
        referral,
        kind="referral_cancelled",
        subject=_("Prescription annulée : %(service)s") % {"service": referral.service.nom},
        body=_("Bonjour,\n\n%(who)s a annulé la prescription n° %(id)s vers « %(service)s ». Motif : %(reason)s")
        % {"who": membership.organisation.name, "id": referral.pk, "service": referral.service.nom, "reason": reason},
    )
    return referral


@transaction.atomic
def referral_link_resend(*, referral: Referral, membership: Membership, acting_user) -> str:
    """The sender side sends a fresh link to a structure without an account (its link expired):
    an answer link while the referral awaits an answer, an outcome link once it was accepted."""
    referral = _lock(referral)
    _require_sender_side(referral, membership)
    if not referral.recipient_email:
        raise ValidationError(_("Cette structure n'a pas de courriel : aucun lien ne peut lui être envoyé."))
    if referral.status in AWAITING_ANSWER:
        purpose = LinkPurpose.ANSWER
    elif referral.status in (ReferralStatus.ACCEPTED, ReferralStatus.STARTED):
        purpose = LinkPurpose.OUTCOME
    else:
        raise ReferralConflict(_conflict_message(referral))
    token = _issue_link(referral, purpose)
    notify(
        kind="referral_link",
        subject=_("Nouveau lien pour la prescription vers %(service)s") % {"service": referral.service.nom},
        body=_("Bonjour,\n\n%(who)s vous envoie un nouveau lien personnel, valable %(n)s jours, pour %(what)s.")
        % {
            "who": member_name(membership),
            "n": settings.REFERRAL_LINK_VALID_DAYS,
            "what": _("répondre à la prescription") if purpose == LinkPurpose.ANSWER else _("indiquer son issue"),
        },
        url=links.link_path(token),
        emails=[referral.recipient_email],
        urgent=True,
    )
    audit_log(
        actor=acting_user,
        organisation=membership.organisation,
        action=AuditAction.UPDATE,
        obj=referral,
        person=referral.pathway.person,
        fields=["links"],
    )
    return token


# ---------------------------------------------------------------------------------------------
# Signed links


def _issue_link(referral: Referral, purpose: str) -> str:
    """The token of the referral's live link for this purpose: the current one while it is valid,
    else a new one. An expired, unused one is kept and marked replaced (used_at set, a newer link
    for the same purpose exists): its token then says when the newer one was sent."""
    now = timezone.now()
    live = ReferralLink.objects.filter(referral=referral, purpose=purpose, used_at__isnull=True).first()
    if live is not None and live.expires_at > now:
        return links.sign(link_id=live.pk, nonce=live.nonce)
    if live is not None:
        live.used_at = now
        live.save(update_fields=["used_at"])
    link = ReferralLink.objects.create(
        referral=referral,
        purpose=purpose,
        nonce=links.new_nonce(),
        email=referral.recipient_email,
        created_at=now,
        expires_at=now + datetime.timedelta(days=settings.REFERRAL_LINK_VALID_DAYS),
    )
    return links.sign(link_id=link.pk, nonce=link.nonce)


@transaction.atomic
def link_issue(*, referral: Referral, purpose: str) -> str:
    """Returns the token; the page is links.link_path(token)."""
    if purpose not in LinkPurpose.values:
        raise ValidationError(_("Usage de lien inconnu."))
    referral = _lock(referral)
    if not referral.recipient_email:
        raise ValidationError(_("Cette structure n'a pas de courriel : aucun lien ne peut lui être envoyé."))
    return _issue_link(referral, purpose)


def _ended_message(referral: Referral) -> str:
    """Why a link of a referral that left the states its purpose allows no longer serves."""
    status = referral.status
    if status in (ReferralStatus.ACCEPTED, ReferralStatus.STARTED):
        text = _("Cette prescription a été acceptée le %(date)s : ce lien ne sert plus.")
        at = referral.answered_at or referral.status_changed_at
    elif status == ReferralStatus.REFUSED:
        text = _("Cette prescription a été refusée le %(date)s : ce lien ne sert plus.")
        at = referral.answered_at or referral.status_changed_at
    elif status == ReferralStatus.EXPIRED:
        text = _("Cette prescription a expiré le %(date)s, faute de réponse dans le délai : ce lien ne sert plus.")
        at = referral.status_changed_at
    elif status == ReferralStatus.CLOSED:
        text = _("Cette prescription a été clôturée le %(date)s : ce lien ne sert plus.")
        at = referral.closed_at or referral.status_changed_at
    elif status == ReferralStatus.CANCELLED:
        text = _("Cette prescription a été annulée par son émetteur le %(date)s : ce lien ne sert plus.")
        at = referral.status_changed_at
    else:
        return _(
            "Cette prescription attend encore une réponse : ce lien servira à indiquer son issue une fois "
            "qu'elle aura été acceptée."
        )
    return text % {"date": _datetime(at)}


def _link_problem(link: ReferralLink) -> str:
    """Why this link cannot be used now ("" if it can), in French, for its holder:
    - the referral left the states its purpose allows (LINK_USABLE_STATUSES): "used" when this link
      made that move, else what happened and when (cancelled, expired, answered in Parcours…);
    - replaced by a newer link for the same purpose (used_at set, a newer row exists);
    - expired."""
    referral = link.referral
    newer = (
        ReferralLink.objects.filter(referral_id=link.referral_id, purpose=link.purpose, created_at__gt=link.created_at)
        .order_by("created_at")
        .first()
        if link.used_at is not None
        else None
    )
    if referral.status not in LINK_USABLE_STATUSES[link.purpose]:
        moved_by_link = (
            link.used_at is not None
            and newer is None
            and referral.transitions.filter(to_status=referral.status, channel=TransitionChannel.LINK).exists()
        )
        if not moved_by_link:
            return _ended_message(referral)
        return _("Ce lien a déjà servi le %(date)s : la prescription est « %(status)s ». Rien n'a été modifié.") % {
            "date": _datetime(link.used_at),
            "status": referral.get_status_display(),
        }
    if newer is not None:
        return _(
            "Ce lien a été remplacé par un lien plus récent envoyé le %(date)s à %(email)s : utilisez ce dernier."
        ) % {"date": _datetime(newer.created_at), "email": newer.email}
    if link.used_at is not None:
        return _("Ce lien a déjà servi le %(date)s : la prescription est « %(status)s ». Rien n'a été modifié.") % {
            "date": _datetime(link.used_at),
            "status": referral.get_status_display(),
        }
    if link.expires_at <= timezone.now():
        sender = referral.sender
        return _("Ce lien a expiré le %(date)s ; demandez un nouveau lien à %(who)s (%(email)s).") % {
            "date": _datetime(link.expires_at),
            "who": member_name(sender),
            "email": sender.user.email,
        }
    return ""


def _find_link(token: str, *, lock: bool) -> tuple[ReferralLink | None, str]:
    """The link of a token and, if it cannot be used, why (French, see _link_problem); (None,
    message) for a token that was tampered with or names no link."""
    parsed = links.unsign(token or "")
    if parsed is None:
        return None, _("Ce lien n'est pas valide.")
    qs = ReferralLink.objects.select_related(
        "referral__pathway",
        "referral__service__structure",
        "referral__sender__user",
        "referral__sender__organisation",
    )
    if lock:
        qs = qs.select_for_update(of=("self",), no_key=True)
    link = qs.filter(pk=parsed[0], nonce=parsed[1]).first()
    if link is None:
        return None, _("Ce lien n'est pas valide.")
    return link, _link_problem(link)


def _audit_link(*, link: ReferralLink | None, token: str, action: str, outcome: str) -> None:
    reason = f"{LINK_AUDIT_REASON} : {outcome}" if outcome else LINK_AUDIT_REASON
    if link is not None:
        audit_log(
            actor=None,
            action=action,
            obj=link.referral,
            person=Person(pk=link.referral.pathway.person_id),
            reason=reason[:REASON_MAX_LENGTH],
        )
    else:
        parsed = links.unsign(token or "")
        audit_log(
            actor=None,
            action=action,
            object_type=ReferralLink._meta.label_lower,
            object_id=parsed[0] if parsed else "",
            reason=reason[:REASON_MAX_LENGTH],
        )


def link_resolve(*, token: str) -> ReferralLink:
    """The usable link of a token, for the page that shows the referral: the reading is audited;
    a tampered, unknown, used, replaced or expired link, or one whose referral left the states its
    purpose allows (LINK_USABLE_STATUSES), raises ValidationError (and is audited too): the page
    then shows the reason only, never the shared data."""
    with transaction.atomic():
        link, problem = _find_link(token, lock=False)
        if problem:
            _audit_link(link=link, token=token, action=AuditAction.READ, outcome=problem)
        else:
            _audit_link(link=link, token=token, action=AuditAction.READ, outcome="")
    if problem or link is None:
        raise ValidationError(problem or _("Ce lien n'est pas valide."))
    return link


def _use_link(token: str, purpose: str) -> tuple[ReferralLink, Referral]:
    link, problem = _find_link(token, lock=True)
    if link is not None and link.purpose != purpose:
        raise ValidationError(_("Ce lien ne permet pas cette action."))
    if problem or link is None:
        raise ValidationError(problem or _("Ce lien n'est pas valide."))
    return link, _lock(link.referral_id)


def _with_link_audit(token: str, work):
    """Run `work` in its own transaction; a failed use is audited outside it (so the entry stays
    when the work rolls back)."""
    try:
        with transaction.atomic():
            return work()
    except ValidationError as exc:
        link, _problem = _find_link(token, lock=False)
        _audit_link(link=link, token=token, action=AuditAction.UPDATE, outcome=" ".join(exc.messages))
        raise


def link_answer(*, token: str, accept: bool, reason: str = "", detail: str = "") -> Referral:
    """Answer through an ANSWER link (channel LINK, no actor). Accepting sends an OUTCOME link.
    A link-only answer never adds anyone to the follow-up group."""

    def work() -> Referral:
        link, referral = _use_link(token, LinkPurpose.ANSWER)
        who = _link_actor(referral)
        now = timezone.now()
        if accept:
            _move(
                referral,
                ReferralStatus.ACCEPTED,
                acting_user=None,
                membership=None,
                channel=TransitionChannel.LINK,
                changes={"answered_at": now, "answered_by": None},
                summary=_("Prescription vers %(service)s : acceptée par %(who)s")
                % {"service": _service_title(referral), "who": who},
            )
        else:
            if errors := _refusal_errors(reason, detail):
                raise ValidationError(errors)
            _refuse(
                referral,
                reason=reason,
                detail=detail,
                acting_user=None,
                membership=None,
                channel=TransitionChannel.LINK,
                who=who,
            )
        link.used_at = now
        link.save(update_fields=["used_at"])
        if accept:
            outcome_token = _issue_link(referral, LinkPurpose.OUTCOME)
            notify(
                kind="referral_link",
                subject=_("Prescription acceptée : indiquez ensuite son issue"),
                body=_(
                    "Bonjour,\n\nMerci d'avoir accepté la prescription vers « %(service)s ». Quand l'accompagnement "
                    "se termine (ou si la personne ne vient pas), indiquez son issue par ce lien personnel, "
                    "valable %(n)s jours."
                )
                % {"service": referral.service.nom, "n": settings.REFERRAL_LINK_VALID_DAYS},
                url=links.link_path(outcome_token),
                emails=[referral.recipient_email],
                urgent=True,
            )
            _notify_accepted(referral, who=who, at=now)
        return referral

    return _with_link_audit(token, work)


def link_start(*, token: str) -> Referral:
    """Mark the accompaniment started through an OUTCOME link (accepted → started, channel LINK, no
    actor). The link is not used up: it stays valid to give the outcome later. Starting twice is a
    ReferralConflict saying when it started, and changes nothing."""

    def work() -> Referral:
        _link, referral = _use_link(token, LinkPurpose.OUTCOME)
        return _move(
            referral,
            ReferralStatus.STARTED,
            acting_user=None,
            membership=None,
            channel=TransitionChannel.LINK,
            summary=_("Prescription vers %(service)s : accompagnement démarré (%(who)s)")
            % {"service": _service_title(referral), "who": _link_actor(referral)},
        )

    return _with_link_audit(token, work)


def link_close(*, token: str, outcome: str, detail: str = "") -> Referral:
    """Give the outcome through an OUTCOME link (accepted or started → closed)."""

    def work() -> Referral:
        link, referral = _use_link(token, LinkPurpose.OUTCOME)
        if errors := _outcome_errors(outcome, detail):
            raise ValidationError(errors)
        _close(
            referral,
            outcome=outcome,
            detail=detail,
            acting_user=None,
            membership=None,
            channel=TransitionChannel.LINK,
            who=_link_actor(referral),
        )
        link.used_at = timezone.now()
        link.save(update_fields=["used_at"])
        return referral

    return _with_link_audit(token, work)


# ---------------------------------------------------------------------------------------------
# Deadlines: expiry, reminders, escalations


_EXPIRE_SQL = """
WITH due AS (
    SELECT id, status FROM referrals_referral
    WHERE status IN ('sent', 'seen') AND due_at < %(now)s
    ORDER BY id
    FOR NO KEY UPDATE
),
expired AS (
    UPDATE referrals_referral AS r
    SET status = 'expired', status_changed_at = %(now)s, escalated_at = %(now)s
    FROM due WHERE r.id = due.id
    RETURNING r.id, due.status AS from_status, r.pathway_id, r.service_id, r.theme
),
transitions AS (
    INSERT INTO referrals_referraltransition (referral_id, from_status, to_status, at, channel, reason)
    SELECT id, from_status, 'expired', %(now)s, 'system', %(reason)s FROM expired
),
events AS (
    INSERT INTO pathways_event (pathway_id, at, kind, summary, payload, category)
    SELECT e.pathway_id, %(now)s, 'referral_updated',
           left(replace(%(summary)s, '{service}', s.nom), 500),
           jsonb_build_object('referral', e.id, 'status', 'expired'),
           CASE WHEN e.theme = ANY(%(sensitive_themes)s) THEN %(health)s ELSE '' END
    FROM expired e JOIN directory_service s ON s.id = e.service_id
),
ended_links AS (
    UPDATE referrals_referrallink l SET used_at = %(now)s
    WHERE l.used_at IS NULL AND l.purpose = %(answer)s AND l.referral_id IN (SELECT id FROM expired)
)
SELECT count(*) FROM expired
"""


def _expire_postgresql(now: datetime.datetime, *, reason: str, summary: str) -> int:
    """Expire every overdue referral in one statement: the update, its transition rows, the
    timeline events and the end of their answer links, set-based. An expiry is not activity on the
    pathway: its last activity is left as it was."""
    with connection.cursor() as cursor:
        cursor.execute(
            _EXPIRE_SQL,
            {
                "now": now,
                "reason": reason,
                "summary": summary,
                # The category goal_category gives a sensitive theme, for every sensitive theme.
                "sensitive_themes": sorted(SENSITIVE_THEMES),
                "health": DataCategory.HEALTH.value,
                "answer": LinkPurpose.ANSWER.value,
            },
        )
        return cursor.fetchone()[0]


def _expire_portable(now: datetime.datetime, *, reason: str, summary: str) -> int:
    """The same for other databases (SQLite in development): one UPDATE for the expiry, bulk inserts
    for the log and the timeline, one UPDATE for the links."""
    overdue = Referral.objects.filter(status__in=AWAITING_ANSWER, due_at__lt=now)
    rows = list(overdue.values_list("id", "status", "pathway_id", "theme", "service__nom"))
    if not rows:
        return 0
    ids = [r[0] for r in rows]
    Referral.objects.filter(pk__in=ids, status__in=AWAITING_ANSWER).update(
        status=ReferralStatus.EXPIRED, status_changed_at=now, escalated_at=now
    )
    ReferralTransition.objects.bulk_create(
        ReferralTransition(
            referral_id=rid,
            from_status=status,
            to_status=ReferralStatus.EXPIRED,
            at=now,
            channel=TransitionChannel.SYSTEM,
            reason=reason,
        )
        for rid, status, _p, _t, _s in rows
    )
    Event.objects.bulk_create(
        Event(
            pathway_id=pathway_id,
            at=now,
            kind=EventKind.REFERRAL_UPDATED,
            summary=summary.replace("{service}", service_name)[:500],
            payload={"referral": rid, "status": ReferralStatus.EXPIRED},
            category=goal_category(theme),
        )
        for rid, _st, pathway_id, theme, service_name in rows
    )
    ReferralLink.objects.filter(referral_id__in=ids, purpose=LinkPurpose.ANSWER, used_at__isnull=True).update(
        used_at=now
    )
    return len(rows)


def _listing(items: list[tuple[int, str, datetime.datetime]], *, with_urls: bool = True) -> str:
    """The referrals of a grouped mail: number, service, deadline, never the person; the page of
    each only for those who may open it (not a structure administrator: see acting_recipients)."""
    if with_urls:
        line = _("• Prescription n° %(id)s vers « %(service)s » (échéance le %(due)s) : %(url)s")
    else:
        line = _("• Prescription n° %(id)s vers « %(service)s » (échéance le %(due)s)")
    lines = [
        line % {"id": rid, "service": name, "due": _date(due), "url": links.referral_path(rid)}
        for rid, name, due in items[:MAIL_LIST_LIMIT]
    ]
    if len(items) > MAIL_LIST_LIMIT:
        lines.append(_("… et %(n)s autre(s).") % {"n": len(items) - MAIL_LIST_LIMIT})
    return "\n".join(lines)


def _remind(now: datetime.datetime) -> int:
    """Referrals due within REFERRAL_REMINDER_DAYS_BEFORE days, not yet recalled: one UPDATE marks
    them, then one mail per recipient organisation (or structure address)."""
    horizon = now + datetime.timedelta(days=settings.REFERRAL_REMINDER_DAYS_BEFORE)
    window = Q(status__in=AWAITING_ANSWER, due_at__gte=now, due_at__lte=horizon)
    count = Referral.objects.filter(window, reminder_sent_at__isnull=True).update(reminder_sent_at=now)
    if not count:
        return 0
    rows = list(
        Referral.objects.filter(window, reminder_sent_at=now)
        .order_by("due_at", "id")
        .values_list("id", "recipient_organisation_id", "recipient_email", "service__nom", "due_at")
    )
    users = _users_by_organisation({r[1] for r in rows if r[1]}, selectors.acting_recipients())
    by_org: dict[int, list] = {}
    for rid, org_id, email, name, due in rows:
        if org_id and users.get(org_id):
            by_org.setdefault(org_id, []).append((rid, name, due))
        elif email:
            # A structure without an account: its own reminder, with its answer link.
            referral = Referral.objects.get(pk=rid)
            token = _issue_link(referral, LinkPurpose.ANSWER)
            notify(
                kind="referral_reminder",
                subject=_("Rappel : prescription vers %(service)s sans réponse") % {"service": name},
                body=_(
                    "Bonjour,\n\nLa prescription vers « %(service)s » attend votre réponse avant le %(due)s. "
                    "Sans réponse, elle expirera et la personne devra être orientée ailleurs."
                )
                % {"service": name, "due": _date(due)},
                url=links.link_path(token),
                emails=[email],
                urgent=True,
            )
    for org_id, items in by_org.items():
        notify(
            kind="referral_reminder",
            subject=_("Rappel : %(n)s prescription(s) attendent votre réponse") % {"n": len(items)},
            body=_("Bonjour,\n\nCes prescriptions expirent bientôt sans réponse :\n\n%(list)s")
            % {"list": _listing(items)},
            url=links.referral_path(items[0][0]) if len(items) == 1 else "",
            users=users[org_id],
        )
    return count


def _escalate(now: datetime.datetime) -> int:
    """The referrals this sweep expired (escalated_at = now): their organisation's administrators
    (or the structure's address) and their senders are told, one mail per recipient."""
    rows = list(
        Referral.objects.filter(status=ReferralStatus.EXPIRED, escalated_at=now)
        .order_by("due_at", "id")
        .values_list("id", "recipient_organisation_id", "recipient_email", "service__nom", "due_at", "sender__user_id")
    )
    if not rows:
        return 0
    admins = _users_by_organisation({r[1] for r in rows if r[1]}, selectors.live_members(roles=[Role.ADMIN_STRUCTURE]))
    to_admins: dict[int, list] = {}
    to_emails: dict[str, list] = {}
    to_senders: dict[int, list] = {}
    for rid, org_id, email, name, due, sender_user_id in rows:
        if org_id and admins.get(org_id):
            to_admins.setdefault(org_id, []).append((rid, name, due))
        elif email:
            to_emails.setdefault(email, []).append((rid, name, due))
        to_senders.setdefault(sender_user_id, []).append((rid, name, due))
    subject = _("Prescription(s) expirée(s) sans réponse : %(n)s")
    body = _(
        "Bonjour,\n\nCes prescriptions adressées à votre structure ont expiré sans réponse dans le délai :\n\n"
        "%(list)s\n\nLes personnes concernées attendaient une réponse : vérifiez qui traite les prescriptions "
        "de votre structure."
    )
    for org_id, items in to_admins.items():
        notify(
            kind="referral_escalation",
            subject=subject % {"n": len(items)},
            body=body % {"list": _listing(items, with_urls=False)},
            users=admins[org_id],
            urgent=True,
        )
    for email, items in to_emails.items():
        notify(
            kind="referral_escalation",
            subject=subject % {"n": len(items)},
            body=body % {"list": _listing(items, with_urls=False)},
            emails=[email],
            urgent=True,
        )
    senders = User.objects.in_bulk(list(to_senders))
    for user_id, items in to_senders.items():
        notify(
            kind="referral_expired",
            subject=_("Vos prescriptions sans réponse ont expiré : %(n)s") % {"n": len(items)},
            body=_(
                "Bonjour,\n\nCes prescriptions n'ont pas reçu de réponse dans le délai et ont expiré :\n\n%(list)s"
                "\n\nProposez une autre solution aux personnes concernées."
            )
            % {"list": _listing(items)},
            url=links.referral_path(items[0][0]) if len(items) == 1 else "",
            users=[senders[user_id]] if user_id in senders else [],
        )
    return len(rows)


@transaction.atomic
def sweep_deadlines(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Expire every referral past its deadline without an answer (set-based, whatever their
    number), recall those due soon, and tell the structures' administrators and the senders about
    the ones that expired. Returns the counts."""
    now = now or timezone.now()
    reason = _("Pas de réponse dans le délai")
    summary = _("Prescription vers « {service} » : expirée, sans réponse dans le délai")
    if connection.vendor == "postgresql":
        expired = _expire_postgresql(now, reason=reason, summary=summary)
    else:
        expired = _expire_portable(now, reason=reason, summary=summary)
    escalated = _escalate(now) if expired else 0
    reminded = _remind(now)
    return {"expired": expired, "reminded": reminded, "escalated": escalated}
