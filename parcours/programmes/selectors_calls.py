"""Reads on calls for projects, scoped in SQL.

Who sees a call (and its projects' aggregates): every pilote; every member of the funder; the
members of an organisation that carries one of its projects (lead or consortium). Who sees the
names of a project's participants: the accompanying professionals and administrators of the
organisations that carry it, and of those participants only whom they follow themselves (an active
seat in the person's follow-up group) or whom a member of their own organisation added; the other
participants are a count. Taking part in a project for refugees tells a protection status: a
carrier does not learn who its partners accompany. Everyone else sees counts only.

How the summary counts (docs/calls.md):
- per project: target, actual (participations linked to the project), granted amount, cost per
  participant (granted / actual; None when nobody yet), achievement rate (actual / target);
- per territory: a project working in several départements has its target and granted amount
  shared evenly between them (so the rows add up to the call's totals); participants are counted
  in the département of their pathway, whichever project they belong to;
- totals: the sums over the call, and the number of distinct people (one person in two projects
  counts twice as a participation, once as a person)."""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Count, DecimalField, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Cast, Coalesce
from django.http import Http404

from parcours.organisations.enums import ACCOMPANYING_ROLES, Role
from parcours.organisations.models import Membership
from parcours.pathways.models import FollowUpMember

from . import access
from .models import CallForProjects, Project, ProjectParticipant

CENT = Decimal("0.01")
NAME_ROLES = frozenset({*ACCOMPANYING_ROLES, Role.ADMIN_STRUCTURE})


def _carries_q(membership: Membership, prefix: str = "") -> Q:
    """Condition on Project (or, with a prefix, on a model pointing to it): carried by the
    membership's organisation."""
    org = membership.organisation_id
    return Q(**{f"{prefix}lead_id": org}) | Q(**{f"{prefix}consortium": org})


def calls_visible(*, membership: Membership | None) -> QuerySet[CallForProjects]:
    if not access._live(membership):
        return CallForProjects.objects.none()
    calls = CallForProjects.objects.select_related("funder")
    if membership.role == Role.PILOTE:
        return calls.all()
    carried = Project.objects.filter(_carries_q(membership), call=OuterRef("pk"))
    return calls.filter(Q(funder_id=membership.organisation_id) | Q(Exists(carried)))


def call_list_rows(*, membership: Membership | None) -> QuerySet[CallForProjects]:
    """The visible calls, each with its number of projects and its granted total (one query)."""
    granted = (
        Project.objects.filter(call=OuterRef("pk")).values("call").annotate(total=Sum("granted_amount")).values("total")
    )
    projects = Project.objects.filter(call=OuterRef("pk")).values("call").annotate(n=Count("pk")).values("n")
    return calls_visible(membership=membership).annotate(
        project_count=Coalesce(Subquery(projects, output_field=IntegerField()), 0),
        granted_total=Coalesce(
            Subquery(granted, output_field=DecimalField(max_digits=16, decimal_places=2)), Decimal(0)
        ),
    )


def call_get_for(*, membership: Membership | None, call_id: int) -> CallForProjects:
    """The call if the reader may see it; 404 otherwise (a call outside one's scope is not revealed)."""
    call = calls_visible(membership=membership).filter(pk=call_id).first()
    if call is None:
        raise Http404("Appel à projets introuvable.")
    return call


def project_get_for(*, membership: Membership | None, project_id: int) -> Project:
    """The project if the reader may see its call; 404 otherwise."""
    project = (
        Project.objects.select_related("call__funder", "lead")
        .filter(pk=project_id, call__in=calls_visible(membership=membership))
        .annotate(actual=Count("participants", distinct=True))
        .first()
    )
    if project is None:
        raise Http404("Projet introuvable.")
    return project


def is_carrier_staff(membership: Membership | None, project: Project) -> bool:
    """Whether the reader may see the names of the project's participants."""
    return (
        access._live(membership)
        and membership.role in NAME_ROLES
        and (
            membership.organisation_id == project.lead_id
            or project.consortium.filter(pk=membership.organisation_id).exists()
        )
    )


def _named_q(membership: Membership) -> Q:
    """Condition on ProjectParticipant: a participant the reader may name — one whose follow-up
    group has the reader as an active member, or one added by a member of the reader's organisation."""
    seat = FollowUpMember.objects.filter(pathway=OuterRef("pathway"), membership=membership, ended_at__isnull=True)
    return Q(Exists(seat)) | Q(added_by__organisation_id=membership.organisation_id)


def _require_carrier_staff(membership: Membership | None, project: Project) -> Membership:
    if not is_carrier_staff(membership, project):
        raise PermissionDenied("Seules les organisations qui portent le projet voient le nom des participant·es.")
    assert membership is not None
    return membership


def project_participants(*, membership: Membership | None, project: Project) -> QuerySet[ProjectParticipant]:
    """The participants the reader may name, with their person: for the carriers' staff only, and
    among the project's participants only those the reader follows or whom a member of the reader's
    organisation added (scope in SQL). Anyone else gets PermissionDenied (never an empty list, so
    that a page cannot mistake a refusal for "nobody"). Each row says whether the reader sits in the
    person's follow-up group (`is_follower`), to link to the pathway."""
    membership = _require_carrier_staff(membership, project)
    seat = FollowUpMember.objects.filter(pathway=OuterRef("pathway"), membership=membership, ended_at__isnull=True)
    return (
        ProjectParticipant.objects.filter(project=project)
        .filter(_named_q(membership))
        .select_related("pathway__person", "pathway__departement", "added_by__organisation")
        .annotate(is_follower=Exists(seat))
        .order_by("pathway__person__last_name", "pathway__person__first_name", "pk")
    )


def project_participants_not_named(*, membership: Membership | None, project: Project) -> int:
    """How many of the project's participants the carrier's reader may not name (followed by
    other organisations): a count, never a person. Same refusal as project_participants."""
    membership = _require_carrier_staff(membership, project)
    return ProjectParticipant.objects.filter(project=project).exclude(_named_q(membership)).count()


def projects_of_pathway(*, pathway_id: int) -> QuerySet[ProjectParticipant]:
    """The projects the person takes part in (the pathway page shows them to its follow-up group)."""
    return (
        ProjectParticipant.objects.filter(pathway_id=pathway_id)
        .select_related("project__call", "project__lead")
        .order_by("-joined_on", "pk")
    )


def projects_open_to(*, membership: Membership | None, pathway_id: int) -> QuerySet[Project]:
    """The projects the reader's organisation carries, which the person does not yet take part in."""
    if not access._live(membership) or membership.role not in ACCOMPANYING_ROLES:
        return Project.objects.none()
    joined = ProjectParticipant.objects.filter(project=OuterRef("pk"), pathway_id=pathway_id)
    return (
        Project.objects.filter(_carries_q(membership))
        .exclude(Exists(joined))
        .select_related("call")
        .distinct()
        .order_by("call__title", "title")
    )


# --- the summary -----------------------------------------------------------------------------------


def _rate(numerator: Decimal | int, denominator: Decimal | int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator) * 100).quantize(Decimal("0.1"))


def _cost(granted: Decimal, actual: int) -> Decimal | None:
    if not actual:
        return None
    return (Decimal(granted) / actual).quantize(CENT)


@dataclass(frozen=True)
class Line:
    """One row of the summary: a project, a département or the total."""

    label: str
    target: Decimal
    actual: int
    granted: Decimal
    key: str = ""
    project: Project | None = None
    departements: tuple[str, ...] = ()

    @property
    def cost_per_participant(self) -> Decimal | None:
        return _cost(self.granted, self.actual)

    @property
    def achievement_rate(self) -> Decimal | None:
        """Actual / target, in percent (one decimal)."""
        return _rate(self.actual, self.target)


@dataclass(frozen=True)
class CallSummary:
    projects: list[Line]
    territories: list[Line]
    total: Line
    people: int
    budget: Decimal

    @property
    def budget_left(self) -> Decimal:
        return self.budget - self.total.granted

    @property
    def max_value(self) -> int:
        """The largest target or actual of a project (the scale of the bar chart)."""
        return max([1, *(max(int(p.target), p.actual) for p in self.projects)])


def call_summary(*, call: CallForProjects) -> CallSummary:
    """Target vs actual, granted amount and cost per participant, per project, per département and
    for the whole call. Five queries, whatever the number of projects and participants."""
    through = Project.departements.through
    projects = list(
        Project.objects.filter(call=call)
        .select_related("lead")
        .annotate(actual=Count("participants", distinct=True))
        .order_by("title", "pk")
    )
    codes: dict[int, list[str]] = {}
    for project_id, code in (
        through.objects.filter(project__call=call)
        .order_by("departement_id")
        .values_list("project_id", "departement_id")
    ):
        codes.setdefault(project_id, []).append(code)
    project_lines = [
        Line(
            label=p.title,
            key=str(p.pk),
            project=p,
            target=Decimal(p.target_beneficiaries),
            actual=p.actual,
            granted=p.granted_amount,
            departements=tuple(codes.get(p.pk, ())),
        )
        for p in projects
    ]

    # Each (project, département) pair carries 1/n of the project's target and amount, n being the
    # project's number of départements: computed by the database.
    share = Subquery(
        Project.objects.filter(pk=OuterRef("project_id")).annotate(n=Count("departements")).values("n"),
        output_field=IntegerField(),
    )
    decimal: DecimalField = DecimalField(max_digits=20, decimal_places=6)
    shares = {
        row["departement_id"]: row
        for row in through.objects.filter(project__call=call)
        .values("departement_id", "departement__name")
        .annotate(
            target=Sum(Cast(F("project__target_beneficiaries"), decimal) / Cast(share, decimal), output_field=decimal),
            granted=Sum(Cast(F("project__granted_amount"), decimal) / Cast(share, decimal), output_field=decimal),
        )
    }
    counted_rows = list(
        ProjectParticipant.objects.filter(project__call=call)
        .values("pathway__departement_id", "pathway__departement__name")
        .annotate(n=Count("pk"))
    )
    counted = {row["pathway__departement_id"]: row["n"] for row in counted_rows}
    names = {code: row["departement__name"] for code, row in shares.items()}
    names.update({row["pathway__departement_id"]: row["pathway__departement__name"] for row in counted_rows})
    territory_lines = []
    for code in sorted({*shares, *counted}):
        row = shares.get(code, {})
        territory_lines.append(
            Line(
                label=f"{names.get(code, code)} ({code})",
                key=code,
                target=Decimal(row.get("target") or 0).quantize(Decimal("0.1")),
                actual=counted.get(code, 0),
                granted=Decimal(row.get("granted") or 0).quantize(CENT),
            )
        )
    people = ProjectParticipant.objects.filter(project__call=call).aggregate(n=Count("pathway__person", distinct=True))[
        "n"
    ]
    total = Line(
        label="Total",
        target=sum((line.target for line in project_lines), Decimal(0)),
        actual=sum(line.actual for line in project_lines),
        granted=sum((line.granted for line in project_lines), Decimal(0)),
    )
    return CallSummary(
        projects=project_lines, territories=territory_lines, total=total, people=people, budget=call.budget
    )
