"""The counsellors' decisions on the proposals of a pathway, and the editable theme → thématique
mapping. Keyword-only, atomic, audit-logged; every refusal or bad input is a French message and
nothing is written.

A decision is kept to measure how useful the recommendations are (parcours.matching.stats): one
active decision per (pathway, kind, key) at most (a partial unique constraint). "Réafficher" revokes
it: the row stays, with revoked_at, and no longer counts. Accepting a proposal that was dismissed
revokes the dismissal first; accepting it twice returns the first acceptance."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from parcours.audit.models import AuditAction
from parcours.audit.services import audit_log
from parcours.diagnostics.enums import SENSITIVE_THEMES, Theme
from parcours.directory import vocabulary
from parcours.directory.models import Service
from parcours.occupations.models import Appellation, RomeJob
from parcours.organisations.models import Membership
from parcours.pathways.enums import EventKind
from parcours.pathways.models import Pathway
from parcours.pathways.services import event_record
from parcours.people.models import JobWish, JobWishKind
from parcours.people.services_jobs import job_wish_add
from parcours.programmes.models import Enrolment, Programme
from parcours.referrals.models import Referral

from . import access
from .enums import DismissReason, FeedbackDecision, RecommendationKind
from .models import NOTE_MAX_LENGTH, RecommendationFeedback, ThemeThematique

LABEL_MAX_LENGTH = 255
KEY_MAX_LENGTH = 64


def _person_name(user) -> str:
    if user is None:
        return _("un·e professionnel·le")
    return user.get_full_name() or user.get_username()


def _already_dismissed_message(feedback: RecommendationFeedback) -> str:
    when = formats.date_format(timezone.localtime(feedback.decided_at), "j F Y")
    who = _person_name(feedback.decided_by)
    if feedback.decision == FeedbackDecision.DISMISSED:
        return _("Cette proposition a déjà été écartée le %(date)s par %(who)s.") % {"date": when, "who": who}
    return _("Cette proposition a déjà été retenue le %(date)s par %(who)s.") % {"date": when, "who": who}


def _locked_pathway(pathway: Pathway) -> Pathway:
    """The pathway row locked (FOR NO KEY UPDATE: it does not block inserts pointing to it), with
    the person's commune for the département the decision is counted in."""
    return (
        Pathway.objects.select_for_update(no_key=True, of=("self",))
        .select_related("person__commune")
        .get(pk=pathway.pk)
    )


def _departement_id(pathway: Pathway) -> str | None:
    """The territory a decision counts in: the person's commune's département, else the pathway's."""
    commune = pathway.person.commune
    if commune is not None:
        return commune.departement_id
    return pathway.departement_id


def _proposal_label(*, kind: str, key: str) -> str | None:
    """The title of the proposal, read on the server (never taken from the page): the ROME sheet's
    label, the service's name, the programme's name; None when it does not exist."""
    if kind == RecommendationKind.JOB:
        return RomeJob.objects.filter(code=key).values_list("label", flat=True).first()
    if kind == RecommendationKind.SERVICE:
        if not key.isdigit():
            return None
        return Service.objects.filter(pk=int(key)).values_list("nom", flat=True).first()
    return Programme.objects.filter(code=key).values_list("name", flat=True).first()


def _check_proposal(*, kind: str, key: str, theme: str) -> tuple[dict, str]:
    """Errors on the proposal's identity (a known kind, a key naming something that exists, a known
    diagnostic theme), and its label read from the database."""
    errors: dict = {}
    if kind not in RecommendationKind.values:
        errors["kind"] = _("Nature de proposition inconnue : choisissez un métier, un service ou un programme.")
        return errors, ""
    if theme and theme not in Theme.values:
        errors["theme"] = _("Thème du diagnostic inconnu : %(t)s.") % {"t": theme[:50]}
    key = (key or "").strip()
    label = _proposal_label(kind=kind, key=key) if key and len(key) <= KEY_MAX_LENGTH else None
    if label is None:
        errors["key"] = _("Cette proposition n'existe pas.")
        return errors, ""
    return errors, label[:LABEL_MAX_LENGTH]


def _theme_of(kind: str, theme: str | None) -> str:
    """Only a service answers a diagnostic theme."""
    return (theme or "").strip() if kind == RecommendationKind.SERVICE else ""


def _active(*, pathway: Pathway, kind: str, key: str) -> RecommendationFeedback | None:
    return (
        RecommendationFeedback.objects.select_related("decided_by")
        .filter(pathway=pathway, kind=kind, key=key, revoked_at__isnull=True)
        .first()
    )


def _timeline(feedback: RecommendationFeedback, *, acting_user, membership: Membership, pathway: Pathway) -> None:
    """The decision on the pathway's timeline, with no personal detail beyond the proposal's title;
    a service answering a health need is not named (the timeline is read without health consent)."""
    kind = RecommendationKind(feedback.kind).label
    if feedback.kind == RecommendationKind.SERVICE and feedback.theme in SENSITIVE_THEMES:
        what = _("besoin de santé")
        if feedback.revoked_at is not None:
            summary = _("Piste réaffichée (%(kind)s) : %(what)s") % {"kind": kind, "what": what}
        elif feedback.decision == FeedbackDecision.ACCEPTED:
            summary = _("Piste retenue (%(kind)s) : %(what)s") % {"kind": kind, "what": what}
        else:
            summary = _("Piste écartée (%(kind)s) : %(what)s") % {"kind": kind, "what": what}
    elif feedback.revoked_at is not None:
        summary = _("Piste réaffichée (%(kind)s) : %(label)s") % {"kind": kind, "label": feedback.label}
    elif feedback.decision == FeedbackDecision.ACCEPTED:
        summary = _("Piste retenue (%(kind)s) : %(label)s") % {"kind": kind, "label": feedback.label}
    else:
        summary = _("Piste écartée (%(kind)s) : %(label)s — %(reason)s") % {
            "kind": kind,
            "label": feedback.label,
            "reason": DismissReason(feedback.reason).label,
        }
    event_record(
        pathway=pathway,
        kind=EventKind.RECOMMENDATION_DECIDED,
        actor=acting_user,
        membership=membership,
        summary=str(summary),
        payload={"feedback": feedback.pk, "kind": feedback.kind, "key": feedback.key},
    )


def _audit(feedback: RecommendationFeedback, *, acting_user, membership: Membership, action: str, pathway: Pathway):
    _timeline(feedback, acting_user=acting_user, membership=membership, pathway=pathway)
    audit_log(
        actor=acting_user,
        organisation=membership.organisation,
        action=action,
        obj=feedback,
        person=pathway.person,
        fields=["decision", "reason"] if action == AuditAction.CREATE else ["revoked_at"],
    )


def _create(**values) -> RecommendationFeedback:
    """Insert in a savepoint: a concurrent decision on the same proposal hits the partial unique
    constraint, which is reported as the French message of an existing decision."""
    try:
        with transaction.atomic():
            return RecommendationFeedback.objects.create(**values)
    except IntegrityError:
        existing = _active(pathway=values["pathway"], kind=values["kind"], key=values["key"])
        if existing is not None:
            raise ValidationError(_already_dismissed_message(existing)) from None
        raise


def _decide(
    *,
    pathway: Pathway,
    kind: str,
    key: str,
    label: str,
    theme: str,
    score: float | None,
    rank: int | None,
    membership: Membership,
    acting_user,
    **decision,
) -> RecommendationFeedback:
    """Write a checked decision (`decision`: its decision, reason, note, referral, enrolment) with
    who took it and the person's département, then its timeline event and audit entry."""
    feedback = _create(
        pathway=pathway,
        kind=kind,
        key=key,
        label=label,
        theme=theme,
        score=score,
        rank=rank,
        decided_by=acting_user,
        organisation=membership.organisation,
        departement_id=_departement_id(pathway),
        **decision,
    )
    _audit(feedback, acting_user=acting_user, membership=membership, action=AuditAction.CREATE, pathway=pathway)
    return feedback


@transaction.atomic
def feedback_dismiss(
    *,
    pathway: Pathway,
    kind: str,
    key: str,
    reason: str,
    note: str = "",
    theme: str = "",
    score: float | None = None,
    rank: int | None = None,
    membership: Membership,
    acting_user,
) -> RecommendationFeedback:
    """Dismiss a proposal with a reason (OTHER needs a note). Its label is read from the database;
    `theme`: for a service, the diagnostic theme it answered."""
    access.require_decide(membership, pathway)
    key = (key or "").strip()
    note = (note or "").strip()
    theme = _theme_of(kind, theme)
    errors, label = _check_proposal(kind=kind, key=key, theme=theme)
    if reason not in DismissReason.values:
        errors["reason"] = _("Choisissez le motif pour lequel vous écartez cette proposition dans la liste.")
    elif reason == DismissReason.OTHER and not note:
        errors["note"] = _("Précisez la raison pour laquelle vous écartez cette proposition.")
    if len(note) > NOTE_MAX_LENGTH:
        errors["note"] = _("La précision ne peut dépasser %(n)s caractères.") % {"n": NOTE_MAX_LENGTH}
    if errors:
        raise ValidationError(errors)
    pathway = _locked_pathway(pathway)
    existing = _active(pathway=pathway, kind=kind, key=key)
    if existing is not None:
        # Retained or dismissed already: "Réafficher" first (a stale page must not overwrite it).
        raise ValidationError(_already_dismissed_message(existing))
    return _decide(
        pathway=pathway,
        kind=kind,
        key=key,
        label=label,
        theme=theme,
        score=score,
        rank=rank,
        membership=membership,
        acting_user=acting_user,
        decision=FeedbackDecision.DISMISSED,
        reason=reason,
        note=note,
    )


@transaction.atomic
def feedback_accept(
    *,
    pathway: Pathway,
    kind: str,
    key: str,
    theme: str = "",
    score: float | None = None,
    rank: int | None = None,
    referral: Referral | None = None,
    enrolment: Enrolment | None = None,
    membership: Membership,
    acting_user,
) -> RecommendationFeedback:
    """Retain a proposal (it became a referral, an enrolment, a target job). An active dismissal of
    the same proposal is revoked first; an active acceptance is returned as it is (completed with
    the referral or enrolment when it had none). Its label is read from the database; `theme`: for a
    service, the diagnostic theme it answered."""
    access.require_decide(membership, pathway)
    key = (key or "").strip()
    theme = _theme_of(kind, theme)
    errors, label = _check_proposal(kind=kind, key=key, theme=theme)
    if referral is not None and referral.pathway_id != pathway.pk:
        errors["referral"] = _("Cette prescription n'appartient pas à ce parcours.")
    if enrolment is not None and enrolment.pathway_id != pathway.pk:
        errors["enrolment"] = _("Cette inscription n'appartient pas à ce parcours.")
    if errors:
        raise ValidationError(errors)
    pathway = _locked_pathway(pathway)
    existing = _active(pathway=pathway, kind=kind, key=key)
    if existing is not None and existing.decision == FeedbackDecision.ACCEPTED:
        changed = []
        if referral is not None and existing.referral_id is None:
            existing.referral = referral
            changed.append("referral")
        if enrolment is not None and existing.enrolment_id is None:
            existing.enrolment = enrolment
            changed.append("enrolment")
        if theme and not existing.theme:
            existing.theme = theme
            changed.append("theme")
        if changed:
            existing.save(update_fields=changed)
        return existing
    if existing is not None:
        _revoke(existing, acting_user=acting_user, membership=membership, pathway=pathway)
    return _decide(
        pathway=pathway,
        kind=kind,
        key=key,
        label=label,
        theme=theme,
        score=score,
        rank=rank,
        membership=membership,
        acting_user=acting_user,
        decision=FeedbackDecision.ACCEPTED,
        referral=referral,
        enrolment=enrolment,
    )


def _revoke(feedback: RecommendationFeedback, *, acting_user, membership: Membership, pathway: Pathway) -> None:
    feedback.revoked_at = timezone.now()
    feedback.revoked_by = acting_user
    feedback.save(update_fields=["revoked_at", "revoked_by"])
    _audit(feedback, acting_user=acting_user, membership=membership, action=AuditAction.UPDATE, pathway=pathway)


@transaction.atomic
def feedback_revoke(
    *, pathway: Pathway, feedback_id: int, membership: Membership, acting_user
) -> RecommendationFeedback:
    """ "Réafficher": the decision stops counting and the proposal is listed again."""
    access.require_decide(membership, pathway)
    feedback = (
        RecommendationFeedback.objects.select_for_update(no_key=True, of=("self",))
        .filter(pk=feedback_id, pathway=pathway)
        .first()
    )
    if feedback is None:
        raise ValidationError(_("Cette décision n'existe pas pour ce parcours."))
    if feedback.revoked_at is not None:
        raise ValidationError(_("Cette proposition est déjà réaffichée."))
    pathway = Pathway.objects.select_related("person").get(pk=pathway.pk)
    _revoke(feedback, acting_user=acting_user, membership=membership, pathway=pathway)
    return feedback


@transaction.atomic
def job_target_accept(
    *,
    pathway: Pathway,
    code: str,
    appellation_code: int | None = None,
    score: float | None = None,
    rank: int | None = None,
    membership: Membership,
    acting_user,
) -> JobWish:
    """ "Ajouter aux métiers visés": the job (an appellation of the sheet `code`, its principal one
    when none is given) becomes a target job of the person, and the proposal is retained, in one
    transaction."""
    access.require_decide(membership, pathway)
    job = RomeJob.objects.filter(code=(code or "").strip()).first()
    if job is None:
        raise ValidationError({"code": _("Ce métier n'existe pas dans le référentiel ROME.")})
    appellations = Appellation.objects.filter(rome=job, in_release=True)
    if appellation_code is not None:
        appellation = appellations.filter(code=appellation_code).first()
        if appellation is None:
            raise ValidationError(
                {"appellation_code": _("Cette appellation n'appartient pas à la fiche %(code)s.") % {"code": job.code}}
            )
    else:
        appellation = appellations.order_by("-is_principal", "code").first()
        if appellation is None:
            raise ValidationError({"code": _("Ce métier n'a aucune appellation dans le référentiel ROME.")})
    pathway = _locked_pathway(pathway)
    wish = JobWish.objects.filter(person=pathway.person, appellation=appellation, kind=JobWishKind.TARGET).first()
    if wish is None:
        # The people service writes the wish, its timeline event and its audit entry.
        wish = job_wish_add(
            pathway=pathway,
            appellation_code=appellation.code,
            kind=JobWishKind.TARGET,
            membership=membership,
            acting_user=acting_user,
        )
    feedback_accept(
        pathway=pathway,
        kind=RecommendationKind.JOB,
        key=job.code,
        score=score,
        rank=rank,
        membership=membership,
        acting_user=acting_user,
    )
    return wish


@transaction.atomic
def theme_mapping_set(*, theme: str, thematiques: list[str], user) -> list[ThemeThematique]:
    """Replace the data·inclusion thématiques answering one need of the diagnostic."""
    if user is None or not access.can_edit_mapping(user):
        raise PermissionDenied(_("Seul·e un·e administrateur·rice de la plateforme peut modifier les correspondances."))
    if theme not in Theme.values:
        raise ValidationError({"theme": _("Thème du diagnostic inconnu : %(t)s.") % {"t": theme}})
    codes = list(dict.fromkeys(c.strip() for c in thematiques if c and c.strip()))
    unknown = vocabulary.unknown_values(vocabulary.THEMATIQUE, codes)
    if unknown:
        raise ValidationError(
            {
                "thematiques": _("Thématique data·inclusion inconnue : %(codes)s.")
                % {"codes": ", ".join(sorted(unknown))}
            }
        )
    before = sorted(
        ThemeThematique.objects.select_for_update().filter(theme=theme).values_list("thematique", flat=True)
    )
    ThemeThematique.objects.filter(theme=theme).delete()
    now = timezone.now()
    rows = ThemeThematique.objects.bulk_create(
        [ThemeThematique(theme=theme, thematique=code, updated_at=now, updated_by=user) for code in codes]
    )
    removed = sorted(set(before) - set(codes))
    added = sorted(set(codes) - set(before))
    audit_log(
        actor=user,
        action=AuditAction.UPDATE,
        object_type="matching.themethematique",
        object_id=theme,
        fields=["thematique"],
        reason=(
            _("Ajout : %(added)s ; retrait : %(removed)s")
            % {
                "added": ", ".join(added) or "—",
                "removed": ", ".join(removed) or "—",
            }
        )[:500],
    )
    return rows
