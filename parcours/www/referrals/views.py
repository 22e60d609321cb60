"""The referral pages: sending one from a pathway, the receiving organisation's inbox, the page of
one referral (recipient side or sender side, 404 for anyone else: a referral outside the reader's
scope is indistinguishable from one that does not exist), the pathway's referrals, the signed-link
page of a structure without an account, and each professional's notification preferences.

The views are thin: the rights and rules are in parcours.referrals.services/selectors; the views
turn their French messages into form errors or alerts."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from parcours.diagnostics.enums import NeedLevel
from parcours.diagnostics.selectors import diagnostics_for
from parcours.directory.models import Service, ServiceStatus
from parcours.directory.selectors import visible_service
from parcours.matching.enums import RecommendationKind
from parcours.matching.services import feedback_accept
from parcours.notifications.services import preference_of, preference_set
from parcours.organisations.enums import ACCOMPANYING_ROLES
from parcours.pathways.enums import GoalStatus
from parcours.pathways.selectors import goals_visible_to
from parcours.people.enums import SENSITIVE_CATEGORIES, DataCategory
from parcours.people.selectors import consented_categories
from parcours.referrals import links
from parcours.referrals import selectors as referral_selectors
from parcours.referrals import services as referral_services
from parcours.referrals.enums import AWAITING_ANSWER, REFERRAL_TRANSITIONS, LinkPurpose, ReferralStatus
from parcours.referrals.models import Referral
from parcours.www.decorators import pathway_view
from parcours.www.diagnostics.forms import visible_themes
from parcours.www.forms_flow import add_service_errors, paginate, refusal_message, submit_form
from parcours.www.pathway_context import pathway_context, require_can_edit
from parcours.www.recommendations.forms import parse_reco

from . import forms

INBOX_PAGE_SIZE = 25
LIST_PAGE_SIZE = 25
# The diagnostic's needs offered first in the theme list, most pressing first.
OPEN_NEEDS = (NeedLevel.PRIORITY, NeedLevel.TO_WORK_ON)


# --- shared helpers -------------------------------------------------------------------------------


def countdown(referral: Referral, today: datetime.date | None = None) -> dict:
    """The SLA countdown of a referral awaiting an answer: {"label", "overdue", "days"}; an empty
    label once answered."""
    if referral.status not in AWAITING_ANSWER:
        return {"label": "", "overdue": False, "days": None}
    today = today or timezone.localdate()
    days = (timezone.localdate(referral.due_at) - today).days
    if days > 0:
        label = ngettext("reste %(n)d jour", "reste %(n)d jours", days) % {"n": days}
    elif days == 0:
        label = _("réponse attendue aujourd'hui")
    else:
        label = ngettext("en retard de %(n)d jour", "en retard de %(n)d jours", -days) % {"n": -days}
    return {"label": label, "overdue": days < 0, "days": days}


STATUS_BADGES = {
    ReferralStatus.SENT: "fr-badge--new",
    ReferralStatus.SEEN: "fr-badge--info",
    ReferralStatus.ACCEPTED: "fr-badge--success",
    ReferralStatus.STARTED: "fr-badge--success",
    ReferralStatus.REFUSED: "fr-badge--error",
    ReferralStatus.EXPIRED: "fr-badge--warning",
    ReferralStatus.CLOSED: "",
    ReferralStatus.CANCELLED: "",
}


def _row(referral: Referral, today: datetime.date) -> dict:
    return {
        "referral": referral,
        "person_name": referral_selectors.person_name(referral),
        "badge": STATUS_BADGES.get(referral.status, ""),
        "countdown": countdown(referral, today),
    }


def _require_professional(request) -> None:
    if request.membership is None:
        raise PermissionDenied(_("Vous devez agir au nom d'une organisation pour accéder aux prescriptions."))


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# --- 1. sending a referral from a pathway ----------------------------------------------------------


def _service_for_referral(request, raw) -> Service | None:
    """The service named in the request: published or archived ones (the archived one gets the
    service's clear refusal), drafts only of the reader's own organisation."""
    try:
        return visible_service(pk=int(raw), membership=request.membership, with_archived=True)
    except (TypeError, ValueError, Http404):
        return None


def _open_needs(pathway, categories) -> list[str]:
    diagnostic = diagnostics_for(person=pathway.person, categories=categories, limit=1).first()
    if diagnostic is None:
        return []
    assessments = list(diagnostic.themes.all())
    return [a.theme for need in OPEN_NEEDS for a in assessments if a.need == need]


def _category_rows(*, form, sendable: dict[str, bool], readable: frozenset[str], can_override: bool, recipient):
    """One row per data category for the sharing profile: checked, enabled, why not."""
    chosen = set(form["shared_categories"].value() or [])
    rows = []
    for category in DataCategory:
        value = category.value
        sensitive = category in SENSITIVE_CATEGORIES
        consent = sendable.get(value, False)
        note = ""
        enabled = True
        if category == DataCategory.IDENTITY:
            enabled = False
            note = _("Toujours transmise : la structure doit savoir qui elle reçoit.")
        elif value not in readable:
            enabled = False
            note = _("Vous n'avez pas accès à ces données : vous ne pouvez pas les transmettre.")
        elif sensitive and not consent:
            who = recipient.name if recipient is not None else _("cette structure (sans compte Parcours)")
            if can_override:
                note = _(
                    "La personne n'a pas consenti à transmettre ces données à %(who)s : ne la cochez que pour une "
                    "dérogation motivée ci-dessous."
                ) % {"who": who}
            else:
                enabled = False
                note = _(
                    "La personne n'a pas consenti à transmettre ces données à %(who)s. Recueillez son "
                    "consentement, ou demandez au ou à la référent·e du parcours."
                ) % {"who": who}
        elif sensitive:
            note = _("Donnée sensible : la personne a consenti à la transmettre à cette organisation.")
        rows.append(
            {
                "value": value,
                "label": category.label,
                "sensitive": sensitive,
                "enabled": enabled,
                "checked": category == DataCategory.IDENTITY or value in chosen,
                "note": note,
                "id": f"id_shared_categories_{value}",
            }
        )
    return rows


def _record_proposal_retained(
    request, *, pathway, service: Service, referral: Referral, reco: str, theme: str = ""
) -> None:
    """A referral sent from a service proposal ("Orienter vers ce service" on the "Pistes" tab) records
    the proposal as retained, in the referral's transaction. Without a well-formed `reco`, nothing;
    a decision that cannot be recorded never blocks the referral (its savepoint is rolled back)."""
    parsed = parse_reco(reco)
    if parsed is None:
        return
    score, rank = parsed
    try:
        feedback_accept(
            pathway=pathway,
            kind=RecommendationKind.SERVICE,
            key=str(service.pk),
            theme=theme,
            score=score,
            rank=rank,
            referral=referral,
            membership=request.membership,
            acting_user=request.user,
        )
    except (ValidationError, PermissionDenied):
        pass


@pathway_view()
def referral_create(request, pathway, categories):
    context = pathway_context(request, pathway, categories, tab="referrals", title=_("Nouvelle prescription"))
    require_can_edit(context)
    raw_service = request.POST.get("service") if request.method == "POST" else request.GET.get("service")
    service = _service_for_referral(request, raw_service)
    if service is None:
        context.update({"service": None, "search_url": f"{reverse('directory_search')}?parcours={pathway.pk}"})
        return render(request, "referrals/create.html", context, status=200 if raw_service is None else 404)

    themes = forms.theme_choices(open_needs=_open_needs(pathway, categories), readable=set(visible_themes(categories)))
    goals = (
        goals_visible_to(pathway=pathway, categories=categories)
        .filter(status=GoalStatus.IN_PROGRESS)
        .order_by("theme", "id")
    )
    initial = {"service": service.pk, "theme": request.GET.get("theme", ""), "reco": request.GET.get("reco", "")[:40]}
    if request.method == "POST":
        form = forms.ReferralCreateForm(request.POST, themes=themes, goals=goals)
    else:
        form = forms.ReferralCreateForm(initial=initial, themes=themes, goals=goals)

    recipient = referral_services.service_recipient(service)
    sendable = referral_selectors.sendable_categories(pathway=pathway, organisation=recipient)
    can_override = referral_services.may_override(seat=context["own_seat"], membership=request.membership)

    created: list[Referral] = []

    def save(data):
        with transaction.atomic():
            referral = referral_services.referral_create(
                pathway=pathway,
                service=service,
                theme=data["theme"] or "",
                goal=data["goal"],
                message=data["message"],
                shared_categories=data["shared_categories"],
                person_agrees_follow_up=data["person_agrees_follow_up"],
                override_reason=data["override_reason"],
                membership=request.membership,
                acting_user=request.user,
            )
            _record_proposal_retained(
                request,
                pathway=pathway,
                service=service,
                referral=referral,
                reco=data["reco"],
                theme=data["theme"] or "",
            )
        created.append(referral)

    done, status = submit_form(
        request,
        form,
        save,
        success=_("La prescription a été envoyée à %(structure)s : réponse attendue sous %(n)s jours.")
        % {"structure": service.structure.nom, "n": service.referral_sla_days},
        next_url=reverse("pathway_referrals", args=[pathway.pk]),
    )
    if done is not None:
        return redirect("referral_detail", created[0].pk)
    category_rows = _category_rows(
        form=form, sendable=sendable, readable=categories, can_override=can_override, recipient=recipient
    )
    context.update(
        {
            "service": service,
            "structure": service.structure,
            "recipient": recipient,
            "form": form,
            "category_rows": category_rows,
            "category_errors": form.errors.get("shared_categories", []),
            "needs_override": any(r["sensitive"] and r["enabled"] and not sendable[r["value"]] for r in category_rows),
            "can_override": can_override,
            "service_unavailable": service.status != ServiceStatus.PUBLISHED,
            "search_url": f"{reverse('directory_search')}?parcours={pathway.pk}",
        }
    )
    return render(request, "referrals/create.html", context, status=status)


# --- 2. inbox of the receiving organisation --------------------------------------------------------


@login_required
@require_safe
def referral_inbox(request):
    _require_professional(request)
    membership = request.membership
    if not referral_selectors.may_act_as_recipient(membership=membership, organisation_id=membership.organisation_id):
        raise PermissionDenied(
            _(
                "Seul·es les professionnel·les qui accompagnent les personnes traitent les prescriptions reçues par "
                "leur organisation."
            )
        )
    services = Service.objects.filter(operator_id=membership.organisation_id).only("id", "nom").order_by("nom")
    form = forms.InboxFilterForm(request.GET or None, services=services)
    filters = {}
    if form.is_bound:
        form.is_valid()
        filters = form.cleaned_data
    queryset = referral_selectors.inbox_for(
        membership=membership,
        status=filters.get("status") or "",
        service_id=filters.get("service"),
        overdue_only=bool(filters.get("overdue")),
    )
    page = paginate(request, queryset, INBOX_PAGE_SIZE)
    today = timezone.localdate()
    context = {
        "title": _("Prescriptions reçues"),
        "nav": "referral_inbox",
        "form": form,
        "page": page,
        "rows": [_row(r, today) for r in page.object_list],
        "filtered": any(filters.get(k) for k in ("status", "service", "overdue")),
    }
    return render(request, "referrals/inbox.html", context)


# --- the sender's own referrals ---------------------------------------------------------------------


@login_required
@require_safe
def referral_sent(request):
    _require_professional(request)
    membership = request.membership
    queryset = referral_selectors.referrals_sent_by(membership=membership, user=request.user)
    page = paginate(request, queryset, LIST_PAGE_SIZE)
    today = timezone.localdate()
    context = {
        "title": _("Prescriptions envoyées"),
        "nav": "referral_sent",
        "page": page,
        "rows": [_row(r, today) for r in page.object_list],
    }
    return render(request, "referrals/sent.html", context)


# --- 3. the page of one referral ----------------------------------------------------------------------


def _sides(request, referral_id: int) -> tuple[Referral | None, Referral | None]:
    """(as recipient, as sender side): each None when the reader is not on that side. Neither: 404."""
    membership = request.membership
    as_recipient = as_sender = None
    if membership is not None:
        try:
            as_recipient = referral_selectors.referral_for_recipient(membership=membership, referral_id=referral_id)
        except Http404:
            pass
    try:
        as_sender = referral_selectors.referral_for_sender_side(
            membership=membership, user=request.user, referral_id=referral_id
        )
    except Http404:
        pass
    if as_sender is not None and membership is not None:
        as_sender.reader_categories = consented_categories(person=as_sender.pathway.person_id, membership=membership)
    if as_recipient is None and as_sender is None:
        raise Http404("Prescription introuvable.")
    return as_recipient, as_sender


@login_required
@require_safe
def referral_detail(request, referral_id: int):
    as_recipient, as_sender = _sides(request, referral_id)
    membership = request.membership
    if as_recipient is not None and as_recipient.status == ReferralStatus.SENT:
        referral_services.referral_mark_seen(referral=as_recipient, membership=membership, acting_user=request.user)
        as_recipient = referral_selectors.referral_for_recipient(membership=membership, referral_id=referral_id)
    referral = as_recipient or as_sender
    referral_services.referral_read_audit(referral=referral, membership=membership, acting_user=request.user)

    if as_recipient is not None:
        sections = referral_selectors.recipient_sections(as_recipient)
    else:
        sections = referral_selectors.visible_sections(as_sender, categories=as_sender.reader_categories)
    recipient_moves = (
        referral_selectors.allowed_transitions(referral, side="recipient") if as_recipient is not None else []
    )
    sender_moves = referral_selectors.allowed_transitions(referral, side="sender") if as_sender is not None else []
    can_join = referral.person_agrees_follow_up and membership.role in ACCOMPANYING_ROLES
    context = {
        "title": _("Prescription n° %(id)s") % {"id": referral.pk},
        "nav": "referral_inbox" if as_recipient is not None else "referral_sent",
        "referral": referral,
        "is_recipient": as_recipient is not None,
        "is_sender": as_sender is not None,
        "person_name": referral_selectors.person_name(referral),
        "sections": sections,
        "hidden_sections": 0
        if as_recipient is not None
        else len(referral_selectors.visible_sections(referral)) - len(sections),
        "badge": STATUS_BADGES.get(referral.status, ""),
        "countdown": countdown(referral),
        "transitions": list(referral.transitions.select_related("actor", "organisation")),
        "can_accept": ReferralStatus.ACCEPTED in recipient_moves,
        "can_refuse": ReferralStatus.REFUSED in recipient_moves,
        "can_start": ReferralStatus.STARTED in recipient_moves,
        "can_close": ReferralStatus.CLOSED in recipient_moves,
        "can_cancel": ReferralStatus.CANCELLED in sender_moves,
        "can_resend_link": as_sender is not None
        and not referral.recipient_organisation_id
        and bool(referral.recipient_email)
        and referral.status in {*AWAITING_ANSWER, ReferralStatus.ACCEPTED, ReferralStatus.STARTED},
        "accept_form": forms.AcceptForm() if can_join else None,
        "refuse_form": forms.RefuseForm(),
        "close_form": forms.CloseForm(),
        "cancel_form": forms.CancelForm(),
    }
    return render(request, "referrals/detail.html", context)


def _run_action(request, referral: Referral, action: str) -> str:
    """Call the service for `action`; returns the success message. Raises ValidationError for a
    bad input or a referral that moved meanwhile, PermissionDenied for a refused right."""
    common = {"referral": referral, "membership": request.membership, "acting_user": request.user}
    post = request.POST
    if action == "accept":
        form = forms.AcceptForm(post)
        form.is_valid()
        referral_services.referral_accept(**common, join_follow_up=bool(form.cleaned_data.get("join_follow_up")))
        return _("Prescription acceptée : l'émetteur est prévenu.")
    if action == "refuse":
        form = forms.RefuseForm(post)
        if not form.is_valid():
            raise ValidationError([m for errors in form.errors.values() for m in errors])
        referral_services.referral_refuse(
            **common, reason=form.cleaned_data["reason"], detail=form.cleaned_data["detail"]
        )
        return _("Prescription refusée : l'émetteur est prévenu et peut proposer une autre solution.")
    if action == "start":
        referral_services.referral_start(**common)
        return _("Le démarrage de l'accompagnement est enregistré.")
    if action == "close":
        form = forms.CloseForm(post)
        if not form.is_valid():
            raise ValidationError([m for errors in form.errors.values() for m in errors])
        referral_services.referral_close(
            **common, outcome=form.cleaned_data["outcome"], detail=form.cleaned_data["detail"]
        )
        return _("Prescription clôturée : l'émetteur est prévenu de son issue.")
    if action == "cancel":
        form = forms.CancelForm(post)
        if not form.is_valid():
            raise ValidationError([m for errors in form.errors.values() for m in errors])
        referral_services.referral_cancel(**common, reason=form.cleaned_data["reason"])
        return _("Prescription annulée : la structure est prévenue.")
    if action == "resend":
        referral_services.referral_link_resend(**common)
        return _("Un nouveau lien a été envoyé à la structure.")
    raise Http404("Action inconnue.")


RECIPIENT_ACTIONS = frozenset({"accept", "refuse", "start", "close"})
SENDER_ACTIONS = frozenset({"cancel", "resend"})


@login_required
@require_POST
def referral_action(request, referral_id: int, action: str):
    if action not in RECIPIENT_ACTIONS | SENDER_ACTIONS:
        raise Http404("Action inconnue.")
    as_recipient, as_sender = _sides(request, referral_id)
    referral = as_recipient if action in RECIPIENT_ACTIONS else as_sender
    if referral is None:
        raise Http404("Prescription introuvable.")
    try:
        success = _run_action(request, referral, action)
    except ValidationError as exc:
        messages.error(request, _("Rien n'a été modifié. %(why)s") % {"why": _error_text(exc)})
    except PermissionDenied as exc:
        messages.error(request, _("Rien n'a été modifié. %(why)s") % {"why": refusal_message(exc)})
    else:
        messages.success(request, success)
    return redirect("referral_detail", referral_id)


# --- 4. the pathway's referrals ----------------------------------------------------------------------


@require_safe
@pathway_view()
def pathway_referrals(request, pathway, categories):
    context = pathway_context(request, pathway, categories, tab="referrals", title=_("Prescriptions du parcours"))
    queryset = referral_selectors.referrals_of_pathway(pathway=pathway, categories=categories)
    page = paginate(request, queryset, LIST_PAGE_SIZE)
    today = timezone.localdate()
    context.update(
        {
            "page": page,
            "rows": [_row(r, today) for r in page.object_list],
            "search_url": f"{reverse('directory_search')}?parcours={pathway.pk}",
        }
    )
    return render(request, "referrals/pathway_list.html", context)


# --- 5. the signed link of a structure without an account -------------------------------------------


def _private(response):
    """A page reached with a personal token: never cached, never sent as a referrer."""
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _link_error(request, message: str, token: str):
    # A genuine token whose link can no longer be used (used, expired, replaced, ended with its
    # referral's state) is gone (410);
    # anything else is a bad request (400).
    status = 410 if links.unsign(token) is not None else 400
    context = {"title": _("Lien inutilisable"), "message": message}
    return _private(render(request, "referrals/link_error.html", context, status=status))


def _link_page(request, link, token: str, *, form, status: int = 200):
    referral = link.referral
    context = {
        "title": _("Prescription vers %(service)s") % {"service": referral.service.nom},
        "referral": referral,
        "link": link,
        "token": token,
        "is_answer": link.purpose == LinkPurpose.ANSWER,
        # An outcome link also marks the accompaniment started, once; it stays valid for the outcome.
        "can_start": link.purpose == LinkPurpose.OUTCOME and referral.status == ReferralStatus.ACCEPTED,
        "started": referral.status == ReferralStatus.STARTED,
        "person_name": referral_selectors.person_name(referral),
        "sections": referral_selectors.recipient_sections(referral),
        "sender_name": referral.sender.user.get_full_name(),
        "sender_organisation": referral.sender.organisation.name,
        "sender_email": referral.sender.user.email,
        "form": form,
    }
    return _private(render(request, "referrals/link.html", context, status=status))


def _link_start(request, link, token: str):
    """The outcome link's "the person has started" button: the page again, with what happened (the
    link stays valid for the outcome); a link that can no longer be used gets the error page."""
    try:
        referral_services.link_start(token=token)
    except referral_services.ReferralConflict as exc:
        status = Referral.objects.filter(pk=link.referral_id).values_list("status", flat=True).get()
        if ReferralStatus.CLOSED not in REFERRAL_TRANSITIONS[ReferralStatus(status)]:
            return _link_error(request, _error_text(exc), token)
        messages.error(
            request,
            _("Rien n'a été modifié. %(why)s Vous pouvez encore indiquer l'issue de l'accompagnement ci-dessous.")
            % {"why": _error_text(exc)},
        )
    except ValidationError as exc:
        return _link_error(request, _error_text(exc), token)
    else:
        messages.success(
            request,
            _(
                "C'est noté : l'accompagnement a démarré. Gardez ce lien : il vous servira à indiquer l'issue "
                "de l'accompagnement quand il se termine."
            ),
        )
    return _private(redirect("referral_link", token))


@require_http_methods(["GET", "HEAD", "POST"])
def referral_link(request, token: str):
    try:
        link = referral_services.link_resolve(token=token)
    except ValidationError as exc:
        return _link_error(request, _error_text(exc), token)
    is_answer = link.purpose == LinkPurpose.ANSWER
    form_class = forms.LinkAnswerForm if is_answer else forms.CloseForm
    if request.method != "POST":
        return _link_page(request, link, token, form=form_class())
    if not is_answer and request.POST.get("action") == "start":
        return _link_start(request, link, token)
    form = form_class(request.POST)
    if not form.is_valid():
        return _link_page(request, link, token, form=form)
    data = form.cleaned_data
    try:
        if is_answer:
            referral = referral_services.link_answer(
                token=token,
                accept=data["decision"] == "accept",
                reason=data.get("reason") or "",
                detail=data.get("detail") or "",
            )
        else:
            referral = referral_services.link_close(token=token, outcome=data["outcome"], detail=data["detail"])
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            add_service_errors(form, exc)
            return _link_page(request, link, token, form=form)
        return _link_error(request, _error_text(exc), token)
    context = {
        "title": _("Réponse enregistrée"),
        "referral": referral,
        "is_answer": is_answer,
        "accepted": referral.status == ReferralStatus.ACCEPTED,
    }
    return _private(render(request, "referrals/link_done.html", context))


# --- 6. notification preferences ----------------------------------------------------------------------


@login_required
def notification_preferences(request):
    if request.method == "POST":
        form = forms.PreferenceForm(request.POST)
    else:
        form = forms.PreferenceForm(initial={"mode": preference_of(request.user)})
    done, status = submit_form(
        request,
        form,
        lambda data: preference_set(user=request.user, mode=data["mode"]),
        success=_("Vos préférences de notification sont enregistrées."),
        next_url=reverse("notification_preferences"),
    )
    if done is not None:
        return done
    context = {"title": _("Préférences de notification"), "nav": "notification_preferences", "form": form}
    return render(request, "notifications/preferences.html", context, status=status)
