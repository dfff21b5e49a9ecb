"""What the database examined to answer a request: the reads the gateway sent, explained.

`ReadCapture` is a PyMongo command listener (pass it to `create_app(event_listeners=...)`)
that counts every command a request makes and keeps each read (`find`, `aggregate`, `count`,
`distinct`) as sent. `explain_reads` sends each read again as `explain` with `verbosity:
"executionStats"` and returns what the server reports it examined. The benchmark
(`bench/scale.py`) and tests that guard against O(collection) query shapes share them.

Explain shapes differ between servers; `examined_of` reads all of these:
- `find` (both servers): top-level `executionStats`.
- `aggregate` on SecantusDB 0.7: top-level `executionStats` *and* the same numbers under
  `stages[0].$cursor` (counted once). They cover the first `$match` only (the one stage it
  plans with an index; a pipeline not starting with one is a collection scan, reported as
  such); what later stages (`$lookup`, `$group`) read is not reported.
- `aggregate` on MongoDB: `executionStats` at the top level when the whole pipeline runs in
  the query layer, otherwise `stages[0].$cursor.executionStats`, with `$lookup` stages
  carrying their own `totalDocsExamined` / `totalKeysExamined` (counted too).
- A sharded cluster nests either shape under `shards.<name>`: summed.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pymongo import monitoring
from pymongo.asynchronous.mongo_client import AsyncMongoClient

READS = frozenset({"find", "aggregate", "count", "distinct"})
#: Commands of the gateway's own background work, not of the request being measured: the
#: token standing's change stream and the marks it writes (`resolvers/token_standing.py`).
_BACKGROUND_COLLECTIONS = frozenset({"standing_marks", "$cmd.aggregate"})
#: Fields the driver adds to a command (session, transaction, routing): not part of the read.
_DRIVER_FIELDS = frozenset(
    {
        "lsid",
        "$clusterTime",
        "$db",
        "txnNumber",
        "startTransaction",
        "autocommit",
        "readConcern",
        "$readPreference",
        "apiVersion",
        "apiStrict",
        "apiDeprecationErrors",
    }
)


@dataclass(frozen=True, slots=True)
class Read:
    """One read as the gateway sent it (driver fields left out), and to which database."""

    database: str
    command: dict[str, Any]

    @property
    def name(self) -> str:
        return next(iter(self.command))


def _background(name: str, command: Mapping[str, Any]) -> bool:
    target = command.get(name) if name != "getMore" else command.get("collection")
    if isinstance(target, str) and target in _BACKGROUND_COLLECTIONS:
        return True
    pipeline = command.get("pipeline") or [{}]
    return name == "aggregate" and "$changeStream" in pipeline[0]


class ReadCapture(monitoring.CommandListener):
    """Counts the commands sent since the last `take()`, and keeps the reads among them."""

    def __init__(self) -> None:
        self.operations: Counter[str] = Counter()
        self.reads: list[Read] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        name = event.command_name
        if _background(name, event.command):
            return
        self.operations[name] += 1
        if name in READS:
            command = {k: v for k, v in event.command.items() if k not in _DRIVER_FIELDS}
            self.reads.append(Read(event.database_name, copy.deepcopy(command)))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def take(self) -> tuple[Counter[str], list[Read]]:
        """What was sent since the last call, and start counting afresh."""
        taken = self.operations, self.reads
        self.operations, self.reads = Counter(), []
        return taken


@dataclass(frozen=True, slots=True)
class Examined:
    """What the server examined for one or more reads."""

    docs: int = 0
    keys: int = 0
    collection_scans: int = 0

    def __add__(self, other: Examined) -> Examined:
        return Examined(
            self.docs + other.docs,
            self.keys + other.keys,
            self.collection_scans + other.collection_scans,
        )


def _stages(plan: Any) -> Iterable[str]:
    """Every `stage` name in a plan tree."""
    if isinstance(plan, Mapping):
        if isinstance(plan.get("stage"), str):
            yield plan["stage"]
        for value in plan.values():
            yield from _stages(value)
    elif isinstance(plan, list):
        for value in plan:
            yield from _stages(value)


def _from_stats(stats: Mapping[str, Any], planner: Mapping[str, Any] | None) -> Examined:
    scans = sum(stage == "COLLSCAN" for stage in _stages((planner or {}).get("winningPlan")))
    return Examined(
        int(stats.get("totalDocsExamined", 0)), int(stats.get("totalKeysExamined", 0)), scans
    )


def examined_of(explained: Mapping[str, Any]) -> Examined:
    """Documents and keys examined, and collection scans, from one `explain` answer."""
    if "shards" in explained:
        return sum((examined_of(shard) for shard in explained["shards"].values()), Examined())
    total = Examined()
    if "executionStats" in explained:
        total = _from_stats(explained["executionStats"], explained.get("queryPlanner"))
    for stage in explained.get("stages", ()):
        cursor = stage.get("$cursor")
        if cursor is not None:
            if "executionStats" not in explained:  # SecantusDB repeats the top level here
                total += _from_stats(cursor.get("executionStats", {}), cursor.get("queryPlanner"))
        else:  # MongoDB: a `$lookup` and its like report what they read
            total += Examined(
                int(stage.get("totalDocsExamined", 0)),
                int(stage.get("totalKeysExamined", 0)),
                int(stage.get("collectionScans", 0)),
            )
    return total


async def explain_reads(
    client: AsyncMongoClient[dict[str, Any]], reads: Sequence[Read]
) -> list[Examined]:
    """Explain each read with `executionStats` (which runs it again, reading only)."""
    explained = []
    for read in reads:
        answer = await client[read.database].command(
            {"explain": read.command, "verbosity": "executionStats"}
        )
        explained.append(examined_of(answer))
    return explained
