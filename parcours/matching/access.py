"""Who may see and decide on a pathway's proposals, and who may read how useful they are.

- A pathway's proposals (jobs, services, programmes) are read by its active follow-up members
  (parcours.programmes.access.is_follow_up_member: a live membership of an accompanying role with an
  active seat); they decide (retain, dismiss, show again) only while the pathway is open.
- The usage rates (aggregates, never a person) are read by a pilote for their organisation's
  département, and by a platform administrator for every département.
- The theme → thématique mapping is read by any professional and edited by a platform administrator.
- Placement (the programme's placement committee): the accompanying professionals of the
  programme's operator organisations. They read the people with an open candidacy on the
  programme's open sessions (every read audited), set their preferences, run, override and validate
  a placement across the programme's sessions, and train the outcome model of that programme.
  Pilotes and structure administrators see no person here (DESIGN §5), so they are not planners."""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _

from parcours.organisations.enums import ACCOMPANYING_ROLES, Role
from parcours.organisations.models import Membership
from parcours.pathways.enums import PathwayStatus
from parcours.pathways.models import FollowUpMember, Pathway
from parcours.programmes.access import is_follow_up_member, is_follow_up_seat


def can_view_proposals(membership: Membership | None, pathway: Pathway) -> bool:
    return is_follow_up_member(membership, pathway)


def can_view_proposals_from_seat(membership: Membership | None, own_seat: FollowUpMember | None) -> bool:
    """can_view_proposals without a query, from the reader's seat already read by the pathway tabs:
    the "Pistes" tab is shown to exactly the readers the page lets in."""
    return is_follow_up_seat(membership, own_seat)


def can_decide(membership: Membership | None, pathway: Pathway) -> bool:
    return pathway.status == PathwayStatus.OPEN and is_follow_up_member(membership, pathway)


def require_view_proposals(membership: Membership | None, pathway: Pathway) -> None:
    if not can_view_proposals(membership, pathway):
        raise PermissionDenied(
            _(
                "Seuls les membres du groupe de suivi de la personne peuvent consulter les pistes qui lui sont proposées."
            )
        )


def require_decide(membership: Membership | None, pathway: Pathway) -> None:
    if pathway.status != PathwayStatus.OPEN:
        raise PermissionDenied(_("Ce parcours est clos : ses pistes ne peuvent plus être retenues ni écartées."))
    if not is_follow_up_member(membership, pathway):
        raise PermissionDenied(
            _("Seuls les membres du groupe de suivi de la personne peuvent retenir ou écarter une piste.")
        )


def usage_departements(*, user, membership: Membership | None) -> list[str] | None:
    """The départements whose usage rates the reader may see: None for every département (platform
    administrator), the pilote's organisation's département; PermissionDenied for anyone else."""
    if user is not None and user.is_active and user.is_superuser:
        return None
    if (
        membership is not None
        and membership.is_active
        and membership.organisation.is_active
        and membership.role == Role.PILOTE
    ):
        return [membership.organisation.departement_id]
    raise PermissionDenied(
        _(
            "L'usage des pistes est réservé aux pilotes territoriaux (pour leur département) et aux "
            "administrateur·rices de la plateforme."
        )
    )


def can_read_mapping(*, user, membership: Membership | None) -> bool:
    return bool(user is not None and user.is_active and (user.is_superuser or membership is not None))


def can_edit_mapping(user) -> bool:
    return bool(user is not None and user.is_active and user.is_superuser)


def _live_accompanying(membership: Membership | None) -> bool:
    return (
        membership is not None
        and membership.is_active
        and membership.organisation.is_active
        and membership.user.is_active
        and membership.role in ACCOMPANYING_ROLES
    )


def can_plan(membership: Membership | None, programme) -> bool:
    """A member of the programme's placement committee (see the module docstring)."""
    if not _live_accompanying(membership):
        return False
    assert membership is not None
    return programme.operators.filter(pk=membership.organisation_id).exists()


def plannable_programmes_q(membership: Membership | None, prefix: str = "") -> Q:
    """can_plan as an SQL condition on programmes (`prefix` e.g. "programme__")."""
    if not _live_accompanying(membership):
        return Q(pk__in=[])
    assert membership is not None
    return Q(**{f"{prefix}operators": membership.organisation_id})


def require_plan(membership: Membership | None, programme) -> None:
    if not can_plan(membership, programme):
        raise PermissionDenied(
            _(
                "Les affectations sont réservées aux professionnel·les d'accompagnement des structures "
                "qui mettent en œuvre ce programme."
            )
        )
