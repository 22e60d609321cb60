"""The context every pathway tab shares: the person as the reader may see them, the referent,
the reader's own seat and what they may do. Three queries at most."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from parcours.matching import access as matching_access
from parcours.organisations.enums import Role
from parcours.pathways.enums import PathwayStatus
from parcours.pathways.models import Pathway
from parcours.pathways.selectors import group_members
from parcours.people.selectors import RedactedPerson


def pathway_context(request, pathway: Pathway, categories: frozenset[str], *, tab: str, title: str) -> dict:
    membership = request.membership
    seats = list(group_members(pathway=pathway))
    referent = next((s for s in seats if s.is_referent), None)
    own_seat = next((s for s in seats if membership is not None and s.membership_id == membership.pk), None)
    is_open = pathway.status == PathwayStatus.OPEN
    is_orientation = membership is not None and membership.role == Role.CHARGE_ORIENTATION
    return {
        "title": title,
        "tab": tab,
        "pathway": pathway,
        "person": RedactedPerson(pathway.person, categories),
        "categories": categories,
        "seats": seats,
        "referent": referent,
        "own_seat": own_seat,
        "can_edit": is_open and own_seat is not None,
        # Referent change, members in and out, closure: the referent or a chargé·e d'orientation
        # (who sees the pathway only as a member or through a grant on its département).
        "can_manage_group": is_open and ((own_seat is not None and own_seat.is_referent) or is_orientation),
        "is_orientation_officer": is_orientation,
        # The "Pistes" tab: only for the readers its page lets in (the active follow-up members).
        "can_view_proposals": matching_access.can_view_proposals_from_seat(membership, own_seat),
    }


def require_can_manage_group(context: dict) -> None:
    if not context["can_manage_group"]:
        raise PermissionDenied(
            _("Seul·e le·la référent·e ou un·e chargé·e d'orientation peut gérer le groupe de suivi.")
        )


def require_can_edit(context: dict) -> None:
    """Refuse a form page to a reader who may not write (the service refuses the write itself)."""
    if not context["can_edit"]:
        if context["pathway"].status != PathwayStatus.OPEN:
            raise PermissionDenied(_("Ce parcours est clos : il ne peut plus être modifié."))
        raise PermissionDenied(_("Seuls les membres du groupe de suivi peuvent modifier ce parcours."))
