"""Acceptance rates per kind: hand-computed figures, the territory and date filters, revoked
decisions left out, one query, and the masking of small counts."""

import datetime
from fractions import Fraction

import pytest
from django.utils import timezone

from parcours.matching import stats
from parcours.matching.enums import DismissReason, FeedbackDecision, RecommendationKind
from parcours.matching.models import RecommendationFeedback
from tests.factories import DepartementFactory, PathwayFactory, UserFactory

pytestmark = pytest.mark.django_db

JOB, SERVICE, PROGRAMME = RecommendationKind.JOB, RecommendationKind.SERVICE, RecommendationKind.PROGRAMME
ACCEPTED, DISMISSED = FeedbackDecision.ACCEPTED, FeedbackDecision.DISMISSED


@pytest.fixture
def write(db):
    """Write n decisions directly (one pathway each, so the one-active-decision rule holds)."""
    user = UserFactory()

    def _write(n, *, kind, decision, reason="", departement="44", revoked=False, days_ago=0):
        dep = DepartementFactory(code=departement, name=f"Département {departement}")
        for _ in range(n):
            pathway = PathwayFactory()
            RecommendationFeedback.objects.create(
                pathway=pathway,
                kind=kind,
                key="F1703" if kind == JOB else "1",
                label="Proposition",
                decision=decision,
                reason=reason,
                note="précision" if reason == DismissReason.OTHER else "",
                decided_by=user,
                decided_at=timezone.now() - datetime.timedelta(days=days_ago),
                organisation=pathway.members.get().membership.organisation,
                departement=dep,
                revoked_at=timezone.now() if revoked else None,
            )

    return _write


def by_kind(usages):
    return {u.kind: u for u in usages}


def test_rates_per_kind_hand_computed(write, settings):
    settings.PUBLICATION_MIN_CELL = 2
    write(3, kind=SERVICE, decision=ACCEPTED)
    write(2, kind=SERVICE, decision=DISMISSED, reason=DismissReason.TOO_FAR)
    write(4, kind=SERVICE, decision=DISMISSED, reason=DismissReason.NOT_RELEVANT)
    write(2, kind=JOB, decision=ACCEPTED)
    usages = by_kind(stats.acceptance_by_kind(departements=None, since=None))
    service = usages[SERVICE]
    assert (service.accepted.value, service.dismissed.value, service.decided.value) == (3, 6, 9)
    assert service.rate == Fraction(1, 3)
    assert service.rate_display == "33 %"
    reasons = {r.reason: r.count.value for r in service.reasons}
    assert reasons[DismissReason.TOO_FAR] == 2 and reasons[DismissReason.NOT_RELEVANT] == 4
    assert reasons[DismissReason.OTHER] == 0
    assert usages[JOB].rate == 1 and usages[JOB].rate_display == "100 %"
    assert usages[PROGRAMME].rate is None and usages[PROGRAMME].rate_display == "—"
    assert [u.kind for u in stats.acceptance_by_kind(departements=None, since=None)] == ["job", "service", "programme"]


def test_revoked_decisions_do_not_count(write, settings):
    settings.PUBLICATION_MIN_CELL = 1
    write(1, kind=SERVICE, decision=ACCEPTED)
    write(5, kind=SERVICE, decision=DISMISSED, reason=DismissReason.TOO_FAR, revoked=True)
    service = by_kind(stats.acceptance_by_kind(departements=None, since=None))[SERVICE]
    assert (service.accepted.value, service.dismissed.value, service.rate) == (1, 0, 1)


def test_territory_and_date_filters(write, settings):
    settings.PUBLICATION_MIN_CELL = 1
    write(2, kind=SERVICE, decision=ACCEPTED, departement="44")
    write(3, kind=SERVICE, decision=ACCEPTED, departement="35")
    write(4, kind=SERVICE, decision=ACCEPTED, departement="44", days_ago=40)
    loire = by_kind(stats.acceptance_by_kind(departements=["44"], since=None))[SERVICE]
    assert loire.accepted.value == 6
    recent = by_kind(
        stats.acceptance_by_kind(departements=["44"], since=timezone.localdate() - datetime.timedelta(days=30))
    )[SERVICE]
    assert recent.accepted.value == 2
    assert by_kind(stats.acceptance_by_kind(departements=None, since=None))[SERVICE].accepted.value == 9


def test_one_query(write, django_assert_num_queries):
    write(1, kind=SERVICE, decision=ACCEPTED)
    with django_assert_num_queries(1):
        stats.acceptance_by_kind(departements=["44"], since=timezone.localdate())


# --- masking (pure) -------------------------------------------------------------------------------


def counts(**cells):
    """kind_decision_reason=n → the raw counts."""
    out = {}
    for name, n in cells.items():
        kind, decision, *reason = name.split("__")
        out[(kind, decision, reason[0] if reason else "")] = n
    return out


def test_small_counts_are_shown_as_under_the_threshold_and_zero_is_shown():
    usages = by_kind(stats.usage_from_counts(counts(service__accepted=3), min_cell=11))
    service = usages[SERVICE]
    assert service.accepted.display == "< 11"
    assert service.dismissed.display == "0"
    assert service.decided.display == "< 11"
    # 3 decisions: the rate (100 %) would name the 3 people's outcome.
    assert service.rate is None and service.rate_display == "s"


def test_rate_shown_when_the_denominator_and_both_parts_reach_the_threshold():
    usages = by_kind(stats.usage_from_counts(counts(job__accepted=12, job__dismissed__too_far=20), min_cell=11))
    job = usages[JOB]
    assert (job.accepted.display, job.dismissed.display, job.decided.display) == ("12", "20", "32")
    assert job.rate == Fraction(12, 32) and job.rate_display == "38 %"


def test_one_small_part_masks_the_other_and_the_rate():
    """25 decisions, 3 retained: the total is shown, so the 22 dismissed would give the 3 back."""
    usages = by_kind(stats.usage_from_counts(counts(job__accepted=3, job__dismissed__too_far=22), min_cell=11))
    job = usages[JOB]
    assert (job.accepted.display, job.dismissed.display, job.decided.display) == ("< 11", "s", "25")
    assert job.rate is None and job.rate_display == "s"


def test_a_single_small_reason_masks_the_smallest_other_reason():
    usages = by_kind(
        stats.usage_from_counts(
            counts(
                service__accepted=30,
                service__dismissed__too_far=4,
                service__dismissed__not_relevant=15,
                service__dismissed__language=12,
            ),
            min_cell=11,
        )
    )
    reasons = {r.reason: r.count.display for r in usages[SERVICE].reasons}
    assert reasons[DismissReason.TOO_FAR] == "< 11"
    assert reasons[DismissReason.LANGUAGE] == "s"
    assert reasons[DismissReason.NOT_RELEVANT] == "15"
    assert reasons[DismissReason.OTHER] == "0"
    assert usages[SERVICE].dismissed.display == "31"
    assert usages[SERVICE].rate_display == "49 %"


def test_a_masked_dismissed_count_masks_every_non_zero_reason():
    """5 retained, 20 dismissed for one reason: the total (25) is shown and the dismissed count is
    masked, so a reason showing 20 would give 25 − 20 = 5 retained back."""
    usages = by_kind(
        stats.usage_from_counts({("job", "accepted", ""): 5, ("job", "dismissed", "not_relevant"): 20}, min_cell=11)
    )
    job = usages[JOB]
    assert (job.accepted.display, job.dismissed.display, job.decided.display) == ("< 11", "s", "25")
    reasons = {r.reason: r.count for r in job.reasons}
    assert reasons[DismissReason.NOT_RELEVANT].masked
    assert reasons[DismissReason.NOT_RELEVANT].display == "s"
    assert all(r.count.display == "0" for r in job.reasons if r.reason != DismissReason.NOT_RELEVANT)
    assert "20" not in {r.count.display for r in job.reasons}


def test_a_small_dismissed_count_masks_every_non_zero_reason():
    usages = by_kind(
        stats.usage_from_counts(
            counts(programme__accepted=30, programme__dismissed__too_far=3, programme__dismissed__language=2),
            min_cell=11,
        )
    )
    programme = usages[PROGRAMME]
    assert programme.dismissed.display == "< 11"
    displays = {r.reason: r.count.display for r in programme.reasons}
    assert displays[DismissReason.TOO_FAR] == "< 11" and displays[DismissReason.LANGUAGE] == "< 11"
    assert displays[DismissReason.OTHER] == "0"
