"""The page of one enrolment (state and its log, eligibility when proposed, the programme's steps
with their evidence, certifications, work-study contracts, exit outcome, follow-up surveys) with
the forms that record progress; and the referent's follow-up surveys to do.

Who: the operator staff of the session and the follow-up members of the person's pathway
(parcours.programmes.access); anyone else gets the 404 page, as for an enrolment that does not
exist. The views are thin: rules and messages are the services'."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from parcours.organisations.enums import ACCOMPANYING_ROLES
from parcours.people.enums import DataCategory
from parcours.people.selectors import consented_categories
from parcours.programmes import access, enums, selectors, services_progress, services_surveys
from parcours.programmes.models import Enrolment, FollowUpSurvey, ProgrammeStep
from parcours.programmes.services_enrolment import eligibility_readable, snapshot_categories
from parcours.www.decorators import audit_reads
from parcours.www.forms_flow import paginate, submit_form

from . import forms

TODO_PAGE_SIZE = 25
STATE_BADGES = {
    enums.EnrolmentState.CANDIDATE: "fr-badge--new",
    enums.EnrolmentState.SELECTED: "fr-badge--info",
    enums.EnrolmentState.WAITING_LIST: "fr-badge--warning",
    enums.EnrolmentState.ENROLLED: "fr-badge--info",
    enums.EnrolmentState.IN_PROGRESS: "fr-badge--info",
    enums.EnrolmentState.COMPLETED: "fr-badge--success",
    enums.EnrolmentState.ABANDONED: "fr-badge--error",
    enums.EnrolmentState.NOT_SELECTED: "",
}
CRITERION_BADGES = {"met": "fr-badge--success", "not_met": "fr-badge--error", "unknown": "fr-badge--warning"}
ELIGIBILITY_HIDDEN = _("non consultable (données non partagées avec votre structure)")
HEALTH_REASON_HIDDEN = _("Motif non communiqué à votre structure")
CRITERION_LABELS = {"met": _("Rempli"), "not_met": _("Non rempli"), "unknown": _("À vérifier")}
TRANSITION_REASONS = {
    enums.EnrolmentState.ABANDONED: enums.AbandonReason.choices,
    enums.EnrolmentState.NOT_SELECTED: enums.NotSelectedReason.choices,
}
DATED_STATES = frozenset(
    {
        enums.EnrolmentState.ENROLLED,
        enums.EnrolmentState.IN_PROGRESS,
        enums.EnrolmentState.COMPLETED,
        enums.EnrolmentState.ABANDONED,
    }
)


# --- shared helpers ----------------------------------------------------------------------------------


def _enrolment(request, enrolment_id: int) -> Enrolment:
    if request.membership is None:
        raise Http404(_("Inscription introuvable."))
    return selectors.enrolment_get_for(membership=request.membership, enrolment_id=enrolment_id)


def _moves(request, enrolment: Enrolment) -> list[dict]:
    """The transitions the reader may make now (services_enrolment.transitions_for), each with the
    fields its form posts to `enrolment_transition`."""
    try:
        from parcours.programmes.services_enrolment import transitions_for
    except ImportError:  # the state machine's module is not there yet
        return []
    rows = []
    # A follow-up member only withdraws a candidacy: the form posts the one reason the service
    # accepts from them, "the person declines".
    staff = access.is_operator_staff(request.membership, enrolment.session)
    for to_state, label in transitions_for(membership=request.membership, enrolment=enrolment):
        form = forms.TransitionForm(
            reasons=TRANSITION_REASONS.get(to_state) if staff else None,
            fixed_reason="" if staff else enums.NotSelectedReason.PERSON_DECLINED,
            dated=to_state in DATED_STATES,
            initial={"on_date": timezone.localdate()},
            auto_id=f"id_move_{to_state}_%s",
        )
        rows.append(
            {
                "to_state": to_state,
                "label": label,
                "form": form,
                "url": reverse("enrolment_transition", args=[enrolment.pk, to_state]),
            }
        )
    return rows


def _criterion_row(criterion: dict, hidden: bool) -> dict:
    status = criterion.get("status", "")
    return {
        "label": criterion.get("label") or criterion.get("field", ""),
        "expected": criterion.get("expected_display", ""),
        "value": criterion.get("value_display", ""),
        "reason": criterion.get("reason", ""),
        "status_label": CRITERION_LABELS.get(status, status),
        "badge": CRITERION_BADGES.get(status, ""),
        "hidden": hidden,
        "items": [],
    }


def _criteria(enrolment: Enrolment, categories: frozenset[str]) -> list[dict]:
    """The eligibility snapshot, one row per criterion; the value (and the sentence that tells it)
    of a criterion on a sensitive category is hidden from a reader the consent does not cover. A
    group ("any") is hidden, with all its criteria, when one of them is: its result would tell."""
    rows = []
    for criterion in (enrolment.eligibility or {}).get("criteria", []):
        if not isinstance(criterion, dict):
            continue
        hidden = not snapshot_categories(criterion) <= categories
        row = _criterion_row(criterion, hidden)
        items = criterion.get("items")
        row["items"] = [
            _criterion_row(item, hidden)
            for item in (items if isinstance(items, list) else [])
            if isinstance(item, dict)
        ]
        rows.append(row)
    return rows


def _reason(enrolment: Enrolment, label: str, health_hidden: bool) -> str:
    """The reason of an abandonment or of a candidacy not selected, with its detail; a health
    reason (and its detail) only for a reader the person's health consent covers."""
    if health_hidden and enrolment.abandon_reason == enums.AbandonReason.HEALTH:
        return str(HEALTH_REASON_HIDDEN)
    return " : ".join(p for p in (label, enrolment.reason_detail) if p)


def _log(enrolment: Enrolment, *, eligibility_hidden: bool, health_hidden: bool) -> list[dict]:
    """The transition log; the reason of the abandonment is masked like the abandonment itself, and
    the candidacy's ("éligibilité dérogatoire") when the eligibility result is not readable."""
    rows = []
    for t in enrolment.transitions.select_related("actor"):
        reason = t.reason
        if not t.from_state and eligibility_hidden:
            reason = ""
        elif (
            t.to_state == enums.EnrolmentState.ABANDONED
            and health_hidden
            and enrolment.abandon_reason == enums.AbandonReason.HEALTH
        ):
            reason = str(HEALTH_REASON_HIDDEN)
        rows.append({"transition": t, "reason": reason})
    return rows


def _context(request, enrolment: Enrolment, **bound) -> dict:
    membership = request.membership
    person = enrolment.pathway.person
    categories = consented_categories(person=person.pk, membership=membership)
    eligibility_hidden = not eligibility_readable(enrolment.eligibility, categories)
    health_hidden = DataCategory.HEALTH not in categories
    if eligibility_hidden:
        eligibility_status = str(ELIGIBILITY_HIDDEN)
    elif enrolment.eligibility_status in enums.EligibilityStatus.values:
        eligibility_status = str(enums.EligibilityStatus(enrolment.eligibility_status).label)
    else:
        eligibility_status = ""
    can_record = enrolment.enrolled_on is not None
    exited = enrolment.state in enums.EXITED_STATES
    steps = []
    for progress in services_progress.step_progress(enrolment):
        step = progress.step
        form = bound.get("step_form") if bound.get("step_id") == step.pk else None
        if form is None and can_record:
            form = forms.StepRecordForm(initial={"done_on": timezone.localdate()}, auto_id=f"id_step{step.pk}_%s")
        steps.append({"progress": progress, "form": form})
    return {
        "title": _("Inscription au programme %(programme)s") % {"programme": enrolment.programme.name},
        "nav": "programmes",
        "enrolment": enrolment,
        "person_name": person.full_name,
        "state_badge": STATE_BADGES.get(enrolment.state, ""),
        "is_follow_up_member": access.is_follow_up_member(membership, enrolment.pathway),
        "log": _log(enrolment, eligibility_hidden=eligibility_hidden, health_hidden=health_hidden),
        "eligibility_status": eligibility_status,
        "override_reason": "" if eligibility_hidden else enrolment.override_reason,
        "abandon_reason": _reason(enrolment, enrolment.get_abandon_reason_display(), health_hidden)
        if enrolment.abandon_reason
        else "",
        "not_selected_reason": _reason(enrolment, enrolment.get_not_selected_reason_display(), health_hidden)
        if enrolment.not_selected_reason
        else "",
        "criteria": _criteria(enrolment, categories),
        "moves": _moves(request, enrolment),
        "can_record": can_record,
        "steps": steps,
        "certifications": list(enrolment.certifications.all()),
        "contracts": list(enrolment.work_study_contracts.select_related("rome")),
        "surveys": list(enrolment.surveys.order_by("wave_months")),
        "is_vae": enrolment.programme.kind == enums.ProgrammeKind.VAE,
        "exited": exited,
        "certification_form": bound.get("certification_form")
        or (forms.CertificationForm(initial={"obtained_on": timezone.localdate()}) if can_record else None),
        "contract_form": bound.get("contract_form") or (forms.ContractForm() if can_record else None),
        "outcome_form": bound.get("outcome_form")
        or (forms.OutcomeForm(initial={"outcome": enrolment.exit_outcome}) if exited else None),
    }


def _render(request, enrolment: Enrolment, *, status: int = 200, **bound):
    audit_reads(request, [(enrolment, enrolment.pathway.person)], "enrolment_detail")
    return render(request, "enrolments/detail.html", _context(request, enrolment, **bound), status=status)


def _next(enrolment: Enrolment, anchor: str) -> str:
    return f"{reverse('enrolment_detail', args=[enrolment.pk])}#{anchor}"


# --- the enrolment page and its forms ------------------------------------------------------------------


@login_required
@require_safe
def enrolment_detail(request, enrolment_id: int):
    return _render(request, _enrolment(request, enrolment_id))


@login_required
@require_POST
def enrolment_step_add(request, enrolment_id: int, step_id: int):
    enrolment = _enrolment(request, enrolment_id)
    step = ProgrammeStep.objects.filter(pk=step_id, programme_id=enrolment.programme_id).first()
    if step is None:
        raise Http404(_("Étape introuvable dans ce programme."))
    form = forms.StepRecordForm(request.POST, auto_id=f"id_step{step.pk}_%s")

    def save(data):
        services_progress.step_record(
            membership=request.membership,
            enrolment=enrolment,
            step=step,
            done_on=data["done_on"],
            hours=data["hours"],
            evidence=data["evidence"],
        )

    done, status = submit_form(
        request,
        form,
        save,
        success=_("L'étape « %(step)s » est enregistrée.") % {"step": step.label},
        next_url=_next(enrolment, f"step-{step.pk}"),
    )
    return done or _render(request, enrolment, status=status, step_form=form, step_id=step.pk)


def _record(request, enrolment_id: int, *, form_class, write, success: str, anchor: str, form_key: str):
    """A form of the enrolment page posted: the service writes, or the page comes back with errors."""
    enrolment = _enrolment(request, enrolment_id)
    form = form_class(request.POST)

    def save(data):
        write(membership=request.membership, enrolment=enrolment, **data)

    done, status = submit_form(request, form, save, success=success, next_url=_next(enrolment, anchor))
    return done or _render(request, enrolment, status=status, **{form_key: form})


@login_required
@require_POST
def enrolment_certification_add(request, enrolment_id: int):
    return _record(
        request,
        enrolment_id,
        form_class=forms.CertificationForm,
        write=services_progress.certification_record,
        success=_("La certification est enregistrée."),
        anchor="certifications",
        form_key="certification_form",
    )


@login_required
@require_POST
def enrolment_contract_add(request, enrolment_id: int):
    return _record(
        request,
        enrolment_id,
        form_class=forms.ContractForm,
        write=services_progress.work_study_record,
        success=_("Le contrat en alternance est enregistré."),
        anchor="contracts",
        form_key="contract_form",
    )


@login_required
@require_POST
def enrolment_outcome(request, enrolment_id: int):
    return _record(
        request,
        enrolment_id,
        form_class=forms.OutcomeForm,
        write=services_progress.exit_outcome_record,
        success=_("La situation à la sortie est enregistrée."),
        anchor="outcome",
        form_key="outcome_form",
    )


# --- follow-up surveys -----------------------------------------------------------------------------------


def _require_professional(request) -> None:
    membership = request.membership
    if membership is None or membership.role not in ACCOMPANYING_ROLES:
        raise PermissionDenied(_("Les enquêtes de suivi sont réservées aux professionnel·les qui accompagnent."))


@login_required
@require_safe
def survey_todo(request):
    _require_professional(request)
    page = paginate(request, services_surveys.surveys_due_for(membership=request.membership), TODO_PAGE_SIZE)
    rows = [
        {
            "survey": survey,
            "person_name": survey.enrolment.pathway.person.full_name,
            "programme": survey.enrolment.programme.name,
            "session": survey.enrolment.session.label,
        }
        for survey in page.object_list
    ]
    return render(
        request,
        "enrolments/survey_todo.html",
        {"title": _("Enquêtes de suivi à réaliser"), "nav": "surveys", "page": page, "rows": rows},
    )


def _survey_render(request, survey: FollowUpSurvey, form, *, status: int = 200):
    enrolment = survey.enrolment
    audit_reads(request, [(survey, enrolment.pathway.person)], "survey_answer")
    context = {
        "title": _("Enquête de suivi à %(n)s mois") % {"n": survey.wave_months},
        "nav": "surveys",
        "survey": survey,
        "enrolment": enrolment,
        "person_name": enrolment.pathway.person.full_name,
        "form": form,
        "answered": survey.status != enums.SurveyStatus.PENDING,
    }
    return render(request, "enrolments/survey_answer.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def survey_answer(request, survey_id: int):
    if request.membership is None:
        raise Http404(_("Enquête introuvable."))
    survey = services_surveys.survey_get_for(membership=request.membership, survey_id=survey_id)
    if request.method != "POST":
        initial = {"answered_on": timezone.localdate()}
        if survey.status != enums.SurveyStatus.PENDING:
            initial = {"status": survey.status, "employment": survey.employment, "answered_on": survey.answered_on}
        return _survey_render(request, survey, forms.SurveyAnswerForm(initial=initial))
    form = forms.SurveyAnswerForm(request.POST)

    def save(data):
        services_surveys.survey_answer(
            membership=request.membership,
            survey=survey,
            status=data["status"],
            employment=data["employment"],
            answered_on=data["answered_on"],
        )

    done, status = submit_form(
        request,
        form,
        save,
        success=_("L'enquête de suivi de %(name)s est enregistrée.")
        % {"name": survey.enrolment.pathway.person.full_name},
        next_url=reverse("survey_todo"),
    )
    return done or _survey_render(request, survey, form, status=status)
