"""How useful the recommendations are: per kind of proposal, how many were retained and dismissed
(active decisions only: a decision shown again no longer counts), the acceptance rate and the
dismissal reasons, for a set of départements and from a date. Aggregates only, never a person.

Statistical confidentiality (settings.PUBLICATION_MIN_CELL, 11): a count strictly between 0 and the
threshold is shown as "< 11"; 0 is shown (it designates nobody). The rate is shown only when its
denominator reaches the threshold and neither of its parts is masked (otherwise rate × denominator
would give the masked count back). Among the dismissal reasons, when exactly one is masked, the
smallest other non-zero reason is masked too (the dismissed total would give it back), and likewise
when only one of retained / dismissed is masked, the other is (their sum is shown). When the
dismissed count is masked, every non-zero reason is masked too (the reasons add up to it). A count
masked only for one of these reasons is shown as "s" (secret statistique)."""

import datetime
from dataclasses import dataclass, field
from fractions import Fraction

from django.conf import settings
from django.db.models import Count

from .enums import DismissReason, FeedbackDecision, RecommendationKind
from .models import RecommendationFeedback


@dataclass
class Cell:
    """One published count: its value and whether it is masked."""

    value: int
    masked: bool
    min_cell: int

    @property
    def display(self) -> str:
        if not self.masked:
            return str(self.value)
        # A small count; or a larger one masked because it would give a small one back ("s").
        return f"< {self.min_cell}" if self.value < self.min_cell else "s"


@dataclass
class ReasonUsage:
    reason: str
    label: str
    count: Cell


@dataclass
class KindUsage:
    kind: str
    label: str
    accepted: Cell
    dismissed: Cell
    decided: Cell
    # accepted / (accepted + dismissed); None when nothing was decided or when masked.
    rate: Fraction | None
    rate_masked: bool
    reasons: list[ReasonUsage] = field(default_factory=list)

    @property
    def rate_display(self) -> str:
        if self.rate_masked:
            return "s"
        if self.rate is None:
            return "—"
        return f"{round(float(self.rate) * 100)} %"

    @property
    def rate_percent(self) -> int | None:
        """The rate in whole percents when it may be shown (for the chart)."""
        if self.rate_masked or self.rate is None:
            return None
        return round(float(self.rate) * 100)


def _cell(value: int, min_cell: int) -> Cell:
    return Cell(value=value, masked=0 < value < min_cell, min_cell=min_cell)


def decision_counts(*, departements: list[str] | None, since: datetime.date | None) -> dict[tuple[str, str, str], int]:
    """(kind, decision, reason) → number of active decisions: one SQL aggregation."""
    queryset = RecommendationFeedback.objects.filter(revoked_at__isnull=True)
    if departements is not None:
        queryset = queryset.filter(departement_id__in=departements)
    if since is not None:
        queryset = queryset.filter(decided_at__date__gte=since)
    rows = queryset.order_by().values_list("kind", "decision", "reason").annotate(n=Count("id"))
    return {(kind, decision, reason): n for kind, decision, reason, n in rows}


def usage_from_counts(counts: dict[tuple[str, str, str], int], *, min_cell: int) -> list[KindUsage]:
    """Pure: the published figures per kind from the raw counts."""
    usages = []
    for kind in RecommendationKind:
        accepted = sum(n for (k, d, _r), n in counts.items() if k == kind and d == FeedbackDecision.ACCEPTED)
        by_reason = {r: n for (k, d, r), n in counts.items() if k == kind and d == FeedbackDecision.DISMISSED}
        dismissed = sum(by_reason.values())
        decided = accepted + dismissed
        accepted_cell, dismissed_cell, decided_cell = (
            _cell(accepted, min_cell),
            _cell(dismissed, min_cell),
            _cell(decided, min_cell),
        )
        if not decided_cell.masked and accepted_cell.masked != dismissed_cell.masked:
            # decided − the shown part would give the masked part back.
            accepted_cell.masked = dismissed_cell.masked = True
        rate = Fraction(accepted, decided) if decided else None
        rate_masked = decided > 0 and (decided < min_cell or accepted_cell.masked or dismissed_cell.masked)
        reasons = [
            ReasonUsage(
                reason=reason.value, label=str(reason.label), count=_cell(by_reason.get(reason.value, 0), min_cell)
            )
            for reason in DismissReason
        ]
        masked = [r for r in reasons if r.count.masked]
        if dismissed_cell.masked:
            # The reasons add up to the dismissed count: one shown would give it (and, with the
            # shown total, the retained count) back. Every non-zero reason is masked.
            for r in reasons:
                r.count.masked = r.count.value > 0
        elif len(masked) == 1:
            others = [r for r in reasons if not r.count.masked and r.count.value > 0]
            if others:
                min(others, key=lambda r: r.count.value).count.masked = True
        usages.append(
            KindUsage(
                kind=kind.value,
                label=str(kind.label),
                accepted=accepted_cell,
                dismissed=dismissed_cell,
                decided=decided_cell,
                rate=None if rate_masked else rate,
                rate_masked=rate_masked,
                reasons=reasons,
            )
        )
    return usages


def acceptance_by_kind(*, departements: list[str] | None, since: datetime.date | None) -> list[KindUsage]:
    """Per kind (jobs, services, programmes): retained, dismissed, rate and dismissal reasons, masked
    under settings.PUBLICATION_MIN_CELL. `departements` None: every département."""
    counts = decision_counts(departements=departements, since=since)
    return usage_from_counts(counts, min_cell=settings.PUBLICATION_MIN_CELL)
