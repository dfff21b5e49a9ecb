"""Counts for partners, read from the rollups (`resolvers.rollups`): no document about a
person leaves the database, and no request counts over a collection. A count is
kept the first time it is published (`published_counts`) and answered from there after: an
erasure, a deleted item or a changed setting later never changes a published number, so two
answers cannot be differenced to that one change.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from authz.aggregates import Cell
from resolvers import rollups
from resolvers.collections import COUNTERS, PUBLISHED_COUNTS
from resolvers.rollup_rebuild import Unsettled, rebuild
from resolvers.rollups import ACTIVE_ACCOUNTS, CONTENT_CREATED, SIGN_UPS, Metric
from resolvers.transactions import kept_whatever_happens

log = logging.getLogger(__name__)

__all__ = ["ACTIVE_ACCOUNTS", "CONTENT_CREATED", "SIGN_UPS", "Metric", "audience_size", "cells"]


async def cells(
    db: AsyncDatabase[Any], metrics: Sequence[Metric], labels: Sequence[str]
) -> dict[Metric, dict[tuple[str, str | None], Cell]]:
    """Per metric, period (`labels`, all ended) and split value: the count and its accounts,
    as first published. Only cells never published are read from the rollups, and published:
    two round trips when all are published, a few more otherwise, however many periods."""
    ids = {
        (metric, label, split): metric.cell(label, split)
        for metric in metrics
        for label in labels
        for split in metric.splits
    }
    stored = await _published(db, list(ids.values()))
    if missing := [key for key in ids.values() if key not in stored]:
        stored |= await _publish(db, missing)
    found: dict[Metric, dict[tuple[str, str | None], Cell]] = {metric: {} for metric in metrics}
    for (metric, label, split), key in ids.items():
        found[metric][(label, split)] = stored.get(key, Cell())
    return found


async def audience_size(db: AsyncDatabase[Any], interest: str, period: str) -> int:
    """Active accounts that allow personalised ads and list `interest`, as first published in
    the aligned `period` (one number per interest and period, however often it is asked)."""
    key = f"audience|{interest}|{period}"
    stored = await _published(db, [key])
    if key not in stored:
        stored |= await _publish(db, [key], counter=f"audience|{interest}")
    return stored.get(key, Cell()).value


#: Published numbers, once read: they never change, so memory answers for them after.
#: By database name, then key (a process may serve several databases, as the tests do).
_MEMORY: dict[str, dict[str, Cell]] = defaultdict(dict)


async def _published(db: AsyncDatabase[Any], keys: list[str]) -> dict[str, Cell]:
    """The cells of `keys` published so far (from memory once read)."""
    memory = _MEMORY[db.name]
    if unknown := [key for key in keys if key not in memory]:
        for doc in await rollups.by_ids(db, PUBLISHED_COUNTS, unknown):
            memory[doc["_id"]] = Cell(doc["value"], doc["accounts"])
    return {key: memory[key] for key in keys if key in memory}


def forget_published() -> None:
    """Drop what memory holds (for a benchmark that drops the published numbers)."""
    _MEMORY.clear()


async def _publish(
    db: AsyncDatabase[Any], keys: list[str], counter: str | None = None
) -> dict[str, Cell]:
    """Publish `keys` from the rollups (or, for one key, from the `counter` named) and read
    them back as stored; none while a rebuild runs (its numbers are not final).

    `$setOnInsert`: of two first publications at once, the first one stored wins.
    """
    if not await _settled(db):
        return {}
    sources = [counter] if counter else keys
    found = {doc["_id"]: doc for doc in await rollups.by_ids(db, COUNTERS, sources)}
    counted = {key: _cell(found.get(source, {})) for key, source in zip(keys, sources, strict=True)}
    await db[PUBLISHED_COUNTS].bulk_write(
        [
            UpdateOne(
                {"_id": key},
                {"$setOnInsert": {"value": cell.value, "accounts": cell.accounts}},
                upsert=True,
            )
            for key, cell in counted.items()
        ],
        ordered=False,
    )
    return await _published(db, keys)


#: How long a drift check holds, per database: SecantusDB counts a collection's size by
#: reading it (1.1 s for 20,000 accounts; MongoDB reads it from metadata).
DRIFT_CHECKED_FOR = 60.0
_DRIFT_CHECKED: dict[str, float] = {}


async def _settled(db: AsyncDatabase[Any]) -> bool:
    """Whether the rollups may be published: no rebuild runs, and none is needed (or it was
    just done). Outside any enclosing transaction: a rebuild stays whatever the request's
    fate, and counting a collection's size cannot run in a transaction."""
    async with kept_whatever_happens(db):
        if await rollups.rebuilding(db):
            return False
        if time.monotonic() - _DRIFT_CHECKED.get(db.name, -DRIFT_CHECKED_FOR) < DRIFT_CHECKED_FOR:
            return True
        if await rollups.drifted(db):
            log.warning("collections changed around the gateway: rebuilding the rollups")
            try:
                await rebuild(db, lambda step, done: None)
            except Unsettled:  # another replica rebuilds, or writes kept changing the counts
                return False
        _DRIFT_CHECKED[db.name] = time.monotonic()
    return True


def _cell(doc: dict[str, Any]) -> Cell:
    """A rollup cell; an audience counter counts accounts, so its accounts are its value."""
    value = doc.get("value", doc.get("n", 0))
    return Cell(value, doc.get("accounts", value))
