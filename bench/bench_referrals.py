#!/usr/bin/env python
"""Benchmark of referrals and pathway breaks on PostgreSQL: the whole break scan, the inbox of a
receiving organisation and one referral transition, with 200,000 pathways and 500,000 referrals
(see bench/README.md).

Prints exactly one line per figure, `name: value`, on stdout; progress and details go to stderr.

    DATABASE_URL=postgres://parcours@127.0.0.1:54329/parcours .venv/bin/python bench/bench_referrals.py
"""

import argparse
import datetime
import json
import math
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pathways import info, prepare_database, setup_django  # noqa: E402

FIGURES = ("breaks_scan_s", "referral_inbox_p95_ms", "referral_transition_p95_ms")
BENCH_PREFIX = "bench.prescriptions"
SOURCE = "bench-prescriptions"
EXTRA_ORGANISATIONS = 185  # with the demo's 15, ~200 organisations
STRUCTURES = 300
SERVICES = 1000
EMAIL_ONLY_SHARE = 0.1  # services whose structure has no Parcours account
INBOX_PAGE = 50
CHUNK = 50_000  # referrals per COPY batch


def figure(name: str, value) -> None:
    print(f"{name}: {value}", flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pathways", type=int, default=200_000, help="parcours à générer (défaut 200 000)")
    parser.add_argument("--referrals", type=int, default=500_000, help="prescriptions à générer (défaut 500 000)")
    parser.add_argument("--quick", action="store_true", help="essai rapide : 2 000 parcours, 5 000 prescriptions")
    parser.add_argument("--database", default="parcours_bench_referrals", help="base créée pour le benchmark")
    parser.add_argument("--reuse", action="store_true", help="réutiliser la base si les données y sont déjà")
    parser.add_argument("--requests", type=int, default=200, help="mesures par figure (défaut 200)")
    parser.add_argument("--warmup", type=int, default=20, help="mesures de chauffe")
    parser.add_argument("--seed", type=int, default=44)
    parser.add_argument("--workers", type=int, default=None, help="processus de génération des parcours")
    parser.add_argument(
        "--scan-timeout", type=int, default=180, help="durée maximale d'une requête du scan, en secondes (défaut 180)"
    )
    args = parser.parse_args()
    if args.quick:
        args.pathways, args.referrals = 2000, 5000
        args.requests, args.warmup = min(args.requests, 50), min(args.warmup, 5)
    if not 100 <= args.pathways <= 2_000_000:
        sys.exit("--pathways doit être compris entre 100 et 2 000 000.")
    if not 100 <= args.referrals <= 10_000_000:
        sys.exit("--referrals doit être compris entre 100 et 10 000 000.")
    return args


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def describe(samples: list[float]) -> str:
    return f"médiane {statistics.median(samples):.1f} ms, p95 {p95(samples):.1f} ms, max {max(samples):.1f} ms"


# --- 1. pathways: the demo generator ---------------------------------------------------------------


def generate_pathways(args) -> float | None:
    """The demo territory with one pathway per person (same generator as `manage.py demo_load`,
    COPY in worker processes). Returns the time taken, None when reused."""
    from django.core.management import call_command

    from parcours.demo.loader import demo_load
    from parcours.demo.models import DemoLoad

    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_reference", stdout=open(os.devnull, "w"))  # noqa: SIM115 - discarded output
    previous = DemoLoad.objects.first()
    if args.reuse and previous is not None and previous.persons == args.pathways:
        info(f"parcours déjà générés ({previous.persons}) : génération non relancée")
        return None

    def progress(done, total, elapsed):
        if done == total or done % 20_000 < 2000:
            info(f"parcours : {done} / {total} ({done / elapsed:.0f} par seconde)")

    started = time.perf_counter()
    demo_load(
        persons=args.pathways,
        seed=args.seed,
        reset=previous is not None,
        workers=args.workers,
        progress=progress,
        with_offer=False,
    )
    return time.perf_counter() - started


# --- 2. the offer: ~200 organisations operating ~1,000 services --------------------------------------


def generate_offer(rng: random.Random, now: datetime.datetime) -> None:
    """Extra organisations (each with a counsellor and an administrator), structures and services of
    the département; most services operated by an organisation, some by a structure without account."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from parcours.demo import territory as T
    from parcours.diagnostics.enums import Theme
    from parcours.directory.models import Service, ServiceStatus, Structure
    from parcours.organisations.enums import OrganisationKind, Role
    from parcours.organisations.models import Membership, Organisation
    from parcours.territories.models import Commune
    from parcours.users.models import User

    kinds = [
        OrganisationKind.ASSOCIATION,
        OrganisationKind.ASSOCIATION,
        OrganisationKind.ASSOCIATION,
        OrganisationKind.ORGANISME_FORMATION,
        OrganisationKind.CCAS,
    ]
    with transaction.atomic():
        organisations = Organisation.objects.bulk_create(
            Organisation(
                kind=kinds[i % len(kinds)],
                name=f"Structure partenaire {i + 1} (banc d'essai)",
                departement_id=T.DEPARTEMENT,
                email=f"contact{i + 1}@{BENCH_PREFIX}.test",
                inactivity_days=rng.choice((30, 45, 45, 45, 60, 90)),
            )
            for i in range(EXTRA_ORGANISATIONS)
        )
        password = make_password(T.DEMO_PASSWORD)
        users = User.objects.bulk_create(
            User(username=f"{BENCH_PREFIX}.{i + 1}.{role}", email=f"{role}{i + 1}@{BENCH_PREFIX}.test",
                 first_name="Banc", last_name=f"Essai {i + 1}", password=password, date_joined=now)
            for i in range(EXTRA_ORGANISATIONS) for role in ("conseil", "admin")
        )  # fmt: skip
        Membership.objects.bulk_create(
            Membership(
                user=user,
                organisation=organisations[index // 2],
                role=Role.CONSEILLER if index % 2 == 0 else Role.ADMIN_STRUCTURE,
            )
            for index, user in enumerate(users)
        )
        # Operators: the new organisations and the demo organisations that run services.
        operators = list(
            Organisation.objects.exclude(
                kind__in=[OrganisationKind.DDETS, OrganisationKind.CONSEIL_DEPARTEMENTAL]
            ).order_by("id")
        )
        communes = list(
            Commune.objects.filter(departement_id=T.DEPARTEMENT)
            .exclude(latitude=None)
            .order_by("insee_code")
            .values_list("insee_code", "name", "latitude", "longitude")
        )
        today = now.date()
        structures = []
        for i in range(STRUCTURES):
            insee, name, lat, lon = rng.choice(communes)
            email_only = i < STRUCTURES * EMAIL_ONLY_SHARE
            structures.append(
                Structure(
                    source=SOURCE,
                    source_id=f"s{i}",
                    organisation=None if email_only else operators[i % len(operators)],
                    nom=f"Lieu d'accueil {i + 1} de {name.title()}"[:150],
                    date_maj=today - datetime.timedelta(days=rng.randint(1, 300)),
                    commune=name.title(),
                    code_insee=insee,
                    latitude=lat,
                    longitude=lon,
                    courriel=f"accueil{i + 1}@{BENCH_PREFIX}.test",
                )
            )
        structures = Structure.objects.bulk_create(structures)
        themes = [t.value for t in Theme]
        services = []
        for i in range(SERVICES):
            structure = structures[i % len(structures)]
            insee = structure.code_insee
            services.append(
                Service(
                    structure=structure,
                    source=SOURCE,
                    source_id=f"v{i}",
                    nom=f"Service {themes[i % len(themes)]} n° {i + 1}",
                    description="Service du banc d'essai des prescriptions.",
                    date_maj=today - datetime.timedelta(days=rng.randint(1, 300)),
                    type="accompagnement",
                    zone_eligibilite=[insee] if rng.random() < 0.2 else [T.DEPARTEMENT],
                    commune=structure.commune,
                    code_insee=insee,
                    latitude=structure.latitude,
                    longitude=structure.longitude,
                    point_latitude=structure.latitude,
                    point_longitude=structure.longitude,
                    courriel=structure.courriel,
                    status=ServiceStatus.PUBLISHED,
                    operator=structure.organisation,
                    referral_sla_days=rng.choice((7, 10, 10, 10, 14, 21)),
                )
            )
        Service.objects.bulk_create(services, batch_size=500)
    info(f"offre : {len(operators)} organisations opératrices, {STRUCTURES} structures, {SERVICES} services")


# --- 3. referrals and their transitions, by COPY ---------------------------------------------------


# (state, share) for referrals still within their deadline, and for older ones.
RECENT_MIX = (("sent", 45), ("seen", 25), ("accepted", 15), ("refused", 7), ("cancelled", 3), ("started", 5))
OLD_MIX = (
    ("closed", 52),
    ("started", 9),
    ("accepted", 5),
    ("refused", 15),
    ("expired", 10),
    ("cancelled", 4),
    ("overdue", 5),  # sent or seen past the deadline, not yet swept (per mille below)
)
OUTCOMES = (("help_received", 35), ("completed", 30), ("did_not_come", 20), ("abandoned", 15))
REFUSALS = (("no_place", 40), ("not_eligible", 25), ("unreachable", 15), ("already_followed", 12), ("other", 8))
MESSAGES = (
    "Bonjour, je vous adresse cette personne qui souhaite bénéficier de votre service. Merci de la contacter.",
    "Madame est disponible les matins ; elle parle un peu français. Merci pour votre retour.",
    "Orientation suite à notre entretien : besoin identifié lors du diagnostic, la personne est motivée.",
)


def _weighted(rng: random.Random, mix) -> str:
    return rng.choices([k for k, _w in mix], weights=[w for _k, w in mix])[0]


def generate_referrals(args, rng: random.Random, now: datetime.datetime) -> dict:
    """`args.referrals` referrals over the pathways (senders: a member of the pathway's group,
    the referent first), towards the services with a skewed load (a few busy structures), in a
    realistic mix of states for their age, with every transition logged. COPY in one transaction,
    secondary indexes and constraints rebuilt at the end (parcours.demo.writer in bulk mode)."""
    from django.db import connection, transaction

    from parcours.demo.writer import RowWriter, Table
    from parcours.diagnostics.enums import Theme
    from parcours.directory.models import Service
    from parcours.organisations.enums import Role
    from parcours.organisations.models import Membership
    from parcours.pathways.enums import PathwayStatus
    from parcours.pathways.models import FollowUpMember, Pathway
    from parcours.referrals.models import Referral, ReferralTransition

    referral_columns = (
        "id", "pathway_id", "theme", "goal_id", "service_id", "recipient_organisation_id", "recipient_email",
        "sender_id", "sent_by_id", "message", "shared_categories", "shared_data", "override_reason",
        "overridden_by_id", "person_agrees_follow_up", "status", "sent_at", "sla_days", "due_at",
        "status_changed_at", "answered_at", "answered_by_id", "refusal_reason", "refusal_detail", "outcome",
        "closed_at", "reminder_sent_at", "escalated_at",
    )  # fmt: skip
    transition_columns = (
        "id", "referral_id", "from_status", "to_status", "at", "actor_id", "organisation_id", "channel", "reason",
    )  # fmt: skip
    tables = [
        Table(Referral, referral_columns, frozenset({"shared_categories", "shared_data"})),
        Table(ReferralTransition, transition_columns),
    ]

    # Who sends: one seat per pathway (the active referent, else any active member).
    seats: dict[int, tuple[int, int, int]] = {}
    for pathway_id, membership_id, user_id, org_id, _referent in (
        FollowUpMember.objects.filter(ended_at__isnull=True)
        .order_by("pathway_id", "-is_referent", "id")
        .values_list("pathway_id", "membership_id", "membership__user_id", "membership__organisation_id", "is_referent")
        .iterator(chunk_size=20_000)
    ):
        seats.setdefault(pathway_id, (membership_id, user_id, org_id))
    pathways = {
        pk: (status == PathwayStatus.OPEN, f"{first} {last.upper()}", opened_at)
        for pk, status, first, last, opened_at in Pathway.objects.filter(pk__in=list(seats))
        .values_list("pk", "status", "person__first_name", "person__last_name", "opened_at")
        .iterator(chunk_size=20_000)
    }
    open_ids = sorted(pk for pk, (is_open, _n, _o) in pathways.items() if is_open)
    all_ids = sorted(pathways)
    # Who answers: an active member of the recipient organisation (not a pilote).
    answerers: dict[int, list[tuple[int, int]]] = {}
    for org_id, membership_id, user_id in (
        Membership.objects.filter(is_active=True)
        .exclude(role=Role.PILOTE)
        .order_by("id")
        .values_list("organisation_id", "id", "user_id")
    ):
        answerers.setdefault(org_id, []).append((membership_id, user_id))
    services = list(
        Service.objects.filter(source=SOURCE)
        .order_by("id")
        .values_list("id", "operator_id", "courriel", "referral_sla_days")
    )
    # Skewed load: service weight ~ 1 / rank^0.8 over a shuffled order.
    order = list(range(len(services)))
    rng.shuffle(order)
    weights = [0.0] * len(services)
    for rank, index in enumerate(order):
        weights[index] = 1 / (rank + 1) ** 0.8
    cumulative = []
    total = 0.0
    for w in weights:
        total += w
        cumulative.append(total)
    themes = [t.value for t in Theme]
    identity = {"category": "identity", "label": "Identité"}
    horizon_days = 540

    counts = {"referrals": 0, "transitions": 0}
    started = time.perf_counter()
    with transaction.atomic():
        writer = RowWriter(tables, bulk=True)
        writer.lock()
        ids = writer.next_ids()
        next_referral, next_transition = ids[Referral], ids[ReferralTransition]
        formatters = {t.model: t.formatter() for t in tables}
        suffixes = {t.model: writer.copy_suffix(t.model) + "\n" for t in tables}
        by_status: dict[str, int] = {}
        try:
            remaining = args.referrals
            while remaining:
                n = min(CHUNK, remaining)
                remaining -= n
                referral_rows, transition_rows = [], []
                for _ in range(n):
                    service_id, operator_id, email, sla = services[_bisect(cumulative, rng.random() * total)]
                    age = datetime.timedelta(days=horizon_days * rng.random() ** 1.6, seconds=rng.randint(0, 86_399))
                    sent_at = now - age
                    due_at = sent_at + datetime.timedelta(days=sla)
                    state = _weighted(rng, RECENT_MIX if due_at > now else OLD_MIX)
                    if state == "overdue":
                        # Only a few unanswered referrals wait for the next sweep.
                        state = rng.choice(("sent", "seen")) if rng.random() < 0.1 else "expired"
                    final = state in ("closed", "refused", "expired", "cancelled")
                    pathway_id = rng.choice(all_ids if final and rng.random() < 0.15 else open_ids)
                    _open, name, opened_at = pathways[pathway_id]
                    if sent_at < opened_at:
                        sent_at = opened_at + (now - opened_at) * rng.random()
                        due_at = sent_at + datetime.timedelta(days=sla)
                        if due_at > now and state in ("expired", "closed"):
                            state = "sent"
                    sender_membership, sender_user, sender_org = seats[pathway_id]
                    recipient = operator_id if operator_id in answerers else None
                    answerer_membership, answerer_user = rng.choice(answerers[recipient]) if recipient else (None, None)
                    rid = next_referral
                    next_referral += 1
                    channel = "app" if recipient else "link"
                    actor = answerer_user if recipient else None
                    life = _Life(rng, now, sent_at, actor=actor, org=recipient, channel=channel)
                    life.log.append(("", "sent", sent_at, sender_user, sender_org, "app", ""))
                    answered_at = answered_by = closed_at = None
                    refusal = detail = outcome = ""
                    answer_window = min(due_at, now) - sent_at
                    if state != "sent" and rng.random() < (1.0 if state == "seen" else 0.6):
                        life.step("seen", sent_at + answer_window * rng.random() * 0.5)
                    if state in ("accepted", "started", "closed"):
                        life.step("accepted", sent_at + answer_window * (0.5 + rng.random() * 0.5))
                        answered_at, answered_by = life.at, answerer_membership
                        if state == "closed":
                            outcome = _weighted(rng, OUTCOMES)
                        if state == "started" or (state == "closed" and outcome != "did_not_come"):
                            life.step("started", life.at + datetime.timedelta(days=rng.uniform(1, 20)))
                        if state == "closed":
                            life.step("closed", life.at + datetime.timedelta(days=rng.uniform(7, 120)))
                            closed_at = life.at
                    elif state == "refused":
                        refusal = _weighted(rng, REFUSALS)
                        detail = "Hors de notre secteur d'intervention." if refusal == "other" else ""
                        life.step(
                            "refused", sent_at + answer_window * (0.3 + rng.random() * 0.7), why=detail or refusal
                        )
                        answered_at, answered_by = life.at, answerer_membership
                    elif state == "expired":
                        life.step("expired", due_at + datetime.timedelta(hours=rng.uniform(1, 23)), who=None, org=None,
                                  channel="system", why="Pas de réponse dans le délai")  # fmt: skip
                    elif state == "cancelled":
                        life.step("cancelled", sent_at + answer_window * rng.random(), who=sender_user, org=sender_org,
                                  channel="app", why="La personne a trouvé une autre solution.")  # fmt: skip
                    current, at, log = life.current, life.at, life.log
                    by_status[current] = by_status.get(current, 0) + 1
                    categories = ["identity", "contact"] if rng.random() < 0.7 else ["identity"]
                    shared = {"name": name, "sections": [{**identity, "fields": [["Nom", name]]}]}
                    referral_rows.append(
                        (
                            rid, pathway_id, rng.choice(themes), None, service_id, recipient, email or "",
                            sender_membership, sender_user, rng.choice(MESSAGES), json.dumps(categories),
                            json.dumps(shared), "", None, rng.random() < 0.3, current, sent_at, sla, due_at, at,
                            answered_at, answered_by, refusal, detail, outcome, closed_at,
                            due_at - datetime.timedelta(days=2) if current in ("sent", "seen") and due_at < now else None,
                            at if current == "expired" else None,
                        )
                    )  # fmt: skip
                    for from_status, to_status, when, who, org, how, why in log:
                        transition_rows.append(
                            (next_transition, rid, from_status, to_status, when, who, org, how, why[:500])
                        )
                        next_transition += 1
                writer.write_batch(
                    [
                        (Referral, formatters[Referral](referral_rows, suffixes[Referral]).encode()),
                        (
                            ReferralTransition,
                            formatters[ReferralTransition](transition_rows, suffixes[ReferralTransition]).encode(),
                        ),
                    ]
                )
                counts["referrals"] += len(referral_rows)
                counts["transitions"] += len(transition_rows)
                info(
                    f"prescriptions : {counts['referrals']} / {args.referrals} "
                    f"({counts['referrals'] / (time.perf_counter() - started):.0f} par seconde)"
                )
            info("reconstruction des index et contraintes des prescriptions")
            writer.finish()
        except BaseException:
            writer.abandon()
            raise
        with connection.cursor() as cursor:
            # The referral's activity shows on the pathway: its last move is the pathway's latest
            # activity when more recent.
            cursor.execute(
                "UPDATE pathways_pathway p SET last_activity_at = r.last FROM "
                "(SELECT pathway_id, MAX(status_changed_at) AS last FROM referrals_referral GROUP BY pathway_id) r "
                "WHERE r.pathway_id = p.id AND r.last > p.last_activity_at"
            )
    info("états : " + ", ".join(f"{k} {v}" for k, v in sorted(by_status.items())))
    return counts


class _Life:
    """The moves of one generated referral, each after the previous one and never in the future
    (a move that would fall after now falls somewhere between the previous move and now)."""

    def __init__(self, rng: random.Random, now, sent_at, *, actor, org, channel: str):
        self.rng, self.now = rng, now
        self.current, self.at = "sent", sent_at
        self.actor, self.org, self.channel = actor, org, channel
        self.log: list[tuple] = []

    def step(self, to: str, when, *, who=..., org=..., channel: str = "", why: str = "") -> None:
        if when > self.now:
            when = self.at + (self.now - self.at) * self.rng.random()
        when = max(when, self.at + datetime.timedelta(seconds=1))
        self.log.append(
            (
                self.current,
                to,
                when,
                self.actor if who is ... else who,
                self.org if org is ... else org,
                channel or self.channel,
                why,
            )
        )
        self.current, self.at = to, when


def _bisect(cumulative: list[float], value: float) -> int:
    lo, hi = 0, len(cumulative) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cumulative[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo


def finish_actions(now: datetime.datetime) -> dict:
    """What the break rules read on actions and the generator does not write: when each finished
    action finished, renewal actions for some permits, French-course actions for some CIR."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # statistics of the fresh tables, for the plans below
        cursor.execute(
            "UPDATE pathways_action SET finished_at = LEAST(%s, CASE WHEN done_on IS NOT NULL "
            "THEN done_on + TIME '15:00' ELSE created_at + (id %% 90) * INTERVAL '1 day' END) "
            "WHERE status IN ('done', 'abandoned', 'cancelled')",
            [now],
        )
        finished = cursor.rowcount
        # Half of the people whose permit ends within 120 days have a renewal action (their first one).
        cursor.execute(
            "UPDATE pathways_action SET kind = 'permit_renewal' WHERE id IN (SELECT MIN(a.id) FROM pathways_action a "
            "JOIN pathways_goal g ON g.id = a.goal_id JOIN pathways_pathway p ON p.id = g.pathway_id "
            "JOIN people_person pe ON pe.id = p.person_id "
            "WHERE pe.residence_permit_valid_until <= %s AND pe.id %% 2 = 0 GROUP BY p.id)",
            [now.date() + datetime.timedelta(days=120)],
        )
        renewals = cursor.rowcount
        # Two thirds of the people under a CIR have started their French course.
        cursor.execute(
            "UPDATE pathways_action SET kind = 'french_course' WHERE id IN (SELECT MIN(a.id) FROM pathways_action a "
            "JOIN pathways_goal g ON g.id = a.goal_id JOIN pathways_pathway p ON p.id = g.pathway_id "
            "JOIN diagnostics_integrationcontract c ON c.person_id = p.person_id "
            "WHERE c.person_id %% 3 <> 0 AND a.status IN ('in_progress', 'done') AND a.kind = 'other' GROUP BY p.id)",
            [],
        )
        french = cursor.rowcount
        # The others have not started the French hours of their CIR.
        cursor.execute(
            "UPDATE diagnostics_integrationcontract SET french_hours_done = 0 WHERE person_id %% 3 = 0 "
            "AND french_hours_prescribed > 0",
            [],
        )
    info(f"actions : {finished} terminées datées, {renewals} renouvellements de titre, {french} cours de français")
    return {"actions_finished": finished}


# --- 4. the measures ---------------------------------------------------------------------------------


def _scan_with_timeout(seconds: int):
    """scan_breaks() under a statement timeout: (result, elapsed) or (None, reason)."""
    from django.db import OperationalError, connection

    from parcours.pathways.breaks import scan_breaks

    with connection.cursor() as cursor:
        cursor.execute(f"SET statement_timeout = '{int(seconds)}s'")
    started = time.perf_counter()
    try:
        result = scan_breaks()
    except OperationalError as exc:
        return None, f"interrompu : une requête a dépassé {seconds} s ({str(exc).splitlines()[0]})"
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET statement_timeout")
    return result, time.perf_counter() - started


def measure_scan(args) -> dict:
    results = {}
    first, elapsed = _scan_with_timeout(args.scan_timeout)
    if first is None:
        info(f"scan des ruptures : {elapsed}")
        return {"breaks_scan_s": f"indisponible ({elapsed})"}
    results["breaks_scan_s"] = f"{elapsed:.2f}"
    info(f"scan des ruptures : {results['breaks_scan_s']} s, {first['opened']} alertes ouvertes")
    for kind, n in sorted(first["by_kind"].items()):
        info(f"  {kind} : {n['open']} ouvertes")
    second, elapsed = _scan_with_timeout(args.scan_timeout)
    if second is None:
        results["breaks_rescan_s"] = f"indisponible ({elapsed})"
        return results
    results["breaks_rescan_s"] = f"{elapsed:.2f}"
    info(
        f"second scan (rien n'a changé) : {results['breaks_rescan_s']} s, {second['opened']} ouvertes, {second['closed']} fermées"
    )
    results["breaks_open_alerts"] = second["open"]
    return results


def measure_inbox(args, rng: random.Random) -> dict:
    """inbox_for(...)[:50] evaluated plus its count, for the busiest organisation (half of the
    measures) and organisations drawn among the others, rotating over the filters of the page."""
    from django.db import connection
    from django.db.models import Count

    from parcours.organisations.enums import Role
    from parcours.organisations.models import Membership
    from parcours.referrals.models import Referral
    from parcours.referrals.selectors import AWAITING, inbox_for

    loads = list(
        Referral.objects.exclude(recipient_organisation=None)
        .values_list("recipient_organisation_id")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    members = {}
    for org_id, _n in loads:
        membership = (
            Membership.objects.filter(organisation_id=org_id, is_active=True)
            .exclude(role=Role.PILOTE)
            .select_related("organisation")
            .order_by("id")
            .first()
        )
        if membership is not None:
            members[org_id] = membership
    busiest = loads[0]
    info(f"boîte de réception : la plus chargée reçoit {busiest[1]} prescriptions ({len(loads)} organisations)")
    filters = [{}, {"status": AWAITING}, {"status": "accepted"}, {"overdue_only": True}, {"status": "closed"}]
    others = [m for org, m in members.items() if org != busiest[0]]
    durations = []
    for i in range(args.warmup + args.requests):
        membership = members[busiest[0]] if i % 2 == 0 or not others else rng.choice(others)
        started = time.perf_counter()
        qs = inbox_for(membership=membership, **filters[i % len(filters)])
        page = list(qs[:INBOX_PAGE])
        count = qs.count()
        elapsed = (time.perf_counter() - started) * 1000
        assert count >= len(page)
        if i >= args.warmup:
            durations.append(elapsed)
    info(f"  {describe(durations)}")
    with connection.cursor() as cursor:
        sql, params = inbox_for(membership=members[busiest[0]])[:INBOX_PAGE].query.sql_with_params()
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = [r[0].strip() for r in cursor.fetchall()]
        info(f"  plan (organisation la plus chargée, sans filtre) : {plan[0]} … {plan[-1]}")
    results = {"referral_inbox_p95_ms": f"{p95(durations):.1f}"}

    # The whole page through the stack, when it exists.
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from parcours.www.middleware import SESSION_KEY

    try:
        url = reverse("referral_inbox")
    except NoReverseMatch:
        return results
    membership = members[busiest[0]]
    client = Client(HTTP_HOST="localhost")
    client.force_login(membership.user)
    session = client.session
    session[SESSION_KEY] = membership.pk
    session.save()
    variants = [url, f"{url}?status=awaiting", f"{url}?status=accepted", f"{url}?overdue=1", f"{url}?page=2"]
    page_durations = []
    for i in range(args.warmup + args.requests):
        started = time.perf_counter()
        response = client.get(variants[i % len(variants)])
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            info(f"  page de la boîte : HTTP {response.status_code} sur {variants[i % len(variants)]}")
            return results
        if i >= args.warmup:
            page_durations.append(elapsed)
    info(f"  page /prescriptions/recues/ (organisation la plus chargée) : {describe(page_durations)}")
    results["referral_inbox_page_p95_ms"] = f"{p95(page_durations):.1f}"
    return results


def measure_transitions(args, rng: random.Random) -> dict:
    """One service call on a random referral in the right state, in turn: mark seen, accept,
    refuse, start, close (each referral moved once; notifications queued, mails sent after commit)."""
    from django.core import mail

    from parcours.organisations.enums import Role
    from parcours.organisations.models import Membership
    from parcours.referrals import services
    from parcours.referrals.models import Referral

    members: dict[int, Membership] = {}

    def member_of(org_id: int) -> Membership:
        if org_id not in members:
            members[org_id] = (
                Membership.objects.filter(organisation_id=org_id, is_active=True, user__is_active=True)
                .exclude(role=Role.PILOTE)
                .select_related("user", "organisation")
                .order_by("id")
                .first()
            )
        return members[org_id]

    total = args.warmup + args.requests
    pools = {}
    for status in ("sent", "seen", "accepted", "started"):
        ids = list(
            Referral.objects.filter(status=status, recipient_organisation__isnull=False)
            .exclude(status__in=("sent", "seen"), due_at__lt=time_now())
            .order_by("?")
            .values_list("id", "recipient_organisation_id")[:total]
        )
        rng.shuffle(ids)
        pools[status] = ids
    moves = [
        ("sent", lambda r, m: services.referral_mark_seen(referral=r, membership=m, acting_user=m.user)),
        ("seen", lambda r, m: services.referral_accept(referral=r, membership=m, acting_user=m.user)),
        ("sent", lambda r, m: services.referral_refuse(referral=r, reason="no_place", membership=m, acting_user=m.user)),
        ("accepted", lambda r, m: services.referral_start(referral=r, membership=m, acting_user=m.user)),
        ("started", lambda r, m: services.referral_close(referral=r, outcome="completed", membership=m,
                                                          acting_user=m.user)),
    ]  # fmt: skip
    durations = []
    for i in range(total):
        status, call = moves[i % len(moves)]
        if not pools[status]:
            continue
        referral_id, org_id = pools[status].pop()
        membership = member_of(org_id)
        referral = Referral(pk=referral_id)
        started = time.perf_counter()
        call(referral, membership)
        elapsed = (time.perf_counter() - started) * 1000
        if i >= args.warmup:
            durations.append(elapsed)
        mail.outbox = []
    if not durations:
        return {"referral_transition_p95_ms": "indisponible (aucune prescription à faire avancer)"}
    info(f"transitions ({len(durations)} appels) : {describe(durations)}")
    return {"referral_transition_p95_ms": f"{p95(durations):.1f}"}


def time_now():
    from django.utils import timezone

    return timezone.now()


def row_counts() -> dict:
    from parcours.audit.models import AuditEntry
    from parcours.directory.models import Service
    from parcours.organisations.models import Organisation
    from parcours.pathways.models import Action, Pathway
    from parcours.referrals.models import Referral, ReferralTransition

    return {
        "rows_pathways": Pathway.objects.count(),
        "rows_referrals": Referral.objects.count(),
        "rows_referral_transitions": ReferralTransition.objects.count(),
        "rows_actions_finished": Action.objects.filter(finished_at__isnull=False).count(),
        "rows_services": Service.objects.count(),
        "rows_organisations": Organisation.objects.count(),
        "rows_audit_entries": AuditEntry.objects.count(),
    }


def reset_alerts() -> None:
    """With --reuse: forget the alerts of the previous run (and their timeline events) so that the
    scan measured is again the one that opens every alert."""
    from django.db import connection, transaction

    from parcours.pathways.enums import EventKind
    from parcours.pathways.models import Event, PathwayAlert

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {Event._meta.db_table} WHERE kind IN (%s, %s)",
            [EventKind.ALERT_OPENED, EventKind.ALERT_CLOSED],
        )
        cursor.execute(f"TRUNCATE {PathwayAlert._meta.db_table}")


def main() -> int:
    args = parse_args()
    prepare_database(args)
    setup_django()
    from django.db import connection
    from django.utils import timezone

    from parcours.referrals.models import Referral

    rng = random.Random(args.seed)
    results: dict = {}
    pathways_s = generate_pathways(args)
    if pathways_s is None and Referral.objects.count() == args.referrals:
        info("prescriptions déjà générées : génération non relancée")
        results["pathways_generate_s"] = results["referrals_generate_s"] = "non mesuré (--reuse)"
        reset_alerts()
    else:
        if pathways_s is None:
            sys.exit("Base réutilisée sans les prescriptions attendues : relancez sans --reuse.")
        now = timezone.now().replace(microsecond=0)
        started = time.perf_counter()
        generate_offer(rng, now)
        counts = generate_referrals(args, rng, now)
        finish_actions(now)
        referrals_s = time.perf_counter() - started
        info(
            f"{counts['referrals']} prescriptions et {counts['transitions']} changements d'état en {referrals_s:.1f} s"
        )
        results["pathways_generate_s"] = f"{pathways_s:.1f}"
        results["referrals_generate_s"] = f"{referrals_s:.1f}"
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    info(f"ANALYZE en {time.perf_counter() - started:.1f} s")
    results.update(row_counts())
    results.update(measure_scan(args))
    results.update(measure_inbox(args, rng))
    results.update(measure_transitions(args, rng))

    for name, value in results.items():
        if name not in FIGURES:
            figure(name, value)
    for name in FIGURES:
        figure(name, results.get(name, "indisponible"))
    return 0 if all(not str(results.get(n, "indisponible")).startswith("indisponible") for n in FIGURES) else 1


if __name__ == "__main__":
    sys.exit(main())
