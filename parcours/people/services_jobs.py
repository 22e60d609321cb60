"""Writes on the jobs a person wishes to do and the target jobs agreed in the pathway, recorded as
ROME appellations. Same rules as parcours.people.services_household: keyword-only, atomic, only a
member of an open pathway's follow-up group writes, each change leaves a timeline event (saying
which part of the record changed, never the job) and an audit entry; nothing is written on error."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from parcours.audit.models import AuditAction
from parcours.occupations.models import Appellation
from parcours.organisations.models import Membership

from .models import JobWish, JobWishKind
from .services_household import _check_writer, _person_of, _record, _remove


def _what_added(kind: str) -> str:
    return _("métier visé ajouté") if kind == JobWishKind.TARGET else _("métier souhaité ajouté")


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
    if JobWish.objects.filter(person=person, appellation=appellation, kind=kind).exists():
        if kind == JobWishKind.TARGET:
            message = _("« %(job)s » figure déjà parmi les métiers visés.")
        else:
            message = _("« %(job)s » figure déjà parmi les souhaits de la personne.")
        raise ValidationError({"appellation": message % {"job": appellation.label}})
    wish = JobWish.objects.create(person=person, appellation=appellation, kind=kind, added_by=acting_user)
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
