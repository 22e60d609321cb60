#!/usr/bin/env python
"""Benchmark of jobs and recommendations on PostgreSQL: import of the whole ROME 4.0 release,
appellation search, and the recommendations (jobs + services + programmes) for one person with the
full ROME and 100,000 services loaded (see bench/README.md).

Prints exactly one line per figure, `name: value`, on stdout; progress and details go to stderr.

    DATABASE_URL=postgres://parcours@127.0.0.1:54329/parcours .venv/bin/python bench/bench_recommend.py
"""

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_directory import LAPOSTE, SOURCE, generate_offer, import_offer, load_geography, p95  # noqa: E402
from bench_pathways import info, prepare_database, setup_django  # noqa: E402

from tests.shared_data import SHARED_DATA  # noqa: E402

# What counsellors type: job titles with and without accents, in capitals, or a few letters.
TYPED_QUERIES = (
    "aide soignant",
    "macon",
    "développeur",
    "cariste",
    "agent d'entretien",
    "plombier",
    "cuisinier",
    "chauffeur",
    "vendeur",
    "INFIRMIER",
    "soudeur",
    "electricien",
    "boulanger",
    "comptable",
    "serveur",
    "mécanicien auto",
    "coiffeur",
    "peintre en batiment",
    "ménage",
    "auxiliaire de vie",
    "pr",
    "ag",
    "chef",
    "assistant",
    "conducteur",
)


def figure(name: str, value) -> None:
    print(f"{name}: {value}", flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=100_000, help="services à générer (défaut 100 000)")
    parser.add_argument("--structures", type=int, default=20_000, help="structures (défaut 20 000)")
    parser.add_argument("--persons", type=int, default=2_000, help="personnes de la démo (défaut 2 000)")
    parser.add_argument("--database", default="parcours_bench_recommend", help="base créée pour le benchmark")
    parser.add_argument("--requests", type=int, default=200, help="mesures par figure (défaut 200)")
    parser.add_argument("--warmup", type=int, default=20, help="mesures de chauffe")
    parser.add_argument("--rome", default=str(SHARED_DATA / "rome-4.0-v460"), help="dossier de la version du ROME")
    parser.add_argument(
        "--tension", default=str(SHARED_DATA / "tension" / "metiers_tension.csv"), help="fichier des tensions"
    )
    parser.add_argument("--laposte", default=str(LAPOSTE), help="fichier des codes postaux de La Poste")
    parser.add_argument("--seed", type=int, default=44)
    parser.add_argument("--reuse", action="store_true", help="réutiliser la base si tout y est déjà chargé")
    return parser.parse_args()


def load_people(args) -> None:
    """The demo territory: people with diagnostics, experiences and wishes as appellations, the
    territory's offer, programmes and sessions."""
    from parcours.demo.loader import demo_load
    from parcours.demo.models import DemoLoad

    previous = DemoLoad.objects.first()
    if args.reuse and previous is not None and previous.persons >= args.persons:
        info(f"démo déjà chargée ({previous.persons} personnes)")
        return
    started = time.perf_counter()
    # With the territory's own offer, its programmes and sessions; the national offer comes next.
    demo_load(persons=args.persons, seed=args.seed, reset=previous is not None, with_offer=True)
    info(f"démo de {args.persons} personnes chargée en {time.perf_counter() - started:.1f} s")


def import_rome(args) -> float:
    """The whole release, loaded beside the demo subset then switched to: the figure covers reading
    and checking every file, writing the release rows, and the switch."""
    from parcours.occupations.rome_import import import_release

    started = time.perf_counter()
    release = import_release(Path(args.rome))
    elapsed = time.perf_counter() - started
    info(f"ROME v{release.version} importé en {elapsed:.1f} s : {release.counts}")
    return elapsed


def import_tension(args) -> None:
    from parcours.occupations.tension_import import import_tension_file

    started = time.perf_counter()
    run = import_tension_file(Path(args.tension))
    info(
        f"tensions importées en {time.perf_counter() - started:.1f} s : {run.counts}, "
        f"{len(run.unmatched)} codes non rapprochés"
    )


def load_offer(args) -> None:
    from parcours.directory.models import Service

    if Service.objects.filter(source=SOURCE).count() >= args.services:
        info("offre déjà chargée")
        return
    Service.objects.filter(source=SOURCE).delete()
    structures, services = generate_offer(args)
    import_offer(args, structures, services)


def search_queries(args, count: int) -> list[str]:
    """The typed queries, and word beginnings of real appellations (2 to 8 letters)."""
    from parcours.occupations.models import Appellation

    rng = random.Random(args.seed)
    labels = list(Appellation.objects.filter(in_release=True).values_list("label", flat=True))
    queries = []
    for index in range(count):
        if index % 2 == 0:
            queries.append(TYPED_QUERIES[(index // 2) % len(TYPED_QUERIES)])
        else:
            word = rng.choice(rng.choice(labels).split())
            queries.append(word[: rng.randint(2, 8)] if len(word) >= 2 else "ag")
    return queries


def measure_search(args) -> None:
    from django.core.exceptions import ValidationError

    from parcours.occupations.search import search_appellations

    samples, hits = [], []
    for index, query in enumerate(search_queries(args, args.warmup + args.requests)):
        started = time.perf_counter()
        try:
            found = search_appellations(query)
        except ValidationError:
            found = []
        elapsed = (time.perf_counter() - started) * 1000
        if index >= args.warmup:
            samples.append(elapsed)
            hits.append(len(found))
    info(
        f"recherche d'appellations : médiane {statistics.median(samples):.2f} ms, résultats médians {statistics.median(hits)}"
    )
    figure("appellation_search_p95_ms", round(p95(samples), 1))


def people_to_recommend(args) -> list[tuple[object, object]]:
    """Open pathways with their referent's membership, people with experience or wishes first."""
    from django.db.models import Count

    from parcours.pathways.enums import PathwayStatus
    from parcours.pathways.models import FollowUpMember, Pathway

    pathways = list(
        Pathway.objects.filter(status=PathwayStatus.OPEN)
        .annotate(jobs=Count("person__experiences", distinct=True) + Count("person__job_wishes", distinct=True))
        .order_by("-jobs", "pk")
        .select_related("person")[: args.warmup + args.requests]
    )
    seats = {
        seat.pathway_id: seat.membership
        for seat in FollowUpMember.objects.filter(
            pathway__in=pathways, is_referent=True, ended_at__isnull=True
        ).select_related("membership__organisation", "membership__user")
    }
    return [(pathway, seats[pathway.pk]) for pathway in pathways if pathway.pk in seats]


def measure_recommend(args) -> None:
    from parcours.matching.selectors import recommend_for
    from parcours.people.selectors import consented_categories

    cases = people_to_recommend(args)
    if len(cases) <= args.warmup:
        sys.exit("Pas assez de parcours ouverts avec un·e référent·e pour mesurer les recommandations.")
    samples, counts = [], []
    for index, (pathway, membership) in enumerate(cases):
        started = time.perf_counter()
        categories = consented_categories(person=pathway.person_id, membership=membership)
        result = recommend_for(pathway=pathway, membership=membership, categories=categories)
        elapsed = (time.perf_counter() - started) * 1000
        if index >= args.warmup:
            samples.append(elapsed)
            counts.append((len(result.jobs), len(result.services), len(result.programmes)))
    jobs, services, programmes = (statistics.median(c[i] for c in counts) for i in range(3))
    info(
        f"recommandations : médiane {statistics.median(samples):.1f} ms sur {len(samples)} personnes ; "
        f"propositions médianes : {jobs} métiers, {services} services, {programmes} programmes"
    )
    figure("recommend_person_p95_ms", round(p95(samples), 1))


def main() -> None:
    args = parse_args()
    prepare_database(args)
    setup_django()
    from django.db import connection

    load_geography(args.laposte)
    load_people(args)
    figure("rome_import_s", round(import_rome(args), 1))
    import_tension(args)
    load_offer(args)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    measure_search(args)
    measure_recommend(args)


if __name__ == "__main__":
    main()
