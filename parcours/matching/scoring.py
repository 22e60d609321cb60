"""The ranking of the recommendations for one person: jobs, services, programmes, each with the
reasons a counsellor reads. Pure: no ORM, no request; the inputs are plain dataclasses gathered by
parcours/matching/selectors.py (`recommend_for`). Every weight is a module constant below and is
explained in docs/recommendations.md.

Scores are points (roughly 0–100, penalties can push below 0); ties are broken by the proposal's
key (ROME code, service id, programme code) so that the same inputs always give the same list."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Protocol

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from parcours.diagnostics.enums import CECRL_ORDER, NeedLevel, Theme
from parcours.directory.search import ALL_PUBLICS, SearchCriteria, format_km, reasons_for
from parcours.programmes.eligibility import ELIGIBLE, NOT_ELIGIBLE, UNDETERMINED

PLUS, MINUS, WARNING, INFO = "plus", "minus", "warning", "info"

# --- jobs ------------------------------------------------------------------------------------------
# Tension: the share of recruitment projects judged difficult (0–100 %), scaled to TENSION_WEIGHT.
TENSION_WEIGHT = 35.0
# From this share on, the tension is a reason "plus"; below it, an "info".
TENSION_HIGH_PCT = Decimal("50")
# Shared core competences: the ratio (0–1) of the sheet's core items found in the experience sheets.
SKILLS_WEIGHT = 30.0
# Where the job comes from: a target agreed in the pathway weighs most, then the person's wish,
# then their experience; a mobility link is worth less the farther the publisher ranks it.
ORIGIN_BONUS = {"target": 25.0, "wish": 18.0, "experience": 15.0, "mobility": 12.0}
MOBILITY_ORDER_DECAY = 1.5  # points lost per rank after the first
MOBILITY_MIN_BONUS = 2.0
# Years of experience in the sheet itself: points per year, capped.
YEAR_POINTS = 2.0
YEARS_MAX_POINTS = 10.0
# French: points lost per CECRL step between the level the domain usually asks and the person's.
FRENCH_STEP_PENALTY = 8.0
FRENCH_MAX_PENALTY = 24.0
# A regulated job the person holds no recognised qualification for.
REGULATED_PENALTY = 5.0
ORIGINS = ("target", "wish", "experience", "mobility")

# --- services --------------------------------------------------------------------------------------
NEED_WEIGHT = {NeedLevel.PRIORITY.value: 40.0, NeedLevel.TO_WORK_ON.value: 25.0}
DISTANCE_WEIGHT = 25.0  # at the person's door; 0 at the edge of their travel limit
REMOTE_POINTS = 10.0  # a remote service (no distance)
FREE_PLACES_POINTS = 10.0
FULL_PENALTY = 40.0  # kept in the list, ranked low
LANGUAGE_POINTS = 15.0  # delivered in one of the person's languages (French below B1)
INTERPRETING_POINTS = 8.0
FRENCH_ONLY_PENALTY = 5.0
PUBLIC_POINTS = 5.0  # per public of the person the service names (not "tous publics")
PUBLIC_MAX_POINTS = 10.0
WAITING_PENALTY_PER_WEEK = 1.0
WAITING_MAX_PENALTY = 10.0
WAITING_LONG_DAYS = 30  # from this wait on, a reason "minus"
# Below this French level, the services' languages count.
FRENCH_AUTONOMY_LEVEL = "B1"

# --- programmes ------------------------------------------------------------------------------------
STATUS_POINTS = {ELIGIBLE: 40.0, UNDETERMINED: 20.0}
SESSION_POINTS = 20.0  # an open session with free places within the travel limit
SESSION_DISTANCE_WEIGHT = 10.0  # the nearest such session, at the door; 0 at the limit
JOB_FIT_POINTS = {"target": 25.0, "wish": 20.0, "experience": 15.0, "mobility": 8.0}
MISSING_SHOWN = 3


# --- proposals (what the pages render) -------------------------------------------------------------


@dataclass
class Reason:
    text: str
    tone: str  # "plus" | "minus" | "warning" | "info"


@dataclass
class JobProposal:
    code: str
    label: str
    score: float
    rank: int
    origin: str  # "experience" | "wish" | "target" | "mobility"
    from_code: str  # the sheet the job comes from (itself, or the experience sheet of a mobility link)
    from_label: str
    reasons: list[Reason]
    tension_pct: Decimal | None
    regulated: bool
    french_required: str  # CECRL level, "" when the domain is unknown
    french_gap: bool
    shared_skills: int
    appellation_code: int | None  # the person's appellation for their own jobs, None for a mobility

    @property
    def key(self) -> str:
        return self.code


@dataclass
class SessionOption:
    session: Any  # programmes.Session
    distance_km: float | None
    free_places: int
    job_fit: list[str]  # labels of the person's jobs the session prepares for


@dataclass
class ServiceProposal:
    service: Any  # directory.Service
    score: float
    rank: int
    theme: str  # the diagnostic theme whose need it answers (for ?service=&theme=)
    theme_label: str
    distance_km: float | None
    reasons: list[Reason]
    # The search criteria the directory's reasons are written from (the person's publics named).
    criteria: Any = field(default=None, repr=False, compare=False)

    @property
    def key(self) -> str:
        return str(self.service.pk)


@dataclass
class ProgrammeProposal:
    programme: Any  # programmes.Programme
    score: float
    rank: int
    result: Any  # programmes.eligibility.EligibilityResult
    status_visible: bool
    sessions: list[SessionOption]
    reasons: list[Reason]

    @property
    def key(self) -> str:
        return str(self.programme.code)


@dataclass
class PersonRecommendations:
    jobs: list[JobProposal]
    services: list[ServiceProposal]
    programmes: list[ProgrammeProposal]
    dismissed: list[Any]  # matching.RecommendationFeedback
    notes: list[str]


# --- shared helpers --------------------------------------------------------------------------------


def _pct(value: Decimal | float) -> str:
    return f"{Decimal(str(value)):.1f}".replace(".", ",")


def level_rank(level: str) -> int | None:
    """The position of a CECRL level (A1.1 = 0 … C2 = 6), None when unknown."""
    return CECRL_ORDER.index(level) if level in CECRL_ORDER else None


def below_autonomy(french_level: str) -> bool:
    """True when the person's French is known and below B1 (the services' languages then count)."""
    rank = level_rank(french_level)
    return rank is not None and rank < CECRL_ORDER.index(FRENCH_AUTONOMY_LEVEL)


def _ranked(items: list, key) -> list:
    """Sorted by score (desc) then key; ranks from 1."""
    items.sort(key=lambda item: (-item.score, key(item)))
    for position, item in enumerate(items, start=1):
        item.rank = position
    return items


# --- jobs ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobSource:
    """A sheet the person holds: an experience, a wish or a target, with the appellation."""

    code: str
    origin: str  # "experience" | "wish" | "target"
    appellation_code: int | None = None
    appellation_label: str = ""
    years: float = 0.0
    # The appellation's own regulated tag (None: as the sheet).
    regulated: bool | None = None


@dataclass(frozen=True)
class SheetFacts:
    code: str
    label: str
    regulated: bool = False
    french_level: str = ""  # the level the sheet's domain usually requires, "" unknown
    domain_label: str = ""


class TensionLike(Protocol):
    pct: Decimal
    scope: str
    departement_name: str


class SharedLike(Protocol):
    shared: int
    target_core: int
    labels: list[str]


@dataclass
class JobInputs:
    sources: list[JobSource]
    sheets: Mapping[str, SheetFacts]
    mobility: Mapping[str, Sequence[tuple[str, int]]] = field(default_factory=dict)  # experience sheet → targets
    tension: Mapping[str, TensionLike] = field(default_factory=dict)
    shared: Mapping[str, SharedLike] = field(default_factory=dict)
    french_level: str = ""  # the person's best known French level, "" when not assessed
    foreign_qualifications: int = 0
    recognised_qualifications: int = 0
    excluded: frozenset[str] = frozenset()  # ROME codes with an active decision
    limit: int = 10


def origin_bonus(origin: str, order: int = 1) -> float:
    if origin == "mobility":
        return max(MOBILITY_MIN_BONUS, ORIGIN_BONUS["mobility"] - MOBILITY_ORDER_DECAY * (max(order, 1) - 1))
    return ORIGIN_BONUS[origin]


def tension_points(pct: Decimal | float | None) -> float:
    if pct is None:
        return 0.0
    return TENSION_WEIGHT * min(1.0, max(0.0, float(pct) / 100))


def french_gap_steps(required: str, person: str) -> int | None:
    """CECRL steps missing (0 when the person's level suffices), None when either is unknown."""
    need, have = level_rank(required), level_rank(person)
    if need is None or have is None:
        return None
    return max(0, need - have)


@dataclass
class _Candidate:
    code: str
    origin: str
    order: int = 1
    from_code: str = ""
    appellation_code: int | None = None
    appellation_label: str = ""
    years: float = 0.0
    regulated: bool | None = None


def _candidates(inputs: JobInputs) -> dict[str, _Candidate]:
    """One candidate per sheet: the person's own sheets (their best origin, summed years), then the
    mobility targets of their experience sheets not already held (the closest link kept)."""
    found: dict[str, _Candidate] = {}
    for source in inputs.sources:
        current = found.get(source.code)
        if current is None:
            current = found[source.code] = _Candidate(
                code=source.code,
                origin=source.origin,
                from_code=source.code,
                appellation_code=source.appellation_code,
                appellation_label=source.appellation_label,
                regulated=source.regulated,
            )
        elif ORIGINS.index(source.origin) < ORIGINS.index(current.origin):
            current.origin = source.origin
            current.appellation_code = source.appellation_code or current.appellation_code
            current.appellation_label = source.appellation_label or current.appellation_label
            current.regulated = source.regulated
        if source.origin == "experience":
            current.years += float(source.years or 0)
    experience_codes = sorted({s.code for s in inputs.sources if s.origin == "experience"})
    for source_code in experience_codes:
        for target, order in inputs.mobility.get(source_code, ()):
            current = found.get(target)
            if current is None:
                found[target] = _Candidate(code=target, origin="mobility", order=order, from_code=source_code)
            elif current.origin == "mobility" and (order, source_code) < (current.order, current.from_code):
                current.order, current.from_code = order, source_code
    return found


def _job_proposal(candidate: _Candidate, inputs: JobInputs) -> JobProposal | None:
    sheet = inputs.sheets.get(candidate.code)
    if sheet is None:
        return None
    plus: list[tuple[float, Reason]] = []
    others: list[Reason] = []
    score = 0.0

    bonus = origin_bonus(candidate.origin, candidate.order)
    score += bonus
    if candidate.origin == "target":
        origin_text = _("Métier visé dans le parcours")
    elif candidate.origin == "wish":
        origin_text = _("Métier souhaité par la personne")
    elif candidate.origin == "experience":
        origin_text = _("Expérience de la personne")
    else:
        source = inputs.sheets.get(candidate.from_code)
        origin_text = _("Mobilité possible depuis « %(label)s » (lien n° %(order)s de la fiche ROME)") % {
            "label": source.label if source else candidate.from_code,
            "order": candidate.order,
        }
    if candidate.appellation_label and candidate.origin != "mobility":
        origin_text = f"{origin_text} : {candidate.appellation_label}"
    plus.append((bonus, Reason(origin_text, PLUS)))

    tension = inputs.tension.get(candidate.code)
    tension_pct = tension.pct if tension is not None else None
    if tension is not None:
        points = tension_points(tension.pct)
        score += points
        where = (
            _("en %(departement)s") % {"departement": tension.departement_name}
            if tension.scope == "departement" and tension.departement_name
            else _("(chiffre national)")
        )
        text = _("Recrutements difficiles : %(pct)s %% des projets %(where)s") % {
            "pct": _pct(tension.pct),
            "where": where,
        }
        if Decimal(str(tension.pct)) >= TENSION_HIGH_PCT:
            plus.append((points, Reason(_("Métier en tension — %(text)s") % {"text": text}, PLUS)))
        else:
            others.append(Reason(text, INFO))
    else:
        others.append(Reason(_("Tension de recrutement non connue pour ce métier"), INFO))

    shared = inputs.shared.get(candidate.code)
    shared_count = shared.shared if shared is not None else 0
    if shared is not None and shared.target_core and candidate.origin != "experience":
        ratio = shared.shared / shared.target_core
        points = SKILLS_WEIGHT * ratio
        score += points
        if shared.shared:
            text = ngettext(
                "%(n)s compétence clé sur %(total)s déjà exercée",
                "%(n)s compétences clés sur %(total)s déjà exercées",
                shared.shared,
            ) % {"n": shared.shared, "total": shared.target_core}
            if shared.labels:
                text = f"{text} ({', '.join(shared.labels)})"
            plus.append((points, Reason(text, PLUS)))
    elif candidate.origin == "experience":
        # The person's own experience sheet holds all of its competences.
        score += SKILLS_WEIGHT
        shared_count = shared.target_core if shared is not None else 0

    if candidate.years:
        points = min(YEARS_MAX_POINTS, YEAR_POINTS * candidate.years)
        score += points
        years_text = f"{candidate.years:g}".replace(".", ",")
        plus.append(
            (
                points,
                Reason(
                    ngettext("%(n)s an d'expérience", "%(n)s ans d'expérience", max(1, int(candidate.years)))
                    % {"n": years_text},
                    PLUS,
                ),
            )
        )

    required = sheet.french_level
    gap = french_gap_steps(required, inputs.french_level)
    warnings: list[Reason] = []
    if not inputs.french_level:
        others.append(Reason(_("Niveau de français non évalué"), INFO))
    elif gap:
        score -= min(FRENCH_MAX_PENALTY, FRENCH_STEP_PENALTY * gap)
        warnings.append(
            Reason(
                _("Niveau de français habituellement demandé : %(required)s (niveau actuel : %(current)s)")
                % {"required": required, "current": inputs.french_level},
                MINUS,
            )
        )

    regulated = sheet.regulated if candidate.regulated is None else candidate.regulated
    if regulated:
        text = _("Métier réglementé : reconnaissance du diplôme ou autorisation nécessaire")
        if inputs.foreign_qualifications:
            text = f"{text} " + _("(diplôme étranger : demander l'attestation de comparabilité ENIC-NARIC)")
        warnings.append(Reason(text, WARNING))
        if not inputs.recognised_qualifications:
            score -= REGULATED_PENALTY

    plus.sort(key=lambda item: -item[0])
    reasons = [reason for _points, reason in plus] + warnings + others
    from_sheet = inputs.sheets.get(candidate.from_code)
    return JobProposal(
        code=candidate.code,
        label=sheet.label,
        score=round(score, 3),
        rank=0,
        origin=candidate.origin,
        from_code=candidate.from_code,
        from_label=from_sheet.label if from_sheet else "",
        reasons=reasons,
        tension_pct=tension_pct,
        regulated=regulated,
        french_required=required,
        french_gap=bool(gap),
        shared_skills=shared_count,
        appellation_code=candidate.appellation_code,
    )


def score_jobs(inputs: JobInputs) -> list[JobProposal]:
    """The person's own jobs and those their experience opens through ROME mobility links, best
    first, at most `inputs.limit`; sheets with an active decision are left out."""
    proposals = []
    for code, candidate in _candidates(inputs).items():
        if code in inputs.excluded:
            continue
        proposal = _job_proposal(candidate, inputs)
        if proposal is not None:
            proposals.append(proposal)
    return _ranked(proposals, key=lambda p: p.code)[: inputs.limit]


# --- services --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenNeed:
    theme: str
    need: str  # NeedLevel.PRIORITY or TO_WORK_ON
    thematiques: frozenset[str]  # the thématiques of the mapping answering it


@dataclass
class ServiceCandidate:
    service: Any  # a ServiceLike with pk, waiting_days
    distance_km: float | None


@dataclass
class ServiceInputs:
    candidates: list[ServiceCandidate]
    needs: list[OpenNeed]
    criteria: SearchCriteria  # located at the person's commune, languages set when French < B1
    limit_km: float
    person_publics: frozenset[str] = frozenset()
    excluded: frozenset[str] = frozenset()  # service ids (as text) with an active decision
    limit: int = 10


def theme_label(theme: str) -> str:
    try:
        return str(Theme(theme).label)
    except ValueError:
        return theme


def _best_need(service: Any, needs: Iterable[OpenNeed]) -> OpenNeed | None:
    """The open need the service answers: a priority one first, then in the diagnostic's order."""
    thematiques = set(service.thematiques or [])
    order = list(Theme.values)
    matched = [need for need in needs if need.thematiques & thematiques]
    if not matched:
        return None
    return min(
        matched,
        key=lambda n: (-NEED_WEIGHT.get(n.need, 0), order.index(n.theme) if n.theme in order else len(order)),
    )


def distance_points(distance_km: float | None, limit_km: float, weight: float) -> float:
    if distance_km is None or limit_km <= 0:
        return 0.0
    return weight * max(0.0, 1 - distance_km / limit_km)


def _service_proposal(candidate: ServiceCandidate, inputs: ServiceInputs) -> ServiceProposal | None:
    service = candidate.service
    need = _best_need(service, inputs.needs)
    if need is None:
        return None
    label = theme_label(need.theme)
    need_text = _("prioritaire") if need.need == NeedLevel.PRIORITY else _("à travailler")
    reasons = [
        Reason(_("Répond au besoin « %(theme)s » (%(need)s) du diagnostic") % {"theme": label, "need": need_text}, PLUS)
    ]
    score = NEED_WEIGHT.get(need.need, 0.0)
    minus: list[Reason] = []

    if candidate.distance_km is not None:
        score += distance_points(candidate.distance_km, inputs.limit_km, DISTANCE_WEIGHT)
    elif getattr(service, "remote", False):
        score += REMOTE_POINTS

    places = service.places_free
    if places == 0:
        score -= FULL_PENALTY
        minus.append(Reason(_("Complet actuellement"), MINUS))
    elif places:
        score += FREE_PLACES_POINTS

    if inputs.criteria.languages:
        spoken = [code for code in inputs.criteria.languages if code in (service.languages or [])]
        if spoken:
            score += LANGUAGE_POINTS
        elif service.interpreting:
            score += INTERPRETING_POINTS
        else:
            score -= FRENCH_ONLY_PENALTY
            minus.append(Reason(_("Pas de service dans les langues de la personne ni d'interprétariat"), MINUS))

    publics = set(service.publics or [])
    matched = sorted(inputs.person_publics & (publics - {ALL_PUBLICS}))
    score += min(PUBLIC_MAX_POINTS, PUBLIC_POINTS * len(matched))
    criteria = inputs.criteria
    if matched:
        # Name only the publics the person belongs to.
        criteria = _with_publics(criteria, matched)

    waiting = getattr(service, "waiting_days", None)
    if waiting:
        score -= min(WAITING_MAX_PENALTY, WAITING_PENALTY_PER_WEEK * waiting / 7)
        text = ngettext("Délai d'attente : %(n)s jour", "Délai d'attente : %(n)s jours", waiting) % {"n": waiting}
        minus.append(Reason(text, MINUS if waiting >= WAITING_LONG_DAYS else INFO))

    if candidate.distance_km is None and not criteria.has_location:
        minus.append(Reason(_("Distance non calculée : commune de la personne inconnue"), INFO))
    proposal = ServiceProposal(
        service=service,
        score=round(score, 3),
        rank=0,
        theme=need.theme,
        theme_label=label,
        distance_km=candidate.distance_km,
        reasons=reasons + minus,
        # The directory's own reasons (distance, thématiques, publics, languages, places, zone) change
        # no score: they are written only for the proposals kept (see score_services).
        criteria=criteria,
    )
    return proposal


def _add_directory_reasons(proposal: ServiceProposal) -> None:
    """Insert the directory's reasons after the need, before the reservations."""
    found = [Reason(text, PLUS) for text in reasons_for(proposal.service, proposal.criteria, proposal.distance_km)]
    proposal.reasons[1:1] = found


def _with_publics(criteria: SearchCriteria, publics: list[str]) -> SearchCriteria:
    return replace(criteria, publics=publics)


def score_services(inputs: ServiceInputs) -> list[ServiceProposal]:
    """Services answering an open need, best first (a full one is kept, ranked low), at most
    `inputs.limit`; services with an active decision are left out."""
    proposals = []
    seen: set[str] = set()
    for candidate in inputs.candidates:
        key = str(candidate.service.pk)
        if key in inputs.excluded or key in seen:
            continue
        seen.add(key)
        proposal = _service_proposal(candidate, inputs)
        if proposal is not None:
            proposals.append(proposal)
    kept = _ranked(proposals, key=lambda p: p.service.pk)[: inputs.limit]
    for proposal in kept:
        _add_directory_reasons(proposal)
    return kept


# --- programmes ------------------------------------------------------------------------------------


@dataclass
class SessionCandidate:
    session: Any
    distance_km: float | None
    free_places: int
    jobs: frozenset[str]  # the session's target jobs, else the programme's


@dataclass
class ProgrammeCandidate:
    programme: Any  # with .code and .name
    result: Any  # EligibilityResult: .status, .missing
    jobs: frozenset[str]  # the programme's rome_jobs
    sessions: list[SessionCandidate] = field(default_factory=list)


@dataclass
class ProgrammeInputs:
    candidates: list[ProgrammeCandidate]
    person_jobs: Mapping[str, str]  # ROME code → origin ("target" | "wish" | "experience" | "mobility")
    job_labels: Mapping[str, str]
    limit_km: float
    located: bool = True  # False when the person's commune is unknown (no distance)
    excluded: frozenset[str] = frozenset()  # programme codes with an active decision
    limit: int = 10


def _fit(jobs: Iterable[str], person_jobs: Mapping[str, str]) -> list[tuple[str, str]]:
    """(code, origin) of the person's jobs among these, closest origin first then code."""
    found = [(code, person_jobs[code]) for code in jobs if code in person_jobs]
    return sorted(found, key=lambda item: (ORIGINS.index(item[1]), item[0]))


def _programme_proposal(candidate: ProgrammeCandidate, inputs: ProgrammeInputs) -> ProgrammeProposal:
    result = candidate.result
    score = STATUS_POINTS.get(result.status, 0.0)
    reasons: list[Reason] = []
    minus: list[Reason] = []
    if result.status == ELIGIBLE:
        reasons.append(Reason(_("La personne remplit les conditions d'éligibilité"), PLUS))
    else:
        missing = list(result.missing)
        shown = missing[:MISSING_SHOWN]
        text = _("Éligibilité à vérifier")
        if shown:
            text = f"{text} : " + " ; ".join(shown)
            if len(missing) > len(shown):
                text += " ; " + _("et %(n)s autre(s) point(s)") % {"n": len(missing) - len(shown)}
        minus.append(Reason(text, WARNING))

    options: list[SessionOption] = []
    for session in candidate.sessions:
        if session.free_places <= 0:
            continue
        if session.distance_km is not None and session.distance_km > inputs.limit_km:
            continue
        if session.distance_km is None and inputs.located:
            continue
        fit = _fit(session.jobs or candidate.jobs, inputs.person_jobs)
        options.append(
            SessionOption(
                session=session.session,
                distance_km=session.distance_km,
                free_places=session.free_places,
                job_fit=[inputs.job_labels.get(code, code) for code, _origin in fit],
            )
        )
    options.sort(
        key=lambda o: (
            o.distance_km if o.distance_km is not None else float("inf"),
            getattr(o.session, "starts_on", None) is None,
            str(getattr(o.session, "starts_on", "")),
            getattr(o.session, "pk", 0) or 0,
        )
    )
    if options:
        nearest = options[0]
        score += SESSION_POINTS + distance_points(nearest.distance_km, inputs.limit_km, SESSION_DISTANCE_WEIGHT)
        places = sum(o.free_places for o in options)
        where = _("à %(km)s km") % {"km": format_km(nearest.distance_km)} if nearest.distance_km is not None else ""
        text = ngettext(
            "%(n)s session ouverte avec des places (%(places)s places libres)",
            "%(n)s sessions ouvertes avec des places (%(places)s places libres)",
            len(options),
        ) % {"n": len(options), "places": places}
        if where:
            text = f"{text}, " + _("la plus proche %(where)s") % {"where": where}
        reasons.append(Reason(text, PLUS))
    else:
        minus.append(
            Reason(
                _("Aucune session ouverte avec des places à moins de %(km)s km") % {"km": format_km(inputs.limit_km)}
                if inputs.located
                else _("Aucune session ouverte avec des places"),
                MINUS,
            )
        )

    jobs = set(candidate.jobs)
    for session in candidate.sessions:
        jobs |= set(session.jobs)
    fit = _fit(jobs, inputs.person_jobs)
    if fit:
        code, origin = fit[0]
        score += JOB_FIT_POINTS[origin]
        label = inputs.job_labels.get(code, code)
        texts = {
            "target": _("Prépare au métier visé : %(job)s"),
            "wish": _("Prépare au métier souhaité : %(job)s"),
            "experience": _("Prépare à un métier déjà exercé : %(job)s"),
            "mobility": _("Prépare à un métier proche de l'expérience : %(job)s"),
        }
        reasons.append(Reason(texts[origin] % {"job": label}, PLUS))
    return ProgrammeProposal(
        programme=candidate.programme,
        score=round(score, 3),
        rank=0,
        result=result,
        status_visible=True,
        sessions=options,
        reasons=reasons + minus,
    )


def score_programmes(inputs: ProgrammeInputs) -> tuple[list[ProgrammeProposal], int]:
    """Programmes the person is eligible to (or may be: undetermined), best first, at most
    `inputs.limit`, and the number left out because the person is not eligible."""
    proposals = []
    not_eligible = 0
    for candidate in inputs.candidates:
        if candidate.programme.code in inputs.excluded:
            continue
        if candidate.result.status == NOT_ELIGIBLE:
            not_eligible += 1
            continue
        proposals.append(_programme_proposal(candidate, inputs))
    return _ranked(proposals, key=lambda p: p.programme.code)[: inputs.limit], not_eligible
