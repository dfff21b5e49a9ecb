"""Recount every rollup and counter from the collections (`imoox-gateway rollups rebuild`).

For after a bulk load around the gateway, or to check the counters: it reads the counted
collections once, computes what the writes would have counted (with the same functions as
`resolvers.rollups`, so a rebuild equals the incremental counts by construction), and writes
only the counters and marks that differ, then deletes those that should not exist.

Safe while serving: a `rebuild` document in `COUNTERS` says it runs, and while it exists no
aggregate publishes a new number (published ones are answered as always), since a count
read half-way would be published for good. A write the gateway counts while the rebuild
runs may be overwritten by a number read before it; so the rebuild passes again until a pass
finds nothing to change (a write landed in between: another pass), and only then drops the
`rebuild` document. Idempotent and resumable: a second run finds nothing to change, and a
run that stopped half-way leaves the `rebuild` document, so nothing is published from its
numbers until a run finishes.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pymongo import DeleteOne, InsertOne, ReplaceOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from resolvers.collections import ACCOUNTS, CONTENT, COUNTERS, ROLLUP_MARKS
from resolvers.documents import DUPLICATE_KEY
from resolvers.leases import held
from resolvers.rollups import (
    ACTIVE_ACCOUNTS,
    CONTENT_CREATED,
    FIELDS,
    MARKED,
    REBUILD,
    Changes,
    account_counts,
    owner_counts,
    rebuilding,
    total,
)

log = logging.getLogger(__name__)

#: Documents per progress report and per bulk write.
STEP = 5_000
#: Passes before giving up under a steady stream of writes (the `rebuild` document stays).
MAX_PASSES = 5

#: Called with what is being done and how far it got (documents read or written).
Progress = Callable[[str, int], None]


class Unsettled(RuntimeError):
    """Writes kept changing the counts while they were rebuilt: run it again."""


async def rebuild(db: AsyncDatabase[Any], progress: Progress) -> int:
    """Recount everything; how many counter and mark documents it changed in all. One
    process at a time (`resolvers.leases`): `Unsettled` if another one is rebuilding."""
    async with held(db, "rollups", REBUILD) as mine:
        if not mine:
            raise Unsettled("another process is rebuilding the rollups; run it again later")
        return await _rebuild(db, progress)


async def resume_rebuild(db: AsyncDatabase[Any]) -> bool:
    """Finish a rebuild that stopped half-way (its `rebuild` document is left) and that no
    live process runs; whether this process did."""
    if not await rebuilding(db):
        return False
    async with held(db, "rollups", REBUILD) as mine:
        # Looked at again under the lease: its previous holder may have just finished.
        if mine and await rebuilding(db):
            await _rebuild(db, lambda step, done: None)
            log.warning("resumed an interrupted rollups rebuild")
            return True
    return False


async def _rebuild(db: AsyncDatabase[Any], progress: Progress) -> int:
    await db[COUNTERS].update_one(
        {"_id": REBUILD}, {"$setOnInsert": {"started_at": datetime.now(UTC)}}, upsert=True
    )
    changed = 0
    for _ in range(MAX_PASSES):
        counters, marks = await expected(db, progress)
        written = await _store(db, COUNTERS, counters, progress)
        written += await _store(db, ROLLUP_MARKS, marks, progress)
        changed += written
        if not written:
            await db[COUNTERS].delete_one({"_id": REBUILD})
            return changed
    raise Unsettled(f"the counts still changed after {MAX_PASSES} passes; run it again")


async def expected(
    db: AsyncDatabase[Any], progress: Progress
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Every counter and mark document as the collections say they should be, by id."""
    counts: Changes = Changes(Counter)
    per_mark: Counter[tuple[str, str]] = Counter()
    for collection, fields in FIELDS.items():
        read = 0
        # An account half-way through erasure is counted no more.
        found = db[collection].find({"uncounted": {"$ne": True}}, dict.fromkeys(fields, 1))
        async for doc in found.batch_size(STEP):
            read += 1
            if read % STEP == 0:
                progress(f"reading {collection}", read)
            if collection == ACCOUNTS:
                for key, amounts in account_counts(doc).items():
                    counts[key].update(amounts)
                continue
            metric = CONTENT_CREATED if collection == CONTENT else ACTIVE_ACCOUNTS
            for cell in metric.cells_of(doc):
                per_mark[(cell, doc[metric.account])] += 1
            for key, amounts in owner_counts(collection, [doc]).items():
                counts[key].update(amounts)
        progress(f"read {collection}", read)
        counts[total(collection)]["n"] = read
    for (cell, _), n in per_mark.items():
        counts[cell]["value"] += 1 if MARKED["|".join(cell.split("|")[:2])].distinct else n
        counts[cell]["accounts"] += 1
    counters = {key: _counter(key, amounts) for key, amounts in counts.items()}
    marks = {
        f"{cell}|{account}": {"_id": f"{cell}|{account}", "cell": cell, "account": account, "n": n}
        for (cell, account), n in per_mark.items()
    }
    return counters, marks


def _counter(key: str, amounts: Counter[str]) -> dict[str, Any]:
    doc: dict[str, Any] = {"_id": key, **amounts}
    kind, _, rest = key.partition("|")
    if kind == "content":
        doc["account"] = rest
    return doc


async def _store(
    db: AsyncDatabase[Any], collection: str, wanted: dict[str, dict[str, Any]], progress: Progress
) -> int:
    """Make `collection` hold exactly `wanted` (but the `rebuild` document); how many
    documents that changed."""
    writes: list[InsertOne[Any] | ReplaceOne[Any] | DeleteOne] = []
    seen: set[str] = set()
    async for doc in db[collection].find({"_id": {"$ne": REBUILD}}).batch_size(STEP):
        seen.add(doc["_id"])
        want = wanted.get(doc["_id"])
        if want is None:
            writes.append(DeleteOne({"_id": doc["_id"]}))
        elif _differs(doc, want):
            writes.append(ReplaceOne({"_id": doc["_id"]}, want))
    # Inserted rather than upserted: SecantusDB inserts about 2.5x faster. A document a
    # concurrent write inserted first is refused by its id and left for the next pass to
    # compare.
    writes += [InsertOne(doc) for key, doc in wanted.items() if key not in seen]
    for start in range(0, len(writes), STEP):
        try:
            await db[collection].bulk_write(writes[start : start + STEP], ordered=False)
        except BulkWriteError as error:
            if any(e["code"] != DUPLICATE_KEY for e in error.details["writeErrors"]):
                raise
        progress(f"writing {collection}", min(start + STEP, len(writes)))
    return len(writes)


def _differs(stored: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """Whether two counter documents say different things (a missing number is zero)."""
    names = (stored.keys() | wanted.keys()) - {"_id"}
    return any(stored.get(name, 0) != wanted.get(name, 0) for name in names)
