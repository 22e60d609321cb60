"""Load (and reset) the demo territory: organisations, professionals, people and their histories."""

import datetime
import math
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterator

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.test import override_settings
from django.utils import timezone
from django.utils.translation import gettext as _

from parcours.audit.chain import GENESIS_HASH
from parcours.audit.models import AuditEntry
from parcours.audit.services import _CHAIN_LOCK_KEY
from parcours.diagnostics.models import Situation
from parcours.matching.scoring import TENSION_HIGH_PCT
from parcours.occupations.models import Appellation, JobTension, Mobility, ReleaseStatus, RomeJob, RomeRelease
from parcours.organisations.enums import ACCOMPANYING_ROLES, Role
from parcours.organisations.models import Membership, Organisation, TerritoryGrant
from parcours.pathways.breaks import scan_breaks
from parcours.territories.models import Commune, Departement
from parcours.users.models import User

from . import territory as T
from .directory import load_offer
from .generator import (
    BATCH_MODELS,
    MODELS,
    TABLES,
    AuditChain,
    Generator,
    GenSpec,
    Member,
    Staff,
    TextBatch,
    worker_init,
    worker_text_batch,
)
from .models import DemoLoad
from .names import Names, ascii_slug
from .programmes import HOPE_CODE, load_programmes
from .recommendations import demo_recommendation_decisions
from .referrals import demo_referrals
from .writer import RowWriter

MIN_PERSONS, MAX_PERSONS = 1, 2_000_000
BATCH_SIZE = 2000
# From this size on (PostgreSQL), secondary indexes and constraints are rebuilt once at the end
# rather than maintained row by row (see writer.RowWriter).
BULK_THRESHOLD = 5000
# Large loads generate batches in worker processes (the main process chains the audit entries and
# streams COPY); at most this many.
MAX_WORKERS = 4
# A realistic caseload: beyond the documented logins, one generated professional per this many
# people (benchmarks with 100,000 people get ~700 professionals, not 30 with 3,000 files each).
PEOPLE_PER_PROFESSIONAL = 150
# How the generated professionals spread over organisations (role: referent RSA in social teams).
STAFF_SHARES = {
    "ft_nantes_nord": 16, "ft_saint_nazaire": 7, "ml_nantes": 12, "ml_saint_nazaire": 5, "cap_emploi": 8, "apec": 4,
    "cd44_rsa": 14, "ccas_nantes": 6, "caf": 5, "asso_refugies": 10, "ofii": 6, "asso_langues": 4, "afpa": 3,
}  # fmt: skip
SOCIAL_TEAMS = {"cd44_rsa", "ccas_nantes", "caf"}


class DemoError(Exception):
    """A refusal with a French message (bad argument, demo already loaded, references missing)."""


def validate_persons(persons: int) -> None:
    if not isinstance(persons, int) or isinstance(persons, bool) or not MIN_PERSONS <= persons <= MAX_PERSONS:
        raise DemoError(
            _("Le nombre de personnes doit être un entier compris entre 1 et 2 000 000 (reçu : %(n)s).")
            % {"n": persons}
        )


def _reference_models() -> set[type[models.Model]]:
    """What a reset keeps: territories, the nomenclature, the whole occupations referential (ROME
    releases, tension) and the editable theme → thématique mapping."""
    return {
        Departement,
        Commune,
        Situation,
        *apps.get_app_config("occupations").get_models(),
        apps.get_model("matching", "ThemeThematique"),
    }


def _wipe_models() -> list[type[models.Model]]:
    """The generated models plus every model that refers to them (directly or not), so that a
    reset leaves no dangling row whatever other apps add later. Reference data stays."""
    keep = _reference_models()
    wipe = set(MODELS) | {Organisation, Membership, TerritoryGrant, User, DemoLoad}
    all_models = [m for m in apps.get_models(include_auto_created=True) if m not in keep]
    changed = True
    while changed:
        changed = False
        for model in all_models:
            if model in wipe:
                continue
            for field in model._meta.concrete_fields:
                if field.is_relation and field.related_model in wipe:
                    wipe.add(model)
                    changed = True
                    break
    sessions = [m for m in all_models if m._meta.label == "sessions.Session"]
    return sorted(wipe | set(sessions), key=lambda m: m._meta.db_table)


def demo_reset() -> int:
    """Erase the demo: people, histories, audit log, organisations and accounts. Reference data
    (départements, communes, ROME, nomenclature) stays. Returns the number of tables emptied."""
    targets = _wipe_models()
    wiped = set(targets)
    with transaction.atomic(), connection.cursor() as cursor:
        # Reference rows keep no link to a wiped row (who imported a release, who edited a level).
        for model in _reference_models():
            for field in model._meta.concrete_fields:
                if field.is_relation and field.related_model in wiped:
                    model.objects.exclude(**{f"{field.name}__isnull": True}).update(**{field.name: None})
        if connection.vendor == "postgresql":
            # TRUNCATE … CASCADE empties every table with a foreign key to a truncated one, whatever
            # its rows: the accounts table, which reference tables point to, is emptied by DELETE.
            truncated = [m for m in targets if m is not User]
            names = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in truncated)
            # Rows written earlier in this same transaction leave deferred foreign-key checks
            # pending, which TRUNCATE refuses: run them now, then defer again as Django expects.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(User._meta.db_table)}")
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, 'id'), 1, false)", [User._meta.db_table])
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            # Delete referencing tables first: repeat until every table is empty (a few rounds).
            pending = list(targets)
            for _round in range(len(pending) + 1):
                if not pending:
                    break
                for model in list(pending):
                    referenced_by_pending = any(
                        f.is_relation and f.related_model is model and other is not model
                        for other in pending
                        for f in other._meta.concrete_fields
                    )
                    if not referenced_by_pending:
                        cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")
                        pending.remove(model)
    return len(targets)


def job_references() -> dict:
    """What the generator needs to record jobs as appellations, as plain data (worker processes get
    a copy): the usual appellations of each sheet of the current release (principal first), the
    sheets in tension (national figure or Loire-Atlantique's) and, per sheet, the sheets in
    tension its mobility links lead to."""
    appellations: dict[str, list[int]] = {}
    for rome, code in (
        Appellation.objects.filter(in_release=True, rarely_used=False)
        .order_by("rome_id", "-is_principal", "code")
        .values_list("rome_id", "code")
    ):
        appellations.setdefault(rome, []).append(code)
    tension = sorted(
        set(
            JobTension.objects.filter(
                tension_import__is_current=True, tension_pct__gte=TENSION_HIGH_PCT, rome__in_release=True
            )
            .filter(models.Q(departement__isnull=True) | models.Q(departement_id=T.DEPARTEMENT))
            .values_list("rome_id", flat=True)
        )
    )
    in_tension = set(tension)
    mobility: dict[str, list[str]] = {}
    release = RomeRelease.objects.filter(status=ReleaseStatus.CURRENT).values_list("id", flat=True).first()
    if release is not None:
        for source, target in (
            Mobility.objects.filter(release_id=release, target_code__in=in_tension)
            .order_by("source_code", "order", "target_code")
            .values_list("source_code", "target_code")
        ):
            mobility.setdefault(source, []).append(target)
    return {"appellations": appellations, "tension_codes": tension, "mobility": mobility}


def _member(membership: Membership, user: User, org: Organisation, key: str, place: str) -> Member:
    full = f"{user.first_name} {user.last_name}".strip()
    return Member(membership.pk, user.pk, org.pk, key, f"{full} ({org.name})", place, membership.role, user.username)


def territory_create(*, persons: int, seed: int, now: datetime.datetime) -> dict:
    """Organisations, documented professionals (+ generated colleagues for large territories),
    memberships and the chargés d'orientation's territory grants."""
    departement = Departement.objects.get(code=T.DEPARTEMENT)
    orgs: dict[str, Organisation] = {}
    for spec in T.ORGANISATIONS:
        orgs[spec.key] = Organisation.objects.create(
            kind=spec.kind,
            name=spec.name,
            departement=departement,
            parent=orgs.get(spec.parent),
            siret=spec.siret,
            email=f"contact.{spec.key.replace('_', '-')}@{T.EMAIL_DOMAIN}",
        )
    places = {spec.key: spec.place for spec in T.ORGANISATIONS}
    password = make_password(T.DEMO_PASSWORD)  # hashed once: every demo account shares it
    superuser = User.objects.create(
        username=T.SUPERUSER,
        email=f"{T.SUPERUSER}@{T.EMAIL_DOMAIN}",
        first_name="Administratrice",
        last_name="Plateforme",
        is_superuser=True,
        is_staff=True,
        password=password,
        date_joined=now,
    )
    users = User.objects.bulk_create(
        [
            User(
                username=p.username,
                email=f"{p.username}@{T.EMAIL_DOMAIN}",
                first_name=p.first_name,
                last_name=p.last_name,
                password=password,
                date_joined=now,
            )
            for p in T.PROFESSIONALS
        ]
    )
    weights: list[tuple[Member, int]] = []
    officers: list[Member] = []
    intake: list[Member] = []
    memberships = []
    for spec, user in zip(T.PROFESSIONALS, users, strict=True):
        for key, role in spec.memberships:
            memberships.append((spec, user, key, Membership(user=user, organisation=orgs[key], role=role)))
    created = Membership.objects.bulk_create([m for *_, m in memberships])
    grants = []
    for (spec, user, key, _m), membership in zip(memberships, created, strict=True):
        member = _member(membership, user, orgs[key], key, places[key])
        if membership.role in ACCOMPANYING_ROLES and membership.role != Role.CHARGE_ORIENTATION:
            weights.append((member, spec.weight))
        if membership.role == Role.CHARGE_ORIENTATION:
            officers.append(member)
        if key == "caf":
            intake.append(member)
        if spec.territory_grant:
            grants.append(
                TerritoryGrant(
                    membership=membership,
                    departement=departement,
                    granted_by=superuser,
                    reason="Chargé·e d'orientation RSA du Département de Loire-Atlantique",
                )
            )
    TerritoryGrant.objects.bulk_create(grants)

    extra = max(0, math.ceil(persons / PEOPLE_PER_PROFESSIONAL) - len(weights))
    if extra:
        names = Names(seed + 7).pools["fr"]
        total = sum(STAFF_SHARES.values())
        plan = [(key, max(1, round(extra * share / total))) for key, share in STAFF_SHARES.items()]
        staff_users, staff_specs = [], []
        serial = 0
        for key, n in plan:
            for _ in range(n):
                serial += 1
                first = names.female[serial % len(names.female)] if serial % 2 else names.male[serial % len(names.male)]
                last = names.last[(serial * 7) % len(names.last)]
                username = f"{ascii_slug(first)}.{ascii_slug(last)}.{serial}"
                staff_users.append(
                    User(
                        username=username,
                        email=f"{username}@{T.EMAIL_DOMAIN}",
                        first_name=first,
                        last_name=last,
                        password=password,
                        date_joined=now,
                    )
                )
                staff_specs.append(key)
        staff_users = User.objects.bulk_create(staff_users, batch_size=500)
        staff_memberships = Membership.objects.bulk_create(
            [
                Membership(
                    user=user,
                    organisation=orgs[key],
                    role=Role.REFERENT_RSA if key in SOCIAL_TEAMS else Role.CONSEILLER,
                )
                for user, key in zip(staff_users, staff_specs, strict=True)
            ],
            batch_size=500,
        )
        for user, key, membership in zip(staff_users, staff_specs, staff_memberships, strict=True):
            member = _member(membership, user, orgs[key], key, places[key])
            weights.append((member, 1))
            if key == "caf":
                intake.append(member)
    return {"staff": Staff(weights), "officers": officers, "intake": intake, "organisations": orgs}


def _text_batches(spec: GenSpec, tasks: list[tuple[int, int]], workers: int) -> Iterator[TextBatch]:
    """The batches in order, generated here or by `workers` forked processes (a few batches
    ahead, not more, to bound memory). Workers never touch the database: they inherit the
    spec and return COPY text."""
    if workers <= 1:
        generator = Generator(spec)
        for task in tasks:
            yield generator.text_batch(*task)
        return
    # fork: the workers start instantly with Django loaded; they are created before the COPY
    # thread exists, and leave through os._exit without touching the inherited connection.
    worker_init(spec)  # built once here (name pools…), inherited by the forked workers
    pool = multiprocessing.get_context("fork").Pool(workers)
    try:
        pending: deque = deque()
        queue = iter(tasks)
        for task in queue:
            pending.append(pool.apply_async(worker_text_batch, (task,)))
            if len(pending) >= workers + 1:
                break
        while pending:
            result = pending.popleft().get()
            for task in queue:
                pending.append(pool.apply_async(worker_text_batch, (task,)))
                break
            yield result
        pool.close()
    finally:
        pool.terminate()
        pool.join()


def demo_load(
    *,
    persons: int,
    seed: int = 44,
    reset: bool = False,
    batch_size: int = BATCH_SIZE,
    bulk: bool | None = None,
    workers: int | None = None,
    progress: Callable[[int, int, float], None] | None = None,
    with_offer: bool = True,
) -> DemoLoad:
    """Generate the demo territory with `persons` people, in one transaction; `with_offer` also
    loads the territory's offer of services (a few hundred, through the directory import engine)."""
    validate_persons(persons)
    started = time.perf_counter()
    now = timezone.now().replace(microsecond=0)
    # The referrals' notification mails are sent when this transaction commits: they stay in memory,
    # so loading the demo does not print sixty e-mails; what the visitor does afterwards prints on
    # the console as usual.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"), transaction.atomic():
        if reset:
            demo_reset()
        else:
            previous = DemoLoad.objects.first()
            if previous is not None:
                raise DemoError(
                    _(
                        "La démo est déjà chargée dans cette base (%(n)s personnes, graine %(seed)s, le %(at)s). "
                        "Relancez avec --reset pour tout effacer et recharger."
                    )
                    % {
                        "n": previous.persons,
                        "seed": previous.seed,
                        "at": timezone.localtime(previous.loaded_at).strftime("%d/%m/%Y à %H:%M"),
                    }
                )
        if (
            not Departement.objects.filter(code=T.DEPARTEMENT).exists()
            or not Commune.objects.filter(departement_id=T.DEPARTEMENT).exists()
            or not Situation.objects.exists()
            or not RomeJob.objects.exists()
        ):
            raise DemoError(_("Référentiels absents : lancez d'abord « manage.py load_reference »."))
        postgresql = connection.vendor == "postgresql"
        if postgresql:
            # Same lock as audit_log(): nobody appends to the chain while we extend it.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
        writer = RowWriter(TABLES, bulk=persons >= BULK_THRESHOLD if bulk is None else bulk)
        writer.lock()
        team = territory_create(persons=persons, seed=seed, now=now)
        first_ids = writer.next_ids()
        spec = GenSpec(
            seed=seed,
            now=now,
            staff=team["staff"],
            officers=team["officers"],
            intake=team["intake"],
            situations=dict(Situation.objects.filter(is_active=True).values_list("code", "id")),
            rome_codes=set(RomeJob.objects.values_list("code", flat=True)),
            communes=list(
                Commune.objects.filter(departement_id=T.DEPARTEMENT)
                .order_by("insee_code")
                .values_list("insee_code", "longitude")
            ),
            departement=T.DEPARTEMENT,
            id_bases={model._meta.label: first_ids[model] for model in BATCH_MODELS},
            batch_size=batch_size,
            copy_suffixes={m._meta.label: writer.copy_suffix(m) for m in BATCH_MODELS} if postgresql else {},
            **job_references(),
        )
        chain = AuditChain(
            tail_hash=AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS_HASH,
            next_id=first_ids[AuditEntry],
            copy_suffix=writer.copy_suffix(AuditEntry) if postgresql else "",
        )
        tasks = [(index, min(batch_size, persons - index * batch_size)) for index in range(-(-persons // batch_size))]
        if workers is None:
            workers = min(MAX_WORKERS, os.cpu_count() or 1) if persons >= BULK_THRESHOLD else 1
        workers = max(1, min(workers, len(tasks))) if postgresql else 1
        by_label = {m._meta.label: m for m in MODELS}
        done = 0
        try:
            if postgresql:
                for text in _text_batches(spec, tasks, workers):
                    audit = chain.text(text)
                    writer.write_batch(
                        [(by_label[label], data) for label, data, _n in text.copies] + [(AuditEntry, audit)]
                    )
                    done += text.persons
                    if progress:
                        progress(done, persons, time.perf_counter() - started)
            else:
                generator = Generator(spec)
                for index, n in tasks:
                    batch = generator.batch(index, n)
                    rows = [(by_label[label], data) for label, data in batch.rows.items()]
                    writer.write_batch([*rows, (AuditEntry, chain.rows(batch.audit))])
                    done += n
                    if progress:
                        progress(done, persons, time.perf_counter() - started)
            writer.finish()
        except BaseException:
            writer.abandon()  # let the COPY thread stop before the transaction rolls back
            raise
        # The territory's offer of services, through the same import engine as a national dump.
        if with_offer:
            load_offer(organisations=team["organisations"], seed=seed)
            # Referrals between the demo organisations, made through the referral services, then
            # the break scan so that the "to handle" queues are not empty.
            demo_referrals(organisations=team["organisations"], seed=seed)
            # Programmes before the scan, so that programme exits without a next step are caught.
            load_programmes(now=now)
            # The HOPE-like programme's outcome model, trained on its past exits (as a planner
            # would with "Entraîner le modèle"), and its online prices (as the daily task would).
            prepare_demo_placement()
            # The counsellors' past decisions on proposals (synthetic), for the usage page.
            demo_recommendation_decisions(now=now, seed=seed)
            scan_breaks()
        return DemoLoad.objects.create(
            loaded_at=now, seed=seed, persons=persons, duration_s=round(time.perf_counter() - started, 3)
        )


def prepare_demo_placement() -> None:
    """Train the HOPE-like programme's outcome model on its past exits, audited without actor as
    `manage.py placement_train` does, then compute its online prices as `placement_prices` does."""
    from parcours.matching.services_outcome import outcome_model_train_unattended
    from parcours.matching.services_placement import prices_refresh
    from parcours.programmes.models import Programme

    programme = Programme.objects.filter(code=HOPE_CODE).first()
    if programme is not None:
        outcome_model_train_unattended(programme=programme)
        prices_refresh(programme=programme)
