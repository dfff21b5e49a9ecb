"""Storage of disclosure records: written in groups, kept when an account is erased."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Sequence
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers.collections import DISCLOSURES
from resolvers.transactions import in_enclosing_transaction


async def record_disclosures(db: AsyncDatabase[Any], records: Sequence[dict[str, Any]]) -> None:
    await db[DISCLOSURES].insert_many(list(records), ordered=False)


class DisclosureWriter:
    """Writes the records of concurrent operations together: one `insert_many` per group.

    Group commit: while an insert is in flight, records queue; when it returns, everything
    queued goes in the next insert. A lone operation's records go at once (no delay is ever
    added), and each caller of `write` returns only once the insert carrying its records has
    succeeded, or raises what made it fail: a failed insert fails every write it carried, so
    no operation of the group may answer with data whose record may be missing.
    """

    def __init__(self, db: AsyncDatabase[Any]) -> None:
        self.db = db
        self._queue: list[tuple[list[dict[str, Any]], asyncio.Future[None]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def write(self, records: Sequence[dict[str, Any]]) -> None:
        """Store `records`; raises (e.g. `PyMongoError`) if they may not have been stored."""
        if in_enclosing_transaction():
            # The operation runs in one transaction (reject mode): its records belong to it,
            # committed or rolled back with its writes, never in another operation's group.
            await record_disclosures(self.db, records)
            return
        stored = asyncio.get_running_loop().create_future()
        self._queue.append((list(records), stored))
        if self._flushing is None:
            # A context of its own: the flush must never join a caller's bound session.
            self._flushing = asyncio.create_task(self._flush(), context=contextvars.Context())
        await stored

    async def flush(self) -> None:
        """Return once every record handed to `write` so far has been inserted or has failed
        (shutting down: nothing may be left queued when the client closes)."""
        while self._flushing is not None:
            await asyncio.shield(self._flushing)

    async def _flush(self) -> None:
        group: list[tuple[list[dict[str, Any]], asyncio.Future[None]]] = []
        try:
            while self._queue:
                group, self._queue = self._queue, []
                try:
                    await record_disclosures(self.db, [r for records, _ in group for r in records])
                except Exception as error:
                    _settle(group, error)
                else:
                    _settle(group, None)
        finally:
            # Cancelled (the loop is closing): whoever still waits is cancelled too, never
            # left waiting, and never told its records were stored.
            for _, stored in [*group, *self._queue]:
                stored.cancel()
            self._queue = []
            self._flushing = None


def _settle(
    group: list[tuple[list[dict[str, Any]], asyncio.Future[None]]], error: Exception | None
) -> None:
    """Tell each writer of a group how its insert went (one that stopped waiting is skipped)."""
    for _, stored in group:
        if stored.done():
            continue
        if error is None:
            stored.set_result(None)
        else:
            stored.set_exception(error)
