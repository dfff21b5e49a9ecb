"""Counts for partners, computed by the server: no document about a person leaves the database.

Every pipeline ends in `$group`, so only counts per group come back over the wire. A count is
kept the first time it is published (`published_counts`) and answered from there after: an
erasure, a deleted item or a changed setting later never changes a published number, so two
answers cannot be differenced to that one change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, assert_never

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from authz.aggregates import Cell
from authz.periods import PeriodKind
from resolvers.collections import (
    ACCOUNTS,
    CONTENT,
    CONTENT_KINDS,
    PUBLISHED_COUNTS,
    SIGN_INS,
)

_DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class Metric:
    """What to count: documents of `collection` timed by `at` and about the account `account`,
    per value of `split` (if any); `distinct` counts accounts instead of documents."""

    collection: str
    at: str
    account: str
    split: str | None = None
    distinct: bool = False

    @property
    def splits(self) -> tuple[str | None, ...]:
        return tuple(CONTENT_KINDS) if self.split == "kind" else (None,)


SIGN_UPS = Metric(ACCOUNTS, "created_at", "_id")
ACTIVE_ACCOUNTS = Metric(SIGN_INS, "at", "account", distinct=True)
CONTENT_CREATED = Metric(CONTENT, "created_at", "owner", split="kind")


def _label(kind: PeriodKind, field: str) -> dict[str, Any]:
    """The label of the period of `kind` holding `$field`, as `authz.periods` writes it."""
    at = f"${field}"
    # The week's Thursday decides its month, quarter and year (ISO 8601).
    thursday = {"$add": [at, {"$multiply": [{"$subtract": [4, {"$isoDayOfWeek": at}]}, _DAY_MS]}]}
    match kind:
        case PeriodKind.WEEK:
            return {"$dateToString": {"format": "%G-W%V", "date": at}}
        case PeriodKind.MONTH:
            return {"$dateToString": {"format": "%Y-%m", "date": thursday}}
        case PeriodKind.QUARTER:
            quarter = {"$ceil": {"$divide": [{"$month": thursday}, 3]}}
            year = {"$dateToString": {"format": "%Y", "date": thursday}}
            return {"$concat": [year, "-Q", {"$toString": quarter}]}
        case PeriodKind.YEAR:
            return {"$dateToString": {"format": "%G", "date": at}}
        case _:
            assert_never(kind)


async def cells(
    db: AsyncDatabase[Any],
    metric: Metric,
    kind: PeriodKind,
    since: datetime,
    until: datetime,
    labels: Sequence[str],
) -> dict[tuple[str, str | None], Cell]:
    """Per period of `kind` (its `labels` cover [since, until), all ended) and per split value:
    the count and its accounts, as first published."""
    live = await _live_cells(db, metric, kind, since, until)
    keys = [(label, split) for label in labels for split in metric.splits]
    ids = {key: f"{metric.collection}|{metric.at}|{key[0]}|{key[1]}" for key in keys}
    stored = await _published(db, {ids[key]: live.get(key, Cell()) for key in keys})
    return {key: stored[ids[key]] for key in keys}


async def _published(db: AsyncDatabase[Any], counted: dict[str, Cell]) -> dict[str, Cell]:
    """The cells as first published: stores the ones never published, reads back all."""

    async def read(keys: list[str]) -> dict[str, Cell]:
        found = db[PUBLISHED_COUNTS].find({"_id": {"$in": keys}})
        return {doc["_id"]: Cell(doc["value"], doc["accounts"]) async for doc in found}

    stored = await read(list(counted))
    new = [key for key in counted if key not in stored]
    if new:
        # `$setOnInsert`: of two first publications at once, the first one stored wins.
        await db[PUBLISHED_COUNTS].bulk_write(
            [
                UpdateOne(
                    {"_id": key},
                    {
                        "$setOnInsert": {
                            "value": counted[key].value,
                            "accounts": counted[key].accounts,
                        }
                    },
                    upsert=True,
                )
                for key in new
            ],
            ordered=False,
        )
        stored |= await read(new)
    return stored


async def _live_cells(
    db: AsyncDatabase[Any], metric: Metric, kind: PeriodKind, since: datetime, until: datetime
) -> dict[tuple[str, str | None], Cell]:
    split = f"${metric.split}" if metric.split else None
    pipeline: list[dict[str, Any]] = [
        {"$match": {metric.at: {"$gte": since, "$lt": until}}},
        {
            "$group": {
                "_id": {"p": _label(kind, metric.at), "s": split, "a": f"${metric.account}"},
                "n": {"$sum": 1},
            }
        },
        {"$group": {"_id": {"p": "$_id.p", "s": "$_id.s"}, "n": {"$sum": "$n"}, "a": {"$sum": 1}}},
    ]
    rows = await (await db[metric.collection].aggregate(pipeline)).to_list()
    return {
        (row["_id"]["p"], row["_id"].get("s")): Cell(
            value=row["a"] if metric.distinct else row["n"], accounts=row["a"]
        )
        for row in rows
    }


async def audience_size(db: AsyncDatabase[Any], interest: str, period: str) -> int:
    """Active accounts that allow personalised ads and list `interest`, as first published in
    the aligned `period` (one number per interest and period, however often it is asked)."""
    count = await db[ACCOUNTS].count_documents(
        {"ad_interests": interest, "settings.personalized_ads": True, "status": "ACTIVE"}
    )
    key = f"audience|{interest}|{period}"
    return (await _published(db, {key: Cell(count, count)}))[key].value
