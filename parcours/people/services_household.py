"""Writes on the rows attached to a person's situation: children, qualifications obtained abroad,
work experience. Same rules as parcours.people.services: keyword-only, atomic, only a member of
an open pathway's follow-up group writes, each change leaves a timeline event (saying which part
of the record changed, never the values) and an audit entry."""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.audit.models import AuditAction
from parcours.audit.services import audit_log
from parcours.occupations.models import Appellation, RomeJob
from parcours.organisations.models import Membership

from .models import Child, ForeignQualification, Person, WorkExperience


def _check_writer(*, pathway, membership: Membership | None) -> None:
    from parcours.pathways.services import _require_open, _require_seat

    _require_open(pathway)
    _require_seat(pathway=pathway, membership=membership)


def _record(*, pathway, person: Person, membership: Membership, acting_user, what: str, action: str, obj) -> None:
    from parcours.pathways.enums import EventKind
    from parcours.pathways.services import event_record

    event_record(
        pathway=pathway,
        kind=EventKind.PERSON_UPDATED,
        actor=acting_user,
        membership=membership,
        summary=_("Fiche mise à jour : %(what)s") % {"what": what},
    )
    audit_log(
        actor=acting_user,
        organisation=membership.organisation,
        action=action,
        obj=obj,
        person=person,
    )


def _person_of(pathway) -> Person:
    # Lock the person so that concurrent edits of the same record are serialised.
    return Person.objects.select_for_update().get(pk=pathway.person_id)


def _remove(*, pathway, model, pk: int, missing: str, what: str, membership: Membership, acting_user) -> None:
    """Remove one row of the person's household, qualifications or experience, audited first."""
    _check_writer(pathway=pathway, membership=membership)
    person = _person_of(pathway)
    row = model.objects.filter(person=person, pk=pk).first()
    if row is None:
        raise ValidationError(missing)
    _record(
        pathway=pathway,
        person=person,
        membership=membership,
        acting_user=acting_user,
        what=what,
        action=AuditAction.UPDATE,
        obj=row,
    )
    row.delete()


@transaction.atomic
def child_add(*, pathway, birth_date: datetime.date, childcare: str, membership: Membership, acting_user) -> Child:
    _check_writer(pathway=pathway, membership=membership)
    person = _person_of(pathway)
    child = Child(person=person, birth_date=birth_date, childcare=childcare)
    child.full_clean()
    if person.birth_date and birth_date < person.birth_date:
        raise ValidationError({"birth_date": _("Un enfant ne peut pas être né avant son parent.")})
    child.save()
    _record(
        pathway=pathway,
        person=person,
        membership=membership,
        acting_user=acting_user,
        what=_("enfant ajouté"),
        action=AuditAction.CREATE,
        obj=child,
    )
    return child


@transaction.atomic
def child_remove(*, pathway, child_id: int, membership: Membership, acting_user) -> None:
    _remove(
        pathway=pathway,
        model=Child,
        pk=child_id,
        missing=_("Cet enfant ne figure pas dans la fiche."),
        what=_("enfant retiré"),
        membership=membership,
        acting_user=acting_user,
    )


@transaction.atomic
def qualification_add(
    *,
    pathway,
    title: str,
    country: str,
    year: int | None,
    recognition: str,
    membership: Membership,
    acting_user,
) -> ForeignQualification:
    _check_writer(pathway=pathway, membership=membership)
    person = _person_of(pathway)
    qualification = ForeignQualification(
        person=person, title=title.strip(), country=country.strip().upper(), year=year, recognition=recognition
    )
    qualification.full_clean()
    errors = {}
    if year is not None and (year < 1930 or year > timezone.localdate().year):
        errors["year"] = _("Indiquez une année d'obtention plausible.")
    if errors:
        raise ValidationError(errors)
    qualification.save()
    _record(
        pathway=pathway,
        person=person,
        membership=membership,
        acting_user=acting_user,
        what=_("diplôme obtenu à l'étranger ajouté"),
        action=AuditAction.CREATE,
        obj=qualification,
    )
    return qualification


@transaction.atomic
def qualification_remove(*, pathway, qualification_id: int, membership: Membership, acting_user) -> None:
    _remove(
        pathway=pathway,
        model=ForeignQualification,
        pk=qualification_id,
        missing=_("Ce diplôme ne figure pas dans la fiche."),
        what=_("diplôme obtenu à l'étranger retiré"),
        membership=membership,
        acting_user=acting_user,
    )


@transaction.atomic
def experience_add(
    *,
    pathway,
    years: Decimal,
    country: str,
    membership: Membership,
    acting_user,
    appellation_code: int | None = None,
    rome_code: str = "",
) -> WorkExperience:
    """Record a job the person held: as an appellation of the current ROME release (its sheet is
    recorded with it), or, for older callers, as a sheet code only."""
    _check_writer(pathway=pathway, membership=membership)
    person = _person_of(pathway)
    appellation = None
    if appellation_code is not None:
        appellation = Appellation.objects.select_related("rome").filter(code=appellation_code, in_release=True).first()
        if appellation is None:
            raise ValidationError(
                {"appellation": _("Appellation inconnue : recherchez le métier puis choisissez-le dans la liste.")}
            )
        rome = appellation.rome
    elif rome_code.strip():
        found = RomeJob.objects.filter(code=rome_code.strip().upper()).first()
        if found is None:
            raise ValidationError({"rome_code": _("Code ROME inconnu.")})
        rome = found
    else:
        raise ValidationError({"appellation": _("Recherchez le métier exercé puis choisissez-le dans la liste.")})
    experience = WorkExperience(
        person=person, rome=rome, appellation=appellation, years=years, country=country.strip().upper()
    )
    experience.full_clean()
    experience.save()
    _record(
        pathway=pathway,
        person=person,
        membership=membership,
        acting_user=acting_user,
        what=_("expérience professionnelle ajoutée"),
        action=AuditAction.CREATE,
        obj=experience,
    )
    return experience


@transaction.atomic
def experience_remove(*, pathway, experience_id: int, membership: Membership, acting_user) -> None:
    _remove(
        pathway=pathway,
        model=WorkExperience,
        pk=experience_id,
        missing=_("Cette expérience ne figure pas dans la fiche."),
        what=_("expérience professionnelle retirée"),
        membership=membership,
        acting_user=acting_user,
    )
