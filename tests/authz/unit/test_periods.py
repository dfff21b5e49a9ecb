"""Aggregate periods nest: ISO weeks, and months, quarters, years made of whole weeks."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise

import pytest

from authz.periods import LEVELS, NotAPeriod, PeriodKind, parse, period_of, span


@pytest.mark.parametrize(
    ("kind", "label", "start", "end"),
    [
        (
            PeriodKind.WEEK,
            "2026-W02",
            datetime(2026, 1, 5, tzinfo=UTC),
            datetime(2026, 1, 12, tzinfo=UTC),
        ),
        # January 2026: the weeks whose Thursday is in January (Mon 29 Dec … Mon 2 Feb).
        (
            PeriodKind.MONTH,
            "2026-01",
            datetime(2025, 12, 29, tzinfo=UTC),
            datetime(2026, 2, 2, tzinfo=UTC),
        ),
        (
            PeriodKind.QUARTER,
            "2026-Q1",
            datetime(2025, 12, 29, tzinfo=UTC),
            datetime(2026, 3, 30, tzinfo=UTC),
        ),
        (
            PeriodKind.YEAR,
            "2026",
            datetime(2025, 12, 29, tzinfo=UTC),
            datetime(2027, 1, 4, tzinfo=UTC),
        ),
    ],
)
def test_a_label_names_whole_iso_weeks(
    kind: PeriodKind, label: str, start: datetime, end: datetime
) -> None:
    period = parse(kind, label)
    assert (period.start, period.end, period.label) == (start, end, label)
    assert period.start.weekday() == period.end.weekday() == 0


def test_every_period_lies_inside_the_periods_of_the_coarser_kinds() -> None:
    at = datetime(2026, 3, 31, 23, 59, tzinfo=UTC)  # in the week holding Thursday 2 April
    periods = [period_of(kind, at) for kind in LEVELS]
    assert [p.label for p in periods] == ["2026-W14", "2026-04", "2026-Q2", "2026"]
    for finer, coarser in pairwise(periods):
        assert coarser.start <= finer.start < finer.end <= coarser.end


def test_a_span_lists_each_period_between_its_ends_once() -> None:
    labels = [
        p.label
        for p in span(parse(PeriodKind.MONTH, "2025-11"), parse(PeriodKind.MONTH, "2026-02"))
    ]
    assert labels == ["2025-11", "2025-12", "2026-01", "2026-02"]


@pytest.mark.parametrize(
    ("kind", "label"),
    [
        (PeriodKind.WEEK, "2026-W54"),
        (PeriodKind.WEEK, "2026-02"),
        (PeriodKind.MONTH, "2026-13"),
        (PeriodKind.MONTH, "2026-1"),
        (PeriodKind.QUARTER, "2026-Q5"),
        (PeriodKind.YEAR, "99999"),
        (PeriodKind.YEAR, "0000"),
        (PeriodKind.YEAR, "\u0662\u0660\u0662\u0666"),  # Arabic-Indic digits
        (PeriodKind.MONTH, "\uff12\uff10\uff12\uff16-01"),  # fullwidth digits
        (PeriodKind.QUARTER, "2026-Q\u0661"),
    ],
)
def test_a_label_that_names_no_period_of_its_kind_is_refused(kind: PeriodKind, label: str) -> None:
    with pytest.raises(NotAPeriod):
        parse(kind, label)
