"""The pathway pages: summary, person record sections, follow-up group, timeline, consents,
access log, printable summary and the administrators' break-glass access.

Every page goes through `pathway_view` (404 outside the reader's scope, one READ audit entry per
GET) and stays within the query budget whatever the history length: long lists are paginated."""

import copy
import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from parcours.audit.models import AuditAction, AuditEntry
from parcours.audit.services import audit_log
from parcours.diagnostics.models import Diagnostic
from parcours.pathways import services as pathway_services
from parcours.pathways.breaks import open_alerts_of_pathway
from parcours.pathways.enums import (
    ActionStatus,
    AppointmentStatus,
    GoalStatus,
    JoinRequestStatus,
    PathwayStatus,
)
from parcours.pathways.models import (
    Action,
    Appointment,
    FollowUpMember,
    JoinRequest,
    Pathway,
    ReferentHandover,
)
from parcours.pathways.selectors import (
    consent_grantee_organisations,
    events_visible_to,
    goals_visible_to,
    member_candidates,
    pathways_visible_to,
    referent_candidates,
)
from parcours.people import services_household
from parcours.people.enums import SENSITIVE_CATEGORIES, DataCategory
from parcours.people.models import Child, ForeignQualification, JobWish, WorkExperience
from parcours.people.selectors import consent_ledger
from parcours.people.services import consent_record, person_update
from parcours.www.alerts.presenters import alert_row
from parcours.www.decorators import pathway_view
from parcours.www.forms_flow import add_service_errors, paginate, submit_form
from parcours.www.occupations.forms import JobWishForm
from parcours.www.occupations.picker import appellation_picker
from parcours.www.orientation.views import orientation_page
from parcours.www.pathway_context import pathway_context, require_can_manage_group

from . import forms

TIMELINE_PAGE_SIZE = 25
ACCESS_LOG_PAGE_SIZE = 50
SUMMARY_APPOINTMENTS = 3


def _age_label(birth_date: datetime.date, today: datetime.date) -> str:
    months = (today.year - birth_date.year) * 12 + today.month - birth_date.month - (today.day < birth_date.day)
    if months < 24:
        return _("%(n)d mois") % {"n": max(months, 0)}
    return _("%(n)d ans") % {"n": months // 12}


def _household(person, *, with_wishes: bool = True) -> dict:
    """Children (with their age), qualifications abroad, work experience, job wishes and target jobs
    of the person (all in the situation category)."""
    today = timezone.localdate()
    children = list(Child.objects.filter(person=person).order_by("birth_date", "id"))
    for child in children:
        child.age_label = _age_label(child.birth_date, today)
    return {
        "children": children,
        "qualifications": list(ForeignQualification.objects.filter(person=person).order_by("-year", "id")),
        "experiences": list(
            WorkExperience.objects.filter(person=person).select_related("rome", "appellation").order_by("-years", "id")
        ),
        # The target jobs agreed in the pathway first ("target" < "wish"), then the person's wishes.
        "wishes": list(
            JobWish.objects.filter(person=person).select_related("appellation__rome").order_by("kind", "added_at", "id")
        )
        if with_wishes
        else [],
    }


def _next_appointments(pathway, limit: int) -> list[Appointment]:
    return list(
        Appointment.objects.filter(pathway=pathway, status=AppointmentStatus.PLANNED, starts_at__gte=timezone.now())
        .select_related("with_member__user", "with_member__organisation")
        .order_by("starts_at")[:limit]
    )


# --- summary -------------------------------------------------------------------------------------


@require_safe
@pathway_view()
def summary(request, pathway, categories):
    context = pathway_context(request, pathway, categories, tab="summary", title=_("Synthèse du parcours"))
    person = pathway.person
    # Counters in one query, whatever the history length.
    goals_count = (
        goals_visible_to(pathway=pathway, categories=categories)
        .filter(status=GoalStatus.IN_PROGRESS)
        .order_by()
        .values("pathway")
        .annotate(n=Count("id"))
        .values("n")
    )
    latest_diagnostic = (
        Diagnostic.objects.filter(person_id=OuterRef("person_id")).order_by("-recorded_at").values("recorded_at")[:1]
    )
    counters = (
        Pathway.objects.filter(pk=pathway.pk)
        .annotate(
            goals_count=Coalesce(Subquery(goals_count, output_field=IntegerField()), Value(0)),
            latest_diagnostic_at=Subquery(latest_diagnostic),
            has_open_alerts=Exists(open_alerts_of_pathway(pathway=OuterRef("pk")).values("pk")),
            has_job_wishes=Exists(JobWish.objects.filter(person_id=OuterRef("person_id"))),
        )
        .values("goals_count", "latest_diagnostic_at", "has_open_alerts", "has_job_wishes")
        .get()
    )
    # The wishes are loaded only when there is one (like the alerts below).
    context.update(_household(person, with_wishes=counters["has_job_wishes"]))
    context.update(
        {
            "goals_count": counters["goals_count"],
            "latest_diagnostic_at": counters["latest_diagnostic_at"],
            "next_appointments": _next_appointments(pathway, SUMMARY_APPOINTMENTS),
            "show_residence_status": DataCategory.RESIDENCE_STATUS in categories,
            "show_asylum_history": DataCategory.ASYLUM_HISTORY in categories,
            "show_disability": DataCategory.DISABILITY in categories,
            "some_hidden": any(c not in categories for c in SENSITIVE_CATEGORIES),
            # Open break alerts (those about a sensitive category only with consent for it).
            # (loaded only when there is one: most pathways have none).
            "alert_rows": [
                alert_row(alert, viewer_membership_id=request.membership.pk if request.membership else None)
                for alert in open_alerts_of_pathway(pathway=pathway, categories=categories)
            ]
            if counters["has_open_alerts"]
            else [],
        }
    )
    return render(request, "pathways/summary.html", context)


# --- person record sections ----------------------------------------------------------------------


def _require_editable_section(request, pathway, categories, section: str) -> forms.SectionSpec:
    spec = forms.SECTIONS.get(section)
    if spec is None:
        raise Http404("Rubrique inconnue.")
    if spec.category in SENSITIVE_CATEGORIES and spec.category not in categories:
        raise PermissionDenied(_("La personne n'a pas consenti au partage de cette catégorie avec votre organisation."))
    if pathway.status != PathwayStatus.OPEN:
        raise PermissionDenied(_("Ce parcours est clos : il ne peut plus être modifié."))
    if (
        request.membership is None
        or not FollowUpMember.objects.filter(
            pathway=pathway, membership=request.membership, ended_at__isnull=True
        ).exists()
    ):
        raise PermissionDenied(_("Seuls les membres du groupe de suivi peuvent modifier ce parcours."))
    return spec


def _render_section(request, pathway, categories, section, spec, *, form=None, status=200, **extra_forms):
    context = pathway_context(
        request, pathway, categories, tab="summary", title=_("Modifier : %(s)s") % {"s": spec.title}
    )
    if form is None:
        form = forms.section_form_class(section)(instance=copy.copy(pathway.person))
    context.update({"section": section, "spec": spec, "form": form})
    if section == "situation":
        context.update(_household(pathway.person))
        experience_form = extra_forms.get("experience_form") or forms.ExperienceForm(prefix="experience")
        wish_form = extra_forms.get("wish_form") or JobWishForm(prefix="wish")
        context.update(
            {
                "child_form": extra_forms.get("child_form") or forms.ChildForm(prefix="child"),
                "qualification_form": extra_forms.get("qualification_form")
                or forms.QualificationForm(prefix="qualification"),
                "experience_form": experience_form,
                "experience_picker": appellation_picker(
                    request, prefix="experience", form=experience_form, label=_("Rechercher le métier exercé")
                ),
                "wish_form": wish_form,
                "wish_picker": appellation_picker(
                    request, prefix="wish", form=wish_form, label=_("Rechercher le métier souhaité ou visé")
                ),
            }
        )
    return render(request, "pathways/person_edit.html", context, status=status)


@pathway_view()
def person_edit(request, pathway, categories, section):
    spec = _require_editable_section(request, pathway, categories, section)
    if request.method != "POST":
        return _render_section(request, pathway, categories, section, spec)
    form = forms.section_form_class(section)(request.POST, instance=copy.copy(pathway.person))
    done, status = submit_form(
        request,
        form,
        lambda data: person_update(
            person=pathway.person,
            changes=form.changes(),
            membership=request.membership,
            acting_user=request.user,
            pathway=pathway,
        ),
        success=_("La rubrique « %(s)s » a été mise à jour.") % {"s": spec.title},
        next_url=reverse("pathway", args=[pathway.pk]),
    )
    return done or _render_section(request, pathway, categories, section, spec, form=form, status=status)


def _household_add(request, pathway, categories, *, form_class, prefix, service, message, aliases=None, anchor=""):
    """Add a row to the situation section (child, qualification, experience, job wish); the page is
    shown again with the form's errors, or the reader goes back to the section (at `anchor`)."""
    spec = _require_editable_section(request, pathway, categories, "situation")
    form = form_class(request.POST, prefix=prefix)
    done, status = submit_form(
        request,
        form,
        lambda data: service(pathway=pathway, membership=request.membership, acting_user=request.user, **data),
        success=message,
        next_url=reverse("pathway_person_edit", args=[pathway.pk, "situation"]) + (f"#{anchor}" if anchor else ""),
        aliases=aliases,
    )
    return done or _render_section(
        request, pathway, categories, "situation", spec, status=status, **{f"{prefix}_form": form}
    )


def _household_remove(request, pathway, categories, *, service, item_id, key, message, anchor=""):
    _require_editable_section(request, pathway, categories, "situation")
    try:
        service(pathway=pathway, membership=request.membership, acting_user=request.user, **{key: item_id})
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, message)
    return redirect(reverse("pathway_person_edit", args=[pathway.pk, "situation"]) + (f"#{anchor}" if anchor else ""))


@require_POST
@pathway_view()
def child_add(request, pathway, categories):
    return _household_add(
        request,
        pathway,
        categories,
        form_class=forms.ChildForm,
        prefix="child",
        service=services_household.child_add,
        message=_("Enfant ajouté."),
    )


@require_POST
@pathway_view()
def child_remove(request, pathway, categories, item_id):
    return _household_remove(
        request,
        pathway,
        categories,
        service=services_household.child_remove,
        item_id=item_id,
        key="child_id",
        message=_("Enfant retiré de la fiche."),
    )


@require_POST
@pathway_view()
def qualification_add(request, pathway, categories):
    return _household_add(
        request,
        pathway,
        categories,
        form_class=forms.QualificationForm,
        prefix="qualification",
        service=services_household.qualification_add,
        message=_("Diplôme ajouté."),
    )


@require_POST
@pathway_view()
def qualification_remove(request, pathway, categories, item_id):
    return _household_remove(
        request,
        pathway,
        categories,
        service=services_household.qualification_remove,
        item_id=item_id,
        key="qualification_id",
        message=_("Diplôme retiré de la fiche."),
    )


@require_POST
@pathway_view()
def experience_add(request, pathway, categories):
    return _household_add(
        request,
        pathway,
        categories,
        form_class=forms.ExperienceForm,
        prefix="experience",
        service=services_household.experience_add,
        message=_("Expérience professionnelle ajoutée."),
        aliases={"appellation": "appellation_code", "rome_code": "appellation_code"},
        anchor="experiences-title",
    )


@require_POST
@pathway_view()
def experience_remove(request, pathway, categories, item_id):
    return _household_remove(
        request,
        pathway,
        categories,
        service=services_household.experience_remove,
        item_id=item_id,
        key="experience_id",
        message=_("Expérience professionnelle retirée de la fiche."),
        anchor="experiences-title",
    )


# --- follow-up group -----------------------------------------------------------------------------


@require_safe
@pathway_view()
def group(request, pathway, categories):
    context = pathway_context(request, pathway, categories, tab="group", title=_("Groupe de suivi"))
    own_seat = context["own_seat"]
    is_referent = own_seat is not None and own_seat.is_referent
    context.update(
        {
            "past_seats": list(
                FollowUpMember.objects.filter(pathway=pathway, ended_at__isnull=False)
                .select_related("membership__user", "membership__organisation")
                .order_by("-ended_at", "-id")
            ),
            "handovers": list(
                ReferentHandover.objects.filter(pathway=pathway)
                .select_related(
                    "previous__membership__user",
                    "previous__membership__organisation",
                    "new__membership__user",
                    "new__membership__organisation",
                    "decided_by",
                )
                .order_by("-decided_at", "-id")
            ),
            "join_requests": list(
                JoinRequest.objects.filter(pathway=pathway, status=JoinRequestStatus.PENDING)
                .select_related("membership__user", "membership__organisation")
                .order_by("requested_at", "id")
            ),
            "is_referent": is_referent,
        }
    )
    return render(request, "pathways/group.html", context)


def _search_email(request) -> tuple[forms.EmailSearchForm, str]:
    data = request.POST if request.method == "POST" else request.GET
    search = forms.EmailSearchForm(data if "email" in data else None)
    email = search.cleaned_data["email"] if search.is_bound and search.is_valid() else ""
    return search, email


def _email_found(queryset, email: str) -> bool:
    return bool(email) and queryset.filter(user__email__iexact=email).exists()


@pathway_view()
def referent_change(request, pathway, categories):
    context = pathway_context(request, pathway, categories, tab="group", title=_("Changer de référent·e"))
    if not context["can_manage_group"]:
        raise PermissionDenied(_("Seul·e le·la référent·e ou un·e chargé·e d'orientation peut changer de référent."))
    search, email = _search_email(request)
    queryset = referent_candidates(pathway=pathway, email=email)
    if request.method == "POST":
        form = forms.ReferentChangeForm(request.POST, queryset=queryset)
    else:
        form = forms.ReferentChangeForm(queryset=queryset, initial={"email": email})
    done, status = submit_form(
        request,
        form,
        lambda data: pathway_services.referent_change(
            pathway=pathway,
            new_membership=data["new_membership"],
            reason=data["reason"],
            handover_note=data["handover_note"],
            keep_previous_in_group=data["keep_previous_in_group"],
            membership=request.membership,
            acting_user=request.user,
        ),
        success=_("Le·la référent·e a été changé·e."),
        next_url=reverse("pathway_group", args=[pathway.pk]),
    )
    if done:
        return done
    context.update({"form": form, "search": search, "email": email, "email_found": _email_found(queryset, email)})
    return render(request, "pathways/referent_change.html", context, status=status)


@pathway_view()
def member_add(request, pathway, categories):
    context = pathway_context(request, pathway, categories, tab="group", title=_("Ajouter un membre au groupe"))
    if request.method == "GET":
        require_can_manage_group(context)
    search, email = _search_email(request)
    queryset = member_candidates(pathway=pathway, email=email)
    if request.method == "POST":
        form = forms.MemberAddForm(request.POST, queryset=queryset)
    else:
        form = forms.MemberAddForm(queryset=queryset, initial={"email": email})
    done, status = submit_form(
        request,
        form,
        lambda data: pathway_services.member_add(
            pathway=pathway,
            new_membership=data["new_membership"],
            reason=data["reason"],
            membership=request.membership,
            acting_user=request.user,
        ),
        success=_("Le·la professionnel·le a rejoint le groupe de suivi."),
        next_url=reverse("pathway_group", args=[pathway.pk]),
    )
    if done:
        return done
    context.update({"form": form, "search": search, "email": email, "email_found": _email_found(queryset, email)})
    return render(request, "pathways/member_add.html", context, status=status)


@pathway_view()
def member_end(request, pathway, categories, seat_id):
    seat = get_object_or_404(
        FollowUpMember.objects.select_related("membership__user", "membership__organisation"),
        pk=seat_id,
        pathway=pathway,
        ended_at__isnull=True,
    )
    context = pathway_context(request, pathway, categories, tab="group", title=_("Sortie du groupe de suivi"))
    if request.method == "GET" and seat != context["own_seat"]:
        require_can_manage_group(context)
    form = forms.ReasonForm(request.POST or None)
    done, status = submit_form(
        request,
        form,
        lambda data: pathway_services.member_end(
            seat=seat, reason=data["reason"], membership=request.membership, acting_user=request.user
        ),
        success=_("Le·la membre a quitté le groupe de suivi."),
        next_url=reverse("pathway_group", args=[pathway.pk]),
    )
    if done:
        return done
    context.update({"form": form, "seat": seat})
    return render(request, "pathways/member_end.html", context, status=status)


@require_POST
@pathway_view()
def join_request_decide(request, pathway, categories, request_id):
    join_request = get_object_or_404(JoinRequest, pk=request_id, pathway=pathway)
    decision = request.POST.get("decision")
    if decision not in ("accept", "refuse"):
        messages.error(request, _("Choisissez d'accepter ou de refuser la demande."))
        return redirect("pathway_group", pathway.pk)
    try:
        pathway_services.join_request_decide(
            join_request=join_request,
            accept=decision == "accept",
            membership=request.membership,
            acting_user=request.user,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if decision == "accept":
            messages.success(request, _("Demande acceptée : le·la professionnel·le rejoint le groupe de suivi."))
        else:
            messages.success(request, _("Demande refusée."))
    return redirect("pathway_group", pathway.pk)


@pathway_view()
def close(request, pathway, categories):
    context = pathway_context(request, pathway, categories, tab="group", title=_("Clore le parcours"))
    if request.method == "GET":
        require_can_manage_group(context)
    form = forms.ReasonForm(request.POST or None)
    done, status = submit_form(
        request,
        form,
        lambda data: pathway_services.pathway_close(
            pathway=pathway, reason=data["reason"], membership=request.membership, acting_user=request.user
        ),
        success=_("Le parcours est clos."),
        next_url=reverse("pathway", args=[pathway.pk]),
    )
    if done:
        return done
    form.fields["reason"].label = _("Motif de clôture")
    context.update({"form": form})
    return render(request, "pathways/close.html", context, status=status)


@pathway_view()
def orientation(request, pathway, categories):
    """The orientation of the pathway: its decisions and re-orientation requests for every reader;
    the decision form for a chargé·e d'orientation (see parcours/www/orientation/views.py)."""
    return orientation_page(request, pathway, categories)


# --- timeline, consents, access log --------------------------------------------------------------


@require_safe
@pathway_view()
def timeline(request, pathway, categories):
    context = pathway_context(request, pathway, categories, tab="timeline", title=_("Historique du parcours"))
    filter_form = forms.TimelineFilterForm(request.GET or None)
    events = (
        events_visible_to(pathway=pathway, categories=categories)
        .select_related("actor", "organisation")
        .order_by("-at", "-id")
    )
    kind = ""
    if filter_form.is_bound and filter_form.is_valid():
        kind = filter_form.cleaned_data["kind"]
        if kind:
            events = events.filter(kind=kind)
    context.update(
        {
            "filter_form": filter_form,
            "page_obj": paginate(request, events, TIMELINE_PAGE_SIZE),
        }
    )
    return render(request, "pathways/timeline.html", context)


@pathway_view()
def consents(request, pathway, categories):
    context = pathway_context(request, pathway, categories, tab="consents", title=_("Consentements"))
    organisations = consent_grantee_organisations(pathway=pathway)
    form = forms.ConsentForm(request.POST or None, organisations=organisations)
    done, status = submit_form(
        request,
        form,
        lambda data: consent_record(
            person=pathway.person,
            organisation=data["organisation"],
            role=data["role"],
            category=data["category"],
            purpose=data["purpose"],
            decision=data["decision"],
            channel=data["channel"],
            membership=request.membership,
            acting_user=request.user,
            pathway=pathway,
        ),
        success=_("La décision de la personne a été enregistrée."),
        next_url=reverse("pathway_consents", args=[pathway.pk]),
        aliases={"grantee": "organisation"},
    )
    if done:
        return done
    ledger = list(consent_ledger(person=pathway.person))
    context.update(
        {
            "form": form,
            "current_consents": [c for c in ledger if c.is_current],
            "ledger": ledger,
        }
    )
    return render(request, "pathways/consents.html", context, status=status)


# Which page an audited read was of (the decorator records the view's name).
READ_PAGES = {
    "summary": _("Synthèse"),
    "person_edit": _("Fiche"),
    "group": _("Groupe de suivi"),
    "timeline": _("Historique"),
    "consents": _("Consentements"),
    "access_log": _("Journal des accès"),
    "referent_change": _("Changement de référent·e"),
    "member_add": _("Ajout d'un membre"),
    "member_end": _("Sortie d'un membre"),
    "close": _("Clôture"),
    "orientation": _("Orientation"),
    "print_summary": _("Synthèse imprimable"),
    "pathway_diagnostic": _("Diagnostic"),
    "pathway_diagnostic_new": _("Nouveau diagnostic"),
    "pathway_cir": _("Contrat d'intégration"),
    "pathway_plan": _("Objectifs et actions"),
    "pathway_goal_new": _("Nouvel objectif"),
    "pathway_goal_edit": _("Objectif"),
    "pathway_action_new": _("Nouvelle action"),
    "pathway_action_status": _("Action"),
    "pathway_appointment_new": _("Nouveau rendez-vous"),
    "pathway_appointment_status": _("Rendez-vous"),
    "pathway_note_new": _("Nouvelle note"),
}


@require_safe
@pathway_view()
def access_log(request, pathway, categories):
    context = pathway_context(request, pathway, categories, tab="access_log", title=_("Qui a consulté ce dossier"))
    entries = (
        AuditEntry.objects.filter(person_id=pathway.person_id)
        .select_related("actor", "organisation")
        .order_by("-at", "-id")
    )
    page_obj = paginate(request, entries, ACCESS_LOG_PAGE_SIZE)
    for entry in page_obj:
        view_name = entry.object_type.partition(":")[2]
        entry.page_label = READ_PAGES.get(view_name, "")
        entry.is_break_glass = entry.action == AuditAction.BREAK_GLASS
    context.update({"page_obj": page_obj})
    return render(request, "pathways/access_log.html", context)


# --- printable summary ---------------------------------------------------------------------------


@require_safe
@pathway_view(audit_read=False)
def print_summary(request, pathway, categories):
    """A one-page summary for the person to take away; printing is audited as such."""
    context = pathway_context(request, pathway, categories, tab="print", title=_("Synthèse imprimable"))
    actions = (
        Action.objects.exclude(status=ActionStatus.CANCELLED).select_related("carried_by").order_by("due_on", "id")
    )
    context.update(
        {
            "goals": list(
                goals_visible_to(pathway=pathway, categories=categories)
                .filter(status=GoalStatus.IN_PROGRESS)
                .prefetch_related(Prefetch("actions", queryset=actions))
                .order_by("created_at", "id")
            ),
            "next_appointments": _next_appointments(pathway, 5),
            "printed_on": timezone.localdate(),
        }
    )
    audit_log(
        actor=request.user,
        organisation=request.membership.organisation if request.membership else None,
        action=AuditAction.PRINT,
        obj=pathway,
        person=pathway.person,
        object_type="pathways.pathway:print_summary",
    )
    return render(request, "pathways/print.html", context)


# --- break-glass ---------------------------------------------------------------------------------


@login_required
def break_glass(request, pathway_id: int):
    """A platform administrator asks for exceptional access. Not through `pathway_view`: the
    administrator cannot see the pathway yet. Anyone else gets the same 404 as for a pathway that
    does not exist."""
    if not request.user.is_superuser:
        raise Http404("Parcours introuvable.")
    pathway = get_object_or_404(Pathway, pk=pathway_id)
    if pathways_visible_to(membership=request.membership, user=request.user).filter(pk=pathway.pk).exists():
        return redirect("pathway", pathway.pk)
    if request.method == "POST":
        form = forms.BreakGlassForm(request.POST)
        if form.is_valid():
            try:
                pathway_services.break_glass_open(
                    pathway=pathway, reason=form.cleaned_data["reason"], acting_user=request.user
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.warning(
                    request,
                    _("Accès exceptionnel ouvert : il est journalisé et visible par la personne."),
                )
                return redirect(reverse("pathway", args=[pathway.pk]))
    else:
        form = forms.BreakGlassForm()
    return render(
        request,
        "pathways/break_glass.html",
        {"title": _("Accès exceptionnel à un parcours"), "form": form, "pathway_id": pathway.pk},
    )
