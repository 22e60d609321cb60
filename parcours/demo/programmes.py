"""Demo programmes: a HOPE-like programme, VAE for newcomers and a local PLIE, declared as data
(parcours/demo/data_programmes/*.json, the shape `programme_declare` reads), their sessions in the
AFPA centres and partner structures of Loire-Atlantique, two years of history, a VAE pathway with a
declarative admissibility that ran to a jury, and a call for projects with its projects.

The past is written directly (bulk rows dated in the past: enrolments with their transition log,
step evidence, certifications, work-study contracts, exit outcomes, follow-up surveys, timeline
events), drawn at random with a fixed seed so that the indicators land in the range HOPE published
(French certification ~78 %, certification ~82 %, positive exit ~73 %, ~56 % employed 6 months
after exit) without being written in. What happens now (declaring, opening the sessions to come,
candidacies, the VAE jury, the call) goes through the services when they are installed.

For the placement optimiser, six HOPE sessions are still to come, with about fifty refugees applying
(`applicant_plan`: couples, young children without childcare, far communes, varied French levels),
and the past exits' outcomes lean on the participants' profile (`outcome_shift`), never on their sex
or nationality, so that the outcome model has something to learn.

`load_programmes(now=…)` is called by the demo loader after the referrals; it does nothing when
the HOPE-like programme already exists. Dates are relative to `now`: the demo looks the same
whatever the day it is loaded (sessions 2 years back to a few months ahead).
"""

import datetime
import json
import math
import random
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Max, Q
from django.utils import timezone

from parcours.audit.chain import GENESIS_HASH, link_hash
from parcours.audit.models import AuditEntry
from parcours.audit.services import _CHAIN_LOCK_KEY, _content
from parcours.diagnostics.enums import CECRL_ORDER
from parcours.diagnostics.models import Diagnostic, IntegrationContract, LanguageLevel, Situation, ThemeAssessment
from parcours.occupations.models import Appellation, RomeJob
from parcours.organisations.enums import ACCOMPANYING_ROLES, Role
from parcours.organisations.models import Membership, Organisation
from parcours.pathways.enums import EventKind
from parcours.pathways.models import Event, FollowUpMember, Pathway
from parcours.people.enums import DataCategory, ProtectionStatus
from parcours.people.models import Child, Consent, ForeignQualification, Person, WorkExperience
from parcours.programmes import enums as E
from parcours.programmes.facts import eligibility_for
from parcours.programmes.models import (
    Certification,
    Enrolment,
    EnrolmentTransition,
    FollowUpSurvey,
    Programme,
    ProgrammeStep,
    Session,
    StepRecord,
    TargetCertification,
    VaePathway,
    VaeRoute,
    WorkStudyContract,
)
from parcours.programmes.services_calls import call_create, participant_add, project_create
from parcours.programmes.services_enrolment import enrolment_move, enrolment_propose, session_create, session_update
from parcours.programmes.services_programme import programme_declare
from parcours.programmes.services_progress import certification_record, exit_outcome_record
from parcours.programmes.services_vae import (
    vae_admissibility_decide,
    vae_bloc_results_record,
    vae_hours_record,
    vae_jury_schedule,
    vae_open,
    vae_reference_load,
)
from parcours.territories.models import Commune, Departement
from parcours.users.models import User

from . import profiles as P
from . import territory as T
from .generator import AuditRow, nir_for
from .names import Names, ascii_slug

DATA_DIR = Path(__file__).with_name("data_programmes")
HOPE_CODE = "hope-44"
VAE_CODE = "vae-primo-arrivants-44"
PLIE_CODE = "plie-nantes-metropole"
PROGRAMME_FILES = {
    HOPE_CODE: "hope-44.json",
    VAE_CODE: "vae-primo-arrivants-44.json",
    PLIE_CODE: "plie-nantes-metropole.json",
}
SEED = 44 + 505
PARIS = zoneinfo.ZoneInfo("Europe/Paris")
S = E.EnrolmentState

# Who declares each programme (a pilote of the owner organisation).
DECLARED_BY = {HOPE_CODE: "francois.gauthier", VAE_CODE: "francois.gauthier", PLIE_CODE: "agnes.morel"}


@dataclass(frozen=True)
class SessionSpec:
    programme: str
    operator: str  # organisation key
    commune: str  # INSEE code
    label: str
    start: int  # months from the first day of the current month
    months: int
    places: int
    rome: tuple[str, ...]
    partners: tuple[str, ...] = ()
    housing: bool = False
    childcare: bool = False
    min_french: str = ""  # the CECRL level the session requires (placement constraint), "" for none
    households: bool = False  # can host a household placed together (placement constraint)


BTP = ("F1703", "F1604", "F1606")
SH, SN, RZ = "afpa", "afpa_saint_nazaire", "afpa_reze"
BATIR = ("Bâtir Atlantique", "Plâtrerie de l'Erdre", "Peintures du Sillon")
SOUDURE = ("Soudure navale de l'Estuaire", "Métallerie Brière Industrie")
RESTAURATION = ("Restauration collective Loire", "Propreté Océane")
AIDE = ("EHPAD Les Tilleuls", "Aide à domicile Sud-Loire")
# HOPE: a session starts every two months, in turn in the three AFPA centres (each centre runs two
# trades a year, eight months each, ~14 trainees), from 27 months ago. Each calendar quarter thus has
# one or two sessions starting: the cohorts of the indicators. Six are still to come, two per centre
# (the programme doubles its capacity): their candidates are placed with the placement optimiser.
SESSIONS: tuple[SessionSpec, ...] = (
    SessionSpec(HOPE_CODE, SH, "44162", "HOPE Saint-Herblain — Bâtiment (maçonnerie, plâtrerie, peinture)", -27, 8, 14,
                BTP, BATIR, housing=True),
    SessionSpec(HOPE_CODE, SN, "44184", "HOPE Saint-Nazaire — Soudure et assemblage industriel", -25, 8, 14,
                ("H2913", "H2909"), SOUDURE, housing=True),
    SessionSpec(HOPE_CODE, RZ, "44143", "HOPE Rezé — Restauration et propreté", -23, 8, 13,
                ("G1602", "G1605", "K2204"), RESTAURATION, housing=True, childcare=True),
    SessionSpec(HOPE_CODE, SH, "44162", "HOPE Saint-Herblain — Logistique et préparation de commandes", -21, 8, 14,
                ("N1103", "N1105"), ("Logistique Nantes Sud", "Entrepôts de la Chabossière"), housing=True),
    SessionSpec(HOPE_CODE, SN, "44184", "HOPE Saint-Nazaire — Mécanique automobile", -19, 8, 13,
                ("I1604",), ("Garage solidaire de Trignac", "Atlantique Poids Lourds Services"), housing=True),
    SessionSpec(HOPE_CODE, RZ, "44143", "HOPE Rezé — Aide à la personne et agent de service hospitalier", -17, 8, 14,
                ("J1301", "K1302"), AIDE, housing=True, childcare=True),
    SessionSpec(HOPE_CODE, SH, "44162", "HOPE Saint-Herblain — Bâtiment, second œuvre", -15, 8, 14,
                ("F1604", "F1606"), ("Bâtir Atlantique", "Isolation Loire Habitat"), housing=True),
    SessionSpec(HOPE_CODE, SN, "44184", "HOPE Saint-Nazaire — Restauration", -13, 8, 13,
                ("G1602", "G1603"), ("Restauration collective Loire", "Cuisines du Port"), housing=True, childcare=True),
    SessionSpec(HOPE_CODE, RZ, "44143", "HOPE Rezé — Propreté et hygiène des locaux", -11, 8, 14,
                ("K2204",), ("Propreté Océane", "Nettoyage Industriel Sud-Loire"), housing=True, childcare=True),
    SessionSpec(HOPE_CODE, SH, "44162", "HOPE Saint-Herblain — Industrie et maintenance", -9, 8, 14,
                ("H2909", "I1304"), ("Métallerie Brière Industrie", "Maintenance Ouest Process"), housing=True),
    SessionSpec(HOPE_CODE, SN, "44184", "HOPE Saint-Nazaire — Soudure navale", -7, 8, 14,
                ("H2913",), SOUDURE, housing=True),
    SessionSpec(HOPE_CODE, RZ, "44143", "HOPE Rezé — Aide à la personne", -5, 8, 13,
                ("J1301", "K1302"), AIDE, housing=True, childcare=True),
    SessionSpec(HOPE_CODE, SH, "44162", "HOPE Saint-Herblain — Bâtiment (gros œuvre)", -3, 8, 14,
                ("F1703", "F1604"), BATIR, housing=True),
    # The sessions to come (open to candidacies, placed by the placement optimiser: see
    # APPLICANT_CASES below and docs/demo.md): two per centre, starting in two to four months.
    SessionSpec(HOPE_CODE, SH, "44162", "HOPE Saint-Herblain — Logistique", 2, 8, 12,
                ("N1103", "N1105"), ("Logistique Nantes Sud", "Entrepôts de la Chabossière"), housing=True),
    SessionSpec(HOPE_CODE, RZ, "44143", "HOPE Rezé — Aide à la personne et soins", 3, 8, 12,
                ("K1302", "J1301", "K1304"), AIDE, housing=True, childcare=True, min_french="A2", households=True),
    SessionSpec(HOPE_CODE, SN, "44184", "HOPE Saint-Nazaire — Soudure et chaudronnerie navale", 2, 8, 10,
                ("H2913", "H2909"), SOUDURE, housing=True),
    SessionSpec(HOPE_CODE, SH, "44162", "HOPE Saint-Herblain — Bâtiment, second œuvre (plâtrerie, peinture)", 3, 8, 12,
                ("F1604", "F1606"), ("Bâtir Atlantique", "Isolation Loire Habitat"), housing=True, households=True),
    SessionSpec(HOPE_CODE, SN, "44184", "HOPE Saint-Nazaire — Restauration collective", 4, 8, 8,
                ("G1602", "G1605"), ("Restauration collective Loire", "Cuisines du Port"), housing=True,
                childcare=True, min_french="A1", households=True),
    SessionSpec(HOPE_CODE, RZ, "44143", "HOPE Rezé — Propreté et hygiène des locaux", 4, 8, 10,
                ("K2204",), ("Propreté Océane", "Nettoyage Industriel Sud-Loire"), housing=True, childcare=True),
    SessionSpec(PLIE_CODE, "plie", "44109", "PLIE — cohorte Nantes Nord", -20, 18, 25, ("K2204", "N1103", "D1507")),
    SessionSpec(PLIE_CODE, "plie", "44143", "PLIE — cohorte Rezé et Sud-Loire", -6, 18, 25, ("K1304", "A1203", "D1505"),
                childcare=True),
    SessionSpec(VAE_CODE, "afpa", "44162", "VAE primo-arrivant·es — AFPA Saint-Herblain", -14, 18, 15,
                ("K2204", "J1301", "F1703")),
    SessionSpec(VAE_CODE, "vae_body", "44109", "VAE primo-arrivant·es — Nantes", -4, 12, 15, ("K1302", "G1602", "N1103")),
)  # fmt: skip

# Professional titles prepared per target job (title, RNCP code left blank: the demo does not
# invent registry numbers).
TITLES = {
    "F1703": "Titre professionnel Maçon", "F1604": "Titre professionnel Plaquiste plâtrier",
    "F1606": "Titre professionnel Peintre en bâtiment", "H2913": "Titre professionnel Soudeur assembleur industriel",
    "H2909": "Titre professionnel Agent de fabrication industrielle", "G1602": "Titre professionnel Commis de cuisine",
    "G1605": "Titre professionnel Agent de restauration", "G1603": "Titre professionnel Agent de restauration",
    "K2204": "Titre professionnel Agent de propreté et d'hygiène", "N1103": "Titre professionnel Préparateur de commandes en entrepôt",
    "N1105": "Titre professionnel Agent magasinier", "I1604": "Titre professionnel Mécanicien automobile",
    "I1304": "Titre professionnel Technicien de maintenance industrielle", "J1301": "Titre professionnel Agent de service médico-social",
    "K1302": "Titre professionnel Assistant de vie aux familles",
}  # fmt: skip
MODULES = (
    "Découverte des métiers et immersion en entreprise",
    "Gestes professionnels et sécurité (SST, prévention des risques)",
    "Préparation au contrat en alternance et codes de l'entreprise",
)
ABANDON_REASONS = (
    (E.AbandonReason.EMPLOYMENT, 25, ""), (E.AbandonReason.HEALTH, 12, ""), (E.AbandonReason.FAMILY, 15, ""),
    (E.AbandonReason.HOUSING, 10, ""), (E.AbandonReason.MOBILITY, 8, ""), (E.AbandonReason.MOTIVATION, 12, ""),
    (E.AbandonReason.MOVED, 10, ""), (E.AbandonReason.OTHER, 8, "Rapprochement familial dans une autre région."),
)  # fmt: skip
NOT_SELECTED = (
    (E.NotSelectedReason.PROJECT_MISMATCH, 4, ""), (E.NotSelectedReason.PERSON_DECLINED, 4, ""),
    (E.NotSelectedReason.OTHER, 1, "Entretien de sélection manqué, candidature reportée à la session suivante."),
)  # fmt: skip
OUT = E.ExitOutcome
COMPLETED_OUTCOMES = ((OUT.WORK_STUDY, 48), (OUT.SUSTAINABLE_EMPLOYMENT, 12), (OUT.OTHER_EMPLOYMENT, 8),
                      (OUT.QUALIFYING_TRAINING, 6), (OUT.JOB_SEARCH, 13), (OUT.OTHER, 4), (OUT.UNKNOWN, 5))  # fmt: skip
ABANDONED_OUTCOMES = ((OUT.JOB_SEARCH, 35), (OUT.OTHER, 15), (OUT.UNKNOWN, 30), (OUT.QUALIFYING_TRAINING, 20))
PLIE_OUTCOMES = ((OUT.SUSTAINABLE_EMPLOYMENT, 22), (OUT.OTHER_EMPLOYMENT, 25), (OUT.QUALIFYING_TRAINING, 12),
                 (OUT.JOB_SEARCH, 28), (OUT.OTHER, 6), (OUT.UNKNOWN, 7))  # fmt: skip
EMPLOYED = ((E.SurveyEmployment.SUSTAINABLE_EMPLOYMENT, 55), (E.SurveyEmployment.OTHER_EMPLOYMENT, 25),
            (E.SurveyEmployment.WORK_STUDY, 20))  # fmt: skip
LANGUAGE_EXAMS = (((E.CertificationExam.DELF, "A2"), 35), ((E.CertificationExam.DELF, "B1"), 14),
                  ((E.CertificationExam.DILF, "A1.1"), 18), ((E.CertificationExam.TCF, "A2"), 15),
                  ((E.CertificationExam.TCF, "B1"), 10), ((E.CertificationExam.DELF, "A1"), 8))  # fmt: skip
HOUSING = (
    ("afpa_residence", "Chambre en résidence AFPA"),
    ("social_residence", "Résidence sociale (convention avec le bailleur)"),
    ("sliding_lease", "Logement social en bail glissant"),
)
# People of the territory kept out of the history, for the counsellor's eligibility journey.
KEEP_FOR_ELIGIBILITY = ("sophie.martin", 2)


def _pick(rng: random.Random, weighted):
    """One item of ((value, weight, *rest), …): the item's value, or the whole tuple when longer."""
    total = sum(item[1] for item in weighted)
    x = rng.random() * total
    for item in weighted:
        x -= item[1]
        if x < 0:
            return item[0] if len(item) == 2 else item
    return weighted[-1][0] if len(weighted[-1]) == 2 else weighted[-1]


def add_months(day: datetime.date, months: int) -> datetime.date:
    year, month = divmod(day.month - 1 + months, 12)
    return datetime.date(day.year + year, month + 1, min(day.day, 28))


def _at(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), PARIS)


def _monday(day: datetime.date) -> datetime.date:
    return day + datetime.timedelta(days=(7 - day.weekday()) % 7)


def programme_data(code: str) -> dict:
    """The programme file, as `programme_declare` reads it."""
    return json.loads((DATA_DIR / PROGRAMME_FILES[code]).read_text(encoding="utf-8"))


# --- organisations and staff --------------------------------------------------------------------


def _organisations() -> dict[str, Organisation]:
    """The territory's organisations by key (operators and carriers included: parcours/demo/territory.py),
    with the SIRET the programme files name their operators by."""
    departement = Departement.objects.get(code=T.DEPARTEMENT)
    by_name = {o.name: o for o in Organisation.objects.filter(departement=departement)}
    missing = [spec.name for spec in T.ORGANISATIONS if spec.name not in by_name]
    if missing:
        raise RuntimeError("Organisations de démonstration absentes : " + ", ".join(missing))
    orgs = {}
    for spec in T.ORGANISATIONS:
        org = by_name[spec.name]
        if spec.siret and not org.siret:
            org.siret = spec.siret
            org.save(update_fields=["siret"])
        orgs[spec.key] = org
    return orgs


def _membership(username: str, org: Organisation | None = None) -> Membership | None:
    query = Membership.objects.filter(user__username=username, is_active=True).select_related("user", "organisation")
    if org is not None:
        query = query.filter(organisation=org)
    return query.order_by("id").first()


def _operator_staff(org: Organisation) -> Membership | None:
    """The operator centre's professional who moves its enrolments (an encadrant first: the
    coordinator)."""
    members = list(
        Membership.objects.filter(organisation=org, is_active=True, role__in=ACCOMPANYING_ROLES)
        .select_related("user", "organisation")
        .order_by("id")
    )
    members.sort(key=lambda m: m.role != Role.ENCADRANT)
    return members[0] if members else None


# --- programmes and sessions --------------------------------------------------------------------


def _session(
    spec: SessionSpec, *, programme: Programme, orgs, membership: Membership, month0: datetime.date
) -> Session:
    starts_on = _monday(add_months(month0, spec.start))
    session = session_create(
        membership=membership,
        programme=programme,
        label=spec.label,
        operator=orgs[spec.operator],
        commune=Commune.objects.get(pk=spec.commune),
        starts_on=starts_on,
        ends_on=add_months(starts_on, spec.months) - datetime.timedelta(days=3),
        places=spec.places,
        target_rome_codes=spec.rome,
        partner_companies=spec.partners,
        offers_childcare=spec.childcare,
        offers_housing=spec.housing,
        min_french_level=spec.min_french,
        hosts_households=spec.households,
    )
    return session


# --- people ---------------------------------------------------------------------------------------


@dataclass
class Candidate:
    pathway: Pathway
    seat: Membership  # the follow-up member who proposes (the referent when accompanying)

    @property
    def person(self):
        return self.pathway.person


def _age(birth: datetime.date, on: datetime.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _candidates(pathway_filter: dict | Q) -> list[Candidate]:
    """Pathways matching the filter (keywords or a Q), with the follow-up member who would propose them."""
    condition = pathway_filter if isinstance(pathway_filter, Q) else Q(**pathway_filter)
    pathways = list(
        Pathway.objects.filter(condition, person__anonymised_at__isnull=True).select_related("person").order_by("id")
    )
    seats: dict[int, Membership] = {}
    for seat in (
        FollowUpMember.objects.filter(
            pathway__in=pathways, ended_at__isnull=True, membership__role__in=ACCOMPANYING_ROLES
        )
        .select_related("membership__user", "membership__organisation")
        .order_by("-is_referent", "started_at", "id")
    ):
        seats.setdefault(seat.pathway_id, seat.membership)
    return [Candidate(p, seats[p.pk]) for p in pathways if p.pk in seats]


def _available(candidates, *, used: set[int], propose_on: datetime.date, until: datetime.date, ages=(18, 64)):
    """Candidates free for a session: pathway opened before the candidacy, still open (or closed
    after the session), of age, not already in a programme of the demo."""
    result = []
    for c in candidates:
        p = c.pathway
        if p.pk in used or p.opened_at.date() >= propose_on:
            continue
        if p.closed_at is not None and p.closed_at.date() <= until:
            continue
        if not ages[0] <= _age(c.person.birth_date, propose_on) <= ages[1]:
            continue
        result.append(c)
    return result


# --- the past, as rows ------------------------------------------------------------------------------


OVERRIDE_REASON = "Conditions vérifiées en entretien de sélection sur présentation des justificatifs."
DATED_STATES = frozenset({S.ENROLLED, S.IN_PROGRESS, S.COMPLETED, S.ABANDONED})


def _summary(title: str, from_state: str, to_state: str, at: datetime.datetime) -> str:
    """The timeline line, worded as the enrolment services word theirs."""
    if not from_state:
        return f"Candidature proposée à la session {title}"
    summary = f"Programme : {title} — {str(S(to_state).label).lower()}"
    if to_state in DATED_STATES:
        summary += f" le {timezone.localtime(at, PARIS):%d/%m/%Y}"
    return summary


CAPPED_FIELDS = ("proposed_at", "state_changed_at", "waiting_since", "exit_outcome_recorded_at", "recorded_at",
                 "notified_at")  # fmt: skip


class History:
    """Collects the rows of the demo's past enrolments and writes them in bulk."""

    def __init__(
        self,
        *,
        rng: random.Random,
        today: datetime.date,
        now: datetime.datetime,
        outcome_rng: random.Random | None = None,
    ):
        self.rng = rng
        # Exit outcomes and surveys may be drawn apart, so that tuning them leaves the paths as they are.
        self.outcome_rng = outcome_rng or rng
        self.today = today
        self.now = now
        self.plans: list[tuple[Enrolment, list[tuple], list]] = []

    # One enrolment: its final state, dates and the log of moves leading there.
    def enrolment(self, *, session: Session, candidate: Candidate, staff: Membership | None, path: list[tuple]):
        """`path` = [(state, day, extra fields)…] from the candidacy on."""
        proposed_day = path[0][1]
        fields = {
            "session": session,
            "programme": session.programme,
            "pathway": candidate.pathway,
            "proposed_by": candidate.seat,
            "proposed_at": _at(proposed_day, 10, self.rng.randint(0, 59)),
        }
        # The eligibility as the proposing member saw it that day (what the candidacy service stores);
        # a person not provably eligible was proposed with the reason of the exemption.
        result = eligibility_for(
            pathway=candidate.pathway, programme=session.programme, membership=candidate.seat, today=proposed_day
        )
        fields["eligibility_status"] = str(result.status)
        fields["eligibility"] = result.as_dict()
        if result.status != E.EligibilityStatus.ELIGIBLE:
            fields["override_reason"] = OVERRIDE_REASON
        moves = []
        previous = ""
        for state, day, extra in path:
            actor = candidate.seat if state == S.CANDIDATE else staff
            at = _at(day, 9 if state == S.IN_PROGRESS else 15, self.rng.randint(0, 59))
            reason = ""
            if extra.get("abandon_reason"):
                reason = str(E.AbandonReason(extra["abandon_reason"]).label)
            elif extra.get("not_selected_reason"):
                reason = str(E.NotSelectedReason(extra["not_selected_reason"]).label)
            elif state == S.CANDIDATE and result.status != E.EligibilityStatus.ELIGIBLE:
                reason = "Éligibilité dérogatoire"
            reason = " — ".join(p for p in (reason, extra.get("reason_detail", "")) if p)
            if state in DATED_STATES:  # as the enrolment service writes its log
                reason = " — ".join(p for p in (f"le {day:%d/%m/%Y}", reason) if p)
            moves.append((previous, state, at, actor, reason))
            fields.update(extra)
            if state == S.ENROLLED:
                fields["enrolled_on"] = day
            elif state == S.IN_PROGRESS:
                fields["entered_on"] = day
            elif state in (S.COMPLETED, S.ABANDONED):
                fields["exited_on"] = day
            elif state == S.WAITING_LIST:
                fields["waiting_since"] = at
            previous = state
        fields["state"] = previous
        fields["state_changed_at"] = moves[-1][2]
        enrolment = Enrolment(**fields)
        rows: list = []
        self.plans.append((enrolment, moves, rows))
        return enrolment, rows

    def _cap(self, row) -> None:
        """A row dated today at an hour still to come is dated now: the demo's past is never in the future."""
        for name in CAPPED_FIELDS:
            value = getattr(row, name, None)
            if isinstance(value, datetime.datetime) and value > self.now:
                setattr(row, name, self.now)

    def write(self) -> dict[str, int]:
        for enrolment, _moves, rows in self.plans:
            self._cap(enrolment)
            for row in rows:
                self._cap(row)
        enrolments = Enrolment.objects.bulk_create([plan[0] for plan in self.plans], batch_size=500)
        transitions, events, by_model = [], [], {}
        for enrolment, moves, rows in self.plans:
            title = f"« {enrolment.session.label} » du programme « {enrolment.programme.name} »"
            for from_state, to_state, at, actor, reason in moves:
                at = min(at, self.now)
                transitions.append(
                    EnrolmentTransition(
                        enrolment=enrolment,
                        from_state=from_state,
                        to_state=to_state,
                        at=at,
                        actor=actor.user if actor else None,
                        reason=reason,
                    )
                )
                events.append(
                    Event(
                        pathway_id=enrolment.pathway_id,
                        at=at,
                        kind=EventKind.ENROLMENT_UPDATED,
                        actor=actor.user if actor else None,
                        organisation_id=actor.organisation_id if actor else None,
                        summary=_summary(title, from_state, to_state, at)[:500],
                        payload={"enrolment": enrolment.pk, "from": from_state, "state": to_state}
                        if from_state
                        else {"enrolment": enrolment.pk, "state": to_state},
                    )
                )
            for row in rows:
                row.enrolment = enrolment
                by_model.setdefault(type(row), []).append(row)
                if isinstance(row, Certification):
                    day, what = row.obtained_on, row.title or f"certification {row.get_exam_display()} {row.level}"
                elif isinstance(row, WorkStudyContract):
                    day, what = row.starts_on, f"contrat en alternance chez {row.company}"
                else:
                    continue
                events.append(
                    Event(
                        pathway_id=enrolment.pathway_id,
                        at=min(_at(day, 16), self.now),
                        kind=EventKind.PROGRAMME_PROGRESS,
                        actor=row.recorded_by,
                        summary=f"{enrolment.programme.name} : {what}"[:500],
                        payload={"enrolment": enrolment.pk},
                    )
                )
        EnrolmentTransition.objects.bulk_create(transitions, batch_size=1000)
        Event.objects.bulk_create(events, batch_size=1000)
        counts = {"enrolments": len(enrolments), "transitions": len(transitions)}
        for model, rows in by_model.items():
            model.objects.bulk_create(rows, batch_size=1000)
            counts[model._meta.model_name] = len(rows)
        return counts


def _path(h: History, *, session: Session, rng: random.Random, seat_free: bool, abandon_p: float) -> list[tuple]:
    """The moves of one candidacy for a session, up to today."""
    today = h.today
    start = session.starts_on
    proposed = start - datetime.timedelta(days=rng.randint(24, 50))
    path: list[tuple] = [(S.CANDIDATE, proposed, {})]
    if proposed > today:
        return []
    if rng.random() < 0.1:
        reason, _w, detail = _pick(rng, NOT_SELECTED)
        day = min(today, proposed + datetime.timedelta(days=rng.randint(5, 15)))
        return [*path, (S.NOT_SELECTED, day, {"not_selected_reason": reason, "reason_detail": detail})]
    selected = proposed + datetime.timedelta(days=rng.randint(6, 14))
    if selected > today:
        return path
    path.append((S.SELECTED, selected, {}))
    enrolled = start - datetime.timedelta(days=rng.randint(2, 8))
    if not seat_free:
        path.append((S.WAITING_LIST, enrolled, {}))
        if start > today:
            return path
        return [*path, (S.NOT_SELECTED, start, {"not_selected_reason": E.NotSelectedReason.NO_PLACE})]
    if enrolled > today:
        return path
    path.append((S.ENROLLED, enrolled, {}))
    if rng.random() < 0.03:
        reason, _w, detail = _pick(rng, ABANDON_REASONS)
        day = min(today, start - datetime.timedelta(days=1))
        return [*path, (S.ABANDONED, day, {"abandon_reason": reason, "reason_detail": detail})]
    if start > today:
        return path
    path.append((S.IN_PROGRESS, start, {}))
    if rng.random() < abandon_p:
        span = (session.ends_on - start).days
        day = start + datetime.timedelta(days=rng.randint(12, max(13, span - 12)))
        if day <= today:
            reason, _w, detail = _pick(rng, ABANDON_REASONS)
            return [*path, (S.ABANDONED, day, {"abandon_reason": reason, "reason_detail": detail})]
    if session.ends_on <= today:
        path.append((S.COMPLETED, session.ends_on, {}))
    return path


# The exit outcome of a HOPE participant leans on what predicts it — French level, education,
# experience in the session's trade, time since arrival — and never on sex or nationality, so that
# the placement's outcome model (parcours/matching/outcome.py) has something true to learn, with the
# draw's noise: a shift on the logit scale of the share of positive outcomes of the table drawn
# from, about 0 for an average participant. HOPE's outcomes and surveys are drawn from their own
# generator (OUTCOME_SEED): the paths (entries, drop-outs, exits) do not depend on them.
# Each term is centred on the alumni's average (French between A1 and A2, education 2.5, 0.65 year of
# experience in the trade, arrived 29 months before the start).
OUTCOME_FRENCH = 0.8  # per CECRL step (A1.1, A1, A2, B1, …)
OUTCOME_EDUCATION = 0.25  # per level of the national framework (0 … 8)
OUTCOME_DOMAIN = 0.4  # per year of experience in one of the session's job domains, up to 4 years
OUTCOME_ARRIVAL = 0.8  # per 18 months since the arrival, from 6 months (-) to 3.5 years (+)
FRENCH_RANK = {level: rank for rank, level in enumerate(CECRL_ORDER)}
OUTCOME_SEED = SEED + 3  # HOPE's outcomes and surveys are drawn apart from its paths


def outcome_shift(*, french: str, education: str, domain_years: float, months_since_arrival: float | None) -> float:
    """The logit shift of a participant's chances of a positive exit (pure; see OUTCOME_*)."""
    shift = OUTCOME_FRENCH * (FRENCH_RANK.get(french, 1) - 1.5)
    shift += OUTCOME_EDUCATION * ((int(education) if education.isdigit() else 1) - 2.5)
    shift += OUTCOME_DOMAIN * (min(domain_years, 4.0) - 0.65)
    if months_since_arrival is not None:
        shift += OUTCOME_ARRIVAL * (min(max(months_since_arrival, 6.0), 42.0) - 29.0) / 18.0
    return shift


def _pick_outcome(rng: random.Random, table, shift: float):
    """An outcome of `table` ((value, weight), …) with the positive ones' share tilted by `shift`
    on the logit scale, from one draw. The share of UNKNOWN (outcome not known) stays as weighted."""
    u = rng.random()
    total = sum(w for _v, w in table)
    unknown = sum(w for v, w in table if v == OUT.UNKNOWN) / total
    if u >= 1 - unknown:
        return OUT.UNKNOWN
    u /= 1 - unknown
    positive = [(v, w) for v, w in table if v in E.DEFAULT_POSITIVE_OUTCOMES]
    negative = [(v, w) for v, w in table if v not in E.DEFAULT_POSITIVE_OUTCOMES and v != OUT.UNKNOWN]
    p0 = sum(w for _v, w in positive) / sum(w for _v, w in positive + negative)
    p = 1 / (1 + math.exp(-(math.log(p0 / (1 - p0)) + shift)))
    group, x = (positive, u / p) if u < p else (negative, (u - p) / (1 - p))
    x *= sum(w for _v, w in group)
    for value, weight in group:
        x -= weight
        if x < 0:
            return value
    return group[-1][0]


class OutcomeShift:
    """outcome_shift() for the candidates of the past HOPE sessions, from a few queries: the latest
    French level, the experiences by ROME domain, the sessions' job domains."""

    def __init__(self, plans: dict[int, list[Candidate]]):
        people = {c.person.pk for group in plans.values() for c in group}
        self.french: dict[int, str] = {}
        for person_id, level in (
            LanguageLevel.objects.filter(language="fr", diagnostic__person_id__in=people)
            .order_by("assessed_on", "id")
            .values_list("diagnostic__person_id", "level")
        ):
            self.french[person_id] = level  # the latest wins
        self.experience: dict[int, list[tuple[str, float]]] = {}
        for person_id, domain, years in WorkExperience.objects.filter(person_id__in=people).values_list(
            "person_id", "rome__domain_id", "years"
        ):
            self.experience.setdefault(person_id, []).append((domain, float(years or 0)))
        Jobs = Session.target_jobs.through
        self.domains: dict[int, set[str]] = {}
        for session_id, domain in Jobs.objects.filter(session_id__in=list(plans)).values_list(
            "session_id", "romejob__domain_id"
        ):
            self.domains.setdefault(session_id, set()).add(domain)

    def __call__(self, candidate: Candidate, session: Session) -> float:
        person = candidate.person
        domains = self.domains.get(session.pk, set())
        years = sum(y for domain, y in self.experience.get(person.pk, []) if domain in domains)
        months = None
        if person.arrival_date is not None:
            months = (session.starts_on - person.arrival_date).days / 30.44
        return outcome_shift(
            french=self.french.get(person.pk, ""),
            education=person.education_level or "",
            domain_years=years,
            months_since_arrival=months,
        )


def _outcome_and_surveys(
    h: History, enrolment: Enrolment, rows: list, recorder: User, table, shift: float | None = None
) -> None:
    """Exit outcome (sometimes still to record for recent exits) and the 6- and 12-month surveys;
    with `shift`, the outcome leans on the participant's profile (see outcome_shift)."""
    rng, today = h.outcome_rng, h.today
    exited = enrolment.exited_on
    if exited is None:
        return
    recent = (today - exited).days < 25
    if not (recent and rng.random() < 0.5):
        if enrolment.abandon_reason == E.AbandonReason.EMPLOYMENT:
            outcome = OUT.SUSTAINABLE_EMPLOYMENT if rng.random() < 0.4 else OUT.OTHER_EMPLOYMENT
        elif shift is not None:
            outcome = _pick_outcome(rng, table if enrolment.state == S.COMPLETED else ABANDONED_OUTCOMES, shift)
        else:
            outcome = _pick(rng, table if enrolment.state == S.COMPLETED else ABANDONED_OUTCOMES)
        enrolment.exit_outcome = outcome
        recorded = min(today, exited + datetime.timedelta(days=rng.randint(1, 15)))
        enrolment.exit_outcome_recorded_at = _at(recorded, 11)
    positive = enrolment.exit_outcome in E.DEFAULT_POSITIVE_OUTCOMES
    employed_p = 0.8 if positive else (0.45 if enrolment.exit_outcome in ("", OUT.UNKNOWN) else 0.3)
    for wave in E.SURVEY_WAVES:
        due = add_months(exited, wave)
        survey = FollowUpSurvey(wave_months=wave, due_on=due)
        late = (today - due).days
        if late >= 0:
            survey.notified_at = _at(due, 8)
            if rng.random() < 0.78:
                survey.status = E.SurveyStatus.ANSWERED
                survey.answered_on = due + datetime.timedelta(days=rng.randint(0, min(30, late)))
                employed = rng.random() < employed_p
                survey.employment = _pick(rng, EMPLOYED) if employed else E.SurveyEmployment.NOT_EMPLOYED
                survey.recorded_by = recorder
            elif late > 40:
                survey.status = E.SurveyStatus.NO_ANSWER
                survey.answered_on = due + datetime.timedelta(days=rng.randint(30, min(60, late)))
                survey.recorded_by = recorder
        rows.append(survey)


def _hope_evidence(h: History, enrolment: Enrolment, rows: list, *, steps, session: Session, recorder: User) -> None:
    """Step records, certifications and the work-study contract of a HOPE enrolment that entered."""
    rng = h.rng
    entered = enrolment.entered_on
    if entered is None:
        return
    end = enrolment.exited_on or h.today
    completes = enrolment.state == S.COMPLETED
    jobs = list(session.target_jobs.values_list("code", flat=True)) or ["F1703"]

    def record(kind, day, **fields):
        rows.append(StepRecord(step=steps[kind], done_on=day, recorded_by=recorder, recorded_at=_at(day, 17), **fields))

    if rng.random() < (0.92 if session.offers_housing else 0.7):
        kind, label = HOUSING[0] if session.offers_housing else HOUSING[rng.randint(1, 2)]
        day = min(end, entered + datetime.timedelta(days=rng.randint(0, 10)))
        record(E.StepKind.HOUSING, day, evidence=label, details={"kind": kind, "commune": session.commune_id})
        if completes and rng.random() < 0.45:
            day = max(day, end - datetime.timedelta(days=rng.randint(0, 40)))
            record(E.StepKind.HOUSING, day, evidence=HOUSING[2][1], details={"kind": HOUSING[2][0], "commune": "44109"})
    total, day = 0, entered + datetime.timedelta(days=28)
    while day <= end and total < 400:
        hours = min(400 - total, rng.randint(38, 58))
        total += hours
        record(E.StepKind.FRENCH, day, hours=Decimal(hours), evidence="Feuilles d'émargement du mois (FLE)")
        day += datetime.timedelta(days=28)
    for index, module in enumerate(MODULES):
        day = entered + datetime.timedelta(weeks=4 * (index + 1))
        if day <= end:
            record(E.StepKind.TRAINING_MODULE, day, hours=Decimal(70), evidence="Attestation de fin de module",
                   details={"module": module})  # fmt: skip
    week14 = entered + datetime.timedelta(weeks=14)
    if end >= week14 and rng.random() < (0.9 if completes else 0.5):
        exam, level = _pick(rng, LANGUAGE_EXAMS)
        day = min(end, week14 + datetime.timedelta(days=rng.randint(0, 50)))
        rows.append(Certification(kind=E.CertificationKind.LANGUAGE, exam=exam, level=level, obtained_on=day,
                                  evidence="Attestation de réussite", recorded_by=recorder, recorded_at=_at(day, 17)))  # fmt: skip
        record(E.StepKind.LANGUAGE_CERTIFICATION, day, evidence=f"{E.CertificationExam(exam).label} {level}")
    week16 = entered + datetime.timedelta(weeks=16)
    contract = None
    if end >= week16 + datetime.timedelta(days=14) and rng.random() < (0.9 if completes else 0.45):
        starts = min(end - datetime.timedelta(days=7), week16 + datetime.timedelta(days=rng.randint(0, 21)))
        contract = WorkStudyContract(
            company=rng.choice(session.partner_companies or ["Entreprise partenaire"]),
            contract_kind=E.WorkStudyKind.PROFESSIONALISATION if rng.random() < 0.85 else E.WorkStudyKind.APPRENTICESHIP,
            rome_id=rng.choice(jobs),
            starts_on=starts,
            ends_on=max(session.ends_on, starts + datetime.timedelta(days=60)) + datetime.timedelta(days=rng.randint(0, 150)),
            recorded_by=recorder,
            recorded_at=_at(starts, 17),
        )  # fmt: skip
        rows.append(contract)
        record(E.StepKind.WORK_STUDY, starts, evidence=f"Contrat signé avec {contract.company}")
    if (completes and rng.random() < 0.95) or (not completes and contract is not None and rng.random() < 0.35):
        rome = contract.rome_id if contract else rng.choice(jobs)
        title = TITLES.get(rome, "Titre professionnel")
        full = completes and rng.random() < 0.6
        day = max(entered, end - datetime.timedelta(days=rng.randint(0, 10)))
        rows.append(Certification(kind=E.CertificationKind.PROFESSIONAL,
                                  exam=E.CertificationExam.TITRE_PRO if full else E.CertificationExam.CCP,
                                  title=title if full else f"CCP 1 — {title}", obtained_on=day,
                                  evidence="Procès-verbal du jury", recorded_by=recorder, recorded_at=_at(day, 17)))  # fmt: skip
        record(E.StepKind.PROFESSIONAL_CERTIFICATION, day, evidence="Procès-verbal du jury")


def _plie_evidence(h: History, enrolment: Enrolment, rows: list, *, steps: list[ProgrammeStep], recorder: User) -> None:
    rng = h.rng
    entered = enrolment.entered_on
    if entered is None:
        return
    end = enrolment.exited_on or h.today
    for step in steps:
        day = entered + datetime.timedelta(weeks=step.week)
        if day > end or (not step.is_required and rng.random() < 0.4):
            continue
        hours = Decimal(rng.randint(30, 60)) if step.target_hours else None
        rows.append(StepRecord(step=step, done_on=day, hours=hours, evidence="Compte rendu de l'accompagnateur·rice",
                               recorded_by=recorder, recorded_at=_at(day, 17)))  # fmt: skip


def _history(
    h: History,
    *,
    sessions: list[Session],
    pool: list[Candidate],
    used: set[int],
    staff: dict[int, Membership | None],
    evidence,
    outcomes,
    abandon_p: float,
    ages=(18, 64),
    share: float = 1.0,
    plans: dict[int, list[Candidate]] | None = None,
    shift=None,
) -> None:
    """Candidacies and their passage through each session, oldest first, for the people of `pool`
    (or, with `plans`, exactly the candidates planned for each session, in order)."""
    rng = h.rng
    for session in sessions:
        propose_on = session.starts_on - datetime.timedelta(days=50)
        if propose_on > h.today:
            continue
        if plans is not None:
            free = plans.get(session.pk, [])
            want = len(free)
        else:
            free = _available(pool, used=used, propose_on=propose_on, until=session.ends_on, ages=ages)
            rng.shuffle(free)
            want = session.places + rng.randint(1, 3)
        if share < 1.0:
            want = min(want, max(3, round(len(free) * share)))
        seats = abandons = 0
        operator = staff.get(session.operator_id)
        for candidate in free[:want]:
            # A session rarely runs without a drop-out: the fifth entrant leaves if nobody has yet.
            p = 1.0 if seats == 4 and not abandons else abandon_p
            path = _path(h, session=session, rng=rng, seat_free=seats < session.places, abandon_p=p)
            if not path:
                continue
            used.add(candidate.pathway.pk)
            enrolment, rows = h.enrolment(session=session, candidate=candidate, staff=operator, path=path)
            if enrolment.enrolled_on is not None:
                seats += 1
            abandons += enrolment.state == S.ABANDONED
            evidence(enrolment, rows, session)
            _outcome_and_surveys(
                h, enrolment, rows, candidate.seat.user, outcomes, shift=shift(candidate, session) if shift else None
            )


# --- HOPE alumni ----------------------------------------------------------------------------------------

# The territory's own refugees fill only a few seats of each past HOPE session (a 300-person demo has
# ~50 refugee pathways): the other participants are people who went through HOPE before — "alumni" —
# generated here with the profiles of parcours/demo/profiles.py, followed by a counsellor of the
# refugee association (referent) and a HOPE counsellor of the AFPA centre, both generated colleagues
# (the documented logins' caseloads do not change). Their pathways close some months after the exit.
ALUMNI_SEED = SEED + 1
ALUMNI_STAFF = (("asso_refugies", 3), (SH, 2), (SN, 2), (RZ, 2))
# Their usernames end with ".h<serial>" (e.g. "maelle.guerin.h3"): generated, not documented logins.
ALUMNI_USERNAME_REGEX = r"\.h[0-9]+$"
# The HOPE alumni among the people (they were created by their generated referent).
ALUMNI_PERSONS = Q(created_by__username__regex=ALUMNI_USERNAME_REGEX)
TERRITORY_SEATS = (0, 1, 1, 2, 2, 3)  # the territory's refugees proposed to each past session
CENTRE_COMMUNES = {
    SH: (("44109", 40), ("44162", 25), ("44114", 10), ("44047", 10), ("44035", 5), ("44026", 5)),
    SN: (("44184", 55), ("44069", 12), ("44055", 10), ("44131", 8), ("44109", 10)),
    RZ: (("44143", 30), ("44109", 35), ("44020", 10), ("44190", 12), ("44215", 10)),
}
HOPE_PARTNER_REASON = "Programme HOPE : formation préqualifiante et alternance"
ALUMNI_CLOSURES = {
    OUT.SUSTAINABLE_EMPLOYMENT: "Sortie vers un emploi durable à l'issue du programme HOPE",
    OUT.OTHER_EMPLOYMENT: "En emploi à l'issue du programme HOPE : accompagnement terminé",
    OUT.WORK_STUDY: "En contrat de professionnalisation : suivi assuré par l'employeur et l'AFPA",
    OUT.QUALIFYING_TRAINING: "Entrée en formation qualifiante longue",
    OUT.JOB_SEARCH: "Relais pris par France Travail pour la recherche d'emploi",
}
PERSON_FIELDS = ("first_name", "last_name", "sex", "birth_date", "commune", "languages", "phone", "nationality",
                 "protection_status", "asylum_note", "residence_permit_kind", "right_to_work",
                 "residence_permit_valid_until")  # fmt: skip
CLOSURE_MOVED = "Déménagement hors du département"
CLOSURE_OTHER = "Ne souhaite plus être accompagné·e"
CLOSURE_NOT_SELECTED = "Orientation vers un autre dispositif d'insertion"
UTC = datetime.UTC


@dataclass
class Alumnus:
    candidate: Candidate
    seats: list[FollowUpMember]


def _name(membership: Membership) -> str:
    """ "Prénom Nom (Organisation)", as the services write a member in the timeline."""
    return f"{membership.user.get_full_name()} ({membership.organisation.name})"


class Alumni:
    """Generates the alumni of the past HOPE sessions and writes them in bulk (the rows the pathway,
    people and diagnostic services would have written, with their timeline events and audit entries)."""

    def __init__(self, *, orgs: dict[str, Organisation], today: datetime.date, now: datetime.datetime):
        self.rng = P.FastRandom(ALUMNI_SEED)
        self.names = Names(ALUMNI_SEED, size=80)
        self.orgs, self.today, self.now = orgs, today, now
        self.audit: list[tuple] = []
        self.alumni: list[Alumnus] = []
        known = set(Commune.objects.filter(departement_id=T.DEPARTEMENT).values_list("insee_code", flat=True))
        self.communes = {key: tuple((c, w) for c, w in pairs if c in known) for key, pairs in CENTRE_COMMUNES.items()}
        self.situations = dict(Situation.objects.filter(is_active=True).values_list("code", "id"))
        self.rome_codes = set(RomeJob.objects.values_list("code", flat=True))
        # Experiences are recorded as the sheet's principal appellation.
        self.principal = dict(
            Appellation.objects.filter(is_principal=True, in_release=True).values_list("rome_id", "code")
        )
        self.labels = {c.value: str(c.label) for c in DataCategory}
        self.staff = self._staff()

    def _staff(self) -> dict[str, list[Membership]]:
        """Generated colleagues (same password as the demo logins), a few per organisation."""
        pool = self.names.pools["fr"]
        password = User.objects.filter(username=T.MAIN_CONSEILLER).values_list("password", flat=True).first()
        users, keys, serial = [], [], 0
        for key, n in ALUMNI_STAFF:
            for _ in range(n):
                serial += 1
                first = self.rng.choice(pool.female if serial % 2 else pool.male)
                last = self.rng.choice(pool.last)
                username = f"{ascii_slug(first)}.{ascii_slug(last)}.h{serial}"
                users.append(User(username=username, email=f"{username}@{T.EMAIL_DOMAIN}", first_name=first,
                                  last_name=last, password=password or make_password(T.DEMO_PASSWORD),
                                  date_joined=self.now - datetime.timedelta(days=900)))  # fmt: skip
                keys.append(key)
        users = User.objects.bulk_create(users)
        memberships = Membership.objects.bulk_create(
            [
                Membership(user=u, organisation=self.orgs[k], role=Role.CONSEILLER)
                for u, k in zip(users, keys, strict=True)
            ]
        )
        staff: dict[str, list[Membership]] = {}
        for membership, user, key in zip(memberships, users, keys, strict=True):
            membership.user, membership.organisation = user, self.orgs[key]
            staff.setdefault(key, []).append(membership)
        return staff

    def log(self, at, membership, action, object_type, object_id, person_id, fields=(), reason=""):
        self.audit.append((at.astimezone(UTC), membership.user_id, membership.organisation_id, action, object_type,
                           str(object_id), person_id, sorted(fields), reason))  # fmt: skip

    def create(
        self, plan: list[tuple[Session, int]], shapes: list["Applicant"] | None = None
    ) -> dict[int, list[Candidate]]:
        """`n` alumni for each session of the plan; returns their candidacies by session id. With
        `shapes` (one per person, in order), the people are applicants to a session to come, shaped
        as said (commune, travel, a young child, a partner) and followed from recent dates."""
        rng, today = self.rng, self.today
        people, pathways, seats, consents, diagnostics, contracts, qualifications, experiences = ([] for _ in range(8))
        themes, levels, events, children = [], [], [], []
        shapes_left = iter(shapes or ())
        partners: dict[int, Person] = {}
        pending: list[tuple] = []  # audit entries of rows not written yet (ids come with the bulk insert)
        by_session: dict[int, list[Candidate]] = {}
        referents = self.staff["asso_refugies"]
        association = self.orgs["asso_refugies"]
        for session, n in plan:
            centre = next(k for k, o in self.orgs.items() if o.pk == session.operator_id)
            hope_staff = self.staff.get(centre) or self.staff[SH]
            for _ in range(n):
                shape = next(shapes_left, None)
                partner = partners.get(shape.couple) if shape and shape.couple else None
                start = session.starts_on
                if shape is None:
                    opened_day = start - datetime.timedelta(days=rng.randint(80, 420))
                else:  # an applicant: followed for two months to a year
                    opened_day = today - datetime.timedelta(days=rng.randint(60, 380))
                force = {"country": partner.nationality} if partner else {}
                d = P.draft_person(rng, "refugee", opened_day, **force)
                if shape is not None and shape.sex:
                    d.sex = shape.sex
                if shape is not None and shape.french:
                    d.french_level = shape.french
                    if d.cir and FRENCH_RANK[d.cir[4]] > FRENCH_RANK[shape.french]:
                        d.cir = (*d.cir[:4], shape.french)  # assessed at signature at most as now
                years = 10 if d.permit_kind == "resident_card" else 4
                issued, until = P._permit(rng, today, years, False)
                d.permit_issued, d.permit_until = max(issued, d.protection_granted), until
                first, last = self.names.pick(rng, d.origin, d.sex)
                referent, hope = rng.choice(referents), rng.choice(hope_staff)
                if partner is not None:  # same name, address and referent as the partner
                    last, referent = partner.last_name, next(r for r in referents if r.user == partner.created_by)
                opened = _at(opened_day, rng.randint(9, 16), rng.randint(0, 59))
                person = Person(
                    first_name=first, last_name=last, sex=d.sex, birth_date=d.birth_date, birth_place=d.birth_place,
                    nationality=d.nationality, nir=nir_for(rng, d.sex, d.birth_date, True) if rng.random() < 0.6 else "",
                    ofii_number=f"{rng.randint(1000000000, 9999999999)}",
                    email=f"{ascii_slug(first)}.{ascii_slug(last)}{rng.randint(1, 99)}@example.org" if rng.random() < 0.7 else "",
                    phone=f"0{rng.choice('67')} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
                    address=rng.choice(self.names.streets), commune_id=P.weighted(rng, self.communes[centre]),
                    languages=d.languages, arrival_date=d.arrival_date, household=d.household, driving_licence=d.licence,
                    education_level=d.education, residence_permit_kind=d.permit_kind, right_to_work=d.right_to_work,
                    residence_permit_issued_on=d.permit_issued, residence_permit_valid_until=d.permit_until,
                    protection_status=d.protection_status, protection_granted_on=d.protection_granted,
                    asylum_note=d.asylum_note, created_by=referent.user,
                )  # fmt: skip
                person.created_at = opened - datetime.timedelta(minutes=rng.randint(3, 50))
                if shape is not None:
                    person.commune_id = shape.commune
                    person.max_travel_minutes, person.has_vehicle = shape.travel, shape.vehicle
                    if shape.couple:
                        person.household = "couple"
                        if partner is not None:
                            person.address = partner.address
                        else:
                            partners[shape.couple] = person
                    elif shape.child:
                        person.household = "single_parent"
                    for born, care in () if shape.couple else d.children:  # drawn: each has a solution
                        children.append(Child(person=person, birth_date=born, childcare=care))
                    if shape.child:  # a child under three without childcare: only a session with childcare
                        born = today - datetime.timedelta(days=rng.randint(150, 1000))
                        children.append(Child(person=person, birth_date=born, childcare="none"))
                pathway = Pathway(person=person, status="open", orientation="professional",
                                  departement_id=T.DEPARTEMENT, opened_at=opened, last_activity_at=opened)  # fmt: skip
                people.append(person)
                pathways.append(pathway)
                pending.append((person.created_at, referent, "create", "people.person", person, person, PERSON_FIELDS))
                pending.append((opened, referent, "create", "pathways.pathway", pathway, person, ()))
                # The referent of the association opens the pathway; the AFPA's HOPE counsellor joins
                # at the information meeting, before the candidacy.
                mine = [
                    FollowUpMember(pathway=pathway, membership=referent, is_referent=True, started_at=opened,
                                   start_reason="Ouverture du parcours"),
                    FollowUpMember(pathway=pathway, membership=hope, is_referent=False,
                                   started_at=_at(start - datetime.timedelta(days=rng.randint(55, 75)), 14),
                                   start_reason=HOPE_PARTNER_REASON),
                ]  # fmt: skip
                if shape is not None:  # joined recently, at the information meeting of the centre
                    mine[1].started_at = _at(today - datetime.timedelta(days=rng.randint(7, 30)), 14)
                seats.extend(mine)
                self.alumni.append(Alumnus(Candidate(pathway, referent), mine))
                by_session.setdefault(session.pk, []).append(self.alumni[-1].candidate)
                events.append(Event(pathway=pathway, at=opened, kind=EventKind.PATHWAY_OPENED, actor=referent.user,
                                    organisation=association, summary=f"Parcours ouvert par {_name(referent)}"))  # fmt: skip
                joined = mine[1].started_at
                pending.append((joined, referent, "update", "pathways.pathway", pathway, person, ("members",)))
                events.append(Event(pathway=pathway, at=joined, kind=EventKind.MEMBER_ADDED, actor=referent.user,
                                    organisation=association,
                                    summary=f"{_name(hope)} rejoint le groupe de suivi : {HOPE_PARTNER_REASON}"))  # fmt: skip
                # Consents: to the association at the first interview, to the AFPA centre when it joins.
                for grantee, recorder, day, shares in (
                    (association, referent, opened + datetime.timedelta(days=rng.randint(1, 7)), (0.85, 0.9)),
                    (hope.organisation, hope, joined + datetime.timedelta(hours=1), (0.7, 0.75)),
                ):
                    for category, share in zip(
                        (DataCategory.ASYLUM_HISTORY, DataCategory.RESIDENCE_STATUS), shares, strict=True
                    ):
                        if rng.random() >= share:
                            continue
                        consent = Consent(person=person, organisation=grantee, category=category, purpose="accompaniment",
                                          decision="given", channel=P.weighted(rng, (("in_person", 75), ("paper", 25))),
                                          decided_at=day, recorded_by=recorder.user)  # fmt: skip
                        consents.append(consent)
                        pending.append((day, recorder, "create", "people.consent", consent, person, (category,)))
                        events.append(Event(pathway=pathway, at=day, kind=EventKind.CONSENT_RECORDED, actor=recorder.user,
                                            organisation_id=recorder.organisation_id,
                                            summary=f"Consentement donné : {self.labels[category]} pour {grantee.name} (Accompagnement)"))  # fmt: skip
                # The opening diagnostic, with the French level.
                diag_at = opened + datetime.timedelta(days=rng.randint(2, 14), hours=1)
                diagnostic = Diagnostic(person=person, version=1, recorded_at=diag_at, recorded_by=referent.user,
                                        organisation=association, interpreting_needed=bool(d.interpreting),
                                        interpreting_language=d.interpreting, summary="Premier diagnostic réalisé en entretien.")  # fmt: skip
                diagnostics.append(diagnostic)
                pending.append((diag_at, referent, "create", "diagnostics.diagnostic", diagnostic, person, ()))
                for theme, codes in P.PROFILE_THEMES["refugee"].items():
                    if theme not in ("emploi", "maitrise_langue", "formation", "logement") and rng.random() < 0.6:
                        continue
                    need = "priority" if theme in ("emploi", "maitrise_langue") or rng.random() < 0.3 else "to_work_on"
                    ids = [self.situations[c] for c in P.pick_some(rng, codes, 2) if c in self.situations]
                    themes.append((ThemeAssessment(diagnostic=diagnostic, theme=theme, need=need), ids))
                if d.french_level:
                    method = "ofii_test" if d.cir else "counsellor"
                    levels.append(LanguageLevel(diagnostic=diagnostic, language="fr", level=d.french_level,
                                                method=method, assessed_on=diag_at.date()))  # fmt: skip
                events.append(Event(pathway=pathway, at=diag_at, kind=EventKind.DIAGNOSTIC_RECORDED, actor=referent.user,
                                    organisation=association, summary="Diagnostic version 1 enregistré"))  # fmt: skip
                if d.cir:
                    signed, prescribed, done, civic, level = d.cir
                    contracts.append(IntegrationContract(person=person, signed_on=min(signed, opened_day),
                                                         french_hours_prescribed=prescribed, french_hours_done=done,
                                                         civic_training_done=civic, french_level_at_signature=level))  # fmt: skip
                for title, country, year, recognition in d.qualifications:
                    qualifications.append(ForeignQualification(person=person, title=title, country=country, year=year,
                                                               recognition=recognition))  # fmt: skip
                for code, years_done, country in d.experiences:
                    if code in self.rome_codes:
                        experiences.append(WorkExperience(person=person, rome_id=code, country=country,
                                                          appellation_id=self.principal.get(code),
                                                          years=Decimal(f"{min(years_done, 15):.1f}")))  # fmt: skip
        Person.objects.bulk_create(people, batch_size=500)
        Person.objects.bulk_update(people, ["created_at"], batch_size=500)  # auto_now_add on create
        Pathway.objects.bulk_create(pathways, batch_size=500)
        FollowUpMember.objects.bulk_create(seats, batch_size=500)
        Consent.objects.bulk_create(consents, batch_size=500)
        Diagnostic.objects.bulk_create(diagnostics, batch_size=500)
        ThemeAssessment.objects.bulk_create([t for t, _ids in themes], batch_size=500)
        ThemeSituation = ThemeAssessment.situations.through
        ThemeSituation.objects.bulk_create(
            [ThemeSituation(themeassessment_id=t.pk, situation_id=i) for t, ids in themes for i in ids], batch_size=1000
        )
        LanguageLevel.objects.bulk_create(levels, batch_size=500)
        IntegrationContract.objects.bulk_create(contracts, batch_size=500)
        ForeignQualification.objects.bulk_create(qualifications, batch_size=500)
        WorkExperience.objects.bulk_create(experiences, batch_size=500)
        Child.objects.bulk_create(children, batch_size=500)
        Event.objects.bulk_create(events, batch_size=1000)
        for at, membership, action, object_type, obj, person, fields in pending:
            self.log(at, membership, action, object_type, obj.pk, person.pk, fields)
        return by_session

    def close(self, enrolments: dict[int, Enrolment]) -> int:
        """Close the alumni's pathways some months after they left the session (their seats end then);
        the others stay open with their referent. Returns the number closed."""
        rng, today = self.rng, self.today
        closed_pathways, ended, events = [], [], []
        for alumnus in self.alumni:
            pathway = alumnus.candidate.pathway
            enrolment = enrolments.get(pathway.pk)
            if enrolment is None:
                continue
            if enrolment.state in (S.COMPLETED, S.ABANDONED) and enrolment.exited_on is not None:
                day = enrolment.exited_on + datetime.timedelta(days=rng.randint(45, 330))
                if enrolment.abandon_reason == E.AbandonReason.MOVED:
                    reason = CLOSURE_MOVED
                else:
                    reason = ALUMNI_CLOSURES.get(enrolment.exit_outcome, CLOSURE_OTHER)
            elif enrolment.state == S.NOT_SELECTED:
                day = timezone.localtime(enrolment.state_changed_at, PARIS).date()
                day += datetime.timedelta(days=rng.randint(60, 240))
                reason = CLOSURE_NOT_SELECTED
            else:
                continue
            if day >= today:
                continue
            at = _at(day, rng.randint(9, 17), rng.randint(0, 59))
            referent = alumnus.candidate.seat
            pathway.status, pathway.closed_at, pathway.closure_reason = "closed", at, reason
            closed_pathways.append(pathway)
            for seat in alumnus.seats:
                seat.ended_at, seat.end_reason = at, "Clôture du parcours"
                ended.append(seat)
            events.append(Event(pathway=pathway, at=at, kind=EventKind.PATHWAY_CLOSED, actor=referent.user,
                                organisation_id=referent.organisation_id, summary=f"Parcours clos : {reason}"))  # fmt: skip
            self.log(at, referent, "update", "pathways.pathway", pathway.pk, pathway.person_id,
                     ["closure_reason", "status"])  # fmt: skip
        Pathway.objects.bulk_update(closed_pathways, ["status", "closed_at", "closure_reason"], batch_size=500)
        FollowUpMember.objects.bulk_update(ended, ["ended_at", "end_reason"], batch_size=500)
        Event.objects.bulk_create(events, batch_size=1000)
        # The last activity on each pathway: its latest timeline event.
        pathways = [a.candidate.pathway for a in self.alumni]
        latest = dict(
            Event.objects.filter(pathway__in=pathways)
            .values("pathway_id")
            .annotate(at=Max("at"))
            .values_list("pathway_id", "at")
        )
        for pathway in pathways:
            pathway.last_activity_at = latest.get(pathway.pk, pathway.opened_at)
        Pathway.objects.bulk_update(pathways, ["last_activity_at"], batch_size=500)
        return len(closed_pathways)

    def write_audit(self) -> int:
        """The audit entries of the alumni's rows, appended to the chain in time order (as
        parcours/audit/services.audit_log links them: `audit_verify` holds)."""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
        prev = AuditEntry.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS_HASH
        entries = []
        for values in sorted(self.audit, key=itemgetter(0)):
            row = AuditRow(*values)
            digest = link_hash(prev_hash=prev, content=_content(row))
            entries.append(AuditEntry(at=row.at, actor_id=row.actor_id, organisation_id=row.organisation_id,
                                      action=row.action, object_type=row.object_type, object_id=row.object_id,
                                      person_id=row.person_id, fields=row.fields, reason=row.reason,
                                      prev_hash=prev, hash=digest))  # fmt: skip
            prev = digest
        AuditEntry.objects.bulk_create(entries, batch_size=1000)
        self.audit = []
        return len(entries)


def _hope_plans(alumni: Alumni, *, sessions: list[Session], pool: list[Candidate], used: set[int], rng) -> dict:
    """Who is proposed to each past HOPE session: a few of the territory's refugees, and alumni for
    the other seats (the places plus a few candidates more, for the waiting list)."""
    plan, picked = [], {}
    for session in sessions:
        free = _available(
            pool, used=used, propose_on=session.starts_on - datetime.timedelta(days=50), until=session.ends_on
        )
        rng.shuffle(free)
        mine = free[: rng.choice(TERRITORY_SEATS)]
        used.update(c.pathway.pk for c in mine)
        picked[session.pk] = mine
        plan.append((session, max(0, session.places + rng.randint(2, 4) - len(mine))))
    created = alumni.create(plan)
    plans = {}
    for session in sessions:
        candidates = picked[session.pk] + created.get(session.pk, [])
        rng.shuffle(candidates)
        plans[session.pk] = candidates
    return plans


# --- the sessions to come, through the enrolment services ----------------------------------------------

LIVE_OVERRIDE = "Statut de protection et niveau de français vérifiés en entretien ; justificatifs transmis au centre."


def _candidacies(*, sessions: list[Session], pool: list[Candidate], used: set[int], staff, today) -> int:
    """Candidacies to the sessions to come, proposed by the person's follow-up member and answered
    by the centre today: one enrolled, one selected, one awaiting an answer, one withdrawn."""
    made = 0
    for session in sessions:
        operator = staff.get(session.operator_id)
        free = [
            c
            for c in _available(pool, used=used, propose_on=today, until=session.ends_on)
            if c.pathway.status == "open"
        ]
        for index, candidate in enumerate(free[:4]):
            try:
                enrolment = enrolment_propose(
                    membership=candidate.seat, session=session, pathway=candidate.pathway, override_reason=LIVE_OVERRIDE
                )
            except (ValidationError, PermissionDenied):
                continue
            used.add(candidate.pathway.pk)
            made += 1
            if index == 3:
                enrolment_move(
                    membership=candidate.seat,
                    enrolment=enrolment,
                    to_state=S.NOT_SELECTED,
                    reason=E.NotSelectedReason.PERSON_DECLINED,
                )
            elif index < 2 and operator is not None:
                enrolment = enrolment_move(membership=operator, enrolment=enrolment, to_state=S.SELECTED)
                if index == 0:
                    enrolment_move(membership=operator, enrolment=enrolment, to_state=S.ENROLLED)
    return made


# --- applicants to the sessions to come: the placement optimiser's batch ---------------------------------

# About fifty refugees apply to the six HOPE sessions to come (the upcoming sessions in SESSIONS
# order: 0 Saint-Herblain logistics, 1 Rezé personal care — A2 minimum, childcare, households —,
# 2 Saint-Nazaire welding — A1 minimum —, 3 Saint-Herblain building — households —, 4 Saint-Nazaire
# catering — A1, childcare, households —, 5 Rezé cleaning — childcare). They are generated like the
# alumni (same profiles, names, referents of Passerelles Réfugiés 44 and HOPE counsellors of the
# centre, usernames ".h<n>"), proposed by their referent through enrolment_propose, a few put on the
# waiting list by the centre. Their candidacies are open (CANDIDATE or WAITING_LIST): a professional
# of one of the AFPA centres (e.g. david.lemaire) places them with « Affectations » on the programme
# page. The cases the optimiser has to handle, written here rather than drawn:
# - three couples (a pathway each, same name, address and referent): placed together only where the
#   session hosts households, once the planner gives them the same household on the batch;
# - young children without childcare: only a session with childcare;
# - far communes: Châteaubriant without a car (30 km limit: no session within reach unless the person
#   accepts to move — HOPE houses its trainees), Ancenis with a car (1 h, 48 km: Saint-Herblain and
#   Rezé, not Saint-Nazaire), Clisson, Blain, Pornic, Savenay (between two centres);
# - everyone else lives near a centre (30 km by default: Nantes is 47–54 km from Saint-Nazaire).
APPLICANTS_SEED = SEED + 2


@dataclass(frozen=True)
class Applicant:
    commune: str  # INSEE code
    sessions: tuple[int, ...]  # upcoming HOPE sessions applied to (indexes, see above), first = main one
    sex: str = ""  # "" = as drawn
    french: str = ""  # CECRL level, "" = as drawn (A1.1 30 %, A1 30 %, A2 25 %, B1 15 %)
    child: bool = False  # a child under three without a childcare solution
    couple: int = 0  # partners share the number
    travel: int | None = None  # maximum travel time (minutes); None = the 30 km default
    vehicle: bool = False
    waiting: bool = False  # put on the waiting list of the main session by the centre


A = Applicant
APPLICANT_CASES: tuple[Applicant, ...] = (
    # Couples.
    A("44162", (3,), sex="M", couple=1), A("44162", (3, 0), sex="F", couple=1),
    A("44184", (2,), sex="M", couple=2, french="A1"), A("44184", (4,), sex="F", couple=2, french="A2"),
    A("44143", (1,), sex="F", couple=3, french="A2", child=True), A("44143", (5, 1), sex="M", couple=3, french="B1"),
    # Far, or between two centres.
    A("44036", (0,), travel=60), A("44003", (3,), travel=60, vehicle=True), A("44043", (5,)), A("44015", (0,)),
    A("44131", (4,)), A("44195", (0, 2)),
    # Young children without childcare (two applied to a session without it).
    A("44109", (1,), sex="F", child=True), A("44109", (5,), sex="F", child=True),
    A("44162", (0,), sex="F", child=True), A("44143", (1, 5), sex="F", child=True),
    A("44020", (5,), sex="F", child=True), A("44190", (1,), sex="M", child=True),
    A("44114", (3,), sex="F", child=True), A("44184", (4,), sex="F", child=True), A("44210", (4,), sex="F", child=True),
)  # fmt: skip
NANTES_AREA = (("44109", 40), ("44162", 15), ("44143", 15), ("44114", 8), ("44047", 6), ("44020", 6), ("44190", 5),
               ("44215", 5), ("44035", 4), ("44026", 3))  # fmt: skip
SAINT_NAZAIRE_AREA = (("44184", 50), ("44210", 12), ("44103", 10), ("44055", 10), ("44132", 10), ("44069", 8))
NANTES_SESSIONS = ((0, 3), (1, 4), (3, 3), (5, 2))
SAINT_NAZAIRE_SESSIONS = ((2, 5), (4, 3))
APPLICANTS_NANTES, APPLICANTS_SAINT_NAZAIRE = 22, 7


def applicant_plan(seed: int = APPLICANTS_SEED) -> list[Applicant]:
    """The applicants: the cases above, then people near the centres drawn with `seed` (commune,
    sessions applied to: one, sometimes two of their area); every third of the first ten near
    Nantes is on the waiting list of their main session. Pure and deterministic."""
    rng = random.Random(seed)
    drawn = []
    for area, n, sessions, second in (
        (NANTES_AREA, APPLICANTS_NANTES, NANTES_SESSIONS, 0.35),
        (SAINT_NAZAIRE_AREA, APPLICANTS_SAINT_NAZAIRE, SAINT_NAZAIRE_SESSIONS, 0.3),
    ):
        for index in range(n):
            commune = P.weighted(rng, area)
            main = int(P.weighted(rng, tuple((str(k), w) for k, w in sessions)))
            applied: tuple[int, ...] = (main,)
            if rng.random() < second:
                applied += (rng.choice([k for k, _w in sessions if k != main]),)
            drawn.append(A(commune, applied, waiting=area is NANTES_AREA and index < 10 and index % 3 == 0))
    return [*APPLICANT_CASES, *drawn]


def _applicants(alumni: Alumni, *, sessions: list[Session], staff, now: datetime.datetime) -> dict[str, int]:
    """Generate the applicants (applicant_plan) and propose their candidacies to the sessions to come
    through the enrolment services. Returns what was made."""
    plan = applicant_plan()
    alumni.rng = P.FastRandom(APPLICANTS_SEED)  # their own draws: the history does not move them
    before = len(alumni.alumni)
    alumni.create([(sessions[a.sessions[0]], 1) for a in plan], shapes=plan)
    made = alumni.alumni[before:]
    counts = {"hope_applicants": len(made), "applicant_audit_entries": alumni.write_audit()}
    candidacies = waiting = 0
    for applicant, alumnus in zip(plan, made, strict=True):
        candidate = alumnus.candidate
        for position, index in enumerate(applicant.sessions):
            session = sessions[index]
            enrolment = enrolment_propose(
                membership=candidate.seat, session=session, pathway=candidate.pathway, override_reason=LIVE_OVERRIDE
            )
            candidacies += 1
            operator = staff.get(session.operator_id)
            if applicant.waiting and position == 0 and operator is not None:
                enrolment = enrolment_move(membership=operator, enrolment=enrolment, to_state=S.SELECTED)
                enrolment_move(membership=operator, enrolment=enrolment, to_state=S.WAITING_LIST)
                waiting += 1
    # The last activity on each pathway: its latest timeline event (the candidacy, now).
    pathways = [a.candidate.pathway for a in made]
    latest = dict(
        Event.objects.filter(pathway__in=pathways)
        .values("pathway_id")
        .annotate(at=Max("at"))
        .values_list("pathway_id", "at")
    )
    for pathway in pathways:
        pathway.last_activity_at = latest.get(pathway.pk, now)
    Pathway.objects.bulk_update(pathways, ["last_activity_at"], batch_size=500)
    counts["applicant_candidacies"], counts["applicant_waiting_list"] = candidacies, waiting
    return counts


# --- VAE --------------------------------------------------------------------------------------------

# The statement of experience written with the counsellor, per target certification (declarative
# admissibility: it replaces the pay slips and certificates the person cannot produce).
STATEMENTS = {
    "RNCP35309": (
        "Huit ans de maçonnerie sur des chantiers de maisons individuelles à {city}, d'abord comme manœuvre puis comme "
        "chef d'équipe de trois ouvriers, sans contrat écrit ni bulletin de salaire. Décrit avec la conseillère : "
        "implantation, fondations, montage de murs en parpaings et en briques, coffrage et coulage de dalles, lecture "
        "de plans simples. Photographies de chantiers et deux témoignages d'anciens collègues versés au dossier."
    ),
    "RNCP34095": (
        "Six ans en cuisine de restaurant à {city}, comme commis puis second de cuisine, emploi non déclaré. Décrit "
        "avec la conseillère : préparations préliminaires, cuissons, sauces de base, plats du jour pour quatre-vingts "
        "couverts, gestion des stocks et des commandes, règles d'hygiène. Menus et photographies à l'appui."
    ),
}
GENERIC_STATEMENT = (
    "Plusieurs années d'expérience professionnelle à {city} dans le métier visé, sans justificatif écrit (entreprise "
    "fermée, emploi non déclaré). Les activités, les outils et les responsabilités ont été décrits avec la "
    "conseillère, tâche par tâche, et rapprochés des compétences de chaque bloc."
)


def _vae_targets() -> tuple[list[TargetCertification], VaeRoute]:
    """Certifications of the VAE reference (largest number of blocs first) and the by-blocs route."""
    vae_reference_load()
    certifications = sorted(
        TargetCertification.objects.prefetch_related("blocs"), key=lambda c: (-len(c.blocs.all()), c.rncp_code)
    )
    route = VaeRoute.objects.filter(by_blocs=True, needs_foreign_diploma=False, is_active=True).order_by("id").first()
    if not certifications or route is None:
        raise RuntimeError("Référentiel VAE absent : vérifiez parcours/programmes/data/vae_reference.json.")
    return certifications, route


def _vae(h: History, *, sessions: list[Session], pool: list[Candidate], used: set[int], staff) -> dict[str, int]:
    """Three VAE pathways with declarative admissibility, opened and moved through the VAE services
    with past dates: one that ran to the jury (blocs validated and one not) and left the programme,
    one admissible with its jury date set, one awaiting the admissibility decision."""
    certifications, route = _vae_targets()
    preferred = {"amina.diallo": 0, "sophie.martin": 1, "camille.girard": 2}
    made = []
    for index in range(3):
        session = sessions[0] if index < 2 or len(sessions) < 2 else sessions[1]
        operator = staff.get(session.operator_id)
        start = session.starts_on + datetime.timedelta(days=14 * index if session == sessions[0] else 7)
        free = _available(pool, used=used, propose_on=start - datetime.timedelta(days=20), until=h.today)
        free = [c for c in free if c.pathway.status == "open"]
        if operator is None or not free:
            continue
        candidate = min(free, key=lambda c: (preferred.get(c.seat.user.username, 9), c.pathway.pk))
        path = [
            (S.CANDIDATE, start - datetime.timedelta(days=20), {}),
            (S.SELECTED, start - datetime.timedelta(days=12), {}),
            (S.ENROLLED, start - datetime.timedelta(days=5), {}),
            (S.IN_PROGRESS, start, {}),
        ]
        used.add(candidate.pathway.pk)
        enrolment, _rows = h.enrolment(session=session, candidate=candidate, staff=operator, path=path)
        made.append((index, enrolment, start, operator))
    counts = h.write()
    for index, enrolment, start, operator in made:
        certification = certifications[index % len(certifications)]
        blocs = list(certification.blocs.all())
        targeted = blocs[:3] if index == 0 else blocs[:2]
        city = enrolment.pathway.person.birth_place or "Conakry"
        vae = vae_open(
            membership=operator,
            enrolment=enrolment,
            certification=certification,
            route=route,
            admissibility=E.VaeAdmissibility.DECLARATIVE,
            experience_statement=STATEMENTS.get(certification.rncp_code, GENERIC_STATEMENT).format(city=city),
            bloc_ids=[b.pk for b in targeted],
            accompaniment_hours_planned=24,
        )
        VaePathway.objects.filter(pk=vae.pk).update(created_at=_at(start, 11))
        if index == 2:
            continue  # admissibility still to decide
        decided = start + datetime.timedelta(weeks=6)
        vae = vae_admissibility_decide(
            membership=operator, vae=vae, decision=E.VaeAdmissibilityDecision.ADMISSIBLE, decided_on=decided
        )
        for week in range(4 if index == 0 else 2):
            day = decided + datetime.timedelta(weeks=2 + 3 * week)
            if day <= h.today:
                vae = vae_hours_record(membership=operator, vae=vae, hours=6, done_on=day)
        jury = start + datetime.timedelta(weeks=30)
        if index == 1:
            jury = max(jury, h.today + datetime.timedelta(days=45))
        vae = vae_jury_schedule(membership=operator, vae=vae, jury_date=jury)
        if index == 0 and jury <= h.today:
            results = {
                b.pk: E.BlocResult.NOT_VALIDATED if position == 2 else E.BlocResult.VALIDATED
                for position, b in enumerate(targeted)
            }
            vae = vae_bloc_results_record(membership=operator, vae=vae, results=results, decided_on=jury)
            for bloc in targeted[:2]:
                certification_record(
                    membership=operator,
                    enrolment=enrolment,
                    kind=E.CertificationKind.PROFESSIONAL,
                    exam=E.CertificationExam.BLOC,
                    title=f"{certification.title} — {bloc.code} {bloc.label}"[:200],
                    rncp_code=certification.rncp_code,
                    obtained_on=jury,
                    evidence="Procès-verbal du jury VAE",
                )
            exit_day = min(h.today, jury + datetime.timedelta(days=10))
            enrolment = enrolment_move(membership=operator, enrolment=enrolment, to_state=S.COMPLETED, on_date=exit_day)
            exit_outcome_record(membership=operator, enrolment=enrolment, outcome=OUT.OTHER_EMPLOYMENT)
    counts["vae_pathways"] = len(made)
    return counts


# --- the call for projects ----------------------------------------------------------------------------

PROJECTS = (
    ("Passerelles vers la formation qualifiante", E.ProjectType.MEDIATION_TRAINING, "asso_refugies",
     ("asso_langues", "afpa"), 60000, 15),
    ("Coordination métropolitaine de l'accueil des BPI", E.ProjectType.METROPOLITAN_COORDINATION, "asso_langues",
     ("asso_refugies", "ccas_nantes", "ml_nantes"), 70000, 25),
    ("Rencontres réfugié·es – entrepreneurs", E.ProjectType.ENTREPRENEURS, "club_entreprises",
     ("asso_refugies", "ft_nantes_nord"), 35000, 10),
    ("Savoir-faire d'ici et d'ailleurs (artisanat et arts)", E.ProjectType.CRAFT_ARTS, "ateliers_savoir_faire",
     ("asso_refugies",), 25000, 8),
    ("En route ! Mobilité géographique des femmes", E.ProjectType.WOMEN_MOBILITY, "mobil_elles",
     ("asso_refugies", "caf", "ft_saint_nazaire"), 30000, 12),
)  # fmt: skip


def _call(*, orgs, pilote: Membership, today: datetime.date, rng: random.Random) -> dict[str, int]:
    """The DDETS's call, its projects and their participants, through the call services."""
    starts, ends = datetime.date(today.year - 1, 1, 1), datetime.date(today.year + 1, 12, 31)
    call = call_create(
        membership=pilote,
        title="Appel à projets BPI Loire-Atlantique — intégration professionnelle des réfugié·es",
        description=(
            "Sur le modèle du PIC–BPI : projets portés en consortium pour accompagner vers l'emploi les bénéficiaires "
            "de la protection internationale et les demandeur·ses d'asile de longue date du département."
        ),
        budget=Decimal(250000),
        starts_on=starts,
        ends_on=ends,
        publics=[E.TargetPublic.BPI, E.TargetPublic.ASYLUM_SEEKERS, E.TargetPublic.WOMEN],
        project_types=[t for t in E.ProjectType.values if t != E.ProjectType.OTHER],
    )
    departement = Departement.objects.get(code=T.DEPARTEMENT)
    # People of the call: BPI and asylum seekers, with the follow-up members who may add them.
    seats = list(
        FollowUpMember.objects.filter(
            ended_at__isnull=True,
            membership__role__in=ACCOMPANYING_ROLES,
            pathway__status="open",
            pathway__person__protection_status__in=[
                ProtectionStatus.REFUGEE, ProtectionStatus.SUBSIDIARY, ProtectionStatus.ASYLUM_SEEKER
            ],
        )
        .select_related("membership__user", "membership__organisation", "pathway__person")
        .order_by("pathway_id", "id")
    )  # fmt: skip
    projects = participants = 0
    for title, kind, lead, consortium, amount, target in PROJECTS:
        members = [orgs[k] for k in consortium if k in orgs]
        project = project_create(
            membership=pilote,
            call=call,
            title=title,
            project_type=kind,
            lead=orgs[lead],
            consortium=members,
            departements=[departement],
            granted_amount=Decimal(amount),
            target_beneficiaries=target,
        )
        projects += 1
        carriers = {orgs[lead].pk, *(m.pk for m in members)}
        # Achievement varies by project: from a third of the target to slightly above it.
        reach = round(target * rng.choice((0.35, 0.6, 0.8, 1.0, 1.15)))
        added: set[int] = set()
        for seat in seats:
            if len(added) >= reach:
                break
            if seat.membership.organisation_id not in carriers or seat.pathway_id in added:
                continue
            if kind == E.ProjectType.WOMEN_MOBILITY and seat.pathway.person.sex != "F":
                continue
            joined = max(starts, seat.pathway.opened_at.date()) + datetime.timedelta(days=rng.randint(7, 120))
            participant_add(
                membership=seat.membership, project=project, pathway=seat.pathway, joined_on=min(joined, today)
            )
            added.add(seat.pathway_id)
        participants += len(added)
    return {"calls": 1, "projects": projects, "participants": participants}


# --- entry point ------------------------------------------------------------------------------------


def load_programmes(*, now: datetime.datetime) -> dict[str, int]:
    """Declare the demo programmes and write their sessions and history. Returns what was made;
    nothing (an empty dict) when the HOPE-like programme already exists."""
    if Programme.objects.filter(code=HOPE_CODE).exists():
        return {}
    today = timezone.localdate(now)
    month0 = today.replace(day=1)
    rng = random.Random(SEED)
    counts: dict[str, int] = {}
    with transaction.atomic():
        orgs = _organisations()
        programmes = {}
        for code, username in DECLARED_BY.items():
            membership = _membership(username)
            if membership is None:
                raise RuntimeError(f"Compte de démonstration absent : {username}")
            programmes[code] = programme_declare(membership=membership, data=programme_data(code))
        counts["programmes"] = len(programmes)
        pilote = _membership(DECLARED_BY[HOPE_CODE])
        sessions: dict[str, list[Session]] = {code: [] for code in programmes}
        for spec in SESSIONS:
            manager = _membership(DECLARED_BY[spec.programme])
            session = _session(spec, programme=programmes[spec.programme], orgs=orgs, membership=manager, month0=month0)
            sessions[spec.programme].append(session)
        for group in sessions.values():
            for session in group:
                if session.starts_on <= today:  # past and running sessions no longer take candidacies
                    manager = _membership(DECLARED_BY[session.programme.code])
                    session_update(membership=manager, session=session, status=E.SessionStatus.CLOSED)
        counts["sessions"] = sum(len(group) for group in sessions.values())
        staff = {org.pk: _operator_staff(org) for org in orgs.values()}
        used: set[int] = set()

        refugees = _candidates(
            {
                "person__protection_status__in": [ProtectionStatus.REFUGEE, ProtectionStatus.SUBSIDIARY],
                "person__right_to_work": True,
            }
        )
        keep_user, keep_n = KEEP_FOR_ELIGIBILITY
        used.update([c.pathway.pk for c in refugees if c.seat.user.username == keep_user][:keep_n])

        h = History(rng=rng, today=today, now=now, outcome_rng=random.Random(OUTCOME_SEED))
        hope = programmes[HOPE_CODE]
        hope_steps = {step.kind: step for step in hope.steps.all()}
        past_hope = [s for s in sessions[HOPE_CODE] if s.starts_on <= today]
        alumni = Alumni(orgs=orgs, today=today, now=now)
        plans = _hope_plans(alumni, sessions=past_hope, pool=refugees, used=used, rng=rng)
        _history(
            h,
            sessions=past_hope,
            plans=plans,
            pool=refugees,
            used=used,
            staff=staff,
            evidence=lambda e, rows, s: _hope_evidence(
                h, e, rows, steps=hope_steps, session=s, recorder=(staff.get(s.operator_id) or pilote).user
            ),
            outcomes=COMPLETED_OUTCOMES,
            abandon_p=0.14,
            shift=OutcomeShift(plans),
        )
        totals = h.write()
        counts["hope_alumni"] = len(alumni.alumni)
        counts["hope_alumni_closed"] = alumni.close({e.pathway_id: e for e, _moves, _rows in h.plans})
        counts["alumni_staff"] = sum(n for _key, n in ALUMNI_STAFF)
        counts["alumni_audit_entries"] = alumni.write_audit()

        plie_steps = list(programmes[PLIE_CODE].steps.all())
        h = History(rng=rng, today=today, now=now)
        # The PLIE's priority publics as its rules say (one suffices): RSA open or suspended, or at most
        # a level-3 qualification (CAP, BEP); the age and département are checked on the candidacy.
        plie_publics = _candidates(
            Q(person__rsa_status__in=["open", "suspended"]) | Q(person__education_level__in=["0", "1", "3"])
        )
        _history(
            h,
            sessions=sessions[PLIE_CODE],
            pool=plie_publics,
            used=used,
            staff=staff,
            evidence=lambda e, rows, s: _plie_evidence(
                h, e, rows, steps=plie_steps, recorder=(staff.get(s.operator_id) or pilote).user
            ),
            outcomes=PLIE_OUTCOMES,
            abandon_p=0.25,
            ages=(26, 120),
            share=0.5,
        )
        for key, value in h.write().items():
            totals[key] = totals.get(key, 0) + value

        h = History(rng=rng, today=today, now=now)
        newcomers = _candidates({"person__arrival_date__gte": add_months(today, -120), "person__right_to_work": True})
        for key, value in _vae(h, sessions=sessions[VAE_CODE], pool=newcomers, used=used, staff=staff).items():
            totals[key] = totals.get(key, 0) + value
        counts.update(totals)
        counts["live_candidacies"] = _candidacies(  # on the first two sessions to come (the centres' journeys)
            sessions=[s for s in sessions[HOPE_CODE] if s.starts_on > today][:2],
            pool=refugees,
            used=used,
            staff=staff,
            today=today,
        )
        counts.update(_call(orgs=orgs, pilote=pilote, today=today, rng=rng))
        upcoming = [s for s in sessions[HOPE_CODE] if s.starts_on > today]
        counts.update(_applicants(alumni, sessions=upcoming, staff=staff, now=now))
    return counts
