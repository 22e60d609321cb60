"""Writes on people: creation with duplicate detection, updates by category, consent ledger."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.audit.models import AuditAction
from parcours.audit.services import audit_log
from parcours.organisations.enums import Role
from parcours.organisations.models import Membership, Organisation

from .enums import ConsentChannel, ConsentDecision, ConsentPurpose, DataCategory
from .models import Consent, Person
from .selectors import consented_categories, person_duplicates


class DuplicateSuspected(Exception):
    """Raised by person_create when the person may already exist; carries the candidates."""

    def __init__(self, candidates):
        super().__init__(_("Une personne semblable existe déjà."))
        self.candidates = candidates


@transaction.atomic
def person_create(*, data: dict, membership: Membership, acting_user, force: bool = False):
    """Create a person and open their pathway with the creator in the follow-up group.

    Unless `force` (the user saw the candidates and chose to create anyway), a suspected duplicate
    stops the creation before anything is written."""
    from parcours.pathways.services import pathway_open

    if not force:
        candidates = list(
            person_duplicates(
                first_name=data.get("first_name", ""),
                last_name=data.get("last_name", ""),
                birth_date=data.get("birth_date"),
                identifiers=data,
            )[:10]
        )
        if candidates:
            raise DuplicateSuspected(candidates)
    person = Person(created_by=acting_user, **data)
    person.full_clean()
    person.save()
    audit_log(
        actor=acting_user,
        organisation=membership.organisation,
        action=AuditAction.CREATE,
        obj=person,
        person=person,
        fields=[k for k, v in data.items() if v not in ("", None, [], False)],
        reason=_("création malgré un doublon possible") if force else "",
    )
    pathway = pathway_open(person=person, membership=membership, acting_user=acting_user)
    return person, pathway


# What a professional may change on a person record; bookkeeping fields (created_by,
# anonymised_at…) are never written through person_update.
EDITABLE_PERSON_FIELDS = frozenset(
    field.name
    for field in Person._meta.concrete_fields
    if field.name not in {"id", "created_at", "created_by", "anonymised_at"}
)


def category_of_field(field: str) -> str:
    for category, fields in Person.SENSITIVE_FIELDS.items():
        if field in fields:
            return category
    return ""


@transaction.atomic
def person_update(*, person: Person, changes: dict, membership: Membership, acting_user, pathway) -> Person:
    """Apply field changes. Sensitive fields may be written only by a member whose consent covers
    their category; the timeline says which category changed, never the sensitive value."""
    from parcours.pathways.enums import EventKind
    from parcours.pathways.services import _require_open, _require_seat, event_record

    _require_open(pathway)
    _require_seat(pathway=pathway, membership=membership)
    if pathway.person_id != person.pk:
        raise PermissionDenied(_("Ce parcours n'est pas celui de cette personne."))
    unknown = set(changes) - EDITABLE_PERSON_FIELDS
    if unknown:
        raise ValidationError(_("Champ non modifiable : %(f)s.") % {"f": ", ".join(sorted(unknown))})
    person = Person.objects.select_for_update(no_key=True).get(pk=person.pk)
    allowed = consented_categories(person=person, membership=membership)
    for field in changes:
        category = category_of_field(field)
        if category and category not in allowed:
            raise PermissionDenied(
                _("La personne n'a pas consenti au partage de cette catégorie avec votre organisation.")
            )
    changed = [f for f, v in changes.items() if getattr(person, f) != v]
    if not changed:
        return person
    for field in changed:
        setattr(person, field, changes[field])
    person.full_clean()
    person.save(update_fields=changed)
    # One timeline event per category: an event about a sensitive category is shown only to
    # readers who may see that category (it would otherwise tell that such data exists).
    by_category: dict[str, list[str]] = {}
    for field in changed:
        by_category.setdefault(category_of_field(field), []).append(field)
    for category, fields in sorted(by_category.items()):
        if category:
            what = str(DataCategory(category).label)
        else:
            what = ", ".join(sorted(str(getattr(Person._meta.get_field(f), "verbose_name", f)) for f in fields))
        event_record(
            pathway=pathway,
            kind=EventKind.PERSON_UPDATED,
            actor=acting_user,
            membership=membership,
            summary=_("Fiche mise à jour : %(what)s") % {"what": what},
            category=category,
        )
    audit_log(
        actor=acting_user,
        organisation=membership.organisation,
        action=AuditAction.UPDATE,
        obj=person,
        person=person,
        fields=changed,
    )
    return person


@transaction.atomic
def consent_record(
    *,
    person: Person,
    category: str,
    purpose: str,
    decision: str,
    channel: str,
    organisation: Organisation | None = None,
    role: str = "",
    membership: Membership | None,
    acting_user,
    pathway=None,
) -> Consent:
    """Record a decision of the person in the ledger. The current entry for the same grantee,
    category and purpose is marked superseded (never deleted); the new one becomes current."""
    from parcours.pathways.enums import EventKind
    from parcours.pathways.services import _require_seat, event_record

    errors = {}
    if (organisation is None) == (not role):
        errors["grantee"] = _("Choisissez une organisation ou un rôle, pas les deux.")
    if role and role not in Role.values:
        errors["grantee"] = _("Rôle inconnu.")
    if category not in DataCategory.values:
        errors["category"] = _("Catégorie de données inconnue.")
    if purpose not in ConsentPurpose.values:
        errors["purpose"] = _("Finalité inconnue.")
    if decision not in ConsentDecision.values:
        errors["decision"] = _("Décision inconnue.")
    if channel not in ConsentChannel.values:
        errors["channel"] = _("Mode de recueil inconnu.")
    if errors:
        raise ValidationError(errors)
    if pathway is not None and pathway.person_id != person.pk:
        raise PermissionDenied(_("Ce parcours n'est pas celui de cette personne."))
    # A professional records what the person decided: only from a seat in the group, whatever
    # the channel declared. Only the person themself (portal, no membership) records without one.
    if membership is not None or channel != ConsentChannel.PORTAL:
        if pathway is None:
            from parcours.pathways.enums import PathwayStatus
            from parcours.pathways.models import Pathway

            pathway = Pathway.objects.filter(person=person, status=PathwayStatus.OPEN).first()
        if pathway is None:
            raise PermissionDenied(_("Un consentement se recueille depuis le parcours en cours de la personne."))
        _require_seat(pathway=pathway, membership=membership)
    Person.objects.select_for_update(no_key=True).filter(pk=person.pk).first()  # serialise decisions for one person
    now = timezone.now()
    current = Consent.objects.filter(
        person=person, organisation=organisation, role=role, category=category, purpose=purpose, is_current=True
    ).first()
    if current is not None:
        if current.decision == decision:
            raise ValidationError(_("Ce consentement est déjà enregistré dans cet état."))
        current.is_current, current.superseded_at = False, now
        current.save(update_fields=["is_current", "superseded_at"])
    elif decision == ConsentDecision.WITHDRAWN:
        raise ValidationError(_("Aucun consentement en cours à retirer pour ce destinataire."))
    consent = Consent.objects.create(
        person=person,
        organisation=organisation,
        role=role,
        category=category,
        purpose=purpose,
        decision=decision,
        channel=channel,
        decided_at=now,
        recorded_by=acting_user,
    )
    grantee = organisation.name if organisation else Role(role).label
    verb = _("donné") if decision == ConsentDecision.GIVEN else _("retiré")
    if pathway is not None:
        event_record(
            pathway=pathway,
            kind=EventKind.CONSENT_RECORDED,
            actor=acting_user,
            membership=membership,
            summary=_("Consentement %(verb)s : %(category)s pour %(grantee)s (%(purpose)s)")
            % {
                "verb": verb,
                "category": DataCategory(category).label,
                "grantee": grantee,
                "purpose": ConsentPurpose(purpose).label,
            },
        )
    audit_log(
        actor=acting_user,
        organisation=membership.organisation if membership else None,
        action=AuditAction.CREATE,
        obj=consent,
        person=person,
        fields=[category],
    )
    return consent
