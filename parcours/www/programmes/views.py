"""The programme pages: the catalogue, one programme (rules in plain French, step template,
sessions), opening and changing a session, the session page (participants and their moves for the
operator centre's staff, counts only for everyone else), proposing a person's candidacy from their
pathway, and the moves of an enrolment.

The views are thin: the rights are in parcours/programmes/access.py, the rules in
services_enrolment.py; the views turn their French messages into form errors or alerts."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import OuterRef
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from parcours.matching.access import can_plan
from parcours.matching.enums import RecommendationKind
from parcours.matching.services import feedback_accept
from parcours.organisations.models import Organisation
from parcours.people.enums import ORDINARY_CATEGORIES, SENSITIVE_CATEGORIES
from parcours.people.selectors import consent_exists
from parcours.programmes import access, selectors
from parcours.programmes import services_enrolment as services
from parcours.programmes.eligibility import CompiledGroup, RulesError, compile_rules
from parcours.programmes.enums import AbandonReason, EnrolmentState, NotSelectedReason, StepKind, TargetPublic
from parcours.programmes.models import Programme, Session
from parcours.www.decorators import pathway_view
from parcours.www.forms_flow import refusal_message, submit_form
from parcours.www.pathway_context import pathway_context
from parcours.www.recommendations.forms import parse_reco

from . import forms


def _require_professional(request) -> None:
    if request.membership is None:
        raise PermissionDenied(_("Vous devez agir au nom d'une organisation pour consulter les programmes."))


def _label(enum, value: str) -> str:
    try:
        return str(enum(value).label)
    except ValueError:
        return value


def rules_in_french(programme: Programme) -> tuple[list[dict], list[str]]:
    """The programme's criteria as (label, expected, items) rows, or the rules' errors when they are
    invalid (shown to the reader rather than failing the page). A group ("au moins une condition
    parmi") is one row whose items are its criteria."""
    try:
        compiled = compile_rules(programme.eligibility_rules or [])
    except RulesError as exc:
        return [], list(exc.messages)
    rows = []
    for c in compiled.criteria:
        if isinstance(c, CompiledGroup):
            items = [{"label": i.field.label, "expected": i.expected_display} for i in c.items]
            rows.append({"label": c.label, "expected": "", "items": items})
        else:
            rows.append({"label": c.field.label, "expected": c.expected_display, "items": []})
    return rows, []


# --- the catalogue ---------------------------------------------------------------------------------


@login_required
@require_safe
def programme_list(request):
    _require_professional(request)
    form = forms.CatalogueFilterForm(request.GET or None)
    filters: dict = {}
    if form.is_bound and form.is_valid():
        filters = form.cleaned_data
    programmes = list(
        selectors.programmes_catalogue(public=filters.get("public") or "", departement=filters.get("departement") or "")
    )
    rows = [
        {
            "programme": p,
            "operators": ", ".join(o.name for o in p.operators.all()),
            "jobs": ", ".join(j.label for j in p.rome_jobs.all()),
            "publics": ", ".join(_label(TargetPublic, t) for t in p.target_publics),
        }
        for p in programmes
    ]
    context = {
        "title": _("Programmes"),
        "nav": "programmes",
        "form": form,
        "rows": rows,
        "filtered": any(filters.get(k) for k in ("public", "departement")),
        "can_declare": request.membership.role in access.MANAGER_ROLES,
    }
    return render(request, "programmes/list.html", context)


# --- one programme ---------------------------------------------------------------------------------


def _programme_for(request, code: str) -> Programme:
    programme = selectors.programme_get(code=code)
    if not programme.is_active and not access.can_manage_programme(request.membership, programme):
        raise Http404(_("Programme introuvable."))
    return programme


@login_required
@require_safe
def programme_detail(request, code: str):
    _require_professional(request)
    programme = _programme_for(request, code)
    membership = request.membership
    criteria, rule_errors = rules_in_french(programme)
    context = {
        "title": programme.name,
        "nav": "programmes",
        "programme": programme,
        "publics": [_label(TargetPublic, t) for t in programme.target_publics],
        "operators": list(programme.operators.order_by("name")),
        "jobs": list(programme.rome_jobs.order_by("code")),
        "criteria": criteria,
        "rule_errors": rule_errors,
        "steps": [{"step": s, "kind": _label(StepKind, s.kind)} for s in programme.steps.order_by("position")],
        "sessions": list(selectors.sessions_of(programme)),
        "can_view_indicators": access.can_view_indicators(membership, programme),
        "can_manage_programme": access.can_manage_programme(membership, programme),
        "can_manage_sessions": access.can_manage_sessions(membership, programme),
        # The "Affectations" link: the programme's placement committee only (parcours.matching.access).
        "can_plan": can_plan(membership, programme),
    }
    return render(request, "programmes/detail.html", context)


# --- opening and changing a session ----------------------------------------------------------------


def _operators_for(membership, programme: Programme):
    operators = programme.operators.order_by("name")
    if not access.can_manage_programme(membership, programme):
        operators = operators.filter(pk=membership.organisation_id)
    return operators


def _require_session_manager(membership, programme: Programme, operator: Organisation | None = None) -> None:
    if not access.can_manage_sessions(membership, programme):
        raise PermissionDenied(
            _(
                "Seul·es les gestionnaires du programme et les professionnel·les de ses centres opérateurs "
                "peuvent gérer ses sessions."
            )
        )
    if (
        operator is not None
        and not access.can_manage_programme(membership, programme)
        and operator.pk != membership.organisation_id
    ):
        raise PermissionDenied(_("Vous ne pouvez gérer que les sessions de votre propre centre."))


SESSION_FIELDS = (
    "label",
    "operator",
    "commune",
    "starts_on",
    "ends_on",
    "places",
    "target_rome_codes",
    "partner_companies",
    "offers_childcare",
    "offers_housing",
    "min_french_level",
    "hosts_households",
)


def _session_fields(data: dict) -> dict:
    """The session form's cleaned data, as the keyword arguments of session_create/session_update."""
    return {name: data[name] for name in SESSION_FIELDS}


@login_required
def session_create(request, code: str):
    _require_professional(request)
    programme = _programme_for(request, code)
    membership = request.membership
    _require_session_manager(membership, programme)
    operators = _operators_for(membership, programme)
    if request.method == "POST":
        form = forms.SessionForm(request.POST, operators=operators)
    else:
        form = forms.SessionForm(operators=operators, initial={"operator": operators.first(), "places": 12})
    created: list[Session] = []

    def save(data):
        created.append(services.session_create(membership=membership, programme=programme, **_session_fields(data)))

    done, status = submit_form(
        request,
        form,
        save,
        success=_("La session est ouverte aux candidatures."),
        next_url=reverse("programme_detail", args=[programme.code]),
    )
    if done is not None:
        return redirect("session_detail", created[0].pk)
    context = {
        "title": _("Nouvelle session"),
        "nav": "programmes",
        "programme": programme,
        "session": None,
        "form": form,
    }
    return render(request, "programmes/session_form.html", context, status=status)


@login_required
def session_edit(request, session_id: int):
    _require_professional(request)
    session = selectors.session_get(session_id=session_id)
    programme = session.programme
    membership = request.membership
    _require_session_manager(membership, programme, session.operator)
    operators = _operators_for(membership, programme)
    initial = {
        "label": session.label,
        "operator": session.operator_id,
        "commune": session.commune.insee_code,
        "starts_on": session.starts_on,
        "ends_on": session.ends_on,
        "places": session.places,
        "target_rome_codes": [j.code for j in session.target_jobs.all()],
        "partner_companies": session.partner_companies,
        "offers_childcare": session.offers_childcare,
        "offers_housing": session.offers_housing,
        "min_french_level": session.min_french_level,
        "hosts_households": session.hosts_households,
        "status": session.status,
    }
    if request.method == "POST":
        form = forms.SessionForm(request.POST, operators=operators, with_status=True)
    else:
        form = forms.SessionForm(operators=operators, with_status=True, initial=initial)

    def save(data):
        services.session_update(
            membership=membership,
            session=session,
            **_session_fields(data),
            status=data["status"] or None,
        )

    done, status = submit_form(
        request,
        form,
        save,
        success=_("La session est enregistrée."),
        next_url=reverse("session_detail", args=[session.pk]),
    )
    if done is not None:
        return done
    context = {
        "title": _("Modifier la session"),
        "nav": "programmes",
        "programme": programme,
        "session": session,
        "form": form,
    }
    return render(request, "programmes/session_form.html", context, status=status)


# --- the session page ------------------------------------------------------------------------------


REASON_CHOICES = {
    EnrolmentState.NOT_SELECTED: NotSelectedReason.choices,
    EnrolmentState.ABANDONED: AbandonReason.choices,
}


def _moves(membership, enrolment, free_places: int, queue: list[int]) -> list[dict]:
    return [
        {
            "to_state": to_state,
            "label": label,
            "reasons": REASON_CHOICES.get(to_state, []),
            "dated": to_state in services.DATED_STATES,
            "id": f"move-{enrolment.pk}-{to_state}",
        }
        for to_state, label in services.transitions_for(
            membership=membership, enrolment=enrolment, free_places=free_places, queue=queue
        )
    ]


@login_required
@require_safe
def session_detail(request, session_id: int):
    _require_professional(request)
    session = selectors.session_get(session_id=session_id)
    programme = session.programme
    membership = request.membership
    is_staff = access.is_operator_staff(membership, session)
    counts = selectors.session_state_counts(session)
    groups = []
    if is_staff:
        # The sensitive categories each person consented to for the reader's organisation, in
        # the same query as the rows: the eligibility badge is shown only where it tells nothing
        # the reader may not see (services_enrolment.eligibility_readable).
        consents = {
            f"consent_{category}": consent_exists(
                person_ref=OuterRef("pathway__person_id"), category=category, membership=membership
            )
            for category in sorted(SENSITIVE_CATEGORIES)
        }
        participants = list(selectors.session_participants(membership=membership, session=session).annotate(**consents))
        # The waiting list in its order (the participants' order): only its first person is offered
        # the freed place.
        queue = [e.pk for e in participants if e.state == EnrolmentState.WAITING_LIST]
        by_state: dict[str, list] = {}
        for enrolment in participants:
            enrolment.session = session
            categories = ORDINARY_CATEGORIES | {c for c in SENSITIVE_CATEGORIES if getattr(enrolment, f"consent_{c}")}
            readable = services.eligibility_readable(enrolment.eligibility, categories)
            by_state.setdefault(enrolment.state, []).append(
                {
                    "enrolment": enrolment,
                    "person_name": enrolment.pathway.person.full_name,
                    "eligibility_readable": readable,
                    "moves": _moves(membership, enrolment, session.free_places, queue),
                }
            )
        groups = [
            {"state": state, "label": _label(EnrolmentState, state), "rows": by_state[state]}
            for state in selectors.STATE_ORDER
            if state in by_state
        ]
    context = {
        "title": session.label,
        "nav": "programmes",
        "session": session,
        "programme": programme,
        "is_staff": is_staff,
        "groups": groups,
        "count_rows": [
            {"state": s, "label": _label(EnrolmentState, s), "count": counts[str(s)]} for s in selectors.STATE_ORDER
        ],
        "can_manage_sessions": access.can_manage_sessions(membership, programme)
        and (access.can_manage_programme(membership, programme) or session.operator_id == membership.organisation_id),
        "can_view_indicators": access.can_view_indicators(membership, programme),
        "jobs": list(session.target_jobs.all()),
        "session_path": request.get_full_path(),
    }
    return render(request, "programmes/session_detail.html", context)


# --- proposing a candidacy -------------------------------------------------------------------------


def _record_programme_retained(request, *, pathway, session: Session, enrolment, reco: str) -> None:
    """A candidacy proposed from a programme proposal ("Proposer une session" on the "Pistes" tab)
    records the proposal as retained, in the candidacy's transaction. Without a well-formed `reco`,
    nothing; a decision that cannot be recorded never blocks the candidacy (its savepoint is rolled
    back)."""
    parsed = parse_reco(reco)
    if parsed is None:
        return
    score, rank = parsed
    try:
        feedback_accept(
            pathway=pathway,
            kind=RecommendationKind.PROGRAMME,
            key=session.programme.code,
            score=score,
            rank=rank,
            enrolment=enrolment,
            membership=request.membership,
            acting_user=request.user,
        )
    except (ValidationError, PermissionDenied):
        pass


@pathway_view()
def enrolment_propose(request, pathway, categories, session_id: int):
    session = selectors.session_get(session_id=session_id)
    membership = request.membership
    if not access.is_follow_up_member(membership, pathway):
        raise PermissionDenied(
            _("Seul·es les professionnel·les du groupe de suivi de la personne peuvent proposer sa candidature.")
        )
    from parcours.programmes.facts import eligibility_for

    context = pathway_context(request, pathway, categories, tab="programmes", title=_("Proposer une candidature"))
    if request.method == "POST":
        form = forms.ProposeForm(request.POST)
    else:
        form = forms.ProposeForm(initial={"reco": request.GET.get("reco", "")[:40]})
    created: list = []

    def save(data):
        with transaction.atomic():
            enrolment = services.enrolment_propose(
                membership=membership, session=session, pathway=pathway, override_reason=data["override_reason"]
            )
            _record_programme_retained(
                request, pathway=pathway, session=session, enrolment=enrolment, reco=data["reco"]
            )
        created.append(enrolment)

    done, status = submit_form(
        request,
        form,
        save,
        success=_("La candidature est proposée au centre %(centre)s.") % {"centre": session.operator.name},
        next_url=reverse("session_detail", args=[session.pk]),
    )
    if done is not None:
        return redirect("enrolment_detail", created[0].pk)
    result = eligibility_for(pathway=pathway, programme=session.programme, membership=membership)
    context.update(
        {
            "session": session,
            "programme": session.programme,
            "form": form,
            "result": result,
            "needs_override": result.status != "eligible",
        }
    )
    return render(request, "programmes/propose.html", context, status=status)


# --- moving an enrolment ---------------------------------------------------------------------------


def _back(request, enrolment) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    if access.is_operator_staff(request.membership, enrolment.session):
        return reverse("session_detail", args=[enrolment.session_id])
    return reverse("enrolment_detail", args=[enrolment.pk])


@login_required
@require_POST
def enrolment_transition(request, enrolment_id: int, action: str):
    enrolment = selectors.enrolment_get_for(membership=request.membership, enrolment_id=enrolment_id)
    if action not in EnrolmentState.values:
        raise Http404(_("Action inconnue."))
    form = forms.TransitionForm(request.POST, to_state=action)
    back = _back(request, enrolment)
    if not form.is_valid():
        errors = [m for errs in form.errors.values() for m in errs]
        messages.error(request, _("Rien n'a été modifié. %(why)s") % {"why": " ".join(errors)})
        return redirect(back)
    data = form.cleaned_data
    try:
        moved = services.enrolment_move(
            membership=request.membership,
            enrolment=enrolment,
            to_state=action,
            reason=data["reason"],
            detail=data["detail"],
            on_date=data["on_date"],
        )
    except ValidationError as exc:
        messages.error(request, _("Rien n'a été modifié. %(why)s") % {"why": " ".join(exc.messages)})
        return redirect(back)
    except PermissionDenied as exc:
        raise PermissionDenied(refusal_message(exc)) from exc
    messages.success(
        request,
        _("%(person)s : %(state)s.")
        % {"person": moved.pathway.person.full_name, "state": _label(EnrolmentState, moved.state).lower()},
    )
    return redirect(back)
