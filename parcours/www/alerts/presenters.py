"""How an alert reads on a page: its type, since when, who should act, and the link to the page
where the fix happens. Shared by the "À traiter" queue and the pathway summary."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.pathways.enums import ActionKind, AlertAssignee, BreakKind
from parcours.pathways.models import PathwayAlert


@dataclass
class AlertRow:
    alert: PathwayAlert
    label: str
    days: int
    who: str
    fix_url: str
    fix_label: str
    hint: str


def _fix(alert: PathwayAlert) -> tuple[str, str, str]:
    pk = alert.pathway_id
    kind = alert.kind
    if kind == BreakKind.NO_REFERENT:
        return reverse("pathway_referent_change", args=[pk]), _("Désigner un·e référent·e"), ""
    if kind == BreakKind.INACTIVE:
        return (
            reverse("pathway_appointment_new", args=[pk]),
            _("Planifier un rendez-vous"),
            _("Un rendez-vous, une note ou une action relance le parcours."),
        )
    if kind in (BreakKind.REFERRAL_UNANSWERED, BreakKind.REFERRAL_REFUSED):
        return (
            f"{reverse('directory_search')}?parcours={pk}",
            _("Proposer un autre service"),
            _("Relancez la structure ou proposez un autre service pour le même besoin."),
        )
    if kind == BreakKind.PERMIT_EXPIRING:
        return (
            reverse("pathway_plan", args=[pk]),
            _("Ajouter une action au plan"),
            _("Ajoutez une action de type « %(kind)s ».") % {"kind": ActionKind.PERMIT_RENEWAL.label},
        )
    if kind == BreakKind.CIR_FRENCH_NOT_STARTED:
        return (
            reverse("pathway_plan", args=[pk]),
            _("Ajouter une action au plan"),
            _("Ajoutez une action de type « %(kind)s », ou mettez à jour les heures réalisées du CIR.")
            % {"kind": ActionKind.FRENCH_COURSE.label},
        )
    if kind == BreakKind.NO_NEXT_STEP and alert.subject.startswith("enrolment:"):
        programme = (alert.details or {}).get("programme") or _("un programme")
        return (
            reverse("pathway_programmes", args=[pk]),
            _("Prévoir la suite"),
            _("Sortie de « %(programme)s » sans suite prévue : proposez une action, un service ou un programme.")
            % {"programme": programme},
        )
    return reverse("pathway_plan", args=[pk]), _("Prévoir la suite"), _("Prévoyez la prochaine action du parcours.")


def alert_row(alert: PathwayAlert, *, viewer_membership_id: int | None = None) -> AlertRow:
    if alert.assignee == AlertAssignee.ORIENTATION:
        who = _("Chargé·e d'orientation")
    elif alert.assignee_membership_id is not None and alert.assignee_membership_id == viewer_membership_id:
        who = _("Vous (référent·e)")
    elif alert.assignee_membership is not None:
        who = _("%(name)s (référent·e)") % {"name": alert.assignee_membership.user.get_full_name()}
    else:
        who = _("Référent·e")
    url, label, hint = _fix(alert)
    return AlertRow(
        alert=alert,
        label=alert.get_kind_display(),
        days=max((timezone.now() - alert.since).days, 0),
        who=who,
        fix_url=url,
        fix_label=label,
        hint=hint,
    )
