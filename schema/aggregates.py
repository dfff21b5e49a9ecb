"""Aggregates for partners (SPEC §6): usage trends and ad audiences, k-anonymous, no identifiers."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum

import strawberry

from authz.aggregates import K, suppressed
from authz.interests import interest_problem, normalized
from resolvers.aggregates import audience_size, usage_counts
from schema.context import Info
from schema.errors import bad_user_input
from schema.types import ContentKind

#: The longest window one `usageTrends` call may cover.
MAX_WINDOW = timedelta(days=366 * 2)


@strawberry.enum
class TrendPeriod(Enum):
    WEEK = "WEEK"
    MONTH = "MONTH"


@strawberry.type(description=f"A count, or null where its group has fewer than {K} accounts.")
class KindCount:
    kind: ContentKind
    count: int | None


@strawberry.type
class UsageTrend:
    period: str
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
    info: Info,
    period: TrendPeriod = TrendPeriod.WEEK,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[UsageTrend]:
    context = info.context
    until = until or context.now
    since = since or until - timedelta(days=365)
    if not since < until or until - since > MAX_WINDOW:
        raise bad_user_input("since", "`since` must be before `until`, at most two years apart.")
    rows = await usage_counts(context.db, period.value, since, until)
    return [
        UsageTrend(
            period=label,
            sign_ups=suppressed(row["sign_ups"]),
            active_accounts=suppressed(row["active"]),
            content_created=[
                KindCount(kind=ContentKind(kind), count=suppressed(count))
                for kind, count in sorted(row["content"].items())
            ],
        )
        for label, row in rows.items()
    ]


async def resolve_ad_audience(info: Info, interest: str | None) -> AdAudience:
    if interest is None:
        raise bad_user_input("interest", "Name the interest to count.")
    if problem := interest_problem(interest):
        raise bad_user_input("interest", f"{problem}.")
    clean = normalized(interest)
    count = suppressed(await audience_size(info.context.db, clean))
    return AdAudience(interest=clean, accounts=count, suppressed=count is None)
