"""Counts for partners, computed by the server: no document about a person leaves the database.

Every pipeline ends in `$group`, so only counts per group come back over the wire.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers.collections import ACCOUNTS, CONTENT, SIGN_INS

#: `$dateToString` formats: ISO weeks (`2026-W03`) and months (`2026-01`).
PERIOD_FORMATS = {"WEEK": "%G-W%V", "MONTH": "%Y-%m"}


def _by_period(field: str, period: str) -> dict[str, Any]:
    return {"$dateToString": {"format": PERIOD_FORMATS[period], "date": f"${field}"}}


async def _counts(
    db: AsyncDatabase[Any], collection: str, pipeline: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    return await (await db[collection].aggregate(pipeline)).to_list()


async def usage_counts(
    db: AsyncDatabase[Any], period: str, since: datetime, until: datetime
) -> dict[str, dict[str, Any]]:
    """Per period: sign-ups, distinct active accounts, and content created per kind."""

    def window(field: str) -> dict[str, Any]:
        return {"$match": {field: {"$gte": since, "$lt": until}}}

    sign_ups = await _counts(
        db,
        ACCOUNTS,
        [
            window("created_at"),
            {"$group": {"_id": _by_period("created_at", period), "n": {"$sum": 1}}},
        ],
    )
    active = await _counts(
        db,
        SIGN_INS,
        [
            window("at"),
            {"$group": {"_id": {"p": _by_period("at", period), "a": "$account"}}},
            {"$group": {"_id": "$_id.p", "n": {"$sum": 1}}},
        ],
    )
    created = await _counts(
        db,
        CONTENT,
        [
            window("created_at"),
            {
                "$group": {
                    "_id": {"p": _by_period("created_at", period), "k": "$kind"},
                    "n": {"$sum": 1},
                }
            },
        ],
    )
    rows: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"sign_ups": 0, "active": 0, "content": {}}
    )
    for row in sign_ups:
        rows[row["_id"]]["sign_ups"] = row["n"]
    for row in active:
        rows[row["_id"]]["active"] = row["n"]
    for row in created:
        rows[row["_id"]["p"]]["content"][row["_id"]["k"]] = row["n"]
    return dict(sorted(rows.items()))


async def audience_size(db: AsyncDatabase[Any], interest: str) -> int:
    """Active accounts that allow personalised ads and list `interest`."""
    return await db[ACCOUNTS].count_documents(
        {"ad_interests": interest, "settings.personalized_ads": True, "status": "ACTIVE"}
    )
