#!/usr/bin/env python
"""Benchmark of the territorial offer on PostgreSQL: import speed of a data·inclusion dump, search
page and partner API timings, with 100,000 services over 20,000 structures across France
(see bench/README.md).

Prints exactly one line per figure, `name: value`, on stdout; progress and details go to stderr.

    DATABASE_URL=postgres://parcours@127.0.0.1:54329/parcours .venv/bin/python bench/bench_directory.py
"""

import argparse
import math
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pathways import info, prepare_database, setup_django  # noqa: E402

FIGURES = ("directory_import_services_per_s", "directory_search_p95_ms", "directory_api_page_p95_ms")
LAPOSTE = next(
    (
        path
        for path in (
            ROOT.parent / "shared" / "data" / "geo" / "laposte_hexasmal.csv",
            Path("/work/shared/data/geo/laposte_hexasmal.csv"),
        )
        if path.exists()
    ),
    ROOT.parent / "shared" / "data" / "geo" / "laposte_hexasmal.csv",
)
SOURCE = "bench"


def figure(name: str, value) -> None:
    print(f"{name}: {value}", flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=100_000, help="services à générer (défaut 100 000)")
    parser.add_argument("--structures", type=int, default=20_000, help="structures (défaut 20 000)")
    parser.add_argument("--database", default="parcours_bench_directory", help="base créée pour le benchmark")
    parser.add_argument("--requests", type=int, default=200, help="requêtes mesurées par page (défaut 200)")
    parser.add_argument("--warmup", type=int, default=20, help="requêtes de chauffe")
    parser.add_argument("--laposte", default=str(LAPOSTE), help="fichier des codes postaux de La Poste")
    parser.add_argument("--seed", type=int, default=44)
    parser.add_argument("--reuse", action="store_true", help="réutiliser la base si l'offre y est déjà chargée")
    return parser.parse_args()


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return round(ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)], 1)


def load_geography(path: str) -> None:
    from django.core.management import call_command

    from parcours.territories.models import Commune

    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_reference", stdout=open(os.devnull, "w"))  # noqa: SIM115 - discarded output
    if Commune.objects.count() < 30_000:
        if not Path(path).exists():
            sys.exit(f"Fichier de La Poste introuvable : {path} (option --laposte)")
        started = time.perf_counter()
        call_command("import_laposte", path, stdout=open(os.devnull, "w"))  # noqa: SIM115
        info(f"communes de France importées en {time.perf_counter() - started:.1f} s")


def generate_offer(args) -> tuple[list[dict], list[dict]]:
    """Valid v1 structures and services spread over the communes of France, denser where the
    communes are (a structure's commune is drawn uniformly among communes with coordinates)."""
    import datetime

    from parcours.demo.directory import OFFERS, STREETS, siret_for
    from parcours.directory import vocabulary
    from parcours.territories.models import Commune

    rng = random.Random(args.seed)
    communes = list(
        Commune.objects.exclude(latitude=None)
        .order_by("insee_code")
        .values_list("insee_code", "name", "postcodes", "latitude", "longitude", "departement_id")
    )
    today = datetime.date.today()
    offers = list(OFFERS.values())
    all_thematiques = [t.value for t in vocabulary.THEMATIQUE]
    structures, services = [], []
    for index in range(args.structures):
        insee, name, postcodes, lat, lon, dep = rng.choice(communes)
        structures.append(
            {
                "source": SOURCE,
                "id": f"{SOURCE}--s{index}",
                "nom": f"Structure d'insertion {index} de {name.title()}"[:150],
                "date_maj": (today - datetime.timedelta(days=rng.randint(1, 700))).isoformat(),
                "siret": siret_for(rng),
                "commune": name.title(),
                "code_postal": postcodes[0] if postcodes else None,
                "code_insee": insee,
                "adresse": f"{rng.randint(1, 200)} {rng.choice(STREETS)}",
                "latitude": round(lat + rng.uniform(-0.01, 0.01), 6),
                "longitude": round(lon + rng.uniform(-0.01, 0.01), 6),
                "telephone": f"+33{rng.randint(100000000, 599999999)}",
                "courriel": f"contact{index}@structure-bench.fr",
            }
        )
    for index in range(args.services):
        structure = structures[index % len(structures)] if index < len(structures) else rng.choice(structures)
        offer = rng.choice(offers)
        thematiques = list(offer.thematiques)
        if rng.random() < 0.3:
            thematiques.append(rng.choice(all_thematiques))
        roll = rng.random()
        zone = (
            [structure["code_insee"]]
            if roll < 0.3
            else ["france"]
            if roll < 0.4
            else [
                structure["code_insee"][:3] if structure["code_insee"].startswith("97") else structure["code_insee"][:2]
            ]
        )
        services.append(
            {
                "source": SOURCE,
                "structure_id": structure["id"],
                "id": f"{SOURCE}--v{index}",
                "nom": offer.nom,
                "description": offer.description,
                "date_maj": (today - datetime.timedelta(days=rng.randint(1, 700))).isoformat(),
                "type": offer.type,
                "thematiques": sorted(set(thematiques)),
                "frais": offer.frais,
                "publics": list(offer.publics),
                "commune": structure["commune"],
                "code_postal": structure["code_postal"],
                "code_insee": structure["code_insee"],
                "adresse": structure["adresse"],
                "latitude": structure["latitude"],
                "longitude": structure["longitude"],
                "telephone": structure["telephone"],
                "courriel": structure["courriel"],
                "modes_accueil": list(offer.modes_accueil),
                "zone_eligibilite": zone,
                "modes_mobilisation": list(offer.modes_mobilisation),
                "mobilisable_par": list(offer.mobilisable_par),
                "volume_horaire_hebdomadaire": offer.volume,
                "nombre_semaines": offer.semaines,
            }
        )
    return structures, services


def import_offer(args, structures: list[dict], services: list[dict]) -> float:
    from parcours.directory.importing import import_records

    started = time.perf_counter()
    run = import_records(structures, kind="structures", source=SOURCE)
    info(
        f"{len(structures)} structures importées en {time.perf_counter() - started:.1f} s "
        f"({run.created_count} créées, {run.rejected_count} rejetées)"
    )
    started = time.perf_counter()
    run = import_records(services, kind="services", source=SOURCE)
    elapsed = time.perf_counter() - started
    info(
        f"{len(services)} services importés en {elapsed:.1f} s ({run.created_count} créés, {run.rejected_count} rejetés)"
    )
    if run.rejected_count:
        sys.exit(f"{run.rejected_count} services rejetés : le générateur doit produire des données valides.")
    return len(services) / elapsed


def main() -> None:
    args = parse_args()
    prepare_database(args)
    setup_django()
    from django.db import connection

    load_geography(args.laposte)
    from parcours.directory.models import Service

    if args.reuse and Service.objects.filter(source=SOURCE).count() >= args.services:
        info("offre déjà chargée : import non relancé")
        figure("directory_import_services_per_s", "non mesuré (--reuse)")
    else:
        Service.objects.filter(source=SOURCE).delete()
        structures, services = generate_offer(args)
        rate = import_offer(args, structures, services)
        figure("directory_import_services_per_s", round(rate))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    measure_search(args)
    measure_api(args)


def bench_client():
    """A logged-in France Travail counsellor (the search page needs a membership)."""
    from django.test import Client

    from parcours.organisations.enums import OrganisationKind, Role
    from parcours.organisations.models import Membership, Organisation
    from parcours.users.models import User

    organisation, _ = Organisation.objects.get_or_create(
        name="France Travail (benchmark)", defaults={"kind": OrganisationKind.FRANCE_TRAVAIL, "departement_id": "44"}
    )
    user, _ = User.objects.get_or_create(username="bench.annuaire")
    membership, _ = Membership.objects.get_or_create(
        user=user, organisation=organisation, defaults={"role": Role.CONSEILLER}
    )
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    session = client.session
    session["current_membership_id"] = membership.pk
    session.save()
    return client, organisation


SEARCH_NEEDS = (
    ("lecture-ecriture-calcul--maitriser-le-francais", "personnes-exilees"),
    ("logement-hebergement", "personnes-en-situation-durgence"),
    ("famille--garde-denfants", "femmes"),
    ("numerique", ""),
    ("sante--acces-aux-soins", "personnes-exilees"),
    ("trouver-un-emploi", "jeunes"),
    ("mobilite", "demandeurs-emploi"),
    ("se-former--trouver-sa-formation", ""),
)


def search_queries(args, count: int) -> list[dict]:
    """Realistic searches: a need (a thématique or a whole category), often a public, 30 km around a
    commune drawn among the communes that host services (people live where the offer is)."""
    from parcours.directory.models import Service

    rng = random.Random(args.seed + 1)
    communes = list(Service.objects.values_list("code_insee", flat=True).distinct().order_by("code_insee")[:5000])
    queries = []
    for _ in range(count):
        thematique, public = rng.choice(SEARCH_NEEDS)
        params = {"thematiques": thematique, "commune": rng.choice(communes), "distance_km": "30"}
        if public:
            params["public"] = public
        if rng.random() < 0.2:
            params["free_places_only"] = "on"
        queries.append(params)
    return queries


def measure_search(args) -> None:
    from django.urls import reverse

    client, _ = bench_client()
    url = reverse("directory_search")
    queries = search_queries(args, args.warmup + args.requests)
    samples, results = [], []
    for index, params in enumerate(queries):
        started = time.perf_counter()
        response = client.get(url, params)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            sys.exit(f"Recherche en échec ({response.status_code}) pour {params}")
        if index >= args.warmup:
            samples.append(elapsed)
            found = re.search(r"(\d[\d\u202f\xa0 ]*) services? trouvés?", response.content.decode())
            results.append(int(re.sub(r"\D", "", found.group(1))) if found else 0)
    info(f"recherche : médiane {statistics.median(samples):.1f} ms, résultats médians {statistics.median(results)}")
    figure("directory_search_p95_ms", p95(samples))


def api_queries(args, count: int) -> list[dict]:
    """Partner API reads of 100 services: whole-offer walks by cursor (a partner mirroring the offer),
    a département, and filtered searches around a commune."""
    from parcours.directory.models import Service

    rng = random.Random(args.seed + 2)
    communes = list(Service.objects.values_list("code_insee", flat=True).distinct().order_by("code_insee")[:5000])
    departements = sorted({code[:2] for code in communes if not code.startswith("97")})
    queries = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.4:
            queries.append({"size": "100", "_walk": "1"})
        elif roll < 0.7:
            queries.append({"size": "100", "departement": rng.choice(departements)})
        else:
            thematique, public = rng.choice(SEARCH_NEEDS)
            params = {"size": "100", "thematiques": thematique, "code_commune": rng.choice(communes)}
            params["distance_km"] = "30"
            if public:
                params["publics"] = public
            queries.append(params)
    return queries


def measure_api(args) -> None:
    from django.test import Client

    from parcours.api.services import create_token

    _client, organisation = bench_client()
    _token, key = create_token(organisation=organisation, label="benchmark")
    client = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {key}")
    samples, cursor, walked = [], None, 0
    for index, params in enumerate(api_queries(args, args.warmup + args.requests)):
        walk = params.pop("_walk", None)
        if walk and cursor:
            params["cursor"] = cursor
        started = time.perf_counter()
        response = client.get("/api/v1/services", params)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            sys.exit(f"API en échec ({response.status_code}) pour {params} : {response.content[:300]!r}")
        if walk:
            body = response.json()
            cursor = body["next_cursor"]
            walked += len(body["items"])
        if index >= args.warmup:
            samples.append(elapsed)
    info(f"API : médiane {statistics.median(samples):.1f} ms, {walked} services parcourus par curseur")
    figure("directory_api_page_p95_ms", p95(samples))


if __name__ == "__main__":
    main()
