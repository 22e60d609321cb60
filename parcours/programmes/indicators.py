"""Programme indicators: definitions and formulas (pure core: no ORM, no request, no settings).

Every indicator is computed from plain rows (`EnrolmentRow`, one per enrolment that entered the
programme) and gives exact integers — a numerator, a denominator and, where some information may be
missing (an exit outcome, a follow-up survey), the population the information should cover — from
which the rates are exact fractions. Rounding is for display only (pages, CSV).

Definitions (docs/indicators.md repeats them for readers):

- Population: the enrolments with an entry date (`entered_on`). Candidacies, people on a waiting
  list, not selected, or enrolled but never entered are not part of any indicator.
- Cohort: the calendar quarter of the entry date, "2025-T1" … "2025-T4".
- Exited: state "completed" or "abandoned". People still in the programme ("enrolled",
  "in_progress") count as entrants but are left out of every rate measured at exit: their result
  is not known yet, and counting them as failures would make every recent cohort look bad.
- entrants: count of entrants.
- completion_rate: completed / exited.
- french_certification_rate: exited with at least one French certification (DILF, DELF, DALF,
  TCF) recorded on the enrolment / exited.
- certification_rate: exited with at least one professional certification (titre professionnel,
  CCP, bloc de compétences, other RNCP) recorded on the enrolment / exited.
- positive_exit_rate: exited whose exit outcome is one of the programme's positive outcomes /
  exited whose outcome is known. "Unknown" and "not recorded yet" are unknown outcomes, never
  counted as negative; the response rate is known outcomes / exited.
- employment_6_months: wave-6 surveys answered "employed" (sustainable employment, other
  employment, work-study) / wave-6 surveys answered. A survey is due for every exited entrant whose
  exit is at least six months old on the computation date (`as_of`), or whose survey was already
  carried out; the response rate is answered / due. "No answer", a survey still pending past its
  date, or a survey missing altogether count as non-response, never as "not employed".

Publication masking (`mask_table`): see its docstring and docs/indicators.md.
"""

import calendar
import datetime
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

# The values of parcours.programmes.enums, repeated so that this module imports no Django
# (tests/programmes/test_indicators.py checks they stay equal).
STATE_ENROLLED = "enrolled"
STATE_IN_PROGRESS = "in_progress"
STATE_COMPLETED = "completed"
STATE_ABANDONED = "abandoned"
EXITED_STATES = frozenset({STATE_COMPLETED, STATE_ABANDONED})
OUTCOME_UNKNOWN = "unknown"
SURVEY_PENDING = "pending"
SURVEY_ANSWERED = "answered"
SURVEY_NO_ANSWER = "no_answer"
EMPLOYED_ANSWERS = frozenset({"sustainable_employment", "other_employment", "work_study"})
SURVEY_WAVE_MONTHS = 6

# Indicator codes, in display order.
ENTRANTS = "entrants"
COMPLETION_RATE = "completion_rate"
FRENCH_CERTIFICATION_RATE = "french_certification_rate"
CERTIFICATION_RATE = "certification_rate"
POSITIVE_EXIT_RATE = "positive_exit_rate"
EMPLOYMENT_6_MONTHS = "employment_6_months"
CODES = (
    ENTRANTS,
    COMPLETION_RATE,
    FRENCH_CERTIFICATION_RATE,
    CERTIFICATION_RATE,
    POSITIVE_EXIT_RATE,
    EMPLOYMENT_6_MONTHS,
)


@dataclass(frozen=True, slots=True)
class IndicatorDefinition:
    """What an indicator counts, in words a reader can check against the records (French)."""

    code: str
    label: str
    kind: Literal["count", "rate"]
    summary: str
    numerator: str
    denominator: str
    # The population the denominator should cover, when information may be missing ("" otherwise).
    response: str
    excluded: str
    notes: tuple[str, ...] = ()


_POPULATION = (
    "Les personnes inscrites qui n'ont pas encore de date d'entrée (candidatures, liste d'attente, "
    "non retenues, inscrites mais jamais entrées) ne sont comptées dans aucun indicateur."
)
_IN_PROGRESS = (
    "Les personnes encore en parcours (inscrites ou en cours) ne sont pas comptées : leur résultat n'est "
    "pas encore connu. Les compter comme des échecs ferait baisser à tort les cohortes récentes."
)

DEFINITIONS: dict[str, IndicatorDefinition] = {
    d.code: d
    for d in (
        IndicatorDefinition(
            code=ENTRANTS,
            label="Entrées",
            kind="count",
            summary="Nombre de personnes entrées dans le programme sur la période.",
            numerator="Inscriptions ayant une date d'entrée dans le programme comprise dans la période (cohorte).",
            denominator="",
            response="",
            excluded=_POPULATION,
            notes=("Une personne entrée deux fois (dans deux sessions) compte deux fois : on compte des entrées.",),
        ),
        IndicatorDefinition(
            code=COMPLETION_RATE,
            label="Taux de parcours terminés",
            kind="rate",
            summary="Part des personnes sorties du programme qui sont allées au bout du parcours.",
            numerator="Personnes entrées dont le parcours est terminé (état « Parcours terminé »).",
            denominator="Personnes entrées et sorties du programme : parcours terminé ou abandon.",
            response="",
            excluded=_IN_PROGRESS + " " + _POPULATION,
        ),
        IndicatorDefinition(
            code=FRENCH_CERTIFICATION_RATE,
            label="Taux de certification en français",
            kind="rate",
            summary="Part des personnes sorties qui ont obtenu au moins une certification en français.",
            numerator=(
                "Personnes entrées et sorties ayant au moins une certification en français (DILF, DELF, DALF, "
                "TCF, quel que soit le niveau) enregistrée sur leur inscription."
            ),
            denominator="Personnes entrées et sorties du programme : parcours terminé ou abandon.",
            response="",
            excluded=_IN_PROGRESS + " " + _POPULATION,
            notes=("Une personne qui obtient plusieurs certifications compte une fois.",),
        ),
        IndicatorDefinition(
            code=CERTIFICATION_RATE,
            label="Taux de certification professionnelle",
            kind="rate",
            summary="Part des personnes sorties qui ont obtenu au moins une certification professionnelle.",
            numerator=(
                "Personnes entrées et sorties ayant au moins une certification professionnelle (titre "
                "professionnel complet, CCP, bloc de compétences ou autre certification RNCP) enregistrée sur "
                "leur inscription."
            ),
            denominator="Personnes entrées et sorties du programme : parcours terminé ou abandon.",
            response="",
            excluded=_IN_PROGRESS + " " + _POPULATION,
            notes=(
                "Une certification partielle (un CCP, un bloc) suffit ; plusieurs certifications comptent une fois.",
            ),
        ),
        IndicatorDefinition(
            code=POSITIVE_EXIT_RATE,
            label="Taux de sorties positives",
            kind="rate",
            summary="Part des sorties positives parmi les personnes sorties dont la situation à la sortie est connue.",
            numerator=(
                "Personnes sorties dont la situation à la sortie fait partie des sorties positives du programme "
                "(par défaut : emploi durable, autre emploi, alternance, formation qualifiante)."
            ),
            denominator="Personnes sorties dont la situation à la sortie est connue (ni « inconnue », ni non saisie).",
            response=(
                "Taux de réponse : personnes sorties dont la situation est connue / personnes sorties. Une "
                "situation « inconnue » ou non saisie n'est comptée ni comme positive ni comme négative."
            ),
            excluded=_IN_PROGRESS + " " + _POPULATION,
            notes=(
                "La liste des sorties positives est propre à chaque programme ; elle est rappelée sur la page des "
                "indicateurs du programme.",
                "Pour une borne basse, multiplier le taux par le taux de réponse : cela revient à compter toutes "
                "les situations inconnues comme négatives.",
            ),
        ),
        IndicatorDefinition(
            code=EMPLOYMENT_6_MONTHS,
            label="En emploi à 6 mois",
            kind="rate",
            summary="Part des personnes en emploi six mois après leur sortie, parmi celles qui ont répondu à l'enquête.",
            numerator=(
                "Enquêtes à 6 mois ayant obtenu une réponse « en emploi » : emploi durable, autre emploi ou alternance."
            ),
            denominator="Enquêtes à 6 mois ayant obtenu une réponse (en emploi ou sans emploi).",
            response=(
                "Taux de réponse : enquêtes ayant obtenu une réponse / enquêtes dues. Une enquête est due pour "
                "toute personne sortie depuis au moins six mois à la date du calcul (ou dont l'enquête a déjà "
                "été faite). « Pas de réponse », une enquête en retard ou absente sont des non-réponses, jamais "
                "des réponses « sans emploi »."
            ),
            excluded=(
                "Les personnes sorties depuis moins de six mois et dont l'enquête n'a pas encore été faite, et les "
                "personnes encore en parcours. " + _POPULATION
            ),
            notes=(
                "L'emploi est celui déclaré par la personne lors de l'enquête, à partir de six mois après la sortie.",
            ),
        ),
    )
}


# --- rows and values --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EnrolmentRow:
    """What the indicators need of one enrolment. `survey_6_status` is "" when no wave-6 survey
    was scheduled (then it counts as missing once due)."""

    session_id: int
    state: str
    entered_on: datetime.date | None
    exited_on: datetime.date | None = None
    exit_outcome: str = ""
    has_language_certification: bool = False
    has_professional_certification: bool = False
    survey_6_status: str = ""
    survey_6_employment: str = ""


@dataclass(frozen=True, slots=True)
class IndicatorValue:
    """One indicator for one group. For a count, `numerator` is the count and `denominator` is None.
    `response_base` is the population the denominator should cover (the response rate is
    denominator / response_base), None when the indicator has no response rate."""

    code: str
    numerator: int
    denominator: int | None = None
    response_base: int | None = None

    @property
    def rate(self) -> Fraction | None:
        if not self.denominator:
            return None
        return Fraction(self.numerator, self.denominator)

    @property
    def response_rate(self) -> Fraction | None:
        if self.response_base is None or self.denominator is None or self.response_base == 0:
            return None
        return Fraction(self.denominator, self.response_base)


@dataclass(frozen=True, slots=True)
class GroupResult:
    """The indicators of one group of rows (a cohort, a session, everything). `in_progress`: entrants
    not exited yet, left out of the rates measured at exit."""

    entrants: int
    in_progress: int
    exited: int
    values: Mapping[str, IndicatorValue]

    def __getitem__(self, code: str) -> IndicatorValue:
        return self.values[code]


@dataclass(frozen=True, slots=True)
class IndicatorTable:
    """Groups in key order, and the total over all of them."""

    groups: tuple[tuple[Hashable, GroupResult], ...]
    total: GroupResult

    def group(self, key: Hashable) -> GroupResult | None:
        return next((result for k, result in self.groups if k == key), None)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` plus `months` calendar months, clamped to the end of a shorter month (31 Aug + 6 → 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def cohort_of(day: datetime.date) -> str:
    """The cohort of an entry date: its calendar quarter, "2025-T1"."""
    return f"{day.year}-T{(day.month - 1) // 3 + 1}"


def cohort_bounds(cohort: str) -> tuple[datetime.date, datetime.date]:
    """First day of the quarter and first day of the next one; ValueError on a malformed key."""
    year_text, sep, quarter_text = cohort.partition("-T")
    if not sep or not year_text.isdigit() or len(year_text) != 4 or quarter_text not in {"1", "2", "3", "4"}:
        raise ValueError(f"Cohorte inconnue : « {cohort} » (attendu : AAAA-T1 à AAAA-T4).")
    year, quarter = int(year_text), int(quarter_text)
    start = datetime.date(year, 3 * quarter - 2, 1)
    end = datetime.date(year + 1, 1, 1) if quarter == 4 else datetime.date(year, 3 * quarter + 1, 1)
    return start, end


def cohort_label(cohort: str) -> str:
    """ "2025-T1" → "1er trimestre 2025"."""
    year, _sep, quarter = cohort.partition("-T")
    return f"{'1er' if quarter == '1' else quarter + 'e'} trimestre {year}"


# --- computing ----------------------------------------------------------------------------------


class _Counter:
    """Counts of one group, filled in one pass over the rows."""

    __slots__ = (
        "entrants",
        "exited",
        "completed",
        "french",
        "professional",
        "known",
        "positive",
        "due",
        "answered",
        "employed",
    )

    def __init__(self) -> None:
        self.entrants = self.exited = self.completed = self.french = self.professional = 0
        self.known = self.positive = self.due = self.answered = self.employed = 0

    def add(self, row: EnrolmentRow, positive: frozenset[str], survey_cutoff: datetime.date) -> None:
        self.entrants += 1
        if row.state not in EXITED_STATES:
            return
        self.exited += 1
        if row.state == STATE_COMPLETED:
            self.completed += 1
        if row.has_language_certification:
            self.french += 1
        if row.has_professional_certification:
            self.professional += 1
        if row.exit_outcome and row.exit_outcome != OUTCOME_UNKNOWN:
            self.known += 1
            if row.exit_outcome in positive:
                self.positive += 1
        carried_out = row.survey_6_status in (SURVEY_ANSWERED, SURVEY_NO_ANSWER)
        # exited_on + 6 months <= as_of  ⟺  exited_on <= as_of - 6 months (same clamping rule).
        if carried_out or (row.exited_on is not None and row.exited_on <= survey_cutoff):
            self.due += 1
            if row.survey_6_status == SURVEY_ANSWERED:
                self.answered += 1
                if row.survey_6_employment in EMPLOYED_ANSWERS:
                    self.employed += 1

    def result(self) -> GroupResult:
        return GroupResult(
            entrants=self.entrants,
            in_progress=self.entrants - self.exited,
            exited=self.exited,
            values={
                ENTRANTS: IndicatorValue(ENTRANTS, self.entrants),
                COMPLETION_RATE: IndicatorValue(COMPLETION_RATE, self.completed, self.exited),
                FRENCH_CERTIFICATION_RATE: IndicatorValue(FRENCH_CERTIFICATION_RATE, self.french, self.exited),
                CERTIFICATION_RATE: IndicatorValue(CERTIFICATION_RATE, self.professional, self.exited),
                POSITIVE_EXIT_RATE: IndicatorValue(POSITIVE_EXIT_RATE, self.positive, self.known, self.exited),
                EMPLOYMENT_6_MONTHS: IndicatorValue(EMPLOYMENT_6_MONTHS, self.employed, self.answered, self.due),
            },
        )


def _survey_cutoff(as_of: datetime.date) -> datetime.date:
    """The latest exit date whose six-month survey is due on `as_of`: the largest d with
    add_months(d, 6) <= as_of."""
    candidate = add_months(as_of, -SURVEY_WAVE_MONTHS)
    # Clamping may make add_months(candidate + 1 day, 6) still <= as_of (e.g. as_of = 28 Feb).
    while add_months(candidate + datetime.timedelta(days=1), SURVEY_WAVE_MONTHS) <= as_of:
        candidate += datetime.timedelta(days=1)
    return candidate


def _positive(positive_outcomes: Collection[str]) -> frozenset[str]:
    # "unknown" can never be a positive exit: it is not an outcome.
    return frozenset(positive_outcomes) - {OUTCOME_UNKNOWN, ""}


def compute(rows: Iterable[EnrolmentRow], *, positive_outcomes: Collection[str], as_of: datetime.date) -> GroupResult:
    """All the indicators over `rows` (rows without an entry date are ignored)."""
    counter = _Counter()
    positive, cutoff = _positive(positive_outcomes), _survey_cutoff(as_of)
    for row in rows:
        if row.entered_on is not None:
            counter.add(row, positive, cutoff)
    return counter.result()


def table(
    rows: Iterable[EnrolmentRow],
    *,
    key: Callable[[EnrolmentRow], Hashable],
    positive_outcomes: Collection[str],
    as_of: datetime.date,
) -> IndicatorTable:
    """The indicators per group (`key` of each row, groups sorted by key) and in total, in one pass.
    Every count of the total is the sum of the groups' counts."""
    positive, cutoff = _positive(positive_outcomes), _survey_cutoff(as_of)
    counters: dict[Hashable, _Counter] = {}
    total = _Counter()
    for row in rows:
        if row.entered_on is None:
            continue
        group_key = key(row)
        counter = counters.get(group_key)
        if counter is None:
            counter = counters[group_key] = _Counter()
        counter.add(row, positive, cutoff)
        total.add(row, positive, cutoff)
    ordered = sorted(counters.items(), key=lambda item: item[0])  # type: ignore[arg-type, return-value]
    return IndicatorTable(groups=tuple((k, c.result()) for k, c in ordered), total=total.result())


def by_cohort(
    rows: Iterable[EnrolmentRow], *, positive_outcomes: Collection[str], as_of: datetime.date
) -> IndicatorTable:
    return table(
        rows,
        key=lambda row: cohort_of(row.entered_on),  # type: ignore[arg-type]
        positive_outcomes=positive_outcomes,
        as_of=as_of,
    )


def by_session(
    rows: Iterable[EnrolmentRow], *, positive_outcomes: Collection[str], as_of: datetime.date
) -> IndicatorTable:
    return table(rows, key=lambda row: row.session_id, positive_outcomes=positive_outcomes, as_of=as_of)


# --- publication masking ------------------------------------------------------------------------

# The three counts of an indicator that a publication shows.
COUNT_FIELDS = ("numerator", "denominator", "response_base")


@dataclass(frozen=True, slots=True)
class MaskedValue:
    """An indicator as published: a masked figure is None and its name is in `masked`."""

    code: str
    numerator: int | None
    denominator: int | None
    response_base: int | None
    rate: Fraction | None
    response_rate: Fraction | None
    masked: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class MaskedTable:
    groups: tuple[tuple[Hashable, Mapping[str, MaskedValue]], ...]
    total: Mapping[str, MaskedValue]


def _small(count: int | None, min_cell: int) -> bool:
    return count is not None and 0 < count < min_cell


def mask_table(indicators: IndicatorTable, *, min_cell: int) -> MaskedTable:
    """The table as it may be published (statistical confidentiality), cell by cell:

    1. Primary: a count (numerator, denominator, response base) strictly between 0 and `min_cell`
       is masked. 0 is shown: it designates nobody, and hiding it would hide the absence of any
       activity (the territory dashboard follows the same rule).
    2. Complement: within an indicator, the people counted in the denominator but not in the
       numerator (e.g. those who did not complete) form a cell too, readable as denominator −
       numerator; when it is strictly between 0 and `min_cell` the numerator is masked. Likewise the
       non-respondents (response base − denominator): the denominator is masked.
    3. Secondary, along each column (the same count of the same indicator over the groups): when
       the total is shown and exactly one group is masked, it could be recomputed as the total
       minus the others, so the smallest other non-zero shown group is masked too; if there is none,
       the total is masked.
    4. A rate is masked when its numerator or denominator is masked; a response rate when its
       denominator or response base is masked.

    Not handled: links between different indicators (e.g. entrants − exited = people still in
    progress), which say nothing about outcomes; docs/indicators.md explains the choice."""
    keys = [k for k, _ in indicators.groups]
    results = [r for _, r in indicators.groups]
    all_results = [*results, indicators.total]  # index len(results) is the total
    masked: list[dict[str, set[str]]] = [{code: set() for code in CODES} for _ in all_results]

    for index, result in enumerate(all_results):
        for code in CODES:
            value, cells = result.values[code], masked[index][code]
            for name in COUNT_FIELDS:
                if _small(getattr(value, name), min_cell):
                    cells.add(name)
            if value.denominator is not None and _small(value.denominator - value.numerator, min_cell):
                cells.add("numerator")
            if value.response_base is not None and value.denominator is not None:
                if _small(value.response_base - value.denominator, min_cell):
                    cells.add("denominator")

    total_index = len(results)
    for code in CODES:
        for name in COUNT_FIELDS:
            if getattr(indicators.total.values[code], name) is None:
                continue
            if name in masked[total_index][code]:
                continue
            hidden = [i for i in range(len(results)) if name in masked[i][code]]
            if len(hidden) != 1:
                continue
            candidates = [
                i
                for i in range(len(results))
                if name not in masked[i][code] and (getattr(results[i].values[code], name) or 0) > 0
            ]
            if candidates:
                chosen = min(candidates, key=lambda i: (getattr(results[i].values[code], name), i))
                masked[chosen][code].add(name)
            else:
                masked[total_index][code].add(name)

    def published(result: GroupResult, cells_by_code: dict[str, set[str]]) -> dict[str, MaskedValue]:
        out = {}
        for code in CODES:
            value, cells = result.values[code], set(cells_by_code[code])
            if value.denominator is not None and cells & {"numerator", "denominator"}:
                cells.add("rate")
            if value.response_base is not None and cells & {"denominator", "response_base"}:
                cells.add("response_rate")
            out[code] = MaskedValue(
                code=code,
                numerator=None if "numerator" in cells else value.numerator,
                denominator=None if "denominator" in cells else value.denominator,
                response_base=None if "response_base" in cells else value.response_base,
                rate=None if "rate" in cells else value.rate,
                response_rate=None if "response_rate" in cells else value.response_rate,
                masked=frozenset(cells),
            )
        return out

    return MaskedTable(
        groups=tuple((keys[i], published(results[i], masked[i])) for i in range(len(results))),
        total=published(indicators.total, masked[total_index]),
    )


# --- display helpers ------------------------------------------------------------------------------


def percent(rate: Fraction | None, digits: int = 1) -> str:
    """A rate as a French percentage string, rounded half up for display: Fraction(1, 3) → "33,3 %"."""
    if rate is None:
        return "—"
    scaled = rate * 100 * 10**digits
    rounded = (scaled.numerator * 2 + scaled.denominator) // (2 * scaled.denominator)
    whole, decimals = divmod(rounded, 10**digits)
    if digits == 0:
        return f"{whole} %"
    return f"{whole},{decimals:0{digits}d} %"


def ordered_codes(selected: Sequence[str] | None) -> tuple[str, ...]:
    """The indicator codes a programme shows (its `indicators` list), in display order; all of them
    when the list is empty or names none we know."""
    chosen = tuple(code for code in CODES if selected and code in selected)
    return chosen or CODES
