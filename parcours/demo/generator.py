"""Generation of people and their histories, in batches, as rows for `writer.RowWriter`.

Each person gets a pathway whose story is told in the order a follow-up group would live it:
opening (by the referent, or by the CAF when an RSA orientation is awaited), consents, diagnostic
versions, the OFII integration contract, partners joining the group, goals and actions,
appointments, notes, sometimes a change of referent or a closure. Every write has its timeline
event and its audit entry, and every professional of the group reads the file now and then (audit
reads), as the services and the pathway pages would have recorded them.

The audit entries of a batch are sorted by time, numbered after the current tail of the chain and
hashed with the same content as `parcours.audit.services._content`, so that `audit_verify` holds.
"""

import datetime
import functools
import random
import zoneinfo
from bisect import bisect
from dataclasses import dataclass, field
from decimal import Decimal
from hashlib import sha256
from itertools import accumulate, count
from json.encoder import encode_basestring
from operator import itemgetter

from parcours.audit.chain import canonical, link_hash
from parcours.audit.models import AuditEntry
from parcours.audit.services import _content
from parcours.diagnostics.enums import SENSITIVE_THEMES
from parcours.diagnostics.models import (
    Diagnostic,
    IntegrationContract,
    LanguageLevel,
    ThemeAssessment,
)
from parcours.organisations.enums import Role
from parcours.pathways.enums import ActionStatus, AppointmentStatus, GoalStatus, Orientation
from parcours.pathways.models import (
    Action,
    Appointment,
    Event,
    FollowUpMember,
    Goal,
    Note,
    Pathway,
    ReferentHandover,
)
from parcours.people.enums import DataCategory
from parcours.people.models import Child, Consent, ForeignQualification, JobWish, Person, WorkExperience

from . import profiles as P
from .names import Names, ascii_slug
from .writer import Table, escape_text

UTC = datetime.UTC
PARIS = zoneinfo.ZoneInfo("Europe/Paris")

ThemeSituation = ThemeAssessment.situations.through

TABLES = [
    Table(Person, ("id", "first_name", "last_name", "birth_name", "sex", "birth_date", "birth_place", "nationality", "nir",
                   "france_travail_id", "caf_number", "ofii_number", "email", "phone", "address", "commune_id", "languages",
                   "arrival_date", "household", "driving_licence", "has_vehicle", "max_travel_minutes", "education_level",
                   "rsa_status", "are_status", "residence_permit_kind", "right_to_work", "residence_permit_issued_on",
                   "residence_permit_valid_until", "protection_status", "protection_granted_on", "asylum_note", "has_rqth",
                   "disability_note", "created_at", "created_by_id", "anonymised_at"), frozenset({"languages"})),
    Table(Child, ("id", "person_id", "birth_date", "childcare")),
    Table(ForeignQualification, ("id", "person_id", "title", "country", "year", "recognition")),
    Table(WorkExperience, ("id", "person_id", "rome_id", "appellation_id", "years", "country")),
    Table(JobWish, ("id", "person_id", "appellation_id", "kind", "added_at", "added_by_id")),
    Table(IntegrationContract, ("id", "person_id", "signed_on", "french_hours_prescribed", "french_hours_done",
                                "civic_training_done", "french_level_at_signature")),
    Table(Consent, ("id", "person_id", "organisation_id", "role", "category", "purpose", "decision", "channel", "decided_at",
                    "recorded_by_id", "is_current", "superseded_at")),
    Table(Diagnostic, ("id", "person_id", "version", "recorded_at", "recorded_by_id", "organisation_id", "interpreting_needed",
                       "interpreting_language", "summary")),
    Table(ThemeAssessment, ("id", "diagnostic_id", "theme", "need", "note")),
    Table(ThemeSituation, ("id", "themeassessment_id", "situation_id")),
    Table(LanguageLevel, ("id", "diagnostic_id", "language", "level", "method", "assessed_on")),
    Table(Pathway, ("id", "person_id", "status", "orientation", "departement_id", "opened_at", "closed_at", "closure_reason",
                    "last_activity_at")),
    Table(FollowUpMember, ("id", "pathway_id", "membership_id", "is_referent", "started_at", "ended_at", "start_reason",
                           "end_reason")),
    Table(ReferentHandover, ("id", "pathway_id", "previous_id", "new_id", "reason", "handover_note", "decided_by_id",
                             "decided_at")),
    Table(Goal, ("id", "pathway_id", "theme", "text", "agreed_by_person", "status", "created_at", "created_by_id")),
    Table(Action, ("id", "goal_id", "text", "status", "due_on", "done_on", "carried_by_id", "created_at", "created_by_id")),
    Table(Appointment, ("id", "pathway_id", "starts_at", "duration_minutes", "mode", "with_member_id", "subject", "place",
                        "interpreter_booked", "status")),
    Table(Note, ("id", "pathway_id", "author_id", "organisation_id", "text", "created_at")),
    Table(Event, ("id", "pathway_id", "at", "kind", "actor_id", "organisation_id", "summary", "payload", "category"), frozenset({"payload"})),
    Table(AuditEntry, ("id", "at", "actor_id", "organisation_id", "action", "object_type", "object_id", "person_id", "fields",
                       "reason", "prev_hash", "hash"), frozenset({"fields"})),
]  # fmt: skip
MODELS = [t.model for t in TABLES]

PATHWAY_READ = "pathways.pathway:summary"  # object_type of a pathway page read (see www.decorators)


def _labels(choices) -> dict[str, str]:
    """value -> label of an enum, as the services write them in timeline summaries."""
    return {choice.value: str(choice.label) for choice in choices}


PARTNER_REASONS = {
    "ofii": "Suivi du contrat d'intégration républicaine",
    "asso_langues": "Cours de français (FLE)",
    "afpa": "Programme HOPE : formation préqualifiante et alternance",
    "ccas_nantes": "Domiciliation et accès aux droits",
    "caf": "Accès aux droits et aides à la garde d'enfant",
    "ft_nantes_nord": "Volet professionnel de l'accompagnement socio-professionnel",
    "asso_refugies": "Accompagnement global des personnes réfugiées",
}
CLOSURE_REASONS = (
    "Sortie vers un emploi durable (CDI)",
    "Sortie vers un emploi de plus de six mois",
    "Entrée en formation qualifiante longue",
    "Déménagement hors du département",
    "Ne souhaite plus être accompagné·e",
)
HANDOVER_REASONS = (
    ("Réorientation vers un accompagnement spécialisé", "Projet professionnel défini ; la personne est prête pour un accompagnement renforcé vers l'emploi."),
    ("Départ de la conseillère référente", "Dossier à jour ; rendez-vous de présentation à fixer dans le mois."),
    ("Rééquilibrage des portefeuilles", "Objectifs en cours listés au plan d'action ; aucun point urgent."),
    ("Déménagement de la personne", "Nouvelle adresse sur le secteur ; prévoir un premier rendez-vous rapidement."),
)  # fmt: skip
MODES = (("in_person", 70), ("phone", 20), ("video", 7), ("home", 3))


@dataclass(frozen=True)
class Member:
    """A membership as the generator needs it."""

    membership_id: int
    user_id: int
    organisation_id: int
    org_key: str
    name: str  # "Sophie Martin (France Travail Nantes Nord)", as services.member_name writes it
    place: str
    role: str
    username: str = ""


class AuditRow:
    """Duck-types the attributes `parcours.audit.services._content` reads on an AuditEntry."""

    __slots__ = (
        "at",
        "actor_id",
        "organisation_id",
        "action",
        "object_type",
        "object_id",
        "person_id",
        "fields",
        "reason",
    )

    def __init__(self, at, actor_id, organisation_id, action, object_type, object_id, person_id, fields, reason):
        self.at = at
        self.actor_id = actor_id
        self.organisation_id = organisation_id
        self.action = action
        self.object_type = object_type
        self.object_id = object_id
        self.person_id = person_id
        self.fields = fields
        self.reason = reason


class Staff:
    """Members by organisation, with weighted choice of a referent."""

    def __init__(self, members: list[tuple[Member, int]]):
        self.by_org: dict[str, list[Member]] = {}
        self.weights: dict[str, list[int]] = {}
        for member, weight in members:
            self.by_org.setdefault(member.org_key, []).append(member)
            self.weights.setdefault(member.org_key, []).append(weight)
        self.cumulative = {k: list(accumulate(w)) for k, w in self.weights.items()}
        self.by_username: dict[str, Member] = {}
        for member, _weight in members:  # a professional with two memberships: the first one
            if member.username:
                self.by_username.setdefault(member.username, member)

    def pick(self, rng: random.Random, org_key: str) -> Member:
        members = self.by_org[org_key]
        cumulative = self.cumulative[org_key]
        return members[bisect(cumulative, rng.random() * cumulative[-1])]


def nir_for(rng: random.Random, sex: str, birth: datetime.date, foreign_born: bool) -> str:
    place = f"99{rng.randint(100, 499)}" if foreign_born else f"44{rng.randint(1, 230):03d}"
    body = f"{1 if sex == 'M' else 2}{birth.year % 100:02d}{birth.month:02d}{place}{rng.randint(1, 999):03d}"
    return f"{body}{97 - int(body) % 97:02d}"


# Upper bound of the rows one person can produce in each table (see `_person`): every batch gets
# its own id range, base + batch index x batch size x bound, so that batches can be generated
# independently (in worker processes) and still be deterministic. Ids are not dense; nothing needs
# them to be.
ROWS_PER_PERSON = {
    Person: 1, Child: 6, ForeignQualification: 2, WorkExperience: 3, JobWish: 3, IntegrationContract: 1, Consent: 20,
    Diagnostic: 3, ThemeAssessment: 33, ThemeSituation: 66, LanguageLevel: 6, Pathway: 1, FollowUpMember: 10,
    ReferentHandover: 2, Goal: 3, Action: 9, Appointment: 8, Note: 3, Event: 150,
}  # fmt: skip
BATCH_MODELS = [m for m in MODELS if m is not AuditEntry]


@dataclass
class GenSpec:
    """Everything a (possibly separate) process needs to generate any batch. Picklable."""

    seed: int
    now: datetime.datetime
    staff: "Staff"
    officers: list[Member]
    intake: list[Member]
    situations: dict[str, int]
    rome_codes: set[str]
    communes: list[tuple[str, float]]
    departement: str
    id_bases: dict[str, int]  # model label -> first id of batch 0
    batch_size: int
    copy_suffixes: dict[str, str] = field(default_factory=dict)  # model label -> COPY text of default columns
    # ROME code -> appellation codes of the current release (principal first, rarely used ones left out).
    appellations: dict[str, list[int]] = field(default_factory=dict)
    # ROME codes in tension (recruitment difficulties), and code -> the sheets in tension its
    # mobility links lead to (publisher's order): where wishes and target jobs are drawn from.
    tension_codes: list[str] = field(default_factory=list)
    mobility: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Batch:
    """A generated batch: rows by model label (tuples), audit entries sorted by time."""

    index: int
    persons: int
    rows: dict[str, list[tuple]]
    audit: list[tuple]  # AuditRow fields, as plain tuples (cheaper to build by the million)


@dataclass
class TextBatch:
    """A batch encoded for PostgreSQL COPY (text format), ready to stream. The audit entries
    are (canonical content, COPY text of the columns from `at` to `reason`); their ids and hashes
    are added in order by `AuditChain`."""

    index: int
    persons: int
    copies: list[tuple[str, bytes, int]]  # (model label, COPY text, number of rows)
    audit: list[tuple[bytes, str]]
    first_content: dict | None  # reference `_content` of the first entry, to check the encoding


class Generator:
    """Generates batches of people. One instance per process; batch i only depends on the spec
    and on i (its own random stream and id ranges)."""

    def __init__(self, spec: GenSpec):
        self.spec = spec
        self.names = Names(spec.seed)
        self.now = spec.now
        self.today = spec.now.astimezone(PARIS).date()
        self.staff = spec.staff
        self.officers = spec.officers
        self.intake = spec.intake
        self.situations = spec.situations
        self.rome_codes = spec.rome_codes
        self.appellations = spec.appellations
        self.tension_codes = [c for c in spec.tension_codes if c in spec.appellations]
        self.tension_set = set(self.tension_codes)
        self.mobility = spec.mobility
        self.departement = spec.departement
        self.communes = [code for code, _ in spec.communes]
        self.west = {code for code, lon in spec.communes if lon is not None and lon < P.SAINT_NAZAIRE_LONGITUDE}
        self.commune_cum = list(accumulate(P.COMMUNE_WEIGHTS.get(c, P.OTHER_COMMUNE_WEIGHT) for c in self.communes))
        self.profiles = list(P.PROFILE_WEIGHTS)
        self.profile_cum = list(accumulate(P.PROFILE_WEIGHTS.values()))
        self.rng = P.FastRandom(spec.seed)
        # Jobs (appellations of experiences, wishes, target jobs) draw from their own stream, so
        # that they leave the rest of the story as it was without them.
        self.jobs_rng = P.FastRandom(f"{spec.seed}/jobs")
        # Labels are read once, here (translations are ready once Django is set up).
        self.action_labels = _labels(ActionStatus)
        self.goal_labels = _labels(GoalStatus)
        self.appointment_labels = _labels(AppointmentStatus)
        self.category_labels = _labels(DataCategory)
        self.role_labels = _labels(Role)
        self.orientation_labels = {k: v.lower() for k, v in _labels(Orientation).items()}
        self.formatters = {t.model._meta.label: t.formatter() for t in TABLES if t.model is not AuditEntry}
        self.ids: dict = {}
        self.rows: dict = {}
        self.audit: list[tuple] = []

    def batch(self, index: int, persons: int) -> Batch:
        spec = self.spec
        if persons > spec.batch_size:
            raise ValueError("batch larger than the batch size")
        self.rng = P.FastRandom(f"{spec.seed}/{index}")
        self.jobs_rng = P.FastRandom(f"{spec.seed}/{index}/jobs")
        limits = {}
        for model in BATCH_MODELS:
            start = spec.id_bases[model._meta.label] + index * spec.batch_size * ROWS_PER_PERSON[model]
            self.ids[model] = count(start)
            limits[model] = start + spec.batch_size * ROWS_PER_PERSON[model]
        self.rows = {model: [] for model in BATCH_MODELS}
        self.audit = []
        for offset in range(persons):
            number = index * spec.batch_size + offset
            if number < len(P.MANDATORY):
                profile, force = P.MANDATORY[number]
            else:
                profile, force = self.profiles[bisect(self.profile_cum, self.rng.random() * self.profile_cum[-1])], {}
            self._person(P.draft_person(self.rng, profile, self.today, **force), force.get("referent", ""))
        for model in BATCH_MODELS:
            if next(self.ids[model]) > limits[model]:  # pragma: no cover - ROWS_PER_PERSON too small
                raise RuntimeError(f"{model._meta.label}: plus de lignes que prévu par personne")
        self.audit.sort(key=itemgetter(0))
        return Batch(index, persons, {m._meta.label: rows for m, rows in self.rows.items()}, self.audit)

    def text_batch(self, index: int, persons: int) -> TextBatch:
        batch = self.batch(index, persons)
        suffixes = self.spec.copy_suffixes
        copies = [
            (label, self.formatters[label](rows, suffixes.get(label, "") + "\n").encode(), len(rows))
            for label, rows in batch.rows.items()
            if rows
        ]
        audit = batch.audit
        first_content = _content(AuditRow(*audit[0])) if audit else None
        encoded = [_audit_text(a) for a in audit]
        if audit and encoded[0][0] != canonical(first_content):
            # The reference encoding changed (a key added to _content…): follow it.
            encoded = [
                (canonical(_content(AuditRow(*a))), tail) for a, (_fast, tail) in zip(audit, encoded, strict=True)
            ]
        return TextBatch(index, persons, copies, encoded, first_content)

    def _commune(self) -> str:
        return self.communes[bisect(self.commune_cum, self.rng.random() * self.commune_cum[-1])]

    def _time(self, start: datetime.datetime, end: datetime.datetime) -> datetime.datetime:
        if end <= start:  # a short story: never past its end (hence never in the future)
            return end
        return start + (end - start) * self.rng.random()

    def _person(self, d: P.PersonDraft, referent_username: str = "") -> None:  # noqa: C901 - a story told in order
        rng, now, today, rows, audit = self.rng, self.now, self.today, self.rows, self.audit
        ids = self.ids
        person_id = next(ids[Person])
        pathway_id = next(ids[Pathway])
        commune = self._commune()
        west = commune in self.west
        first, last = self.names.pick(rng, d.origin, d.sex)
        age = today.year - d.birth_date.year

        # When the pathway opened: after arrival in France and after 16, within the last 2.5 years.
        earliest = now - datetime.timedelta(days=900 if d.profile != "pending_orientation" else 75)
        if d.profile == "youth":
            earliest = max(earliest, now - datetime.timedelta(days=500))
        floor = datetime.datetime.combine(
            max(d.arrival_date or d.birth_date, d.birth_date + datetime.timedelta(days=16 * 366)), datetime.time(9), UTC
        ) + datetime.timedelta(days=20)
        latest = now - datetime.timedelta(days=3)
        opened = self._time(max(earliest, floor), latest) if max(earliest, floor) < latest else latest
        opened = opened.replace(microsecond=0)
        closed = None
        if d.referent_group and (now - opened).days > 150 and rng.random() < 0.07:
            closed = self._time(opened + (now - opened) * 0.6, now - datetime.timedelta(days=2))
        end = closed or now - datetime.timedelta(minutes=30)
        span = end - opened

        # Who opens the pathway, who is (or becomes) the referent.
        referent_org = ""
        if d.referent_group:
            orgs = self._referent_orgs(d.referent_group, west)
            referent_org = orgs[int(rng.random() * len(orgs))]
        referent = self.staff.pick(rng, referent_org) if referent_org else None
        if referent_username and referent_username in self.staff.by_username:  # a documented demo case
            referent = self.staff.by_username[referent_username]
        via_orientation = d.profile == "pending_orientation" or (
            d.profile in ("rsa_long_term", "mother_no_childcare") and rng.random() < 0.6
        )
        opener = self.intake[int(rng.random() * len(self.intake))] if via_orientation else referent
        created_at = opened - datetime.timedelta(minutes=rng.randint(3, 50))

        events = rows[Event]
        last_activity = [opened]

        def event(at, kind, member, summary, payload="{}", category=""):
            events.append((next(ids[Event]), pathway_id, at, kind, member.user_id if member else None,
                           member.organisation_id if member else None, summary[:500], payload, category))  # fmt: skip
            if at > last_activity[0]:
                last_activity[0] = at

        def log(at, member, action, object_type, object_id, fields=(), reason=""):
            audit.append((at, member.user_id if member else None, member.organisation_id if member else None,
                          action, object_type, str(object_id), person_id,
                          sorted(fields) if len(fields) > 1 else list(fields), reason))  # fmt: skip

        # -- the person record
        foreign = d.nationality != "FR"
        identifiers = {
            "nir": nir_for(rng, d.sex, d.birth_date, foreign) if (not foreign or rng.random() < 0.6) else "",
            "france_travail_id": f"{rng.randint(1000000, 9999999)}{rng.choice('ABCDEFGHJKLMNPRSTUVWXYZ')}"
            if d.profile != "pending_orientation" or rng.random() < 0.3
            else "",
            "caf_number": f"{rng.randint(1000000, 9999999)}" if d.rsa != "none" or d.children else "",
            "ofii_number": f"{rng.randint(1000000000, 9999999999)}" if foreign and d.nationality != "RO" else "",
        }
        phone = f"0{rng.choice('67')} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
        email = (
            f"{ascii_slug(first)}.{ascii_slug(last)}{rng.randint(1, 99)}@example.{rng.choice(('org', 'com', 'net'))}"
            if rng.random() < 0.7
            else ""
        )
        address = rng.choice(self.names.streets) if rng.random() < 0.9 else ""
        max_travel = rng.choice((20, 30, 45, 60)) if rng.random() < 0.6 else None
        rows[Person].append(
            (person_id, first, last, "", d.sex, d.birth_date, d.birth_place, d.nationality, identifiers["nir"],
             identifiers["france_travail_id"], identifiers["caf_number"], identifiers["ofii_number"], email, phone,
             address, commune, _json_list(d.languages), d.arrival_date, d.household, d.licence, d.vehicle, max_travel,
             d.education, d.rsa, d.are, d.permit_kind, d.right_to_work, d.permit_issued, d.permit_until,
             d.protection_status, d.protection_granted, d.asylum_note, d.has_rqth, d.disability_note, created_at,
             opener.user_id, None)
        )  # fmt: skip
        filled = ["first_name", "last_name", "sex", "birth_date", "commune", "languages", "phone", "nationality"]
        filled += [k for k, v in identifiers.items() if v]
        if email:
            filled.append("email")
        if d.permit_kind:
            filled += ["residence_permit_kind", "right_to_work", "residence_permit_valid_until"]
        if d.protection_status:
            filled += ["protection_status", "asylum_note"]
        if d.has_rqth:
            filled += ["has_rqth", "disability_note"]
        log(created_at, opener, "create", "people.person", person_id, filled)
        for birth, care in d.children:
            rows[Child].append((next(ids[Child]), person_id, birth, care))
        for title, country, year, recognition in d.qualifications:
            rows[ForeignQualification].append(
                (next(ids[ForeignQualification]), person_id, title, country, year, recognition)
            )
        for code, years, country in d.experiences:
            if code not in self.rome_codes:
                continue
            years = min(years, max(0.5, age - 17))
            if code in d.appellations:  # a documented case: its appellation, else the principal one
                appellation = d.appellations[code] or (self.appellations.get(code) or [None])[0]
            else:
                appellation = self._appellation(code)
            rows[WorkExperience].append(
                (next(ids[WorkExperience]), person_id, code, appellation, Decimal(f"{years:.1f}"), country)
            )

        # -- the follow-up group: seats are [id, member, is_referent, started, ended, start_reason, end_reason]
        seats: list[list] = []

        def seat_open(member, is_referent, at, reason):
            seat = [next(ids[FollowUpMember]), member, is_referent, at, None, reason, ""]
            seats.append(seat)
            return seat

        def seat_of(member):
            return next((s for s in seats if s[1] is member and s[4] is None), None)

        orientation = d.orientation
        opener_seat = seat_open(opener, not via_orientation, opened, "Ouverture du parcours")
        event(opened, "pathway_opened", opener, f"Parcours ouvert par {opener.name}")
        log(opened, opener, "create", "pathways.pathway", pathway_id)
        current_referent = referent if not via_orientation else None

        # Orientation decided by a chargé·e d'orientation, who designates the referent.
        if via_orientation and referent is not None:
            officer = self.officers[int(rng.random() * len(self.officers))]
            decided = self._time(opened + datetime.timedelta(days=8), opened + datetime.timedelta(days=45))
            decided = min(decided, end - datetime.timedelta(hours=2))
            reason = {
                "social": "Freins sociaux prioritaires (logement, santé) : accompagnement social.",
                "socio_professional": "Projet d'emploi à construire en levant les freins : accompagnement socio-professionnel.",
                "professional": "Disponible pour l'emploi à court terme : accompagnement professionnel.",
            }[orientation]
            log(decided - datetime.timedelta(minutes=20), officer, "read", PATHWAY_READ, pathway_id)
            event(
                decided,
                "orientation_decided",
                officer,
                f"Orientation {self.orientation_labels[orientation]} : {reason}",
            )
            log(decided, officer, "update", "pathways.pathway", pathway_id, ["orientation"], reason)
            at = decided + datetime.timedelta(minutes=5)
            existing = seat_of(referent)
            if existing:  # the CAF agent who opened the file becomes the referent
                existing[4], existing[6] = at, "Devient référent·e"
            new_seat = seat_open(referent, True, at, "Désignation du référent unique après orientation")
            handover_id = next(ids[ReferentHandover])
            rows[ReferentHandover].append(
                (handover_id, pathway_id, None, new_seat[0], "Désignation du référent unique après orientation",
                 "Première désignation : diagnostic d'ouverture des droits au dossier.", officer.user_id, at)
            )  # fmt: skip
            event(at, "referent_changed", officer,
                  f"Nouveau·elle référent·e : {referent.name}. Motif : Désignation du référent unique après orientation",
                  f'{{"handover": {handover_id}}}')  # fmt: skip
            log(at, officer, "update", "pathways.pathway", pathway_id, ["referent"],
                "Désignation du référent unique après orientation")  # fmt: skip
            current_referent = referent
            if opener_seat[4] is None and rng.random() < 0.5:  # the CAF agent leaves once the referent is there
                left = at + datetime.timedelta(days=rng.randint(1, 10))
                if left < end:
                    opener_seat[4], opener_seat[6] = left, "Relais pris par le·la référent·e"
                    event(left, "member_left", opener,
                          f"{opener.name} quitte le groupe de suivi : Relais pris par le·la référent·e")  # fmt: skip
                    log(left, opener, "update", "pathways.pathway", pathway_id, ["members"])
        if d.profile == "pending_orientation":
            orientation = "pending"
        actor = current_referent or opener  # who writes the file from now on
        if not via_orientation:
            work_start = opened
        elif current_referent is not None:  # the referent starts once designated
            work_start = min(decided + datetime.timedelta(days=1), end - datetime.timedelta(hours=1))
        else:
            work_start = opened + datetime.timedelta(hours=2)

        # -- consents (sensitive categories), recorded in interview
        grants = []
        has_permit = d.permit_kind not in ("", "not_applicable")
        if has_permit and rng.random() < 0.85:
            grants.append(("residence_status", current_referent or opener))
        if d.protection_status and rng.random() < 0.7:
            grants.append(("asylum_history", current_referent or opener))
        if d.has_rqth and rng.random() < 0.9:
            grants.append(("disability", current_referent or opener))
        if d.profile in ("rsa_long_term", "refugee", "disability", "asylum_guinea") and rng.random() < 0.4:
            grants.append(("health", current_referent or opener))
        for category, recorder in grants:
            at = self._time(work_start, min(end, work_start + datetime.timedelta(days=10)))
            self._consent(person_id, pathway_id, recorder, recorder.organisation_id, "", category, at, end, event, log)
        if d.profile in ("rsa_long_term", "pending_orientation") and rng.random() < 0.25:
            at = self._time(opened, min(end, opened + datetime.timedelta(days=5)))
            self._consent(person_id, pathway_id, opener, None, "referent_rsa", "health", at, end, event, log)

        # -- partners join the group
        for key in d.partners:
            if key == (current_referent.org_key if current_referent else ""):
                continue
            partner = self.staff.pick(rng, key)
            if seat_of(partner):
                continue
            at = self._time(work_start, min(end, work_start + datetime.timedelta(days=60)))
            seat_open(partner, False, at, PARTNER_REASONS.get(key, "Accompagnement partenaire"))
            event(at, "member_added", actor,
                  f"{partner.name} rejoint le groupe de suivi : {PARTNER_REASONS.get(key, 'Accompagnement partenaire')}")  # fmt: skip
            log(at, actor, "update", "pathways.pathway", pathway_id, ["members"])
            if has_permit and key in ("ofii", "asso_refugies") and rng.random() < 0.6:
                self._consent(person_id, pathway_id, actor, partner.organisation_id, "", "residence_status",
                              at + datetime.timedelta(minutes=10), end, event, log)  # fmt: skip

        # -- diagnostics (1 to 3 versions), language levels, CIR
        themes = P.PROFILE_THEMES[d.profile]
        needs = {}
        for theme, situations in themes.items():
            if theme == "emploi" or rng.random() < 0.75:
                needs[theme] = ["priority" if rng.random() < 0.45 else "to_work_on", P.pick_some(rng, situations, 2)]
        if d.profile == "mother_no_childcare":
            needs["contraintes_familiales"] = [
                "priority",
                ["famille-enfant-moins-3-ans-sans-garde", "famille-parent-isole"],
            ]
        if d.cir:
            needs.setdefault("maitrise_langue", ["priority", []])[1] = ["langue-cir-heures-a-suivre"]
        if d.permit_until and (d.permit_until - today).days < 60:
            needs["difficultes_administratives"] = ["priority", ["admin-titre-sejour-renouvellement"]]
        for theme, (need, codes) in d.needs.items():  # a documented case (the Pistes persona)
            needs[theme] = [need, list(codes)]
        level = d.french_level
        versions = 1
        if span.days > 120 and rng.random() < 0.5:
            versions = 2 if span.days < 300 or rng.random() < 0.6 else 3
        diag_author = actor
        diag_at = self._time(work_start, min(end, work_start + datetime.timedelta(days=15)))
        for version in range(1, versions + 1):
            if version > 1:
                diag_at = self._time(
                    diag_at + datetime.timedelta(days=60), max(end, diag_at + datetime.timedelta(days=61))
                )
                diag_at = min(diag_at, end - datetime.timedelta(minutes=5))
                for theme in list(needs):  # needs ease over time
                    if rng.random() < 0.5:
                        needs[theme][0] = {"priority": "to_work_on", "to_work_on": "none"}.get(needs[theme][0], "none")
                for theme, (need, _codes) in d.needs.items():  # except a documented case's
                    needs[theme][0] = need
                if level and level in P.CECRL[:4] and rng.random() < 0.6:
                    level = P.CECRL[P.CECRL.index(level) + 1]
            self._diagnostic(person_id, pathway_id, version, diag_at, diag_author, d, needs, level, event, log)
        if d.cir:
            signed, prescribed, done, civic, cir_level = d.cir
            recorder = next((s[1] for s in seats if s[1].org_key == "ofii"), actor)
            at = self._time(work_start, min(end, work_start + datetime.timedelta(days=30)))
            rows[IntegrationContract].append(
                (next(ids[IntegrationContract]), person_id, min(signed, at.date()), prescribed, done, civic, cir_level)
            )
            event(at, "cir_updated", recorder,
                  f"Contrat d'intégration républicaine : {done} h de français réalisées sur {prescribed} h")  # fmt: skip
            log(at, recorder, "create", "diagnostics.integrationcontract", person_id,
                ["civic_training_done", "french_hours_done", "french_hours_prescribed", "french_level_at_signature", "signed_on"])  # fmt: skip
        if d.permit_issued and opened.date() < d.permit_issued < today:
            at = datetime.datetime.combine(d.permit_issued, datetime.time(14), UTC) + datetime.timedelta(days=3)
            if at < end:
                event(at, "person_updated", actor, "Fiche mise à jour : Droit au séjour", category="residence_status")
                log(at, actor, "update", "people.person", person_id,
                    ["residence_permit_issued_on", "residence_permit_kind", "residence_permit_valid_until"])  # fmt: skip

        # -- a change of referent, sometimes
        change_at = None
        if current_referent is not None and span.days > 90 and rng.random() < 0.12:
            orgs = self._referent_orgs(d.referent_group, west)
            candidate = self.staff.pick(rng, orgs[int(rng.random() * len(orgs))])
            if candidate is not current_referent:
                change_at = self._time(opened + span * 0.5, end - datetime.timedelta(hours=1))
                reason, note = HANDOVER_REASONS[int(rng.random() * len(HANDOVER_REASONS))]
                old_seat = seat_of(current_referent)
                old_seat[4], old_seat[6] = change_at, f"Passation de référence : {reason}"
                if rng.random() < 0.5:
                    seat_open(current_referent, False, change_at, "Ancien·ne référent·e, reste dans le groupe")
                existing = seat_of(candidate)
                if existing:
                    existing[4], existing[6] = change_at, "Devient référent·e"
                new_seat = seat_open(candidate, True, change_at, reason)
                handover_id = next(ids[ReferentHandover])
                rows[ReferentHandover].append(
                    (
                        handover_id,
                        pathway_id,
                        old_seat[0],
                        new_seat[0],
                        reason,
                        note,
                        current_referent.user_id,
                        change_at,
                    )
                )
                event(change_at, "referent_changed", current_referent,
                      f"Nouveau·elle référent·e : {candidate.name}. Motif : {reason}", f'{{"handover": {handover_id}}}')  # fmt: skip
                log(change_at, current_referent, "update", "pathways.pathway", pathway_id, ["referent"], reason)
                previous_referent, current_referent = current_referent, candidate
        if change_at is None:
            previous_referent = None

        def writer_at(at):
            if previous_referent is not None and at < change_at:
                return previous_referent
            return current_referent or opener

        # -- jobs the person wishes to do, and the target job agreed in the pathway
        self._wishes(d, person_id, work_start, end, writer_at, event, log)

        # -- goals and actions
        goal_themes = [t for t, (need, _) in needs.items() if need in ("priority", "to_work_on") and t in P.GOALS]
        rng.shuffle(goal_themes)
        if current_referent is not None or rng.random() < 0.3:
            for theme in goal_themes[: rng.randint(1, 3)]:
                text, actions = rng.choice(P.GOALS[theme])
                created = self._time(
                    work_start + datetime.timedelta(days=1), min(end, work_start + datetime.timedelta(days=40))
                )
                author = writer_at(created)
                goal_id = next(ids[Goal])
                agreed = rng.random() < 0.85
                status = "in_progress"
                old = (end - created).days > 120
                if closed or old:
                    status = P.weighted(rng, (("in_progress", 55), ("achieved", 35), ("abandoned", 10)))
                rows[Goal].append((goal_id, pathway_id, theme, text, agreed, status, created, author.user_id))
                agreed_label = "validé avec la personne" if agreed else "non encore validé avec la personne"
                # Events about a health goal carry the health category (hidden without consent).
                goal_event = functools.partial(event, category="health" if theme in SENSITIVE_THEMES else "")
                goal_event(
                    created, "goal_added", author, f"Objectif « {text} » ({agreed_label})", f'{{"goal": {goal_id}}}'
                )
                log(created, author, "create", "pathways.goal", goal_id)
                for action_text in actions[: rng.randint(1, len(actions))]:
                    self._action(goal_id, pathway_id, action_text, status, created, end, writer_at, goal_event, log)
                if status != "in_progress":
                    at = self._time(created + (end - created) * 0.7, end)
                    who = writer_at(at)
                    goal_event(
                        at,
                        "goal_updated",
                        who,
                        f"Objectif « {text} » : {self.goal_labels[status]}",
                        f'{{"goal": {goal_id}}}',
                    )
                    log(at, who, "update", "pathways.goal", goal_id, ["status"])

        # -- appointments, past and future
        if current_referent is not None or rng.random() < 0.5:
            n_past = max(1, min(4, span.days // 45)) if span.days > 10 else 0
            for _ in range(rng.randint(0, n_past) if n_past else 0):
                starts = self._slot(
                    self._time(work_start + datetime.timedelta(days=3), end - datetime.timedelta(days=1))
                )
                if starts >= end or starts <= work_start:
                    continue
                created = max(work_start, starts - datetime.timedelta(days=rng.randint(3, 20)))
                status = P.weighted(rng, (("held", 70), ("missed", 15), ("cancelled", 15)))
                self._appointment(pathway_id, starts, created, status, writer_at(created), d, event, log)
            if not closed:
                for _ in range(rng.choice((0, 1, 1, 2))):
                    starts = self._slot(now + datetime.timedelta(days=rng.uniform(1, 45)))
                    created = max(work_start, now - datetime.timedelta(days=rng.uniform(1, 20)))
                    self._appointment(pathway_id, starts, created, "planned", writer_at(created), d, event, log)

        # -- notes
        pool = P.NOTES["common"] + P.NOTES.get(
            "refugee"
            if d.profile in ("refugee", "ukraine", "asylum_guinea")
            else "youth"
            if d.profile == "youth"
            else "rsa",
            (),
        )
        for _ in range(rng.randint(0 if d.profile == "pending_orientation" else 1, 3)):
            at = self._time(work_start, end)
            author = writer_at(at)
            note_id = next(ids[Note])
            rows[Note].append((note_id, pathway_id, author.user_id, author.organisation_id, rng.choice(pool), at))
            event(at, "note_added", author, "Note ajoutée", f'{{"note": {note_id}}}')
            log(at, author, "create", "pathways.note", note_id)

        # -- closure
        if closed:
            reason = CLOSURE_REASONS[int(rng.random() * len(CLOSURE_REASONS))]
            who = writer_at(closed)
            for seat in seats:
                if seat[4] is None:
                    seat[4], seat[6] = closed, "Clôture du parcours"
            event(closed, "pathway_closed", who, f"Parcours clos : {reason}")
            log(closed, who, "update", "pathways.pathway", pathway_id, ["closure_reason", "status"])
        else:
            reason = ""

        # -- reads of the file by the group (and by the orientation team for pending ones)
        for seat in seats:
            until = seat[4] or end
            for _ in range(rng.randint(1, 3)):
                log(self._time(seat[3], until), seat[1], "read", PATHWAY_READ, pathway_id)
        if orientation == "pending" and rng.random() < 0.5:
            officer = self.officers[int(rng.random() * len(self.officers))]
            log(self._time(opened, end), officer, "read", PATHWAY_READ, pathway_id)

        rows[Pathway].append(
            (pathway_id, person_id, "closed" if closed else "open", orientation, self.departement, opened, closed,
             reason, last_activity[0])
        )  # fmt: skip
        rows[FollowUpMember].extend((s[0], pathway_id, s[1].membership_id, s[2], s[3], s[4], s[5], s[6]) for s in seats)

    # -- pieces of the story -------------------------------------------------------------------------

    def _appellation(self, code: str) -> int | None:
        """An appellation of the sheet: the principal one half of the time, else any usual one."""
        choices = self.appellations.get(code)
        if not choices:
            return None
        rng = self.jobs_rng
        return choices[0] if rng.random() < 0.5 else choices[int(rng.random() * len(choices))]

    def _wish_codes(self, d: P.PersonDraft) -> list[str]:
        """Sheets in tension the person could aim at: those their experience leads to (mobility
        links, or the same job), else those usual for their profile, else any in tension."""
        related: list[str] = []
        for code, _years, _country in d.experiences:
            if code in self.tension_set:
                related.append(code)
            related += self.mobility.get(code, [])[:4]
        if not related:
            related = [c for c in P.OCCUPATIONS_BY_PROFILE[d.profile] if c in self.tension_set]
        return list(dict.fromkeys(related)) or self.tension_codes

    def _wishes(self, d: P.PersonDraft, person_id, work_start, end, writer_at, event, log) -> None:
        """About 40 % of people have one or two wishes, about 15 % a target job (often a wish the
        pathway validated); all in tension. A documented case gets its own."""
        rng, ids, rows = self.jobs_rng, self.ids, self.rows
        wishes: list[tuple[int, str]] = list(d.wishes)
        if not wishes and self.tension_codes:
            roll, target_roll = rng.random(), rng.random()
            codes = self._wish_codes(d)
            picked: list[int] = []
            for _ in range((1 if rng.random() < 0.6 else 2) if roll < 0.4 else 0):
                appellation = self._appellation(codes[int(rng.random() * len(codes))])
                if appellation is not None and appellation not in picked:
                    picked.append(appellation)
            wishes = [(code, "wish") for code in picked]
            if target_roll < 0.15:
                target = picked[0] if picked and rng.random() < 0.7 else self._appellation(rng.choice(codes))
                if target is not None:
                    wishes.append((target, "target"))
        for appellation, kind in wishes:
            at = self._time(work_start, min(end, work_start + datetime.timedelta(days=60)))
            author = writer_at(at)
            wish_id = next(ids[JobWish])
            rows[JobWish].append((wish_id, person_id, appellation, kind, at, author.user_id))
            what = "métier visé ajouté" if kind == "target" else "métier souhaité ajouté"
            event(at, "person_updated", author, f"Fiche mise à jour : {what}")
            log(at, author, "create", "people.jobwish", wish_id)

    def _referent_orgs(self, group: str, west: bool) -> tuple[str, ...]:
        from .territory import REFERENT_ORGS

        orgs = REFERENT_ORGS[group]
        local = tuple(o for o in orgs if ("saint_nazaire" in o) == west)
        return local or orgs

    def _slot(self, moment: datetime.datetime) -> datetime.datetime:
        """A plausible appointment time (a weekday, 9:00 to 16:30, Paris time) near `moment`."""
        local = moment.astimezone(PARIS)
        day = local.date()
        while day.weekday() >= 5:
            day += datetime.timedelta(days=1)
        hour = self.rng.choice((9, 9, 10, 10, 11, 14, 14, 15, 16))
        minute = self.rng.choice((0, 0, 15, 30, 45))
        return datetime.datetime.combine(day, datetime.time(hour, minute), PARIS).astimezone(UTC)

    def _consent(self, person_id, pathway_id, recorder, organisation_id, role, category, at, end, event, log):
        rng, ids, rows = self.rng, self.ids, self.rows
        grantee = recorder.name.rsplit(" (", 1)[-1].rstrip(")") if organisation_id == recorder.organisation_id else ""
        if role:
            grantee = self.role_labels.get(role, role)
        elif not grantee:
            grantee = "l'organisation partenaire"
        channel = P.weighted(rng, (("in_person", 70), ("paper", 20), ("phone", 10)))
        consent_id = next(ids[Consent])
        withdrawn_at = None
        if rng.random() < 0.08 and (end - at).days > 20:
            withdrawn_at = self._time(at + datetime.timedelta(days=10), end)
        rows[Consent].append(
            (consent_id, person_id, organisation_id, role, category, "accompaniment", "given", channel, at,
             recorder.user_id, withdrawn_at is None, withdrawn_at)
        )  # fmt: skip
        label = self.category_labels[category]
        event(at, "consent_recorded", recorder, f"Consentement donné : {label} pour {grantee} (Accompagnement)")
        log(at, recorder, "create", "people.consent", consent_id, [category])
        if withdrawn_at is not None:
            withdrawal_id = next(ids[Consent])
            rows[Consent].append(
                (withdrawal_id, person_id, organisation_id, role, category, "accompaniment", "withdrawn", "in_person",
                 withdrawn_at, recorder.user_id, True, None)
            )  # fmt: skip
            event(
                withdrawn_at,
                "consent_recorded",
                recorder,
                f"Consentement retiré : {label} pour {grantee} (Accompagnement)",
            )
            log(withdrawn_at, recorder, "create", "people.consent", withdrawal_id, [category])

    def _diagnostic(self, person_id, pathway_id, version, at, author, d, needs, level, event, log):
        rng, ids, rows = self.rng, self.ids, self.rows
        diagnostic_id = next(ids[Diagnostic])
        summary = {
            1: "Premier diagnostic réalisé en entretien.",
            2: "Mise à jour du diagnostic après six mois d'accompagnement.",
            3: "Bilan de parcours : diagnostic actualisé.",
        }[version]
        rows[Diagnostic].append(
            (diagnostic_id, person_id, version, at, author.user_id, author.organisation_id, bool(d.interpreting),
             d.interpreting, summary)
        )  # fmt: skip
        theme_rows, situation_rows = rows[ThemeAssessment], rows[ThemeSituation]
        for theme, (need, codes) in needs.items():
            assessment_id = next(ids[ThemeAssessment])
            note = rng.choice(P.THEME_NOTES[theme]) if rng.random() < 0.5 else ""
            theme_rows.append((assessment_id, diagnostic_id, theme, need, note))
            if need != "none":
                for code in codes:
                    situation_id = self.situations.get(code)
                    if situation_id:
                        situation_rows.append((next(ids[ThemeSituation]), assessment_id, situation_id))
        if level:
            method = "ofii_test" if d.cir and version == 1 else rng.choice(("counsellor", "tcf", "self_declared"))
            rows[LanguageLevel].append((next(ids[LanguageLevel]), diagnostic_id, "fr", level, method, at.date()))
        if "en" in d.languages:
            rows[LanguageLevel].append((next(ids[LanguageLevel]), diagnostic_id, "en", "B2", "self_declared", None))
        event(
            at,
            "diagnostic_recorded",
            author,
            f"Diagnostic version {version} enregistré",
            f'{{"diagnostic": {diagnostic_id}}}',
        )
        log(at, author, "create", "diagnostics.diagnostic", diagnostic_id)

    def _action(self, goal_id, pathway_id, text, goal_status, goal_created, end, writer_at, event, log):
        rng, ids, rows, today = self.rng, self.ids, self.rows, self.today
        created = self._time(goal_created, min(end, goal_created + datetime.timedelta(days=5)))
        author = writer_at(created)
        due = created.date() + datetime.timedelta(days=rng.randint(14, 90))
        if goal_status == "achieved":
            status = "done"
        elif goal_status == "abandoned":
            status = rng.choice(("abandoned", "cancelled"))
        elif due < today:
            status = P.weighted(
                rng, (("done", 55), ("in_progress", 20), ("abandoned", 10), ("cancelled", 5), ("planned", 10))
            )
        else:
            status = "planned" if rng.random() < 0.6 else "in_progress"
        done_on = None
        changed = None
        if status != "planned":
            changed = self._time(created + datetime.timedelta(hours=2), end)
            if status == "done":
                done_on = min(changed.astimezone(PARIS).date(), today)
        action_id = next(ids[Action])
        rows[Action].append(
            (action_id, goal_id, text, status, due, done_on, author.organisation_id, created, author.user_id)
        )
        event(
            created,
            "action_added",
            author,
            f"Action « {text} », échéance le {due:%d/%m/%Y}",
            f'{{"action": {action_id}}}',
        )
        log(created, author, "create", "pathways.action", action_id)
        if changed is not None:
            who = writer_at(changed)
            event(changed, "action_updated", who, f"Action « {text} » : {self.action_labels['planned']} → {self.action_labels[status]}",
                  f'{{"action": {action_id}, "status": "{status}"}}')  # fmt: skip
            log(changed, who, "update", "pathways.action", action_id, ["status"])

    def _appointment(self, pathway_id, starts, created, status, member, d, event, log):
        rng, ids = self.rng, self.ids
        appointment_id = next(ids[Appointment])
        subject = rng.choice(P.APPOINTMENT_SUBJECTS)
        mode = P.weighted(rng, MODES)
        place = member.place if mode == "in_person" else ""
        self.rows[Appointment].append(
            (appointment_id, pathway_id, starts, rng.choice((30, 45, 45, 60)), mode, member.membership_id, subject, place,
             bool(d.interpreting), status)
        )  # fmt: skip
        local = starts.astimezone(PARIS)
        event(created, "appointment_added", member, f"Rendez-vous le {local:%d/%m/%Y %H:%M} : {subject}",
              f'{{"appointment": {appointment_id}}}')  # fmt: skip
        log(created, member, "create", "pathways.appointment", appointment_id)
        if status != "planned":
            at = starts + datetime.timedelta(minutes=rng.randint(30, 600))
            if at < self.now:
                event(
                    at, "appointment_updated", member, f"Rendez-vous « {subject} » : {self.appointment_labels[status]}"
                )
                log(at, member, "update", "pathways.appointment", appointment_id, ["status"])


class AuditChain:
    """Numbers and hashes audit entries in order, after the current tail of the chain."""

    def __init__(self, *, tail_hash: str, next_id: int, copy_suffix: str = ""):
        self.tail = tail_hash
        self.next_id = next_id
        self.end = copy_suffix + "\n"  # COPY text of default columns we do not generate, if any

    def rows(self, audit: list[tuple]) -> list[tuple]:
        """Rows (tuples) for the generic writer, hashed with the reference functions."""
        prev, next_id, out = self.tail, self.next_id, []
        for values in audit:
            e = AuditRow(*values)
            digest = link_hash(prev_hash=prev, content=_content(e))
            out.append(
                (next_id, e.at, e.actor_id, e.organisation_id, e.action, e.object_type, e.object_id, e.person_id,
                 _json_list(e.fields), e.reason, prev, digest)
            )  # fmt: skip
            prev, next_id = digest, next_id + 1
        self.tail, self.next_id = prev, next_id
        return out

    def text(self, batch: TextBatch) -> bytes:
        """COPY text of a TextBatch's audit entries. The first link is checked against
        `chain.link_hash`, so a change of the hash formula fails loudly instead of silently."""
        prev, next_id, lines, end = self.tail, self.next_id, [], self.end
        append = lines.append
        first = None
        for content, tail in batch.audit:
            digest = sha256(prev.encode() + b"\n" + content).hexdigest()
            first = first or digest
            append(f"{next_id}\t{tail}\t{prev}\t{digest}{end}")
            prev, next_id = digest, next_id + 1
        if first and link_hash(prev_hash=self.tail, content=batch.first_content) != first:
            raise RuntimeError("La chaîne d'audit générée ne correspond pas à chain.link_hash.")
        self.tail, self.next_id = prev, next_id
        return "".join(lines).encode()


# -- worker processes ---------------------------------------------------------------------------------

_worker: Generator | None = None


def worker_init(spec: GenSpec) -> None:
    global _worker
    _worker = Generator(spec)


def worker_text_batch(task: tuple[int, int]) -> TextBatch:
    return _worker.text_batch(*task)


def _audit_text(entry: tuple) -> tuple[bytes, str]:
    """(`chain.canonical(services._content(entry))`, COPY text of the columns `at`…`reason`),
    written out by hand: json.dumps of a dict costs 5x more. The canonical form has sorted keys,
    compact separators and non-ASCII kept; each batch checks it against the reference encoding
    and falls back to the reference if they ever differ."""
    q = encode_basestring
    at, actor, organisation, action, object_type, object_id, person, fields, reason = entry
    at = at.isoformat()
    fields = ",".join(map(q, fields)) if fields else ""
    quoted_id = f'"{object_id}"' if object_id.isdigit() else q(object_id)
    quoted_reason = q(reason) if reason else '""'
    content = (
        f'{{"action":{_quoted(action)},"actor":{"null" if actor is None else actor},"at":"{at}",'
        f'"fields":[{fields}],"object_id":{quoted_id},"object_type":{_quoted(object_type)},'
        f'"organisation":{"null" if organisation is None else organisation},'
        f'"person":{"null" if person is None else person},"reason":{quoted_reason}}}'
    ).encode()
    tail = (
        f"{at}\t{NULL if actor is None else actor}\t{NULL if organisation is None else organisation}\t"
        f"{action}\t{_escaped(object_type)}\t{escape_text(object_id)}\t"
        f"{NULL if person is None else person}\t[{fields}]\t{escape_text(reason) if reason else ''}"
    )
    return content, tail


_QUOTED_CACHE: dict[str, str] = {}
_ESCAPED_CACHE: dict[str, str] = {}


def _escaped(value: str) -> str:
    escaped = _ESCAPED_CACHE.get(value)
    if escaped is None:
        escaped = _ESCAPED_CACHE[value] = escape_text(value)
    return escaped


def _quoted(value: str) -> str:
    """JSON string of one of the few actions and object types, computed once each."""
    quoted = _QUOTED_CACHE.get(value)
    if quoted is None:
        quoted = _QUOTED_CACHE[value] = encode_basestring(value)
    return quoted


NULL = "\\N"


def _json_list(values) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"
