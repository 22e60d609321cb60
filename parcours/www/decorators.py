from functools import wraps

from django.contrib.auth.decorators import login_required

from parcours.audit.models import AuditAction
from parcours.audit.services import audit_log
from parcours.pathways.selectors import pathway_get_for
from parcours.people.selectors import consented_categories


def pathway_view(*, audit_read: bool = True):
    """Resolve `pathway_id` to a pathway the reader may see (404 otherwise, the same answer as for
    a pathway that does not exist), load the data categories the reader may read, and log the
    read in the audit chain. The view receives (request, pathway, categories, **kwargs)."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, pathway_id: int, *args, **kwargs):
            membership = request.membership
            pathway = pathway_get_for(membership=membership, user=request.user, pathway_id=pathway_id)
            if membership is not None:
                categories = consented_categories(person=pathway.person_id, membership=membership)
            else:  # platform administrator under break-glass: ordinary categories only
                from parcours.people.enums import ORDINARY_CATEGORIES

                categories = frozenset(ORDINARY_CATEGORIES)
            if audit_read and request.method == "GET":
                audit_log(
                    actor=request.user,
                    organisation=membership.organisation if membership else None,
                    action=AuditAction.READ,
                    obj=pathway,
                    person=pathway.person,
                    object_type=f"pathways.pathway:{view.__name__}",
                )
            return view(request, pathway, categories, *args, **kwargs)

        return wrapper

    return decorator
