from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

from parcours.audit.models import AuditAction
from parcours.audit.services import audit_log, audit_log_many
from parcours.pathways.selectors import pathway_get_for
from parcours.people.enums import ORDINARY_CATEGORIES
from parcours.people.selectors import consented_categories


def audit_reads(request, rows, view: str) -> None:
    """One READ entry per (object, person) a page shows, written in one append to the chain; the
    object type says which page read it ("programmes.enrolment:enrolment_detail")."""
    audit_log_many(
        {
            "actor": request.user,
            "organisation": request.membership.organisation,
            "action": AuditAction.READ,
            "obj": obj,
            "object_type": f"{obj._meta.label_lower}:{view}",
            "person": person,
        }
        for obj, person in rows
    )


def require_role(request, role: str, message: str):
    """The membership the request acts for, when it holds `role`; otherwise the 403 page with `message`."""
    membership = request.membership
    if membership is None or membership.role != role:
        raise PermissionDenied(message)
    return membership


def pathway_view(*, audit_read: bool = True):
    """Resolve `pathway_id` to a pathway the reader may see (404 otherwise, the same answer as for
    a pathway that does not exist), load the data categories the reader may read, and log the
    read in the audit chain. The view receives (request, pathway, categories, **kwargs).

    Every response that shows the pathway is a read: a GET, and also a POST answered with a page
    (a form re-rendered with its errors or with a refusal shows the person's data) rather than a
    redirect."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, pathway_id: int, *args, **kwargs):
            membership = request.membership
            pathway = pathway_get_for(membership=membership, user=request.user, pathway_id=pathway_id)
            if membership is not None:
                categories = consented_categories(person=pathway.person_id, membership=membership)
            else:  # platform administrator under break-glass: ordinary categories only
                categories = frozenset(ORDINARY_CATEGORIES)

            def log_read():
                audit_log(
                    actor=request.user,
                    organisation=membership.organisation if membership else None,
                    action=AuditAction.READ,
                    obj=pathway,
                    person=pathway.person,
                    object_type=f"pathways.pathway:{view.__name__}",
                )

            if audit_read and request.method in ("GET", "HEAD"):
                log_read()
            response = view(request, pathway, categories, *args, **kwargs)
            # A POST answered with a page (form errors, or a refusal shown on the form with a 403)
            # displays the pathway as much as a GET does.
            if audit_read and request.method not in ("GET", "HEAD") and not response.has_header("Location"):
                log_read()
            return response

        return wrapper

    return decorator
