"""Request counts per (key, minute), shared by every gateway process through the database.

Rate limits must hold across replicas, but a round trip per request would double the cost of
the cheapest ones. So each process counts in memory and sends what it counted in one bulk
write every `FLUSH_SECONDS` (sooner for a key with a batch of requests unsent: `RateLimiter`
waits for that flush), then reads the totals back. A limit compares the last total read plus
what this process counted since; with N processes a key gets at most `limit + 2 * (N - 1) *
batch` requests in a minute, a limit's batch being `batch` or a share of the limit
(`schema.protections.throttle.LIMIT_SHARE`), whichever is more (README "Several replicas").

Keys are stored hashed, so the collection holds no address or account id in clear (a hash of
an IPv4 address can be reversed by trying them all: the documents expire two minutes after
their window). No caller ever reads a count; all one learns is its own refusal.
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pymongo
from pymongo import AsyncMongoClient, ReturnDocument, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from resolvers.background import closed, stop
from resolvers.collections import RATE_COUNTS
from resolvers.rollups import by_ids

log = logging.getLogger(__name__)

APP_NAME = "imoox-rate-counts"
#: The length of a counting window: the limits are per minute.
WINDOW_SECONDS = 60
#: How often a process sends what it counted.
FLUSH_SECONDS = 0.25
#: How long a flush may take before it counts as failed (the database is unreachable).
FLUSH_TIMEOUT_SECONDS = 2.0
#: Keys remembered at most; beyond, those with nothing unsent are forgotten first (forgetting
#: a total only means reading it again at the next flush).
MAX_TALLIES = 200_000


@dataclass(slots=True)
class Tally:
    """One key's requests in one window, as this process knows them."""

    total: int = 0  # the database's count when last read (this process's sent ones included)
    sending: int = 0  # sent, not yet read back
    unsent: int = 0

    @property
    def count(self) -> int:
        return self.total + self.sending + self.unsent


class RateCounts:
    """This process's tallies, and the flushes that share them."""

    def __init__(self, *, batch: int, clock: Callable[[], float] = time.time) -> None:
        self.batch = batch
        # The wall clock: every replica must agree on which minute it is.
        self.clock = clock
        self._tallies: dict[tuple[str, int], Tally] = {}
        self._db: AsyncDatabase[Any] | None = None
        self._flushing = asyncio.Lock()
        #: Whether the last flush reached the database (none failed yet counts as reached).
        self.sharing = True

    def now(self) -> tuple[int, float]:
        """The current window, and how far into it we are (0 to 1)."""
        now = self.clock()
        return int(now // WINDOW_SECONDS), (now % WINDOW_SECONDS) / WINDOW_SECONDS

    def tally(self, key: str, window: int) -> Tally:
        try:
            return self._tallies[key, window]
        except KeyError:  # not `setdefault`: that builds a `Tally` each time, for nothing
            tally = self._tallies[key, window] = Tally()
            return tally

    def seen(self, key: str, window: int) -> int:
        tally = self._tallies.get((key, window))
        return tally.count if tally else 0

    async def flush(self) -> None:
        """Send every unsent count and read the totals back. Raises `PyMongoError` when the
        database cannot be reached; what was not sent stays unsent (sent twice at worst,
        which only counts too much)."""
        async with self._flushing:
            self._forget()
            due = {key: tally for key, tally in self._tallies.items() if tally.unsent}
            if not due:
                return
            if self._db is None:
                raise PyMongoError("rate counts have no database yet")
            for tally in due.values():
                tally.sending, tally.unsent = tally.unsent, 0
            ids = {_stored_id(*key): key for key in due}
            try:
                with pymongo.timeout(FLUSH_TIMEOUT_SECONDS):
                    await self._db[RATE_COUNTS].bulk_write(
                        [
                            UpdateOne(
                                {"_id": stored},
                                {"$inc": {"n": due[key].sending}, "$setOnInsert": _expiry(key[1])},
                                upsert=True,
                            )
                            for stored, key in ids.items()
                        ],
                        ordered=False,
                    )
                    totals = await by_ids(self._db, RATE_COUNTS, list(ids))
            except PyMongoError:
                self.sharing = False
                for tally in due.values():
                    tally.unsent, tally.sending = tally.unsent + tally.sending, 0
                raise
            self.sharing = True
            for doc in totals:
                due[ids[doc["_id"]]].total = doc["n"]
            for tally in due.values():
                tally.sending = 0

    async def count_now(self, key: str, window: int) -> tuple[int, int]:
        """Count one request of `key` in the database at once; the previous window's count
        and this one's (this request included). For rare requests that must be counted
        exactly (sign-in attempts); raises `PyMongoError` if the database cannot be reached."""
        if self._db is None:
            raise PyMongoError("rate counts have no database yet")
        # In a context of its own: a reject-mode operation binds its transaction's session to
        # the request's context, and an attempt must count even when that is rolled back.
        return await asyncio.create_task(self._count(key, window), context=contextvars.Context())

    async def _count(self, key: str, window: int) -> tuple[int, int]:
        assert self._db is not None
        collection = self._db[RATE_COUNTS]
        previous, current = await asyncio.gather(
            collection.find_one({"_id": _stored_id(key, window - 1)}),
            collection.find_one_and_update(
                {"_id": _stored_id(key, window)},
                {"$inc": {"n": 1}, "$setOnInsert": _expiry(window)},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            ),
        )
        assert current is not None  # upserted
        return (previous["n"] if previous else 0), current["n"]

    @asynccontextmanager
    async def flushing(self, uri: str, database: str) -> AsyncIterator[None]:
        """Share counts through `database` while inside: a flush every `FLUSH_SECONDS`.

        On a client of their own (appName `imoox-rate-counts`): a flush never waits for a
        connection of the requests' pool, and listeners on the gateway's client see only
        what requests do."""
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            uri,
            appname=APP_NAME,
            tz_aware=True,
            serverSelectionTimeoutMS=int(FLUSH_TIMEOUT_SECONDS * 1000),
        )
        self._db = client[database]
        running = asyncio.Event()
        running.set()
        task = asyncio.create_task(self._flush_forever(running))
        try:
            yield
        finally:
            await stop(task, running)
            self._db = None
            await closed(client)

    async def _flush_forever(self, running: asyncio.Event) -> None:
        failing = False
        while running.is_set():
            await asyncio.sleep(FLUSH_SECONDS)
            try:
                await self.flush()
            except PyMongoError as error:
                if not failing:
                    log.warning("rate counts cannot be shared", extra={"error": str(error)})
                failing = True
            else:
                if failing:
                    log.info("rate counts are shared again")
                failing = False

    def _forget(self) -> None:
        """Drop windows before the previous one, and keys beyond `MAX_TALLIES`."""
        current, _ = self.now()
        for key in [key for key in self._tallies if key[1] < current - 1]:
            del self._tallies[key]
        excess = len(self._tallies) - MAX_TALLIES
        if excess > 0:
            idle = [key for key, tally in self._tallies.items() if not tally.unsent]
            for key in idle[:excess]:
                del self._tallies[key]


def _stored_id(key: str, window: int) -> str:
    """The key hashed (no address or account id is stored), with its window."""
    digest = hashlib.blake2b(key.encode(), digest_size=16, person=b"imoox-rate").hexdigest()
    return f"{digest}:{window}"


def _expiry(window: int) -> dict[str, datetime]:
    """A window's count is read until the window after it ends; then the TTL index drops it."""
    return {"expires_at": datetime.fromtimestamp((window + 2) * WINDOW_SECONDS, UTC)}
