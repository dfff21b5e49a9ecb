"""Aligned periods for aggregates (SPEC §6): ISO weeks, and months, quarters, years made of them.

Every period is a whole number of ISO weeks (Monday 00:00 UTC to Monday 00:00 UTC), and a week
belongs to the month that holds its Thursday, as ISO 8601 already assigns weeks to years. So
the periods nest: week ⊂ month ⊂ quarter ⊂ year. Calendar months would not hold whole weeks,
and a month minus the weeks inside it would then count the few days at its edges.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import assert_never


class PeriodKind(StrEnum):
    WEEK = "WEEK"
    MONTH = "MONTH"
    QUARTER = "QUARTER"
    YEAR = "YEAR"


#: Finest first: each kind's periods are unions of the periods of the kind before it.
LEVELS = (PeriodKind.WEEK, PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR)

#: How each kind's labels are written, e.g. `2026-W02`, `2026-01`, `2026-Q1`, `2026`.
EXAMPLES = {
    PeriodKind.WEEK: "2026-W02",
    PeriodKind.MONTH: "2026-01",
    PeriodKind.QUARTER: "2026-Q1",
    PeriodKind.YEAR: "2026",
}

#: ASCII digits: `\d` is any script's digits, which `int()` reads too.
_LABELS = {
    PeriodKind.WEEK: re.compile(r"([0-9]{4})-W([0-9]{2})"),
    PeriodKind.MONTH: re.compile(r"([0-9]{4})-([0-9]{2})"),
    PeriodKind.QUARTER: re.compile(r"([0-9]{4})-Q([0-9])"),
    PeriodKind.YEAR: re.compile(r"([0-9]{4})()"),
}
_WEEK = timedelta(weeks=1)


class NotAPeriod(ValueError):
    """A label that names no period of the kind asked for."""


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """One aligned period: the ISO weeks from `start` (a Monday) up to `end` (a Monday)."""

    start: datetime
    end: datetime
    kind: PeriodKind
    label: str

    @property
    def weeks(self) -> int:
        return (self.end - self.start) // _WEEK


def period_of(kind: PeriodKind, at: datetime) -> Period:
    """The period of `kind` holding the instant `at`."""
    monday = at.astimezone(UTC).date() - timedelta(days=at.astimezone(UTC).weekday())
    return _of_week(kind, monday)


def parse(kind: PeriodKind, label: str) -> Period:
    """The period `label` names, or `NotAPeriod`."""
    found = _LABELS[kind].fullmatch(label)
    if found is None:
        raise NotAPeriod(label)
    year, part = int(found[1]), int(found[2] or 1)
    try:
        match kind:
            case PeriodKind.WEEK:
                monday = date.fromisocalendar(year, part, 1)
            case PeriodKind.MONTH:
                monday = _first_week_of_month(year, part)
            case PeriodKind.QUARTER:
                if not 1 <= part <= 4:
                    raise NotAPeriod(label)
                monday = _first_week_of_month(year, 3 * part - 2)
            case PeriodKind.YEAR:
                monday = date.fromisocalendar(year, 1, 1)
            case _:
                assert_never(kind)
        period = _of_week(kind, monday)
    except (ValueError, OverflowError) as error:  # not a date, or past the calendar's end
        raise NotAPeriod(label) from error
    if period.label != label:
        raise NotAPeriod(label)
    return period


def following(period: Period) -> Period:
    return _of_week(period.kind, period.end.date())


def span(first: Period, last: Period) -> list[Period]:
    """`first`, `last` and every period of their kind between them."""
    periods = [first]
    while periods[-1] < last:
        periods.append(following(periods[-1]))
    return periods


def _first_week_of_month(year: int, month: int) -> date:
    """The Monday of the first week whose Thursday lies in `month` of `year`."""
    first = date(year, month, 1)
    thursday = first + timedelta(days=(3 - first.weekday()) % 7)
    return thursday - timedelta(days=3)


def _of_week(kind: PeriodKind, monday: date) -> Period:
    """The period of `kind` holding the ISO week that starts on `monday`."""
    thursday = monday + timedelta(days=3)
    match kind:
        case PeriodKind.WEEK:
            iso = monday.isocalendar()
            first, after, label = monday, monday + _WEEK, f"{iso.year}-W{iso.week:02d}"
        case PeriodKind.MONTH:
            year, month = thursday.year, thursday.month
            first = _first_week_of_month(year, month)
            after = _first_week_of_month(year + month // 12, month % 12 + 1)
            label = f"{year}-{month:02d}"
        case PeriodKind.QUARTER:
            year, quarter = thursday.year, (thursday.month - 1) // 3 + 1
            first = _first_week_of_month(year, 3 * quarter - 2)
            after = _first_week_of_month(year + quarter // 4, (3 * quarter) % 12 + 1)
            label = f"{year}-Q{quarter}"
        case PeriodKind.YEAR:
            year = thursday.year
            first = date.fromisocalendar(year, 1, 1)
            after = date.fromisocalendar(year + 1, 1, 1)
            label = str(year)
        case _:
            assert_never(kind)
    return Period(_midnight(first), _midnight(after), kind, label)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)
