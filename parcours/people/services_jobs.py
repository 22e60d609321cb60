"""Writes on the jobs a person wishes to do and the target jobs agreed in the pathway, recorded as
ROME appellations. Same rules as parcours.people.services_household: keyword-only, atomic, only a
member of an open pathway's follow-up group writes, each change leaves a timeline event (saying
which part of the record changed, never the job) and an audit entry; nothing is written on error."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from parcours.audit.models import AuditAction
from parcours.occupations.models import Appellation
from parcours.organisations.models import Membership

from .models import JobWish, JobWishKind
from .services_household import _check_writer, _person_of, _record, _remove


def _what_added(kind: str) -> str:
    return _("métier visé ajouté") if kind == JobWishKind.TARGET else _("métier souhaité ajouté")


def _exists(*, person, appellation: Appellation, kind: str) -> bool:
    return JobWish.objects.filter(person=person, appellation=appellation, kind=kind).exists()


def _duplicate_message(kind: str, appellation: Appellation) -> str:
    if kind == JobWishKind.TARGET:
        message = _("« %(job)s » figure déjà parmi les métiers visés.")
    else:
        message = _("« %(job)s » figure déjà parmi les souhaits de la personne.")
    return message % {"job": appellation.label}


@transaction.atomic
def job_wish_add(*, pathway, appellation_code: int, kind: str, membership: Membership, acting_user) -> JobWish:
    """Add a wish (the person's own) or a target job (agreed in the pathway) to the person's record."""
    _check_writer(pathway=pathway, membership=membership)
    person = _person_of(pathway)
    errors: dict[str, str] = {}
    if kind not in JobWishKind.values:
        errors["kind"] = _("Nature inconnue : choisissez « souhait de la personne » ou « métier visé ».")
    appellation = Appellation.objects.filter(code=appellation_code, in_release=True).first()
    if appellation is None:
        errors["appellation"] = _("Appellation inconnue : recherchez le métier puis choisissez-le dans la liste.")
    if errors or appellation is None:
        raise ValidationError(errors)
    if _exists(person=person, appellation=appellation, kind=kind):
        raise ValidationError({"appellation": _duplicate_message(kind, appellation)})
    try:
        # A savepoint: a double submit that passed the check at the same time hits the unique
        # constraint, reported as the same French message (not a server error).
        with transaction.atomic():
            wish = JobWish.objects.create(person=person, appellation=appellation, kind=kind, added_by=acting_user)
    except IntegrityError:
        raise ValidationError({"appellation": _duplicate_message(kind, appellation)}) from None
    _record(
        pathway=pathway,
        person=person,
        membership=membership,
        acting_user=acting_user,
        what=_what_added(kind),
        action=AuditAction.CREATE,
        obj=wish,
    )
    return wish


@transaction.atomic
def job_wish_remove(*, pathway, wish_id: int, membership: Membership, acting_user) -> None:
    _remove(
        pathway=pathway,
        model=JobWish,
        pk=wish_id,
        missing=_("Ce métier ne figure pas dans la fiche."),
        what=_("métier souhaité ou visé retiré"),
        membership=membership,
        acting_user=acting_user,
    )
