"""Writes on calls for projects (appels à projets): a funder publishes a call, grants projects
carried by a lead organisation with a consortium, and the carriers' professionals link the people
they accompany to a project.

Each function is keyword-only and atomic, checks the actor's right (PermissionDenied), then the
input (ValidationError with French messages, keyed by field), and writes the audit entry; a
participant also gets a timeline event on their pathway. On any error nothing is written."""

import datetime
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.audit.models import AuditAction
from parcours.audit.services import audit_log
from parcours.organisations.enums import Role
from parcours.organisations.models import Membership, Organisation
from parcours.pathways.enums import EventKind, PathwayStatus
from parcours.pathways.models import Pathway
from parcours.pathways.services import event_record
from parcours.territories.models import Departement

from . import access
from .enums import ProjectType, TargetPublic
from .models import CallForProjects, Project, ProjectParticipant

TITLE_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 4000
# DecimalField(max_digits=14, decimal_places=2): the largest amount the database accepts.
AMOUNT_MAX = Decimal("999999999999.99")
FUNDER_ROLES = frozenset({Role.PILOTE, Role.ADMIN_STRUCTURE})


def _euros(amount: Decimal) -> str:
    """French display of an amount: "1 234 567,50 €" (no locale dependency)."""
    whole, _sep, cents = f"{amount.quantize(Decimal('0.01')):.2f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", "\u202f")
    return f"{grouped} €" if cents == "00" else f"{grouped},{cents} €"


def _amount(value: object, field: str, errors: dict, *, positive: bool) -> Decimal | None:
    try:
        amount = Decimal(str(value).replace(",", ".").replace(" ", "").replace("\u202f", ""))
    except (InvalidOperation, ValueError):
        errors[field] = _("Indiquez un montant en euros, par exemple 250000 ou 250000,50.")
        return None
    if not amount.is_finite():
        errors[field] = _("Indiquez un montant en euros, par exemple 250000 ou 250000,50.")
        return None
    # The bounds come before quantize(): "1e30" has more digits than the decimal context allows,
    # and quantizing it raises InvalidOperation.
    if positive and amount <= 0:
        errors[field] = _("Le montant doit être supérieur à zéro.")
        return None
    if amount < 0:
        errors[field] = _("Le montant ne peut pas être négatif.")
        return None
    if amount > AMOUNT_MAX:
        errors[field] = _("Ce montant est trop élevé.")
        return None
    try:
        has_cents_only = amount == amount.quantize(Decimal("0.01"))
    except InvalidOperation:
        has_cents_only = False
    if not has_cents_only:
        errors[field] = _("Le montant ne peut avoir plus de deux décimales (centimes).")
        return None
    return amount


def _title(value: str, errors: dict) -> str:
    title = (value or "").strip()
    if not title:
        errors["title"] = _("Indiquez l'intitulé.")
    elif len(title) > TITLE_MAX_LENGTH:
        errors["title"] = _("L'intitulé ne peut dépasser %(n)s caractères.") % {"n": TITLE_MAX_LENGTH}
    return title


def _choices(values: Iterable[str], allowed, field: str, errors: dict, *, empty: str) -> list[str]:
    chosen = [str(v) for v in values or ()]
    unknown = [v for v in chosen if v not in allowed.values]
    if unknown:
        errors[field] = _("Valeur inconnue : %(v)s.") % {"v": ", ".join(unknown)}
    elif not chosen:
        errors[field] = empty
    # Keep the enum's order and drop duplicates.
    return [v for v in allowed.values if v in chosen]


def can_create_call(membership: Membership | None) -> bool:
    return access._live(membership) and membership.role in FUNDER_ROLES


def can_manage_call(membership: Membership | None, call: CallForProjects) -> bool:
    """The funder's pilotes and structure administrators grant the call's projects."""
    return can_create_call(membership) and membership is not None and membership.organisation_id == call.funder_id


def carrier_ids(project: Project) -> set[int]:
    """The organisations that carry the project: its lead and its consortium."""
    return {project.lead_id, *project.consortium.values_list("pk", flat=True)}


def can_add_participant(membership: Membership | None, project: Project, pathway: Pathway) -> bool:
    return (
        membership is not None
        and membership.organisation_id in carrier_ids(project)
        and access.is_follow_up_member(membership, pathway)
    )


@transaction.atomic
def call_create(
    *,
    membership: Membership,
    title: str,
    budget: object,
    starts_on: datetime.date | None,
    ends_on: datetime.date | None,
    publics: Iterable[str],
    project_types: Iterable[str],
    description: str = "",
) -> CallForProjects:
    """Publish a call funded by the membership's organisation (its pilote or administrator)."""
    if not can_create_call(membership):
        raise PermissionDenied(
            _("Seul·es les pilotes et les administrateur·rices d'une structure peuvent publier un appel à projets.")
        )
    errors: dict = {}
    title = _title(title, errors)
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX_LENGTH:
        errors["description"] = _("La description ne peut dépasser %(n)s caractères.") % {"n": DESCRIPTION_MAX_LENGTH}
    amount = _amount(budget, "budget", errors, positive=True)
    if starts_on is None:
        errors["starts_on"] = _("Indiquez la date de début de la période.")
    if ends_on is None:
        errors["ends_on"] = _("Indiquez la date de fin de la période.")
    if starts_on is not None and ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = _("La période ne peut pas se terminer avant de commencer.")
    publics_list = _choices(
        publics, TargetPublic, "publics", errors, empty=_("Choisissez au moins un public visé par l'appel.")
    )
    types_list = _choices(
        project_types, ProjectType, "project_types", errors, empty=_("Choisissez au moins un type de projet.")
    )
    if errors:
        raise ValidationError(errors)
    assert amount is not None and starts_on is not None and ends_on is not None
    call = CallForProjects.objects.create(
        funder=membership.organisation,
        title=title,
        description=description,
        budget=amount,
        starts_on=starts_on,
        ends_on=ends_on,
        publics=publics_list,
        project_types=types_list,
        created_by=membership.user,
    )
    audit_log(
        actor=membership.user,
        organisation=membership.organisation,
        action=AuditAction.CREATE,
        obj=call,
        fields=["title", "budget", "starts_on", "ends_on", "publics", "project_types", "description"],
    )
    return call


def granted_total(call: CallForProjects) -> Decimal:
    return Project.objects.filter(call=call).aggregate(total=Sum("granted_amount"))["total"] or Decimal(0)


@transaction.atomic
def project_create(
    *,
    membership: Membership,
    call: CallForProjects,
    title: str,
    project_type: str,
    lead: Organisation | None,
    consortium: Iterable[Organisation] = (),
    departements: Iterable[Departement] = (),
    granted_amount: object,
    target_beneficiaries: object,
) -> Project:
    """Grant a project under the call. The call row is locked first, so that two grants decided at
    the same time cannot together exceed the call's budget."""
    # The lock serialises every grant of this call: the second waits, then reads the first's amount.
    call = CallForProjects.objects.select_for_update().get(pk=call.pk)
    if not can_manage_call(membership, call):
        raise PermissionDenied(
            _(
                "Seul·es les pilotes et les administrateur·rices de l'organisation qui finance l'appel y ajoutent des projets."
            )
        )
    errors: dict = {}
    title = _title(title, errors)
    if project_type not in call.project_types:
        errors["project_type"] = _("Choisissez un des types de projets prévus par l'appel.")
    if lead is None:
        errors["lead"] = _("Choisissez l'organisation porteuse du projet.")
    elif not lead.is_active:
        errors["lead"] = _("Cette organisation n'est plus active.")
    members = list(consortium or ())
    if lead is not None and any(o.pk == lead.pk for o in members):
        errors["consortium"] = _("L'organisation porteuse fait déjà partie du projet : ne la cochez pas au consortium.")
    elif any(not o.is_active for o in members):
        errors["consortium"] = _("Une organisation du consortium n'est plus active.")
    territories = list(departements or ())
    if not territories:
        errors["departements"] = _("Choisissez au moins un département où le projet agit.")
    amount = _amount(granted_amount, "granted_amount", errors, positive=False)
    try:
        target = int(str(target_beneficiaries))
    except (TypeError, ValueError):
        errors["target_beneficiaries"] = _("Indiquez un nombre entier de bénéficiaires.")
    else:
        if target < 1:
            errors["target_beneficiaries"] = _("Le projet doit viser au moins une personne.")
        elif target > 1_000_000:
            errors["target_beneficiaries"] = _("Ce nombre de bénéficiaires est trop élevé.")
    if amount is not None and "granted_amount" not in errors:
        already = granted_total(call)
        if already + amount > call.budget:
            errors["granted_amount"] = _(
                "Ce financement dépasserait le budget de l'appel : %(budget)s, dont %(granted)s déjà accordés ; "
                "il reste %(left)s."
            ) % {"budget": _euros(call.budget), "granted": _euros(already), "left": _euros(call.budget - already)}
    if errors:
        raise ValidationError(errors)
    assert lead is not None and amount is not None
    project = Project.objects.create(
        call=call,
        title=title,
        project_type=project_type,
        lead=lead,
        granted_amount=amount,
        target_beneficiaries=target,
        created_by=membership.user,
    )
    project.consortium.set(members)
    project.departements.set(territories)
    audit_log(
        actor=membership.user,
        organisation=membership.organisation,
        action=AuditAction.CREATE,
        obj=project,
        fields=[
            "title",
            "project_type",
            "lead",
            "consortium",
            "departements",
            "granted_amount",
            "target_beneficiaries",
        ],
    )
    return project


@transaction.atomic
def participant_add(
    *, membership: Membership, project: Project, pathway: Pathway, joined_on: datetime.date | None
) -> ProjectParticipant:
    """Link a person's pathway to a project: by an accompanying member of the person's follow-up
    group who works for the project's lead or consortium."""
    project = Project.objects.select_related("call").get(pk=project.pk)
    pathway = Pathway.objects.select_related("person").get(pk=pathway.pk)
    if membership is None or membership.organisation_id not in carrier_ids(project):
        raise PermissionDenied(
            _("Seul·es les professionnel·les de l'organisation porteuse ou du consortium ajoutent des participant·es.")
        )
    if not access.is_follow_up_member(membership, pathway):
        raise PermissionDenied(
            _("Seul·es les professionnel·les du groupe de suivi de la personne peuvent l'inscrire à un projet.")
        )
    if pathway.status != PathwayStatus.OPEN:
        raise ValidationError(_("Ce parcours est clos : il ne peut plus être modifié."))
    call = project.call
    errors: dict = {}
    today = timezone.localdate()
    if joined_on is None:
        errors["joined_on"] = _("Indiquez la date d'entrée dans le projet.")
    elif joined_on > today:
        errors["joined_on"] = _("La date d'entrée ne peut pas être dans le futur.")
    elif not call.starts_on <= joined_on <= call.ends_on:
        errors["joined_on"] = _(
            "La date d'entrée doit être comprise dans la période de l'appel, du %(start)s au %(end)s."
        ) % {
            "start": call.starts_on.strftime("%d/%m/%Y"),
            "end": call.ends_on.strftime("%d/%m/%Y"),
        }
    if ProjectParticipant.objects.filter(project=project, pathway=pathway).exists():
        errors["project"] = _("Cette personne participe déjà à ce projet.")
    if errors:
        raise ValidationError(errors)
    assert joined_on is not None
    try:
        with transaction.atomic():
            participant = ProjectParticipant.objects.create(
                project=project, pathway=pathway, joined_on=joined_on, added_by=membership
            )
    except IntegrityError:
        # Someone else added the same person at the same moment: the constraint decides.
        raise ValidationError({"project": _("Cette personne participe déjà à ce projet.")}) from None
    event_record(
        pathway=pathway,
        kind=EventKind.PROJECT_JOINED,
        actor=membership.user,
        membership=membership,
        summary=_("Entrée dans le projet « %(project)s » (%(call)s) le %(date)s")
        % {"project": project.title, "call": call.title, "date": joined_on.strftime("%d/%m/%Y")},
        payload={"project": project.pk, "call": call.pk},
    )
    audit_log(
        actor=membership.user,
        organisation=membership.organisation,
        action=AuditAction.CREATE,
        obj=participant,
        person=pathway.person,
        fields=["project", "pathway", "joined_on"],
    )
    return participant
