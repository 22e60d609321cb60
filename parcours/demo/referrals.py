"""Demo referrals (prescriptions): France Travail and mission locale counsellors send people of the
demo territory to services of the offer, and the receiving organisations answer, through the real
services (referral_create, referral_accept, …), so that every transition, timeline event, audit
entry and notification is the one the application writes.

The referrals are then placed in the past (sent a few days to a few weeks ago, each move after the
previous one) by rewriting their dates, and `sweep_deadlines` expires the overdue ones and recalls
those due soon. One service of a structure without a Parcours account receives referrals by
e-mail: its signed answer link exists in the demo.

Deterministic for a given seed; a few dozen referrals, a second or two.
"""

import datetime
import random
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone

from parcours.diagnostics.enums import Theme
from parcours.directory.models import Service, ServiceStatus
from parcours.organisations.models import Membership, Organisation
from parcours.pathways.enums import PathwayStatus
from parcours.pathways.models import Event, FollowUpMember, Pathway
from parcours.people.enums import DataCategory
from parcours.referrals import services
from parcours.referrals.enums import ReferralOutcome, ReferralStatus, RefusalReason
from parcours.referrals.models import Referral, ReferralTransition

from .directory import PARCOURS_SOURCE, SOURCE

# Who sends (demo logins first: their "Prescriptions" tabs show the answers).
SENDERS = ("sophie.martin", "karim.benali", "elodie.garnier", "lea.dubois", "mehdi.haddad")
# Who answers for each receiving organisation (a demo login of that organisation).
RECIPIENTS = {
    "asso_langues": "ines.bouvier",
    "asso_refugies": "amina.diallo",
    "ccas_nantes": "laurence.michel",
    "afpa": "emilie.rousseau",
    "caf": "caroline.faure",
    "cap_emploi": "anne.perrin",
}
# The need a service answers, from the kind of offer in its identifier (see directory.OFFERS).
OFFER_THEMES = {
    "francais": Theme.MAITRISE_LANGUE,
    "alpha": Theme.MAITRISE_LANGUE,
    "numerique": Theme.NUMERIQUE,
    "hebergement": Theme.LOGEMENT,
    "logement": Theme.LOGEMENT,
    "juridique": Theme.DIFFICULTES_ADMINISTRATIVES,
    "droits": Theme.DIFFICULTES_ADMINISTRATIVES,
    "alimentation": Theme.DIFFICULTES_FINANCIERES,
    "budget": Theme.DIFFICULTES_FINANCIERES,
    "formation": Theme.FORMATION,
    "vae": Theme.FORMATION,
    "decouverte": Theme.EMPLOI,
    "emploi": Theme.EMPLOI,
    "jeunes": Theme.EMPLOI,
    "mobilite": Theme.MOBILITE,
    "parentalite": Theme.CONTRAINTES_FAMILIALES,
}
EMAIL_ONLY = "email"  # the recipient key of the structure without an account
MAX_PER_PATHWAY = 3
SHARED = [DataCategory.IDENTITY, DataCategory.CONTACT, DataCategory.SITUATION]

MESSAGES = (
    "Bonjour, je vous adresse {name}, que j'accompagne. Son besoin a été repéré lors du diagnostic ; "
    "pouvez-vous lui proposer un premier rendez-vous ? Merci de votre retour.",
    "Bonjour, {name} souhaite rejoindre votre service. La personne est disponible en matinée et joignable "
    "par téléphone. Je reste disponible pour en parler.",
    "Bonjour, suite à notre entretien, {name} est motivé·e pour démarrer rapidement. Pouvez-vous "
    "m'indiquer vos délais ? Bien cordialement.",
)


@dataclass(frozen=True)
class Scenario:
    recipient: str  # key of the receiving organisation, or EMAIL_ONLY
    state: str  # the state reached (ReferralStatus), "overdue" (left for the sweep) or "due_soon"
    age_days: int  # sent that many days ago
    outcome: str = ""
    reason: str = ""
    detail: str = ""
    join: bool = False  # the person agrees, and the recipient joins the follow-up group


S = ReferralStatus
SCENARIOS: tuple[Scenario, ...] = (
    # Langues et Savoirs (ines.bouvier's inbox): every state.
    Scenario("asso_langues", S.SENT, 0),
    Scenario("asso_langues", S.SENT, 1),
    Scenario("asso_langues", S.SENT, 3),
    Scenario("asso_langues", S.SEEN, 2),
    Scenario("asso_langues", S.SEEN, 5),
    Scenario("asso_langues", "due_soon", 9),
    Scenario("asso_langues", S.ACCEPTED, 6, join=True),
    Scenario("asso_langues", S.ACCEPTED, 4),
    Scenario("asso_langues", S.STARTED, 25),
    Scenario("asso_langues", S.STARTED, 40),
    Scenario("asso_langues", S.CLOSED, 75, outcome=ReferralOutcome.COMPLETED),
    Scenario("asso_langues", S.CLOSED, 60, outcome=ReferralOutcome.HELP_RECEIVED),
    Scenario("asso_langues", S.CLOSED, 30, outcome=ReferralOutcome.DID_NOT_COME),
    Scenario("asso_langues", S.REFUSED, 22, reason=RefusalReason.NO_PLACE),
    Scenario("asso_langues", "overdue", 14),
    Scenario("asso_langues", S.CANCELLED, 8, reason="La personne a trouvé un cours du soir plus proche de chez elle."),
    # Passerelles Réfugiés 44 (amina.diallo).
    Scenario("asso_refugies", S.SENT, 1),
    Scenario("asso_refugies", S.SEEN, 4),
    Scenario("asso_refugies", S.ACCEPTED, 7, join=True),
    Scenario("asso_refugies", S.STARTED, 20),
    Scenario(
        "asso_refugies", S.CLOSED, 50, outcome=ReferralOutcome.ABANDONED, detail="Déménagement hors du département."
    ),
    Scenario("asso_refugies", S.REFUSED, 18, reason=RefusalReason.NOT_ELIGIBLE),
    Scenario(
        "asso_refugies",
        S.REFUSED,
        3,
        reason=RefusalReason.OTHER,
        detail="Notre permanence juridique est fermée jusqu'à la fin du mois.",
    ),
    Scenario("asso_refugies", "overdue", 16),
    # CCAS de Nantes (laurence.michel).
    Scenario("ccas_nantes", S.SENT, 2),
    Scenario("ccas_nantes", S.ACCEPTED, 5),
    Scenario("ccas_nantes", S.CLOSED, 35, outcome=ReferralOutcome.HELP_RECEIVED),
    Scenario("ccas_nantes", S.REFUSED, 28, reason=RefusalReason.ALREADY_FOLLOWED),
    # AFPA (emilie.rousseau).
    Scenario("afpa", S.SENT, 1),
    Scenario("afpa", S.SEEN, 3),
    Scenario("afpa", S.STARTED, 30, join=True),
    Scenario("afpa", S.CLOSED, 90, outcome=ReferralOutcome.COMPLETED),
    Scenario("afpa", S.REFUSED, 12, reason=RefusalReason.UNREACHABLE),
    # CAF (caroline.faure).
    Scenario("caf", S.SENT, 0),
    Scenario("caf", S.ACCEPTED, 3),
    Scenario("caf", S.CLOSED, 45, outcome=ReferralOutcome.HELP_RECEIVED),
    Scenario("caf", S.CANCELLED, 4, reason="Les droits ont été ouverts entre-temps."),
    # Cap emploi (anne.perrin).
    Scenario("cap_emploi", S.SEEN, 2),
    Scenario("cap_emploi", S.CLOSED, 55, outcome=ReferralOutcome.HELP_RECEIVED),
    # A structure without a Parcours account: answers by signed link.
    Scenario(EMAIL_ONLY, S.SENT, 1),
    Scenario(EMAIL_ONLY, S.SENT, 2),
    Scenario(EMAIL_ONLY, "overdue", 15),
)


def _offer_key(service: Service) -> str:
    """'…--francais-0' -> 'francais'."""
    return service.source_id.rsplit("--", 1)[-1].rsplit("-", 1)[0]


def _recipient_services(organisations: dict[str, Organisation]) -> dict[str, list[Service]]:
    published = Service.objects.filter(status=ServiceStatus.PUBLISHED).select_related("structure")
    result: dict[str, list[Service]] = {}
    for key in RECIPIENTS:
        if key in organisations:
            result[key] = [
                s
                for s in published.filter(operator=organisations[key], source=PARCOURS_SOURCE).order_by("id")
                if _offer_key(s) in OFFER_THEMES
            ]
    # Services of structures that have no Parcours account, reachable by e-mail.
    result[EMAIL_ONLY] = [
        s
        for s in published.filter(
            source=SOURCE, operator__isnull=True, structure__organisation__isnull=True, zone_eligibilite=["44"]
        )
        .exclude(courriel="")
        .order_by("id")[:40]
        if _offer_key(s) in OFFER_THEMES
    ][:1]
    return result


def _sender_seats() -> dict[int, tuple[Membership, list[int]]]:
    """For each sender membership (demo logins, in SENDERS order), the open pathways where it sits."""
    memberships = list(
        Membership.objects.filter(user__username__in=SENDERS, is_active=True).select_related("user", "organisation")
    )
    memberships.sort(key=lambda m: SENDERS.index(m.user.username))
    result = {}
    for membership in memberships:
        result[membership.pk] = list(
            FollowUpMember.objects.filter(
                membership=membership, ended_at__isnull=True, pathway__status=PathwayStatus.OPEN
            )
            .order_by("pathway_id")
            .values_list("pathway_id", flat=True)
        )
    return {m.pk: (m, result[m.pk]) for m in memberships}


def _place_in_time(referral: Referral, *, now: datetime.datetime, age_days: int, rng: random.Random) -> None:
    """Rewrite the dates of a referral made just now as if it was sent `age_days` ago, each move
    a little after the previous one: the referral's dates, its transitions and timeline events."""
    transitions = list(ReferralTransition.objects.filter(referral=referral).order_by("at", "id"))
    sent_at = now - datetime.timedelta(days=age_days, hours=rng.randint(1, 8), minutes=rng.randint(0, 59))
    times = {ReferralStatus.SENT.value: sent_at}
    at = sent_at
    span = now - sent_at
    remaining = len(transitions) - 1
    for transition in transitions[1:]:
        # Spread the moves over the time since sending, the first answers sooner than the close.
        at = at + (now - at) * (0.25 if remaining > 1 else 0.6) * (0.5 + rng.random() / 2)
        at = min(at, now - datetime.timedelta(minutes=5 * remaining))
        at = max(at, sent_at + span * 0.01)
        times[transition.to_status] = at
        remaining -= 1
    for transition in transitions:
        ReferralTransition.objects.filter(pk=transition.pk).update(at=times[transition.to_status])
    last = times[transitions[-1].to_status]
    changes = {
        "sent_at": sent_at,
        "due_at": sent_at + datetime.timedelta(days=referral.sla_days),
        "status_changed_at": last,
    }
    if referral.answered_at is not None:
        changes["answered_at"] = times.get(ReferralStatus.ACCEPTED) or times.get(ReferralStatus.REFUSED) or last
    if referral.closed_at is not None:
        changes["closed_at"] = times[ReferralStatus.CLOSED]
    Referral.objects.filter(pk=referral.pk).update(**changes)
    for event in Event.objects.filter(pathway_id=referral.pathway_id, payload__referral=referral.pk):
        status = (event.payload or {}).get("status") or ReferralStatus.ACCEPTED
        Event.objects.filter(pk=event.pk).update(at=times.get(status, last))


def demo_referrals(*, organisations: dict[str, Organisation], seed: int = 44) -> dict[str, int]:
    """Create the demo referrals through the services, date them in the past, run the deadline
    sweep. Returns counts by status. Scenarios whose organisation, service or an eligible pathway
    is missing (a very small demo) are skipped."""
    rng = random.Random(seed + 404)
    now = timezone.now()
    by_recipient = _recipient_services(organisations)
    answerers: dict[int, Membership] = {}
    for key, username in RECIPIENTS.items():
        if key in organisations:
            membership = (
                Membership.objects.filter(user__username=username, organisation=organisations[key], is_active=True)
                .select_related("user", "organisation")
                .first()
            )
            if membership is not None:
                answerers[membership.organisation_id] = membership
    senders = _sender_seats()
    # Round-robin over senders, Sophie Martin (France Travail) sending to Langues et Savoirs first.
    sender_order = [pk for pk, (_m, pathways) in senders.items() if pathways]
    used: dict[int, set[int]] = {}  # pathway -> services it was referred to
    touched: set[int] = set()
    made: list[tuple[Referral, Scenario]] = []
    for index, scenario in enumerate(SCENARIOS):
        candidates = by_recipient.get(scenario.recipient) or []
        if not candidates or not sender_order:
            continue
        if scenario.recipient == "asso_langues" and index % 3 != 2:
            order = sender_order  # Sophie Martin first
        else:
            shift = index % len(sender_order)
            order = sender_order[shift:] + sender_order[:shift]
        shift = index % len(candidates)
        referral = _create(
            scenario,
            services_=candidates[shift:] + candidates[:shift],
            senders=[senders[pk] for pk in order],
            used=used,
            rng=rng,
        )
        if referral is None:
            continue
        touched.add(referral.pathway_id)
        _advance(referral, scenario, answerer=answerers.get(referral.recipient_organisation_id))
        made.append((referral, scenario))

    for referral, scenario in made:
        referral.refresh_from_db()
        if scenario.state == "overdue":
            # Sent before its deadline ran out: the sweep expires it.
            _place_in_time(referral, now=now, age_days=referral.sla_days + 2, rng=rng)
        elif scenario.state == "due_soon":
            _place_in_time(referral, now=now, age_days=max(1, referral.sla_days - 1), rng=rng)
        else:
            _place_in_time(referral, now=now, age_days=scenario.age_days, rng=rng)
    # The pathways' last activity follows their (re-dated) timeline.
    latest = Event.objects.filter(pathway=OuterRef("pk")).order_by().values("pathway").annotate(m=Max("at")).values("m")
    Pathway.objects.filter(pk__in=touched).update(last_activity_at=Subquery(latest))
    services.sweep_deadlines(now=now)
    counts: dict[str, int] = {}
    for status in Referral.objects.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return counts


def _create(
    scenario: Scenario,
    *,
    services_: list[Service],
    senders: list[tuple[Membership, list[int]]],
    used: dict[int, set[int]],
    rng: random.Random,
) -> Referral | None:
    """The first referral the services accept: a service of the recipient, a sender, one of the
    sender's pathways whose person lives in the service's zone (at most MAX_PER_PATHWAY referrals
    per pathway, never twice to the same service)."""
    for service in services_:
        theme = OFFER_THEMES[_offer_key(service)]
        for membership, pathways in senders:
            start = rng.randrange(len(pathways))
            for pathway_id in pathways[start:] + pathways[:start]:
                sent_to = used.setdefault(pathway_id, set())
                if service.pk in sent_to or len(sent_to) >= MAX_PER_PATHWAY:
                    continue
                pathway = Pathway.objects.select_related("person").get(pk=pathway_id)
                try:
                    referral = services.referral_create(
                        pathway=pathway,
                        service=service,
                        theme=theme,
                        message=rng.choice(MESSAGES).format(name=pathway.person.first_name),
                        shared_categories=SHARED[: rng.randint(2, 3)],
                        person_agrees_follow_up=scenario.join,
                        membership=membership,
                        acting_user=membership.user,
                    )
                except (ValidationError, PermissionDenied):
                    continue  # not in the service's zone, or a theme the sender may not read
                sent_to.add(service.pk)
                return referral
    return None


def _advance(referral: Referral, scenario: Scenario, *, answerer: Membership | None) -> None:
    """Move a referral just created to its scenario's state, as the recipient (or the sender for a
    cancellation, the structure's signed link for one without an account) would."""
    state = scenario.state
    if state in (S.SENT, "overdue", "due_soon"):
        return
    if state == S.CANCELLED:
        services.referral_cancel(
            referral=referral, reason=scenario.reason, membership=referral.sender, acting_user=referral.sent_by
        )
        return
    if answerer is None:
        return  # no account: the demo leaves the answer to the link
    user = answerer.user
    services.referral_mark_seen(referral=referral, membership=answerer, acting_user=user)
    if state == S.SEEN:
        return
    if state == S.REFUSED:
        services.referral_refuse(
            referral=referral, reason=scenario.reason, detail=scenario.detail, membership=answerer, acting_user=user
        )
        return
    services.referral_accept(referral=referral, membership=answerer, acting_user=user, join_follow_up=scenario.join)
    if state == S.ACCEPTED:
        return
    if not (state == S.CLOSED and scenario.outcome == ReferralOutcome.DID_NOT_COME):
        services.referral_start(referral=referral, membership=answerer, acting_user=user)
    if state == S.CLOSED:
        services.referral_close(
            referral=referral, outcome=scenario.outcome, detail=scenario.detail, membership=answerer, acting_user=user
        )
