#!/usr/bin/env python
"""Benchmark of programmes on PostgreSQL: eligibility evaluations per second (bench_eligibility.py)
and every indicator of every cohort of a programme with 30,000 enrolments (see bench/README.md).

Prints exactly one line per figure, `name: value`, on stdout; progress and details go to stderr.

    DATABASE_URL=postgres://parcours@127.0.0.1:54329/parcours .venv/bin/python bench/bench_programmes.py
"""

import argparse
import datetime
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pathways import info, prepare_database, setup_django  # noqa: E402

PROGRAMME_CODE = "banc-essai-hope"
OPERATORS = 8
SESSIONS = 160
FIRST_ENTRY = datetime.date(2021, 1, 4)
BATCH = 5000


def figure(name: str, value) -> None:
    print(f"{name}: {value}", flush=True)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enrolments", type=int, default=30_000, help="inscriptions à générer (défaut 30 000)")
    parser.add_argument("--database", default="parcours_bench_programmes", help="base créée pour le benchmark")
    parser.add_argument("--reuse", action="store_true", help="réutiliser la base si les données y sont déjà")
    parser.add_argument("--repeat", type=int, default=7, help="mesures des indicateurs (médiane retenue)")
    parser.add_argument("--seed", type=int, default=44)
    parser.add_argument("--skip-eligibility", action="store_true", help="ne pas lancer bench_eligibility.py")
    args = parser.parse_args()
    if not 100 <= args.enrolments <= 2_000_000:
        sys.exit("--enrolments doit être compris entre 100 et 2 000 000.")
    return args


# --- 1. eligibility (bench_eligibility.py, written with the evaluator) ------------------------------


def bench_eligibility() -> None:
    try:
        import bench_eligibility
    except ImportError:
        info("bench/bench_eligibility.py absent : eligibility_evals_per_s non mesuré")
        return
    result = bench_eligibility.run()
    if isinstance(result, dict):
        for name, value in result.items():
            figure(name, value)
    elif result is not None:
        figure("eligibility_evals_per_s", result)


# --- 2. a programme with its enrolments, by bulk_create --------------------------------------------

# (state, weight) of the enrolments; entered ones get dates below.
STATES = (("completed", 58), ("abandoned", 22), ("in_progress", 10), ("enrolled", 2), ("candidate", 4),
          ("not_selected", 4))  # fmt: skip
OUTCOMES = (("sustainable_employment", 18), ("other_employment", 14), ("work_study", 16), ("qualifying_training", 12),
            ("job_search", 22), ("other", 6), ("unknown", 7), ("", 5))  # fmt: skip
SURVEY_STATUS = (("answered", 60), ("no_answer", 25), ("pending", 15))
EMPLOYMENT = (("sustainable_employment", 30), ("other_employment", 20), ("work_study", 15), ("not_employed", 35))


def _pick(rng: random.Random, mix) -> str:
    return rng.choices([k for k, _w in mix], weights=[w for _k, w in mix])[0]


def generate(args, today: datetime.date) -> int:
    """The programme, its sessions and `args.enrolments` enrolments with certifications and
    surveys. Returns the programme's id."""
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from parcours.organisations.enums import OrganisationKind, Role
    from parcours.organisations.models import Membership, Organisation
    from parcours.pathways.models import Pathway
    from parcours.people.models import Person
    from parcours.programmes import enums
    from parcours.programmes.indicators import add_months
    from parcours.programmes.models import Certification, Enrolment, FollowUpSurvey, Programme, Session
    from parcours.territories.models import Commune, Departement
    from parcours.users.models import User

    call_command("migrate", verbosity=0, interactive=False)
    existing = Programme.objects.filter(code=PROGRAMME_CODE).first()
    if existing is not None:
        count = Enrolment.objects.filter(programme=existing).count()
        if args.reuse and count == args.enrolments:
            info(f"programme déjà généré ({count} inscriptions) : génération non relancée")
            return existing.pk
        sys.exit("La base contient déjà le programme du banc d'essai : relancer sans --reuse pour la recréer.")

    rng = random.Random(args.seed)
    now = timezone.now()
    started = time.perf_counter()
    with transaction.atomic():
        departement, _ = Departement.objects.get_or_create(
            code="44", defaults={"name": "Loire-Atlantique", "region_code": "52"}
        )
        commune, _ = Commune.objects.get_or_create(
            insee_code="44109",
            defaults={"name": "Nantes", "departement": departement, "postcodes": ["44000"], "latitude": 47.23,
                      "longitude": -1.55},
        )  # fmt: skip
        user = User.objects.create(username="banc.programmes", email="banc.programmes@parcours.test")
        owner = Organisation.objects.create(kind=OrganisationKind.DDETS, name="DDETS (banc)", departement=departement)
        operators = Organisation.objects.bulk_create(
            Organisation(kind=OrganisationKind.ORGANISME_FORMATION, name=f"Centre AFPA {i + 1} (banc)",
                         departement=departement)
            for i in range(OPERATORS)
        )  # fmt: skip
        proposer = Membership.objects.create(user=user, organisation=operators[0], role=Role.CONSEILLER)
        programme = Programme.objects.create(
            code=PROGRAMME_CODE, name="Programme HOPE (banc d'essai)", owner=owner, duration_months=8, created_by=user
        )
        programme.operators.set(operators)
        span_days = (today - FIRST_ENTRY).days
        sessions = Session.objects.bulk_create(
            Session(
                programme=programme,
                operator=operators[i % OPERATORS],
                commune=commune,
                label=f"Session {i + 1} (banc)",
                starts_on=FIRST_ENTRY + datetime.timedelta(days=i * span_days // SESSIONS),
                ends_on=FIRST_ENTRY + datetime.timedelta(days=i * span_days // SESSIONS + 240),
                places=max(1, args.enrolments // SESSIONS + 20),
                created_by=user,
            )
            for i in range(SESSIONS)
        )
        persons = Person.objects.bulk_create(
            (
                Person(first_name="Banc", last_name=f"Essai {i}", birth_date=datetime.date(1990, 1, 1),
                       commune=commune, created_by=user)
                for i in range(args.enrolments)
            ),
            batch_size=BATCH,
        )  # fmt: skip
        pathways = Pathway.objects.bulk_create(
            (Pathway(person=person, departement=departement) for person in persons), batch_size=BATCH
        )
        enrolments, certifications, surveys = [], [], []
        for pathway in pathways:
            session = rng.choice(sessions)
            state = _pick(rng, STATES)
            entered = session.starts_on + datetime.timedelta(days=rng.randint(0, 20))
            fields = {}
            if state in ("in_progress", "enrolled", "completed", "abandoned"):
                if state in ("completed", "abandoned"):
                    exited = entered + datetime.timedelta(days=rng.randint(20, 260))
                    if exited > today:  # still in the programme
                        state, exited = "in_progress", None
                else:
                    exited = None
                if entered > today:
                    state, entered, exited = "enrolled", None, None
                fields = {"enrolled_on": entered or session.starts_on, "entered_on": entered, "exited_on": exited}
                if exited is not None:
                    fields["exit_outcome"] = _pick(rng, OUTCOMES)
                    if state == "abandoned":
                        fields["abandon_reason"] = enums.AbandonReason.OTHER
            elif state == "not_selected":
                fields = {"not_selected_reason": enums.NotSelectedReason.NO_PLACE}
            enrolments.append(
                Enrolment(session=session, programme=programme, pathway=pathway, state=state, proposed_by=proposer,
                          eligibility_status=enums.EligibilityStatus.ELIGIBLE, **fields)
            )  # fmt: skip
        enrolments = Enrolment.objects.bulk_create(enrolments, batch_size=BATCH)
        for enrolment in enrolments:
            if enrolment.entered_on is None:
                continue
            if rng.random() < 0.5:
                certifications.append(
                    Certification(enrolment=enrolment, kind=enums.CertificationKind.LANGUAGE,
                                  exam=enums.CertificationExam.DELF, level="A2", obtained_on=enrolment.entered_on,
                                  recorded_by=user)
                )  # fmt: skip
            if rng.random() < 0.35:
                certifications.append(
                    Certification(enrolment=enrolment, kind=enums.CertificationKind.PROFESSIONAL,
                                  exam=enums.CertificationExam.CCP, title="Agent de propreté et d'hygiène",
                                  obtained_on=enrolment.entered_on, recorded_by=user)
                )  # fmt: skip
            if enrolment.exited_on is None:
                continue
            for wave in enums.SURVEY_WAVES:
                if rng.random() < 0.05:
                    continue  # a survey never scheduled (older records)
                due_on = add_months(enrolment.exited_on, wave)
                status = _pick(rng, SURVEY_STATUS) if due_on <= today else "pending"
                surveys.append(
                    FollowUpSurvey(
                        enrolment=enrolment, wave_months=wave, due_on=due_on, status=status,
                        employment=_pick(rng, EMPLOYMENT) if status == "answered" else "",
                        answered_on=None if status == "pending" else due_on, recorded_by=user,
                    )
                )  # fmt: skip
        Certification.objects.bulk_create(certifications, batch_size=BATCH)
        FollowUpSurvey.objects.bulk_create(surveys, batch_size=BATCH)
    with transaction.atomic():
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    info(
        f"génération : {len(enrolments)} inscriptions, {len(certifications)} certifications, {len(surveys)} enquêtes, "
        f"{SESSIONS} sessions en {time.perf_counter() - started:.1f} s (au {now:%Y-%m-%d})"
    )
    return programme.pk


# --- 3. the indicators -----------------------------------------------------------------------------


def bench_indicators(args, programme_id: int, today: datetime.date) -> None:
    from django.conf import settings

    from parcours.programmes import indicators as ind
    from parcours.programmes import stats
    from parcours.programmes.models import Programme

    programme = Programme.objects.get(pk=programme_id)

    def everything():
        """All the indicators per cohort and in total (the programme page), the publication masking,
        then each cohort per session (every cohort page)."""
        table = stats.programme_by_cohort(programme=programme, as_of=today)
        ind.mask_table(table, min_cell=settings.PUBLICATION_MIN_CELL)
        return table

    def every_cohort_page(table):
        for cohort, _result in table.groups:
            stats.cohort_by_session(programme=programme, cohort=cohort, as_of=today)

    table = everything()  # warm-up
    samples, page_samples = [], []
    for _ in range(args.repeat):
        started = time.perf_counter()
        table = everything()
        samples.append(time.perf_counter() - started)
        started = time.perf_counter()
        every_cohort_page(table)
        page_samples.append(time.perf_counter() - started)
    total = table.total
    info(
        f"{total.entrants} entrées, {len(table.groups)} cohortes ({table.groups[0][0]} → {table.groups[-1][0]}), "
        f"{total.in_progress} en cours ; taux de parcours terminés {ind.percent(total['completion_rate'].rate)}, "
        f"en emploi à 6 mois {ind.percent(total['employment_6_months'].rate)} "
        f"(réponse {ind.percent(total['employment_6_months'].response_rate)})"
    )
    info(f"indicateurs : médiane {statistics.median(samples):.3f} s, max {max(samples):.3f} s sur {args.repeat}")
    figure("indicators_30k_enrolments_s", f"{statistics.median(samples):.3f}")
    figure("indicators_cohorts", len(table.groups))
    figure("indicators_every_cohort_by_session_s", f"{statistics.median(page_samples):.3f}")


def main() -> None:
    args = parse_args()
    prepare_database(args)
    setup_django()
    if not args.skip_eligibility:
        bench_eligibility()
    from django.utils import timezone

    today = timezone.localdate()
    programme_id = generate(args, today)
    bench_indicators(args, programme_id, today)


if __name__ == "__main__":
    main()
