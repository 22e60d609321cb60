"""Writes on the offer declared in Parcours: an organisation's structure, its services (create, edit,
publish, archive), their free places, and the decision on a possible duplicate.

Each function is keyword-only, atomic, checks the actor's right, writes the audit entry. Refusals raise
PermissionDenied, invalid requests ValidationError (a dict keyed by the v1 field name), both with a French
message and nothing written.

Who may manage a service: an active membership with the role `admin_structure` whose organisation
operates the service (or owns the structure that carries it). A conseiller of the same organisation is
refused, as is a platform administrator acting without a membership: the offer is declared by the
organisation that answers for it, and the platform administrator's tools are the Django admin pages
and the duplicates review, not the organisation's own declaration."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.audit.models import AuditAction
from parcours.audit.services import audit_log
from parcours.organisations.enums import Role
from parcours.organisations.models import Membership, Organisation
from parcours.people.models import is_known_language
from parcours.territories import geo
from parcours.territories.models import Commune

from . import quality, records
from .models import PARCOURS_SOURCE, DuplicateCandidate, DuplicateStatus, Service, ServiceStatus, Structure
from .selectors import territory_reference

# The v1 fields a form may set; identity (source, id, structure_id) and date_maj are set here.
EDITABLE_V1_FIELDS = tuple(
    name for name in records.SERVICE_FIELDS if name not in {"source", "id", "structure_id", "date_maj"}
)
CAPACITY_FIELDS = ("places_total", "places_free", "waiting_days", "next_sessions")
# What Parcours adds to the schema and the service form also edits.
EXTRA_FIELDS = ("languages", "interpreting", *CAPACITY_FIELDS)


# --- permissions ------------------------------------------------------------------------------------


def can_manage(membership: Membership | None, service: Service) -> bool:
    """Whether this membership may change this service (in memory: the services re-read the
    membership from the database before writing)."""
    if membership is None or not membership.is_active or membership.role != Role.ADMIN_STRUCTURE:
        return False
    organisation_id = membership.organisation_id
    if service.operator_id is not None and service.operator_id == organisation_id:
        return True
    return service.structure.organisation_id is not None and service.structure.organisation_id == organisation_id


def _require_admin(membership: Membership | None) -> Membership:
    """Re-read from the database: an in-memory membership may be stale (role changed, deactivated)."""
    if membership is None:
        raise PermissionDenied(_("Vous devez agir au nom d'une organisation pour gérer ses services."))
    fresh = (
        Membership.objects.active()
        .filter(pk=membership.pk, user__is_active=True, role=Role.ADMIN_STRUCTURE)
        .select_related("organisation", "user")
        .first()
    )
    if fresh is None:
        raise PermissionDenied(_("Seul·es les administrateur·rices de la structure peuvent gérer ses services."))
    return fresh


def _require_can_manage(membership: Membership | None, service: Service) -> Membership:
    fresh = _require_admin(membership)
    if not can_manage(fresh, service):
        raise PermissionDenied(_("Ce service est géré par une autre organisation : vous ne pouvez pas le modifier."))
    return fresh


def services_managed_by(*, membership: Membership | None) -> QuerySet[Service]:
    """The services a membership may manage (none unless it is an active structure administrator),
    scoped in SQL."""
    if membership is None or not membership.is_active or membership.role != Role.ADMIN_STRUCTURE:
        return Service.objects.none()
    organisation_id = membership.organisation_id
    return Service.objects.filter(Q(operator_id=organisation_id) | Q(structure__organisation_id=organisation_id))


def _locked_service(service: Service) -> Service:
    """Lock the row (two administrators editing at once are serialised) and read it afresh."""
    return Service.objects.select_for_update(of=("self",), no_key=True).select_related("structure").get(pk=service.pk)


def _today() -> dt.date:
    return timezone.localdate()


# --- structure --------------------------------------------------------------------------------------


@transaction.atomic
def structure_for_organisation(*, organisation: Organisation) -> Structure:
    """The structure that carries the services an organisation declares in Parcours, created from the
    organisation the first time (name, SIRET, e-mail); its address is completed later."""
    source_id = f"parcours--org-{organisation.pk}"
    structure = Structure.objects.filter(source=PARCOURS_SOURCE, source_id=source_id).first()
    if structure is not None:
        return structure
    siret = organisation.siret if geo.is_valid_siret(organisation.siret or "") else ""
    structure, created = Structure.objects.get_or_create(
        source=PARCOURS_SOURCE,
        source_id=source_id,
        defaults={
            "organisation": organisation,
            "nom": organisation.name[:150],
            "siret": siret,
            "courriel": organisation.email,
            "date_maj": _today(),
        },
    )
    if created:
        audit_log(actor=None, organisation=organisation, action=AuditAction.CREATE, obj=structure)
    return structure


# --- validation -------------------------------------------------------------------------------------


def _reference_for(codes: Iterable[str]) -> records.Reference:
    return territory_reference(codes)[0]


def _errors_by_field(messages: Iterable[str]) -> dict[str, list[str]]:
    """ "zone_eligibilite : code non reconnu : « 4410 »" -> {"zone_eligibilite": ["code non reconnu : « 4410 »"]}."""
    errors: dict[str, list[str]] = {}
    for message in messages:
        location, sep, text = message.partition(" : ")
        key = location.split(",")[0].strip().split(".")[0] if sep else "__all__"
        if key not in records.SERVICE_FIELDS:
            key, text = "__all__", message
        errors.setdefault(key, []).append(_capitalise(text))
    return errors


_ZONE_CODE = re.compile(r"^(france|\w{2,3}|\w{5}|\d{9})$")


def _zone_syntax_errors(codes: Iterable[str]) -> list[str]:
    return [
        _(
            "Code non reconnu : « %(code)s » (attendu : un code commune à 5 caractères, un département à 2 ou 3, "
            "un EPCI à 9 chiffres, ou « france »)."
        )
        % {"code": str(code)[:40]}
        for code in codes
        if not isinstance(code, str) or not _ZONE_CODE.match(code)
    ]


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _capacity_errors(
    *, places_total: int | None, places_free: int | None, waiting_days: int | None, next_sessions: Iterable[Any]
) -> tuple[dict[str, list[str]], list[str]]:
    """Errors on the capacity, and the next session dates as sorted ISO strings."""
    errors: dict[str, list[str]] = {}
    for name, value in (("places_total", places_total), ("places_free", places_free), ("waiting_days", waiting_days)):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            errors.setdefault(name, []).append(_("Nombre entier attendu."))
        elif value < 0:
            errors.setdefault(name, []).append(_("Ce nombre ne peut pas être négatif."))
    if (
        "places_free" not in errors
        and "places_total" not in errors
        and places_free is not None
        and places_total is not None
        and places_free > places_total
    ):
        errors.setdefault("places_free", []).append(
            _("Les places libres (%(free)s) ne peuvent dépasser le nombre total de places (%(total)s).")
            % {"free": places_free, "total": places_total}
        )
    if places_free is not None and places_total is None and "places_free" not in errors:
        errors.setdefault("places_total", []).append(
            _("Indiquez le nombre total de places pour pouvoir donner les places libres.")
        )
    sessions: list[dt.date] = []
    today = _today()
    for value in next_sessions or []:
        try:
            day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        except ValueError:
            errors.setdefault("next_sessions", []).append(
                _("Date invalide : « %(value)s » (attendu JJ/MM/AAAA).") % {"value": str(value)[:40]}
            )
            continue
        if day < today:
            errors.setdefault("next_sessions", []).append(
                _("La session du %(date)s est déjà passée.") % {"date": day.strftime("%d/%m/%Y")}
            )
        sessions.append(day)
    return errors, [day.isoformat() for day in sorted(set(sessions))]


# --- services ---------------------------------------------------------------------------------------


def _commune_point(code_insee: str) -> tuple[float | None, float | None] | None:
    """The centre of a commune, for a service declared without coordinates."""
    if not code_insee:
        return None
    return Commune.objects.filter(insee_code=code_insee).values_list("latitude", "longitude").first()


@transaction.atomic
def save_service(*, membership: Membership, service: Service | None, data: Mapping[str, Any]) -> Service:
    """Create (`service=None`, as a draft) or edit a service from a v1-shaped dict (plus the Parcours
    fields: languages, interpreting, capacity). The v1 part is validated by the schema package and
    the territory's codes; the date of update becomes today."""
    membership = _require_admin(membership)
    if service is not None:
        service = _locked_service(service)
        _require_can_manage(membership, service)
        structure = service.structure
        raw: dict[str, Any] = {"source": service.source, "id": service.source_id, "structure_id": structure.source_id}
    else:
        structure = structure_for_organisation(organisation=membership.organisation)
        raw = {
            "source": PARCOURS_SOURCE,
            "id": f"{PARCOURS_SOURCE}--{uuid.uuid4()}",
            "structure_id": structure.source_id,
        }
    for name in EDITABLE_V1_FIELDS:
        value = data.get(name)
        raw[name] = sorted(value) if isinstance(value, set | frozenset) else value
    # The package compares with the system's date; Django's may be a day ahead around midnight.
    raw["date_maj"] = min(_today(), dt.date.today()).isoformat()
    codes = [raw.get("code_insee") or "", *(raw.get("zone_eligibilite") or [])]
    checked = records.check_service(raw, _reference_for(codes))
    errors = _errors_by_field(checked.errors)
    zone_errors = _zone_syntax_errors(raw.get("zone_eligibilite") or [])
    if zone_errors:
        # The package's union type reports one error per alternative ("texte trop court", "trop long"…):
        # say instead which code is wrong and what is expected.
        errors["zone_eligibilite"] = zone_errors
    unknown_languages = [code for code in data.get("languages") or [] if not is_known_language(code)]
    if unknown_languages:
        errors["languages"] = [
            _("Code de langue inconnu : %(codes)s.") % {"codes": ", ".join(f"« {code} »" for code in unknown_languages)}
        ]
    capacity = {name: data.get(name) for name in CAPACITY_FIELDS}
    capacity_errors, sessions = _capacity_errors(
        places_total=capacity["places_total"],
        places_free=capacity["places_free"],
        waiting_days=capacity["waiting_days"],
        next_sessions=capacity["next_sessions"] or [],
    )
    for key, messages in capacity_errors.items():
        errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)

    fields = dict(checked.fields)
    fields.pop("source", None)
    fields.pop("source_id", None)
    fields["date_maj"] = _today()
    fields["languages"] = list(dict.fromkeys(data.get("languages") or []))
    fields["interpreting"] = bool(data.get("interpreting"))
    new_capacity = {
        "places_total": capacity["places_total"],
        "places_free": capacity["places_free"],
        "waiting_days": capacity["waiting_days"],
        "next_sessions": sessions,
    }
    if service is None:
        service = Service(
            structure=structure,
            operator=membership.organisation,
            source=PARCOURS_SOURCE,
            source_id=raw["id"],
            status=ServiceStatus.DRAFT,
            **fields,
            **new_capacity,
        )
        if any(value not in (None, []) for value in new_capacity.values()):
            service.capacity_updated_at = timezone.now()
        records.refresh_search_fields(service, structure, _commune_point(service.code_insee))
        service.save(force_insert=True)
        audit_log(
            actor=membership.user,
            organisation=membership.organisation,
            action=AuditAction.CREATE,
            obj=service,
            fields=[*fields, *new_capacity],
        )
        return service

    changed = [name for name, value in {**fields, **new_capacity}.items() if getattr(service, name) != value]
    capacity_changed = any(name in CAPACITY_FIELDS for name in changed)
    for name, value in {**fields, **new_capacity}.items():
        setattr(service, name, value)
    if capacity_changed:
        service.capacity_updated_at = timezone.now()
    records.refresh_search_fields(service, structure, _commune_point(service.code_insee))
    update_fields = sorted(
        {*changed, "date_maj", *records.SEARCH_FIELDS, "updated_at"}
        | ({"capacity_updated_at"} if capacity_changed else set())
    )
    service.save(update_fields=update_fields)
    audit_log(
        actor=membership.user,
        organisation=membership.organisation,
        action=AuditAction.UPDATE,
        obj=service,
        fields=changed or ["date_maj"],
    )
    return service


def _set_status(*, membership: Membership, service: Service, status: ServiceStatus, reason: str) -> Service:
    membership = _require_admin(membership)
    service = _locked_service(service)
    _require_can_manage(membership, service)
    if service.status == status:
        return service
    service.status = status
    service.date_maj = _today()
    records.refresh_search_fields(service, service.structure, _commune_point(service.code_insee))
    service.save(update_fields=["status", "date_maj", *records.SEARCH_FIELDS, "updated_at"])
    audit_log(
        actor=membership.user,
        organisation=membership.organisation,
        action=AuditAction.UPDATE,
        obj=service,
        fields=["status", "date_maj"],
        reason=reason,
    )
    return service


@transaction.atomic
def publish_service(*, membership: Membership, service: Service) -> Service:
    """Make a draft or archived service visible in the directory. A published service must still
    validate against the schema (an imported record may have been edited in the admin pages)."""
    _require_can_manage(_require_admin(membership), _locked_service(service))
    fresh = Service.objects.select_related("structure").get(pk=service.pk)
    errors = records.validates_as_v1(records.service_to_v1(fresh), "services")
    if errors:
        raise ValidationError(
            _("Ce service ne peut pas être publié : %(errors)s. Modifiez-le d'abord.") % {"errors": "; ".join(errors)}
        )
    return _set_status(membership=membership, service=service, status=ServiceStatus.PUBLISHED, reason="publication")


@transaction.atomic
def archive_service(*, membership: Membership, service: Service) -> Service:
    """Withdraw a service from the directory (kept, and publishable again)."""
    return _set_status(membership=membership, service=service, status=ServiceStatus.ARCHIVED, reason="archivage")


@transaction.atomic
def update_capacity(
    *,
    membership: Membership,
    service: Service,
    places_total: int | None,
    places_free: int | None,
    waiting_days: int | None,
    next_sessions: Iterable[dt.date | str] = (),
) -> Service:
    """The quick "places libres" update: free places within the total, nothing negative, sessions
    not in the past. The service counts as updated today."""
    membership = _require_admin(membership)
    service = _locked_service(service)
    _require_can_manage(membership, service)
    errors, sessions = _capacity_errors(
        places_total=places_total, places_free=places_free, waiting_days=waiting_days, next_sessions=next_sessions
    )
    if errors:
        raise ValidationError(errors)
    values = {
        "places_total": places_total,
        "places_free": places_free,
        "waiting_days": waiting_days,
        "next_sessions": sessions,
    }
    changed = [name for name, value in values.items() if getattr(service, name) != value]
    for name, value in values.items():
        setattr(service, name, value)
    service.capacity_updated_at = timezone.now()
    service.date_maj = _today()
    records.refresh_search_fields(service, service.structure, _commune_point(service.code_insee))
    service.save(
        update_fields=[
            *values,
            "capacity_updated_at",
            "date_maj",
            *records.SEARCH_FIELDS,
            "updated_at",
        ]
    )
    audit_log(
        actor=membership.user,
        organisation=membership.organisation,
        action=AuditAction.UPDATE,
        obj=service,
        fields=changed or ["capacity_updated_at"],
    )
    return service


# --- duplicates -------------------------------------------------------------------------------------


def _organisation_ids_of(candidate: DuplicateCandidate) -> set[int]:
    ids: set[int] = set()
    for structure in (candidate.first_structure, candidate.second_structure):
        if structure is not None and structure.organisation_id:
            ids.add(structure.organisation_id)
    for service in (candidate.first_service, candidate.second_service):
        if service is not None:
            if service.operator_id:
                ids.add(service.operator_id)
            if service.structure.organisation_id:
                ids.add(service.structure.organisation_id)
    return ids


def duplicates_visible_to(*, user, membership: Membership | None) -> QuerySet[DuplicateCandidate]:
    """Pairs a reviewer may see and decide: all of them for a platform administrator; for a structure
    administrator, the pairs that involve one of its structures or services; none for anyone else."""
    qs = DuplicateCandidate.objects.all()
    if user is not None and user.is_active and user.is_superuser:
        return qs
    if membership is None or not membership.is_active or membership.role != Role.ADMIN_STRUCTURE:
        return qs.none()
    org = membership.organisation_id
    return qs.filter(
        Q(first_structure__organisation_id=org)
        | Q(second_structure__organisation_id=org)
        | Q(first_service__operator_id=org)
        | Q(second_service__operator_id=org)
        | Q(first_service__structure__organisation_id=org)
        | Q(second_service__structure__organisation_id=org)
    )


@transaction.atomic
def decide_duplicate(
    *, user, membership: Membership | None, candidate: DuplicateCandidate, decision: str
) -> DuplicateCandidate:
    """Mark a possible duplicate as the same thing or as distinct records. A platform administrator
    decides any pair; a structure administrator the pairs involving its own structures or services.
    Pairs already decided stay as decided (the first decision wins a race)."""
    if decision not in (DuplicateStatus.SAME, DuplicateStatus.DISTINCT):
        raise ValidationError({"decision": _("Décision inconnue : choisissez « Identiques » ou « Distincts ».")})
    candidate = (
        DuplicateCandidate.objects.select_for_update(of=("self",), no_key=True)
        .select_related("first_structure", "second_structure", "first_service__structure", "second_service__structure")
        .get(pk=candidate.pk)
    )
    is_platform_admin = user is not None and user.is_active and user.is_superuser
    organisation = None
    if not is_platform_admin:
        fresh = _require_admin(membership)
        if fresh.user_id != getattr(user, "pk", None):
            raise PermissionDenied(_("Vous ne pouvez agir qu'en votre nom."))
        if fresh.organisation_id not in _organisation_ids_of(candidate):
            raise PermissionDenied(_("Ce doublon ne concerne pas votre structure : vous ne pouvez pas en décider."))
        organisation = fresh.organisation
    elif membership is not None:
        organisation = membership.organisation
    if candidate.status != DuplicateStatus.PENDING:
        raise ValidationError(
            _("Ce doublon a déjà été examiné (%(status)s).") % {"status": candidate.get_status_display()}
        )
    candidate.status = decision
    candidate.decided_by = user
    candidate.decided_at = timezone.now()
    candidate.save(update_fields=["status", "decided_by", "decided_at"])
    audit_log(
        actor=user,
        organisation=organisation,
        action=AuditAction.UPDATE,
        obj=candidate,
        fields=["status"],
        reason=str(decision),
    )
    return candidate


# --- reminders --------------------------------------------------------------------------------------

REMIND_EVERY_DAYS = 30


@dataclass
class Reminder:
    organisation: Organisation
    recipients: list[str]
    services: list[Service]


def stale_services_to_remind(*, now: dt.datetime | None = None) -> QuerySet[Service]:
    """Published services operated by a Parcours organisation, not updated for six months and not
    reminded in the last 30 days."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    return Service.objects.filter(
        status=ServiceStatus.PUBLISHED,
        operator__isnull=False,
        operator__is_active=True,
        date_maj__lt=today - dt.timedelta(days=quality.STALE_AFTER_DAYS),
    ).filter(Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lt=now - dt.timedelta(days=REMIND_EVERY_DAYS)))


def reminder_recipients(organisation: Organisation) -> list[str]:
    """The organisation's structure administrators, or else its contact e-mail."""
    emails = list(
        Membership.objects.active()
        .filter(organisation=organisation, role=Role.ADMIN_STRUCTURE, user__is_active=True)
        .exclude(user__email="")
        .order_by("user__email")
        .values_list("user__email", flat=True)
        .distinct()
    )
    if emails:
        return emails
    return [organisation.email] if organisation.email else []


def _reminder_text(reminder: Reminder, *, base_url: str, today: dt.date) -> tuple[str, str]:
    count = len(reminder.services)
    subject = _("Parcours : %(count)s service(s) à mettre à jour") % {"count": count}
    lines = [
        _("Bonjour,"),
        "",
        _(
            "Les services suivants de %(organisation)s n'ont pas été mis à jour depuis plus de six mois. "
            "Les professionnel·les qui orientent les personnes s'appuient sur ces informations : "
            "vérifiez-les (description, contact, places libres) et enregistrez-les, même sans changement."
        )
        % {"organisation": reminder.organisation.name},
        "",
    ]
    for service in reminder.services:
        days = (today - service.date_maj).days
        lines.append(
            _("- %(nom)s (dernière mise à jour le %(date)s, il y a %(days)s jours) : %(url)s")
            % {
                "nom": service.nom,
                "date": service.date_maj.strftime("%d/%m/%Y"),
                "days": days,
                "url": base_url + reverse("offer_edit", args=[service.pk]),
            }
        )
    lines += [
        "",
        _("Tous vos services : %(url)s") % {"url": base_url + reverse("offer_list")},
        "",
        _("— Parcours, service public de l'insertion et de l'emploi"),
    ]
    return subject, "\n".join(lines)


def remind_stale_services(*, base_url: str, dry_run: bool = False, now: dt.datetime | None = None) -> list[Reminder]:
    """One e-mail per operating organisation listing its stale services; marks them reminded. The
    e-mail leaves after the transaction commits, so a failure leaves nothing marked as reminded that was
    not; an organisation without any address is skipped (and reported by the caller)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    by_organisation: dict[int, list[Service]] = {}
    for service in stale_services_to_remind(now=now).select_related("operator").order_by("operator_id", "nom", "id"):
        assert service.operator_id is not None  # filtered in SQL
        by_organisation.setdefault(service.operator_id, []).append(service)
    reminders: list[Reminder] = []
    base_url = base_url.rstrip("/")
    for services in by_organisation.values():
        organisation = services[0].operator
        assert organisation is not None
        reminder = Reminder(organisation=organisation, recipients=reminder_recipients(organisation), services=services)
        reminders.append(reminder)
        if dry_run or not reminder.recipients:
            continue
        subject, body = _reminder_text(reminder, base_url=base_url, today=today)
        with transaction.atomic():
            # Conditional update: a concurrent run that reminded them already wins, this one sends nothing.
            marked = (
                stale_services_to_remind(now=now).filter(pk__in=[s.pk for s in services]).update(last_reminded_at=now)
            )
            if marked:
                transaction.on_commit(partial(send_mail, subject, body, None, reminder.recipients, fail_silently=False))
                for service in services:
                    audit_log(
                        actor=None,
                        organisation=organisation,
                        action=AuditAction.UPDATE,
                        obj=service,
                        fields=["last_reminded_at"],
                        reason="relance : service non mis à jour depuis six mois",
                    )
    return reminders


# --- the organisation's own structure ---------------------------------------------------------------


@transaction.atomic
def save_structure(*, membership: Membership, data: Mapping[str, Any]) -> Structure:
    """Edit the organisation's own structure (the one its declared services hang on) from a v1-shaped
    dict: every v1 structure field but its identity (source, id). Validated by the schema package and
    the territory's codes; the date of update becomes today. The services of the structure that have no
    coordinates of their own are then placed again: at the structure's point if it has one, else at the
    centre of their commune (or of the structure's, for a service without an address)."""
    membership = _require_admin(membership)
    structure = structure_for_organisation(organisation=membership.organisation)
    structure = Structure.objects.select_for_update(no_key=True).get(pk=structure.pk)
    editable = [name for name in records.STRUCTURE_FIELDS if name not in {"source", "id", "date_maj"}]
    raw: dict[str, Any] = {"source": structure.source, "id": structure.source_id}
    for name in editable:
        value = data.get(name)
        raw[name] = sorted(value) if isinstance(value, set | frozenset) else value
    # The package compares with the system's date; Django's may be a day ahead around midnight.
    raw["date_maj"] = min(_today(), dt.date.today()).isoformat()
    checked = records.check_structure(raw, _reference_for([raw.get("code_insee") or ""]))
    if checked.errors:
        errors: dict[str, list[str]] = {}
        for message in checked.errors:
            location, sep, text = message.partition(" : ")
            key = location.split(",")[0].strip().split(".")[0] if sep else "__all__"
            if key not in editable:
                key, text = "__all__", message
            errors.setdefault(key, []).append(_capitalise(text))
        raise ValidationError(errors)

    fields = {name: value for name, value in checked.fields.items() if name not in {"source", "source_id"}}
    fields["date_maj"] = _today()
    changed = [name for name, value in fields.items() if name != "date_maj" and getattr(structure, name) != value]
    for name, value in fields.items():
        setattr(structure, name, value)
    structure.save(update_fields=sorted({*changed, "date_maj", "updated_at"}))

    unplaced = list(
        Service.objects.select_for_update(of=("self",), no_key=True)
        .filter(structure=structure)
        .filter(Q(latitude__isnull=True) | Q(longitude__isnull=True))
        .order_by("pk")
    )
    if unplaced:
        codes = {service.code_insee or structure.code_insee for service in unplaced} - {""}
        centres = {
            code: (latitude, longitude)
            for code, latitude, longitude in Commune.objects.filter(insee_code__in=codes).values_list(
                "insee_code", "latitude", "longitude"
            )
        }
        for service in unplaced:
            records.refresh_search_fields(service, structure, centres.get(service.code_insee or structure.code_insee))
        Service.objects.bulk_update(unplaced, list(records.SEARCH_FIELDS))

    audit_log(
        actor=membership.user,
        organisation=membership.organisation,
        action=AuditAction.UPDATE,
        obj=structure,
        fields=changed or ["date_maj"],
    )
    return structure
