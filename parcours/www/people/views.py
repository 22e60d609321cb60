"""Finding a person and creating one. What a professional outside the follow-up group may learn
is only what the coordination lookup allows (DESIGN §5): that the person has a pathway and who the
referent is, from an exact identifier or an exact name and birth date; each such answer is
written to the audit chain."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from parcours.audit.models import AuditAction
from parcours.audit.services import audit_log
from parcours.organisations.enums import ACCOMPANYING_ROLES, Role
from parcours.pathways.enums import JoinRequestStatus
from parcours.pathways.models import FollowUpMember, JoinRequest, Pathway
from parcours.pathways.selectors import open_pathways_of, pathways_visible_to, person_directory_lookup
from parcours.pathways.services import join_request_create
from parcours.people.models import Person
from parcours.people.selectors import IDENTIFIER_FIELDS
from parcours.people.services import DuplicateSuspected
from parcours.people.services import person_create as person_create_service
from parcours.www.forms_flow import add_service_errors

from .forms import JoinRequestForm, PersonCreateForm, PersonSearchForm

LOOKUP_OBJECT_TYPE = "people.lookup"


@dataclass
class Match:
    """One answer of the lookup or of the duplicate check, as the reader may see it. When not
    `visible`, the template shows only the referent (and a way to ask to join)."""

    person: Person
    pathway: Pathway | None
    visible: bool
    referent: FollowUpMember | None = None
    join_pending: bool = False
    join_form: JoinRequestForm | None = None
    criteria: tuple[tuple[str, str], ...] = ()


def _criteria_pairs(criteria: dict) -> tuple[tuple[str, str], ...]:
    pairs = []
    for key, value in criteria.items():
        pairs.append((key, value.isoformat() if hasattr(value, "isoformat") else str(value)))
    return tuple(pairs)


def _build_matches(*, request, pathways: list[Pathway], criteria_for, audit_reason: str) -> list[Match]:
    """Decide, in SQL, which of the found pathways the reader may open; for the others keep only
    the referent and log in the audit chain that the reader learnt who follows the person."""
    membership = request.membership
    ids = [p.pk for p in pathways]
    visible = set()
    pending = set()
    if ids:
        visible = set(
            pathways_visible_to(membership=membership, user=request.user)
            .filter(pk__in=ids)
            .values_list("pk", flat=True)
        )
        hidden_ids = [pk for pk in ids if pk not in visible]
        if hidden_ids:
            pending = set(
                JoinRequest.objects.filter(
                    pathway_id__in=hidden_ids, membership=membership, status=JoinRequestStatus.PENDING
                ).values_list("pathway_id", flat=True)
            )
    can_join = membership.role in ACCOMPANYING_ROLES
    matches = []
    for pathway in pathways:
        is_visible = pathway.pk in visible
        match = Match(
            person=pathway.person,
            pathway=pathway,
            visible=is_visible,
            referent=pathway.referent_seats[0] if pathway.referent_seats else None,
            join_pending=pathway.pk in pending,
            criteria=_criteria_pairs(criteria_for(pathway.person)),
        )
        if not is_visible:
            if can_join and not match.join_pending:
                match.join_form = JoinRequestForm(initial={"pathway": pathway.pk}, auto_id=f"id_join_{pathway.pk}_%s")
            audit_log(
                actor=request.user,
                organisation=membership.organisation,
                action=AuditAction.READ,
                object_type=LOOKUP_OBJECT_TYPE,
                object_id=pathway.pk,
                person=pathway.person,
                fields=sorted(criteria_for(pathway.person)),
                reason=audit_reason,
            )
        matches.append(match)
    return matches


def _search_url(criteria: dict) -> str:
    return f"{reverse('person_search')}?{urlencode(_criteria_pairs(criteria))}"


def _require_search_allowed(request) -> None:
    membership = request.membership
    if membership is None:
        raise PermissionDenied(_("Vous devez agir au nom d'une organisation pour rechercher une personne."))
    if membership.role == Role.PILOTE:
        # A territorial pilot sees aggregates only, never a person (DESIGN §5).
        raise PermissionDenied(_("Les pilotes territoriaux n'accèdent qu'aux effectifs, jamais aux personnes."))


@login_required
@require_http_methods(["GET", "POST"])
def person_search(request):
    """GET: the lookup. POST: a request to join the group of a pathway found by that same lookup
    (the criteria are posted again and the lookup re-run, so that a request can only target a
    pathway the requester has actually found)."""
    _require_search_allowed(request)
    membership = request.membership
    data = request.POST if request.method == "POST" else (request.GET or None)
    form = PersonSearchForm(data)
    context = {
        "title": _("Rechercher une personne"),
        "nav": "search",
        "form": form,
        "searched": False,
        "can_create": membership.role in ACCOMPANYING_ROLES,
    }
    if not (form.is_bound and form.is_valid() and form.cleaned_data["mode"]):
        if request.method == "POST":
            messages.error(request, _("Relancez la recherche avant de demander à rejoindre un groupe de suivi."))
        return render(request, "people/search.html", context)

    criteria = form.criteria()
    pathways = list(person_directory_lookup(**criteria))
    if "identifier" in criteria:
        audit_reason = _("Recherche par identifiant")
    else:
        audit_reason = _("Recherche par nom, prénom et date de naissance")
    matches = _build_matches(
        request=request, pathways=pathways, criteria_for=lambda person: criteria, audit_reason=audit_reason
    )
    context.update(searched=True, matches=matches, criteria=_criteria_pairs(criteria))

    if request.method == "POST":
        if membership.role not in ACCOMPANYING_ROLES:
            messages.error(request, _("Votre rôle ne permet pas de rejoindre un groupe de suivi."))
            return HttpResponseRedirect(_search_url(criteria))
        join_form = JoinRequestForm(request.POST)
        wanted = join_form.data.get("pathway", "")
        target = next((m for m in matches if not m.visible and str(m.pathway.pk) == wanted), None)
        if target is None:
            messages.error(request, _("Ce parcours ne figure pas parmi les résultats de votre recherche."))
            return HttpResponseRedirect(_search_url(criteria))
        join_form = JoinRequestForm(request.POST, auto_id=f"id_join_{target.pathway.pk}_%s")
        if join_form.is_valid():
            try:
                join_request_create(
                    pathway=target.pathway,
                    reason=join_form.cleaned_data["reason"],
                    membership=membership,
                    acting_user=request.user,
                )
            except PermissionDenied as error:
                messages.error(request, str(error))
                return HttpResponseRedirect(_search_url(criteria))
            except ValidationError as error:
                if not (hasattr(error, "error_dict") and set(error.error_dict) <= set(join_form.fields)):
                    messages.error(request, " ".join(error.messages))
                    return HttpResponseRedirect(_search_url(criteria))
                add_service_errors(join_form, error)
            else:
                messages.success(
                    request,
                    _(
                        "Votre demande a été envoyée au référent·e : vous serez ajouté·e au groupe de suivi s'il ou elle l'accepte."
                    ),
                )
                return HttpResponseRedirect(_search_url(criteria))
        target.join_form = join_form
    return render(request, "people/search.html", context)


def _duplicate_matches(*, request, candidates: list[Person], data: dict) -> list[Match]:
    pathways = list(open_pathways_of(people=candidates))

    def criteria_for(person: Person) -> dict:
        # The join request re-runs the directory lookup: give it the criterion this candidate
        # matched on (an identifier when one matched, otherwise name and birth date).
        for field in IDENTIFIER_FIELDS:
            if data.get(field) and getattr(person, field) == data[field]:
                return {"identifier": data[field]}
        return {"last_name": data["last_name"], "first_name": data["first_name"], "birth_date": data["birth_date"]}

    matches = _build_matches(
        request=request,
        pathways=pathways,
        criteria_for=criteria_for,
        audit_reason=_("Contrôle de doublon à la création d'une fiche"),
    )
    by_person = {m.person.pk: m for m in matches}
    result = []
    for candidate in candidates:
        match = by_person.get(candidate.pk)
        if match is None:
            # No open pathway: the reader learns only that a matching record exists, and that
            # disclosure is logged like any other lookup.
            match = Match(person=candidate, pathway=None, visible=False)
            audit_log(
                actor=request.user,
                organisation=request.membership.organisation if request.membership else None,
                action=AuditAction.READ,
                object_type=LOOKUP_OBJECT_TYPE,
                object_id=candidate.pk,
                person=candidate,
                reason=_("Contrôle de doublon à la création d'une fiche"),
            )
        result.append(match)
    return result


@login_required
@require_http_methods(["GET", "POST"])
def person_create(request):
    membership = request.membership
    if membership is None or membership.role not in ACCOMPANYING_ROLES:
        raise PermissionDenied(
            _("Seul·es les professionnel·les qui accompagnent des personnes peuvent créer une fiche.")
        )
    form = PersonCreateForm(request.POST or None, departement_code=membership.organisation.departement_id)
    context = {"title": _("Créer une personne"), "nav": "create", "form": form}
    if request.method == "POST" and form.is_valid() and not request.POST.get("edit"):
        data = form.person_data()
        try:
            _person, pathway = person_create_service(
                data=data, membership=membership, acting_user=request.user, force=request.POST.get("force") == "1"
            )
        except DuplicateSuspected as duplicate:
            context.update(
                title=_("Cette personne existe peut-être déjà"),
                matches=_duplicate_matches(request=request, candidates=list(duplicate.candidates), data=data),
            )
            return render(request, "people/duplicates.html", context)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("La fiche de %(name)s a été créée et son parcours ouvert.") % {"name": pathway.person.full_name},
            )
            return redirect("pathway", pathway_id=pathway.pk)
    return render(request, "people/create.html", context)
