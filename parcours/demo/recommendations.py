"""The counsellors' past decisions on the proposals of the Pistes tab, for the demo's usage page
(**Pistes** → **Usage des pistes**: acceptance rate per kind, dismissal reasons).

Synthetic: nobody decided anything. A deterministic history over the last six months, written in
bulk after the people, the offer and the programmes exist: for a share of the open pathways of the
territory, one to three decisions on a job of the person (their experience, wishes or a job their
experience leads to), a published service answering an open need of their latest diagnostic, or a
programme; retained or dismissed with a reason, decided by the referent who followed the pathway
that day, counted in the person's département. Each decision has its timeline event and its audit
entry, as parcours.matching.services writes them (a service decision names the need it answered). The documented cases (the first people of the
generator, among them the Pistes persona) get none, so that their Pistes tab shows every proposal."""

import datetime
import random
from operator import itemgetter

from django.db import connection
from django.db.models import Q

from parcours.audit.chain import GENESIS_HASH, link_hash
from parcours.audit.models import AuditEntry
from parcours.audit.services import _CHAIN_LOCK_KEY, _content
from parcours.diagnostics.models import Diagnostic, ThemeAssessment
from parcours.directory.models import Service
from parcours.matching.enums import DismissReason, FeedbackDecision, RecommendationKind
from parcours.matching.models import RecommendationFeedback, ThemeThematique
from parcours.occupations.models import Mobility, ReleaseStatus, RomeJob, RomeRelease
from parcours.pathways.models import Event, FollowUpMember, Pathway
from parcours.people.models import JobWish, Person, WorkExperience
from parcours.programmes.models import Programme

from . import profiles as P
from .generator import AuditRow

WINDOW = datetime.timedelta(days=182)
# Share of the open pathways with decisions, and at most this many pathways (benchmark-sized demos).
SHARE = 0.6
MAX_PATHWAYS = 800
KIND_WEIGHTS = ((RecommendationKind.JOB, 35), (RecommendationKind.SERVICE, 35), (RecommendationKind.PROGRAMME, 30))
# Share of retained proposals per kind: kept within one decision of it as decisions are drawn, so
# that even a small demo publishes both counts (PUBLICATION_MIN_CELL) for every kind.
ACCEPT_RATE = {RecommendationKind.JOB: 0.45, RecommendationKind.SERVICE: 0.55, RecommendationKind.PROGRAMME: 0.45}
DISMISS_REASONS = {
    RecommendationKind.JOB: (
        (DismissReason.NOT_RELEVANT, 35),
        (DismissReason.LANGUAGE, 30),
        (DismissReason.PERSON_REFUSES, 25),
        (DismissReason.OTHER, 10),
    ),
    RecommendationKind.SERVICE: (
        (DismissReason.TOO_FAR, 30),
        (DismissReason.NOT_AVAILABLE, 30),
        (DismissReason.ALREADY_DONE, 25),
        (DismissReason.PERSON_REFUSES, 15),
    ),
    RecommendationKind.PROGRAMME: (
        (DismissReason.NOT_ELIGIBLE, 35),
        (DismissReason.PERSON_REFUSES, 25),
        (DismissReason.NOT_AVAILABLE, 25),
        (DismissReason.ALREADY_DONE, 15),
    ),
}
OTHER_NOTES = (
    "Projet professionnel à reprendre avec la personne après sa formation de français.",
    "La personne préfère attendre la fin de son hébergement temporaire.",
    "Piste à revoir au prochain bilan.",
)
OPEN_NEEDS = ("priority", "to_work_on")


def _weighted(rng: random.Random, pairs):
    total = sum(w for _v, w in pairs)
    x = rng.random() * total
    for value, weight in pairs:
        x -= weight
        if x < 0:
            return value
    return pairs[-1][0]


def _person_jobs(person_ids: list[int]) -> dict[int, list[str]]:
    """Person → the ROME sheets of their experiences and wishes, then those the experiences lead to."""
    jobs: dict[int, list[str]] = {}
    experiences: dict[int, list[str]] = {}
    for person_id, code in (
        WorkExperience.objects.filter(person_id__in=person_ids).order_by("id").values_list("person_id", "rome_id")
    ):
        experiences.setdefault(person_id, []).append(code)
        jobs.setdefault(person_id, []).append(code)
    for person_id, code in (
        JobWish.objects.filter(person_id__in=person_ids).order_by("id").values_list("person_id", "appellation__rome_id")
    ):
        jobs.setdefault(person_id, []).append(code)
    release = RomeRelease.objects.filter(status=ReleaseStatus.CURRENT).values_list("id", flat=True).first()
    if release is not None:
        sources = {code for codes in experiences.values() for code in codes}
        targets: dict[str, list[str]] = {}
        for source, target in (
            Mobility.objects.filter(release_id=release, source_code__in=sources, order__lte=4)
            .order_by("source_code", "order")
            .values_list("source_code", "target_code")
        ):
            targets.setdefault(source, []).append(target)
        for person_id, codes in experiences.items():
            for code in codes:
                jobs[person_id] += targets.get(code, [])
    return {person_id: list(dict.fromkeys(codes)) for person_id, codes in jobs.items()}


def _open_themes(person_ids: list[int]) -> dict[int, list[str]]:
    """Person → the open themes of their latest diagnostic."""
    latest: dict[int, tuple[int, int]] = {}
    for person_id, diagnostic_id, version in Diagnostic.objects.filter(person_id__in=person_ids).values_list(
        "person_id", "id", "version"
    ):
        if person_id not in latest or version > latest[person_id][1]:
            latest[person_id] = (diagnostic_id, version)
    person_of = {diagnostic_id: person_id for person_id, (diagnostic_id, _v) in latest.items()}
    themes: dict[int, list[str]] = {}
    for diagnostic_id, theme in (
        ThemeAssessment.objects.filter(diagnostic_id__in=list(person_of), need__in=OPEN_NEEDS)
        .order_by("diagnostic_id", "theme")
        .values_list("diagnostic_id", "theme")
    ):
        themes.setdefault(person_of[diagnostic_id], []).append(theme)
    return themes


def _services_by_theme() -> dict[str, list[tuple[int, str]]]:
    """Diagnostic theme → the published services of its mapped thématiques (id, name)."""
    by_thematique: dict[str, list[str]] = {}
    for theme, thematique in ThemeThematique.objects.order_by("theme", "thematique").values_list("theme", "thematique"):
        by_thematique.setdefault(thematique, []).append(theme)
    by_theme: dict[str, list[tuple[int, str]]] = {}
    for pk, nom, thematiques in (
        Service.objects.filter(status="published").order_by("pk").values_list("pk", "nom", "thematiques")
    ):
        for theme in dict.fromkeys(t for code in thematiques or [] for t in by_thematique.get(code, [])):
            by_theme.setdefault(theme, []).append((pk, nom))
    return by_theme


def demo_recommendation_decisions(*, now: datetime.datetime, seed: int = 44) -> int:
    """Write the synthetic decisions, their timeline events and audit entries. Returns how many."""
    rng = random.Random(f"{seed}/decisions")
    documented = list(Person.objects.order_by("id").values_list("id", flat=True)[: len(P.MANDATORY)])
    pathways = list(
        Pathway.objects.filter(status="open", person__commune__isnull=False, person__anonymised_at__isnull=True)
        .exclude(person_id__in=documented)
        .order_by("id")
        .values_list("id", "person_id", "person__commune__departement_id")
    )
    pathways = [p for p in pathways if rng.random() < SHARE][:MAX_PATHWAYS]
    if not pathways:
        return 0
    start = now - WINDOW
    # The referents' seats that overlap the window: who decided, for which organisation.
    seats: dict[int, list[tuple]] = {}
    for pathway_id, membership_id, user_id, organisation_id, started, ended in (
        FollowUpMember.objects.filter(pathway_id__in=[p[0] for p in pathways], is_referent=True)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=start))
        .order_by("pathway_id", "started_at", "id")
        .values_list(
            "pathway_id",
            "membership_id",
            "membership__user_id",
            "membership__organisation_id",
            "started_at",
            "ended_at",
        )
    ):
        seats.setdefault(pathway_id, []).append((membership_id, user_id, organisation_id, started, ended))
    person_ids = [p[1] for p in pathways]
    jobs = _person_jobs(person_ids)
    themes = _open_themes(person_ids)
    services = _services_by_theme()
    job_labels = dict(RomeJob.objects.values_list("code", "label"))
    programmes = list(Programme.objects.filter(is_active=True).order_by("code").values_list("code", "name"))

    rows: list[RecommendationFeedback] = []
    retained = {kind: 0 for kind in RecommendationKind.values}
    decided = {kind: 0 for kind in RecommendationKind.values}
    for pathway_id, person_id, departement_id in pathways:
        seat_list = seats.get(pathway_id)
        if not seat_list:
            continue
        taken: set[tuple[str, str]] = set()
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            membership_id, user_id, organisation_id, started, ended = rng.choice(seat_list)
            low = max(start, started + datetime.timedelta(days=1))
            high = min(ended or now, now) - datetime.timedelta(hours=1)
            if high <= low:
                continue
            decided_at = (low + (high - low) * rng.random()).replace(microsecond=0)
            kind = _weighted(rng, KIND_WEIGHTS)
            theme = ""
            if kind == RecommendationKind.JOB:
                codes = [c for c in jobs.get(person_id, []) if c in job_labels]
                choice = (code := rng.choice(codes), job_labels[code]) if codes else None
            elif kind == RecommendationKind.SERVICE:
                offer = [(t, s) for t in themes.get(person_id, []) for s in services.get(t, [])]
                choice = None
                if offer:
                    theme, (pk, nom) = rng.choice(offer)
                    choice = (str(pk), nom)
            else:
                choice = rng.choice(programmes) if programmes else None
            if choice is None or (kind, choice[0]) in taken:
                continue
            taken.add((kind, choice[0]))
            accepted = retained[kind] + rng.random() < ACCEPT_RATE[kind] * (decided[kind] + 1) + 0.5
            retained[kind] += accepted
            decided[kind] += 1
            reason = "" if accepted else _weighted(rng, DISMISS_REASONS[kind])
            rows.append(
                RecommendationFeedback(
                    pathway_id=pathway_id,
                    kind=kind,
                    key=choice[0],
                    label=choice[1][:255],
                    theme=theme,
                    decision=FeedbackDecision.ACCEPTED if accepted else FeedbackDecision.DISMISSED,
                    reason=reason,
                    note=rng.choice(OTHER_NOTES) if reason == DismissReason.OTHER else "",
                    score=round(rng.uniform(35, 95), 3),
                    rank=rng.choice((1, 1, 1, 2, 2, 3, 4, 5)),
                    decided_at=decided_at,
                    decided_by_id=user_id,
                    organisation_id=organisation_id,
                    departement_id=departement_id,
                )
            )
    RecommendationFeedback.objects.bulk_create(rows, batch_size=500)
    _timeline_and_audit(rows, {p[0]: p[1] for p in pathways})
    return len(rows)


def _timeline_and_audit(rows: list[RecommendationFeedback], person_of: dict[int, int]) -> None:
    """As parcours.matching.services records a decision: a timeline event and an audit entry each,
    the entries appended to the chain in time order (`audit_verify` holds)."""
    kinds = {k.value: str(k.label) for k in RecommendationKind}
    reasons = {r.value: str(r.label) for r in DismissReason}
    events, audit = [], []
    latest: dict[int, datetime.datetime] = {}
    for f in rows:
        if f.decision == FeedbackDecision.ACCEPTED:
            summary = f"Piste retenue ({kinds[f.kind]}) : {f.label}"
        else:
            summary = f"Piste écartée ({kinds[f.kind]}) : {f.label} — {reasons[f.reason]}"
        events.append(
            Event(
                pathway_id=f.pathway_id,
                at=f.decided_at,
                kind="recommendation_decided",
                actor_id=f.decided_by_id,
                organisation_id=f.organisation_id,
                summary=summary[:500],
                payload={"feedback": f.pk, "kind": f.kind, "key": f.key},
            )
        )
        audit.append(
            (f.decided_at, f.decided_by_id, f.organisation_id, "create", "matching.recommendationfeedback", str(f.pk),
             person_of[f.pathway_id], ["decision", "reason"], "")
        )  # fmt: skip
        latest[f.pathway_id] = max(latest.get(f.pathway_id, f.decided_at), f.decided_at)
    Event.objects.bulk_create(events, batch_size=1000)
    changed = []
    for pathway in Pathway.objects.filter(pk__in=list(latest)).only("id", "last_activity_at"):
        if pathway.last_activity_at is None or latest[pathway.pk] > pathway.last_activity_at:
            pathway.last_activity_at = latest[pathway.pk]
            changed.append(pathway)
    Pathway.objects.bulk_update(changed, ["last_activity_at"], batch_size=500)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
    prev = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS_HASH
    entries = []
    for values in sorted(audit, key=itemgetter(0)):
        row = AuditRow(*values)
        digest = link_hash(prev_hash=prev, content=_content(row))  # type: ignore[arg-type]  # a duck-typed AuditEntry
        entries.append(
            AuditEntry(at=row.at, actor_id=row.actor_id, organisation_id=row.organisation_id, action=row.action,
                       object_type=row.object_type, object_id=row.object_id, person_id=row.person_id,
                       fields=row.fields, reason=row.reason, prev_hash=prev, hash=digest)
        )  # fmt: skip
        prev = digest
    AuditEntry.objects.bulk_create(entries, batch_size=1000)
