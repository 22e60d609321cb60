#!/usr/bin/env python
"""Benchmark of the pathway record on PostgreSQL: generation speed of the demo territory, and
server-side timings of the pathway page and the caseload page (see bench/README.md).

Prints exactly one line per figure, `name: value`, on stdout; progress and details go to stderr.

    DATABASE_URL=postgres://parcours@127.0.0.1:54329/parcours .venv/bin/python bench/bench_pathways.py
"""

import argparse
import math
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIGURES = ("demo_generate_persons_per_s", "pathway_page_p95_ms", "caseload_page_p95_ms", "pathway_page_queries")
BENCH_USERNAME = "bench.referente"
CASELOAD_SIZE = 200
LONG_PATHWAYS = 3
LONG_HISTORY = 600  # events and audit entries per long pathway (the page must not care)


def info(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def figure(name: str, value) -> None:
    print(f"{name}: {value}", flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=100_000, help="personnes à générer (défaut 100 000)")
    parser.add_argument("--reuse", action="store_true", help="réutiliser la base si la démo y est déjà chargée")
    parser.add_argument("--database", default="parcours_bench", help="base créée pour le benchmark")
    parser.add_argument("--requests", type=int, default=200, help="requêtes mesurées par page (défaut 200)")
    parser.add_argument("--warmup", type=int, default=20, help="requêtes de chauffe par page")
    parser.add_argument("--seed", type=int, default=44)
    parser.add_argument(
        "--workers", type=int, default=None, help="processus de génération (défaut : nombre de CPU, 4 au plus)"
    )
    return parser.parse_args()


def prepare_database(args) -> bool:
    """Create (or keep, with --reuse) the benchmark database on the server of DATABASE_URL, then
    point DATABASE_URL at it. Returns True when an existing database is reused."""
    import dj_database_url
    import psycopg

    url = os.environ.get("DATABASE_URL", "postgres://parcours@127.0.0.1:54329/parcours")
    config = dj_database_url.parse(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("Le benchmark mesure PostgreSQL : DATABASE_URL doit désigner un serveur PostgreSQL.")
    params = {
        "host": config["HOST"] or "127.0.0.1",
        "port": config["PORT"] or 5432,
        "user": config["USER"],
        "password": config["PASSWORD"] or None,
        "dbname": config["NAME"],
        "autocommit": True,
    }
    name = args.database
    with psycopg.connect(**params) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None
        if exists and not args.reuse:
            info(f"suppression de la base {name}")
            # An autovacuum worker left from the previous run may hold the database: only a
            # superuser may end it, so wait for it (a minute at most) rather than fail.
            for attempt in range(60):
                try:
                    admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
                    break
                except psycopg.errors.InsufficientPrivilege:
                    if attempt == 59:
                        raise
                    time.sleep(1)
            exists = False
        if not exists:
            info(f"création de la base {name}")
            admin.execute(f'CREATE DATABASE "{name}" OWNER "{config["USER"]}"')
    os.environ["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + name
    return exists


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()


def generate(args, reused: bool) -> float:
    from django.core.management import call_command

    from parcours.demo.loader import demo_load
    from parcours.demo.models import DemoLoad

    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_reference", stdout=open(os.devnull, "w"))  # noqa: SIM115 - discarded output
    previous = DemoLoad.objects.first()
    if reused and previous is not None and previous.persons >= args.persons:
        info(f"démo déjà chargée ({previous.persons} personnes) : génération non relancée, vitesse mesurée alors")
        return previous.persons / previous.duration_s
    if previous is not None:
        info("démo présente mais plus petite : rechargement")

    def progress(done, total, elapsed):
        if done == total or done % 20_000 < 2000:
            info(f"génération : {done} / {total} personnes ({done / elapsed:.0f} personnes/s)")

    started = time.perf_counter()
    load = demo_load(
        persons=args.persons,
        seed=args.seed,
        reset=previous is not None,
        workers=args.workers,
        progress=progress,
        with_offer=False,  # people only: the offer has its own benchmark (bench_directory.py)
    )
    elapsed = time.perf_counter() - started
    info(f"génération de {load.persons} personnes en {elapsed:.1f} s")
    return load.persons / elapsed


def bench_fixtures():
    """A referent with exactly CASELOAD_SIZE open pathways, LONG_PATHWAYS of which carry a long
    history (LONG_HISTORY timeline events, audit reads, notes, appointments, goals and actions).
    Idempotent: reused as is with --reuse."""
    import datetime

    from django.db import connection, transaction
    from django.utils import timezone

    from parcours.audit.models import AuditAction
    from parcours.audit.services import audit_log
    from parcours.demo import territory as T
    from parcours.organisations.enums import Role
    from parcours.organisations.models import Membership, Organisation
    from parcours.pathways.enums import ActionStatus, AppointmentStatus, EventKind, PathwayStatus
    from parcours.pathways.models import Action, Appointment, Event, FollowUpMember, Goal, Note, Pathway
    from parcours.users.models import User

    existing = Membership.objects.filter(user__username=BENCH_USERNAME).select_related("user", "organisation").first()
    if existing is not None:
        pathways = list(
            Pathway.objects.filter(
                members__membership=existing, members__is_referent=True, members__ended_at__isnull=True
            )
            .order_by("id")
            .values_list("id", flat=True)
        )
        long_ids = list(
            Pathway.objects.filter(pk__in=pathways).order_by("-last_activity_at").values_list("id", flat=True)
        )
        long_ids = sorted(long_ids, key=lambda pk: -Event.objects.filter(pathway_id=pk).count())[:LONG_PATHWAYS]
        return existing, pathways, long_ids

    info(f"préparation : portefeuille de {CASELOAD_SIZE} parcours et {LONG_PATHWAYS} historiques longs")
    with transaction.atomic():
        organisation = Organisation.objects.get(name="France Travail Nantes Nord")
        user = User.objects.create(
            username=BENCH_USERNAME,
            email=f"{BENCH_USERNAME}@{T.EMAIL_DOMAIN}",
            first_name="Brigitte",
            last_name="Banc-d'essai",
        )
        membership = Membership.objects.create(user=user, organisation=organisation, role=Role.CONSEILLER)
        seats = list(
            FollowUpMember.objects.filter(
                is_referent=True, ended_at__isnull=True, pathway__status=PathwayStatus.OPEN,
                membership__organisation=organisation,
            ).order_by("pathway_id").values_list("id", flat=True)[:CASELOAD_SIZE]
        )  # fmt: skip
        if len(seats) < CASELOAD_SIZE:  # a small territory: take referent seats anywhere
            seats += list(
                FollowUpMember.objects.filter(
                    is_referent=True, ended_at__isnull=True, pathway__status=PathwayStatus.OPEN
                )
                .exclude(id__in=seats)
                .order_by("pathway_id")
                .values_list("id", flat=True)[: CASELOAD_SIZE - len(seats)]
            )
        # The seat changes hands in place: one active referent per pathway stays true.
        FollowUpMember.objects.filter(id__in=seats).update(membership=membership)
        pathways = list(
            FollowUpMember.objects.filter(id__in=seats).order_by("pathway_id").values_list("pathway_id", flat=True)
        )
        long_ids = pathways[:: max(1, len(pathways) // LONG_PATHWAYS)][:LONG_PATHWAYS]
        now = timezone.now()
        for pathway in Pathway.objects.filter(pk__in=long_ids).select_related("person"):
            goals = Goal.objects.bulk_create(
                Goal(pathway=pathway, theme="emploi", text=f"Objectif de test n° {i}", agreed_by_person=True,
                     created_by=user, created_at=now - datetime.timedelta(days=400 - i))
                for i in range(40)
            )  # fmt: skip
            Action.objects.bulk_create(
                Action(goal=goal, text=f"Action de test n° {j}", status=ActionStatus.DONE if j % 2 else ActionStatus.PLANNED,
                       due_on=(now + datetime.timedelta(days=j)).date(), done_on=now.date() if j % 2 else None,
                       carried_by=organisation, created_by=user)
                for goal in goals for j in range(4)
            )  # fmt: skip
            Note.objects.bulk_create(
                Note(pathway=pathway, author=user, organisation=organisation, text=f"Note de suivi n° {i}. " * 20,
                     created_at=now - datetime.timedelta(hours=i))
                for i in range(300)
            )  # fmt: skip
            Appointment.objects.bulk_create(
                Appointment(pathway=pathway, starts_at=now + datetime.timedelta(days=i - 100), mode="in_person",
                            with_member=membership, subject=f"Entretien n° {i}",
                            status=AppointmentStatus.PLANNED if i > 100 else AppointmentStatus.HELD)
                for i in range(150)
            )  # fmt: skip
            Event.objects.bulk_create(
                Event(pathway=pathway, at=now - datetime.timedelta(minutes=i), kind=EventKind.NOTE_ADDED, actor=user,
                      organisation=organisation, summary="Note ajoutée")
                for i in range(LONG_HISTORY)
            )  # fmt: skip
            for _ in range(LONG_HISTORY):
                audit_log(actor=user, organisation=organisation, action=AuditAction.READ, obj=pathway,
                          person=pathway.person, object_type="pathways.pathway:summary")  # fmt: skip
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return membership, pathways, long_ids


def measure(args, membership, pathways, long_ids) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import NoReverseMatch, reverse

    from parcours.www.middleware import SESSION_KEY

    client = Client(HTTP_HOST="localhost")
    client.force_login(membership.user)
    session = client.session
    session[SESSION_KEY] = membership.pk
    session.save()
    results = {}

    def url_for(name, *args_):
        try:
            return reverse(name, args=args_)
        except NoReverseMatch:
            return None

    def timed(urls: list[str]) -> tuple[float | None, str]:
        for url in urls[: args.warmup]:
            response = client.get(url)
            if response.status_code != 200:
                return None, f"HTTP {response.status_code} sur {url}"
        durations = []
        for i in range(args.requests):
            url = urls[i % len(urls)]
            started = time.perf_counter()
            response = client.get(url)
            durations.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                return None, f"HTTP {response.status_code} sur {url}"
        p95 = sorted(durations)[math.ceil(0.95 * len(durations)) - 1]
        info(f"  médiane {statistics.median(durations):.1f} ms, p95 {p95:.1f} ms, max {max(durations):.1f} ms")
        return p95, ""

    # Pathway page: half of the requests on the long histories (the worst case), half elsewhere.
    regular = [p for p in pathways if p not in long_ids]
    order = []
    for i in range(max(len(regular), 1)):
        order.append(long_ids[i % len(long_ids)])
        if regular:
            order.append(regular[i])
    if url_for("pathway", order[0]) is None:
        results["pathway_page_p95_ms"] = "indisponible (URL « pathway » absente)"
        results["pathway_page_queries"] = "indisponible (URL « pathway » absente)"
    else:
        info(f"page parcours : {args.requests} requêtes après {args.warmup} de chauffe")
        p95, why = timed([url_for("pathway", pk) for pk in order])
        results["pathway_page_p95_ms"] = f"{p95:.1f}" if p95 is not None else f"indisponible ({why})"
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url_for("pathway", long_ids[0]))
        if response.status_code == 200:
            results["pathway_page_queries"] = len(queries)
            with CaptureQueriesContext(connection) as regular_queries:
                client.get(url_for("pathway", regular[0] if regular else long_ids[0]))
            info(f"  requêtes SQL : {len(queries)} (historique long), {len(regular_queries)} (parcours ordinaire)")
        else:
            results["pathway_page_queries"] = f"indisponible (HTTP {response.status_code})"

    caseload = url_for("caseload")
    if caseload is None:
        results["caseload_page_p95_ms"] = "indisponible (URL « caseload » absente)"
    else:
        info(f"portefeuille : {args.requests} requêtes après {args.warmup} de chauffe")
        variants = [
            caseload,
            f"{caseload}?sort=nom",
            f"{caseload}?page=2",
            f"{caseload}?q=a",
            f"{caseload}?role=referent",
        ]
        p95, why = timed(variants)
        results["caseload_page_p95_ms"] = f"{p95:.1f}" if p95 is not None else f"indisponible ({why})"
        with CaptureQueriesContext(connection) as queries:
            client.get(caseload)
        info(f"  requêtes SQL du portefeuille : {len(queries)}")
    return results


def main() -> int:
    args = parse_args()
    if not 1 <= args.persons <= 2_000_000:
        sys.exit("--persons doit être compris entre 1 et 2 000 000.")
    reused = prepare_database(args)
    setup_django()
    results = {"demo_generate_persons_per_s": f"{generate(args, reused):.0f}"}
    membership, pathways, long_ids = bench_fixtures()
    info(f"référente {BENCH_USERNAME} : {len(pathways)} parcours, historiques longs : {long_ids}")
    results.update(measure(args, membership, pathways, long_ids))
    for name in FIGURES:
        figure(name, results.get(name, "indisponible"))
    return 0 if all(not str(results.get(n, "indisponible")).startswith("indisponible") for n in FIGURES) else 1


if __name__ == "__main__":
    sys.exit(main())
