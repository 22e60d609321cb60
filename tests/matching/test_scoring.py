"""The pure ranking: hand-computed cases and properties (no database)."""

from dataclasses import dataclass, field, replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from parcours.directory.search import SearchCriteria
from parcours.matching import scoring
from parcours.matching.scoring import (
    JobInputs,
    JobSource,
    OpenNeed,
    ProgrammeCandidate,
    ProgrammeInputs,
    ServiceCandidate,
    ServiceInputs,
    SessionCandidate,
    SheetFacts,
)
from parcours.occupations.selectors import SharedSkills, TensionInfo
from parcours.programmes.eligibility import ELIGIBLE, NOT_ELIGIBLE, UNDETERMINED

SHEETS = {
    "K1302": SheetFacts("K1302", "Assistance auprès d'adultes", french_level="A2"),
    "J1501": SheetFacts("J1501", "Aide-soignant", regulated=True, french_level="B1"),
    "K1304": SheetFacts("K1304", "Services domestiques", french_level="A2"),
    "G1602": SheetFacts("G1602", "Personnel de cuisine", french_level="A2"),
}


def _jobs(**kwargs) -> JobInputs:
    base = {
        "sources": [JobSource("K1302", "experience", 11111, "Auxiliaire de vie", years=3)],
        "sheets": SHEETS,
        "mobility": {"K1302": [("J1501", 1), ("K1304", 2)]},
        "tension": {"J1501": TensionInfo(pct=Decimal("80.0"), scope="departement", departement_name="Gironde")},
        "shared": {"J1501": SharedSkills(shared=3, target_core=6, labels=["Hygiène"])},
        "french_level": "A2",
    }
    base.update(kwargs)
    return JobInputs(**base)


def test_job_scores_hand_computed():
    jobs = {p.code: p for p in scoring.score_jobs(_jobs())}
    # K1302, own experience: origin 15 + all its competences 30 + 3 years × 2 = 51.
    assert jobs["K1302"].score == 51.0
    # J1501, mobility n° 1: 12 + tension 0.80 × 35 = 28 + 3/6 × 30 = 15, − French B1 vs A2 (1 step) 8,
    # − regulated without recognised qualification 5 = 42.
    assert jobs["J1501"].score == 42.0
    # K1304, mobility n° 2: 12 − 1.5 = 10.5.
    assert jobs["K1304"].score == 10.5
    assert [p.code for p in scoring.score_jobs(_jobs())] == ["K1302", "J1501", "K1304"]
    soignant = jobs["J1501"]
    assert soignant.reasons[0].text == "Métier en tension — Recrutements difficiles : 80,0 % des projets en Gironde"
    assert soignant.reasons[1].text == "3 compétences clés sur 6 déjà exercées (Hygiène)"
    assert ("Niveau de français habituellement demandé : B1 (niveau actuel : A2)", "minus") in [
        (r.text, r.tone) for r in soignant.reasons
    ]
    assert soignant.french_gap and soignant.regulated and soignant.shared_skills == 3
    assert (soignant.origin, soignant.from_code, soignant.from_label) == (
        "mobility",
        "K1302",
        "Assistance auprès d'adultes",
    )


def test_unknown_french_level_is_an_info_not_a_penalty():
    jobs = {p.code: p for p in scoring.score_jobs(_jobs(french_level=""))}
    assert jobs["J1501"].score == 50.0
    assert not jobs["J1501"].french_gap
    assert ("Niveau de français non évalué", "info") in [(r.text, r.tone) for r in jobs["J1501"].reasons]


def test_regulated_mentions_enic_naric_for_foreign_qualifications_and_recognition_lifts_the_penalty():
    jobs = {p.code: p for p in scoring.score_jobs(_jobs(foreign_qualifications=1, recognised_qualifications=1))}
    texts = [r.text for r in jobs["J1501"].reasons if r.tone == "warning"]
    assert texts == [
        "Métier réglementé : reconnaissance du diplôme ou autorisation nécessaire "
        "(diplôme étranger : demander l'attestation de comparabilité ENIC-NARIC)"
    ]
    assert jobs["J1501"].score == 47.0


def test_own_origins_outrank_mobility_and_merge():
    sources = [
        JobSource("K1302", "experience", years=1),
        JobSource("J1501", "wish", 22222, "Aide-soignant"),
        JobSource("J1501", "target", 22223, "Aide-soignant de nuit"),
    ]
    jobs = {p.code: p for p in scoring.score_jobs(_jobs(sources=sources))}
    assert jobs["J1501"].origin == "target"
    assert jobs["J1501"].appellation_code == 22223
    assert jobs["J1501"].reasons[0].text.startswith("Métier en tension")
    assert "Métier visé dans le parcours : Aide-soignant de nuit" in [r.text for r in jobs["J1501"].reasons]


def test_excluded_jobs_and_limit():
    proposals = scoring.score_jobs(_jobs(excluded=frozenset({"J1501"}), limit=1))
    assert [p.code for p in proposals] == ["K1302"]


@dataclass
class FakeService:
    pk: int
    thematiques: list[str]
    places_free: int | None = None
    waiting_days: int | None = None
    publics: list[str] = field(default_factory=lambda: ["tous-publics"])
    type: str = "accompagnement"
    frais: str = "gratuit"
    modes_accueil: list[str] = field(default_factory=lambda: ["en-presentiel"])
    zone_eligibilite: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=lambda: ["fr"])
    interpreting: bool = False
    remote: bool = False


HOUSING = "logement-hebergement--louer-un-logement"
FRENCH = "lecture-ecriture-calcul--maitriser-le-francais"
NEEDS = [
    OpenNeed("logement", "priority", frozenset({HOUSING})),
    OpenNeed("maitrise_langue", "to_work_on", frozenset({FRENCH})),
]
CRITERIA = SearchCriteria(commune_name="Nantes", latitude=47.2, longitude=-1.5)


def _services(candidates, **kwargs) -> ServiceInputs:
    base = {"candidates": candidates, "needs": NEEDS, "criteria": CRITERIA, "limit_km": 30.0}
    base.update(kwargs)
    return ServiceInputs(**base)


def test_service_scores_hand_computed():
    near = ServiceCandidate(FakeService(1, [HOUSING], places_free=2), 6.0)
    french = ServiceCandidate(FakeService(2, [FRENCH], languages=["fr", "prs"]), 0.0)
    full = ServiceCandidate(FakeService(3, [HOUSING], places_free=0, waiting_days=42), 3.0)
    unrelated = ServiceCandidate(FakeService(4, ["numerique--acquerir-un-equipement"]), 1.0)
    criteria = replace(CRITERIA, languages=["prs"])
    ranked = scoring.score_services(_services([full, french, near, unrelated], criteria=criteria))
    by_pk = {p.service.pk: p for p in ranked}
    assert 4 not in by_pk  # answers no open need
    # priority 40 + distance 25 × (1 − 6/30) = 20 + places 10 − not in Dari nor interpreting 5 = 65.
    assert by_pk[1].score == 65.0
    # to work on 25 + distance 25 + Dari 15 = 65: tie broken by id.
    assert by_pk[2].score == 65.0
    # 40 + 25 × 0.9 = 22.5 − full 40 − 5 − waiting 6 weeks (6) = 11.5.
    assert by_pk[3].score == 11.5
    assert [p.service.pk for p in ranked] == [1, 2, 3]
    assert by_pk[1].reasons[0].text == "Répond au besoin « Logement » (prioritaire) du diagnostic"
    assert by_pk[1].theme == "logement"
    assert ("Complet actuellement", "minus") in [(r.text, r.tone) for r in by_pk[3].reasons]
    assert ("Délai d'attente : 42 jours", "minus") in [(r.text, r.tone) for r in by_pk[3].reasons]


def test_a_service_answering_two_needs_takes_the_priority_one():
    both = ServiceCandidate(FakeService(1, [FRENCH, HOUSING]), 1.0)
    (proposal,) = scoring.score_services(_services([both]))
    assert proposal.theme == "logement"


@dataclass
class FakeProgramme:
    code: str
    name: str = "Programme"


@dataclass
class FakeResult:
    status: str
    missing: list[str] = field(default_factory=list)


@dataclass
class FakeSession:
    pk: int
    starts_on: str = "2030-01-01"


def test_programme_scores_hand_computed():
    hope = ProgrammeCandidate(
        FakeProgramme("hope"),
        FakeResult(ELIGIBLE),
        frozenset({"J1501"}),
        [
            SessionCandidate(FakeSession(1), 10.0, 5, frozenset()),
            SessionCandidate(FakeSession(2), 45.0, 5, frozenset()),  # beyond the limit
            SessionCandidate(FakeSession(3), 2.0, 0, frozenset()),  # full
        ],
    )
    plie = ProgrammeCandidate(FakeProgramme("plie"), FakeResult(UNDETERMINED, ["Titre de séjour ?"]), frozenset())
    paris = ProgrammeCandidate(FakeProgramme("paris"), FakeResult(NOT_ELIGIBLE), frozenset())
    inputs = ProgrammeInputs(
        candidates=[paris, plie, hope],
        person_jobs={"J1501": "wish"},
        job_labels={"J1501": "Aide-soignant"},
        limit_km=30.0,
    )
    ranked, not_eligible = scoring.score_programmes(inputs)
    assert not_eligible == 1
    assert [p.programme.code for p in ranked] == ["hope", "plie"]
    # eligible 40 + session 20 + 10 × (1 − 10/30) + wish fit 20 = 86.667.
    assert ranked[0].score == 86.667
    assert [o.session.pk for o in ranked[0].sessions] == [1]
    assert ranked[0].sessions[0].job_fit == ["Aide-soignant"]
    # undetermined 20, no session.
    assert ranked[1].score == 20.0
    assert ("Éligibilité à vérifier : Titre de séjour ?", "warning") in [(r.text, r.tone) for r in ranked[1].reasons]
    assert ("Aucune session ouverte avec des places à moins de 30 km", "minus") in [
        (r.text, r.tone) for r in ranked[1].reasons
    ]


# --- properties --------------------------------------------------------------------------------------

codes = st.sampled_from(sorted(SHEETS))
sources_st = st.lists(
    st.builds(
        JobSource,
        code=codes,
        origin=st.sampled_from(["experience", "wish", "target"]),
        years=st.floats(min_value=0, max_value=40),
    ),
    max_size=5,
)
tension_st = st.dictionaries(
    codes,
    st.builds(
        TensionInfo,
        pct=st.decimals(min_value=0, max_value=100, places=1),
        scope=st.just("national"),
    ),
)
levels = st.sampled_from(["", "A1.1", "A1", "A2", "B1", "B2", "C1", "C2"])
job_inputs = st.builds(
    JobInputs,
    sources=sources_st,
    sheets=st.just(SHEETS),
    mobility=st.just({"K1302": [("J1501", 1), ("K1304", 2)], "G1602": [("K1304", 1)]}),
    tension=tension_st,
    shared=st.just({"J1501": SharedSkills(2, 5, ["Hygiène"])}),
    french_level=levels,
    foreign_qualifications=st.integers(0, 2),
    recognised_qualifications=st.integers(0, 1),
    excluded=st.frozensets(codes, max_size=2),
    limit=st.integers(1, 10),
)


@settings(max_examples=200)
@given(job_inputs)
def test_job_ranking_properties(inputs):
    proposals = scoring.score_jobs(inputs)
    assert [p.rank for p in proposals] == list(range(1, len(proposals) + 1))
    keys = [(-p.score, p.code) for p in proposals]
    assert keys == sorted(keys)
    assert not {p.code for p in proposals} & inputs.excluded
    assert len(proposals) <= inputs.limit
    assert scoring.score_jobs(inputs) == proposals  # deterministic
    for p in proposals:
        assert p.reasons and all(r.tone in {"plus", "minus", "warning", "info"} for r in p.reasons)


@settings(max_examples=200)
@given(job_inputs, codes, st.decimals(min_value=0, max_value=100, places=1))
def test_more_tension_never_lowers_a_job_score(inputs, code, extra):
    inputs = replace(inputs, excluded=frozenset(), limit=50)
    before = {p.code: p.score for p in scoring.score_jobs(inputs)}
    current = inputs.tension.get(code)
    base = current.pct if current is not None else Decimal("0")
    higher = TensionInfo(pct=min(Decimal("100"), base + extra), scope="national")
    after = {p.code: p.score for p in scoring.score_jobs(replace(inputs, tension={**inputs.tension, code: higher}))}
    if code in before:
        assert after[code] >= before[code]
    for other, score in before.items():
        if other != code:
            assert after[other] == score


service_st = st.builds(
    ServiceCandidate,
    service=st.builds(
        FakeService,
        pk=st.integers(1, 30),
        thematiques=st.lists(st.sampled_from([HOUSING, FRENCH, "numerique--acquerir-un-equipement"]), max_size=2),
        places_free=st.none() | st.integers(0, 5),
        waiting_days=st.none() | st.integers(0, 120),
        interpreting=st.booleans(),
    ),
    distance_km=st.none() | st.floats(min_value=0, max_value=30),
)


@settings(max_examples=200)
@given(st.lists(service_st, max_size=12), st.frozensets(st.integers(1, 30).map(str), max_size=5))
def test_service_ranking_properties(candidates, excluded):
    inputs = _services(candidates, excluded=excluded, limit=50)
    proposals = scoring.score_services(inputs)
    keys = [(-p.score, p.service.pk) for p in proposals]
    assert keys == sorted(keys)
    assert [p.rank for p in proposals] == list(range(1, len(proposals) + 1))
    assert not {str(p.service.pk) for p in proposals} & excluded
    assert len({p.service.pk for p in proposals}) == len(proposals)
    assert all(p.theme in {"logement", "maitrise_langue"} for p in proposals)
    assert scoring.score_services(inputs) == proposals
