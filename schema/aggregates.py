"""Aggregates for partners (SPEC §6): usage trends and ad audiences, k-anonymous, no identifiers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from enum import Enum

import strawberry

from authz.aggregates import Cell, K, shown, suppressed
from authz.interests import interest_problem, normalized
from authz.periods import EXAMPLES, LEVELS, NotAPeriod, Period, PeriodKind, parse, period_of, span
from resolvers.aggregates import (
    ACTIVE_ACCOUNTS,
    CONTENT_CREATED,
    SIGN_UPS,
    Metric,
    audience_size,
    cells,
)
from schema.enforcement.context import Info
from schema.protections.errors import bad_user_input
from schema.types import ContentKind

#: The most one `usageTrends` call may cover: two years of weeks.
MAX_WEEKS = 106
_INSTANT = timedelta(microseconds=1)


@strawberry.enum(
    description="Aligned UTC periods made of ISO weeks; a week belongs to the month of its"
    " Thursday, so every period is whole weeks and the periods nest."
)
class TrendPeriod(Enum):
    WEEK = "WEEK"
    MONTH = "MONTH"
    QUARTER = "QUARTER"
    YEAR = "YEAR"


@strawberry.type(description=f"A count, or null where its group has fewer than {K} accounts.")
class KindCount:
    kind: ContentKind
    count: int | None


@strawberry.type
class UsageTrend:
    period: str
    since: datetime
    until: datetime
    sign_ups: int | None
    active_accounts: int | None
    content_created: list[KindCount]


@strawberry.type
class AdAudience:
    interest: str
    accounts: int | None = strawberry.field(
        description=f"Null when fewer than {K} accounts match (suppressed)."
    )
    suppressed: bool


async def resolve_usage_trends(
    info: Info, period: TrendPeriod, since: str | None, until: str | None
) -> list[UsageTrend]:
    """Whole periods that have ended, never a window: nothing narrower than a period shows."""
    kind = PeriodKind(period.value)
    now = info.context.now
    named = _period("since", kind, since) if since else None
    last = _period("until", kind, until) if until else period_of(kind, now - _latest(kind, now))
    first = named or period_of(kind, last.end - timedelta(days=365))
    if first > last:
        raise bad_user_input("since", "`since` must not come after `until`.")
    if last.end > now:
        raise bad_user_input("until", "Only periods that have ended are published.")
    if last.end - first.start > MAX_WEEKS * timedelta(weeks=1):
        raise bad_user_input("since", f"At most {MAX_WEEKS} weeks per call.")
    periods = span(first, last)
    finer = LEVELS[: LEVELS.index(kind) + 1]
    labels = [label for level in finer for label in _labels(level, first, last)]
    by_metric = await cells(info.context.db, (SIGN_UPS, ACTIVE_ACCOUNTS, CONTENT_CREATED), labels)

    def counts(metric: Metric, split: str | None = None) -> dict[Period, int | None]:
        found = by_metric[metric]
        cell_of: Callable[[Period], Cell] = lambda p: found.get((p.label, split), Cell())  # noqa: E731
        return shown(cell_of, periods)

    sign_ups, active = counts(SIGN_UPS), counts(ACTIVE_ACCOUNTS)
    content = {kind: counts(CONTENT_CREATED, kind.value) for kind in ContentKind}
    return [
        UsageTrend(
            period=p.label,
            since=p.start,
            until=p.end,
            sign_ups=sign_ups[p],
            active_accounts=active[p],
            content_created=[KindCount(kind=k, count=content[k][p]) for k in ContentKind],
        )
        for p in periods
    ]


def _labels(level: PeriodKind, first: Period, last: Period) -> list[str]:
    """Every period of `level` that makes up `first` to `last`."""
    return [
        p.label for p in span(period_of(level, first.start), period_of(level, last.end - _INSTANT))
    ]


def _latest(kind: PeriodKind, now: datetime) -> timedelta:
    """How far back the last ended period of `kind` ends: just before the current one starts."""
    return now - period_of(kind, now).start + _INSTANT


def _period(argument: str, kind: PeriodKind, label: str) -> Period:
    try:
        return parse(kind, label)
    except NotAPeriod:
        example = EXAMPLES[kind]
        raise bad_user_input(
            argument, f"`{argument}` names a whole {kind.value.lower()}, like `{example}`."
        ) from None


async def resolve_ad_audience(info: Info, interest: str | None) -> AdAudience:
    if interest is None:
        raise bad_user_input("interest", "Name the interest to count.")
    if problem := interest_problem(interest):
        raise bad_user_input("interest", f"{problem}.")
    clean = normalized(interest)
    week = period_of(PeriodKind.WEEK, info.context.now).label
    count = suppressed(await audience_size(info.context.db, clean, week))
    return AdAudience(interest=clean, accounts=count, suppressed=count is None)
