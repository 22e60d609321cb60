"""Permission-scoped reads for the VAE pages: the enrolment (404 when the reader may not see it,
the same answer as for one that does not exist), its VAE pathway with the blocs and results, and
the choices offered when opening one."""

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from parcours.organisations.models import Membership
from parcours.people.models import ForeignQualification

from . import access
from .models import CompetenceBloc, Enrolment, TargetCertification, VaeBlocResult, VaePathway, VaeRoute


def vae_enrolment_get(*, membership: Membership | None, enrolment_id: int) -> Enrolment:
    """The enrolment, scoped in SQL by access.enrolments_visible_q."""
    enrolment = (
        Enrolment.objects.filter(access.enrolments_visible_q(membership), pk=enrolment_id)
        .select_related("programme", "session__operator", "pathway__person")
        .first()
    )
    if enrolment is None:
        raise Http404(_("Inscription introuvable."))
    return enrolment


def vae_of(enrolment: Enrolment) -> VaePathway | None:
    """The enrolment's VAE pathway with everything its page shows, in two queries."""
    return (
        VaePathway.objects.filter(enrolment=enrolment)
        .select_related("certification", "route", "foreign_diploma")
        .prefetch_related(
            Prefetch("bloc_results", queryset=VaeBlocResult.objects.select_related("bloc").order_by("bloc__position"))
        )
        .first()
    )


def vae_routes() -> QuerySet[VaeRoute]:
    return VaeRoute.objects.filter(is_active=True).order_by("pk")


def vae_certifications() -> QuerySet[TargetCertification]:
    return TargetCertification.objects.prefetch_related(
        Prefetch("blocs", queryset=CompetenceBloc.objects.order_by("position", "pk"))
    ).order_by("title")


def foreign_diplomas_of(enrolment: Enrolment) -> QuerySet[ForeignQualification]:
    return ForeignQualification.objects.filter(person_id=enrolment.pathway.person_id).order_by("-year", "pk")
