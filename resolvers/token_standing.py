"""A token's standing in memory: revoked ids and account status, proven fresh or not used.

Every signed-in request asks whether its token or session was revoked and whether its account
still lets it act (`authz/token_accounts.refusal`). Reading both costs two queries per request;
`TokenStanding` answers from memory instead, kept current by a change stream on the two
collections that decide it, and answers from memory only while it can prove it is current:

- Every `MARK_EVERY` the process rewrites its own mark (`standing_marks`) and notes when it
  began to. A change stream delivers changes in commit order, so when the stream brings that
  mark back, every change committed before the mark was written has been applied:
  `fresh_as_of` is when the last mark brought back was written. (A stream round proves
  nothing by itself: SecantusDB reads a bounded stretch of its log per round before it
  filters, so a round can come back empty with the change still unread behind other writes.)
- Memory is used only while `fresh_as_of` is less than `FRESHNESS` old. So a change committed
  at any moment, by any process or operator, binds every request that starts more than
  `FRESHNESS` after it, on every replica: either the stream brought it, or the cache is stale
  and the request reads the database (stream down, slow, not yet started, no change streams on
  the server).
- Memory is used only while `fresh_as_of` is later than this process's last write to those
  collections (`LocalWrites`, a listener on the gateway's client), so a sign-out or an admin
  action binds this process's very next request, before the stream brings it.

A missing entry is read from the database and kept unless a change was applied while it was
being read (`_generation`). Whatever cannot be proven current is read, exactly as without it.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from cachetools import LRUCache
from prometheus_client import Counter
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError
from pymongo.monitoring import (
    CommandFailedEvent,
    CommandListener,
    CommandStartedEvent,
    CommandSucceededEvent,
)

from resolvers import tokens
from resolvers.admin import account_standing_of_token
from resolvers.background import stop
from resolvers.collections import ACCOUNTS, REVOKED_TOKENS, STANDING_MARKS

log = logging.getLogger(__name__)

#: How old the proof of freshness may be: the bound within which a change binds every replica.
FRESHNESS = 1.0
#: How often the process writes its mark (well under FRESHNESS).
MARK_EVERY = 0.25
#: How long one round waits for changes when there are none (under MARK_EVERY).
ROUND_WAIT_MS = 100
#: A round (a wait for changes, a mark's write) not answered within this is on a lost
#: connection (one dropped without a reset, a stalled server) and is given up, instead of
#: waiting minutes for TCP keep-alive with memory unusable meanwhile. A wait for changes is
#: then resumed by PyMongo on a new connection from its resume token, which replays what was
#: missed (a server that no longer holds that point refuses to resume: the stream starts
#: over); a mark's write fails, and the stream starts over.
ROUND_TIMEOUT_MS = 5000
#: A mark outlives its process this long, then expires.
MARK_KEPT = timedelta(hours=1)
#: Accounts kept (least recently used go first): about 200 bytes each.
ACCOUNTS_KEPT = 100_000
#: Waits between attempts to reopen a broken stream.
FIRST_RETRY, LAST_RETRY = 0.1, 30.0
#: The stream's client names itself so (server logs, `currentOp`, fail points in tests).
STREAM_APP_NAME = "imoox-token-standing"

_DOCUMENT_CHANGES = ("insert", "update", "replace", "delete")
#: Document changes in the two collections and the marks, and everything else (a drop, a
#: rename, an invalidation), which makes the stream start over.
_PIPELINE: list[Mapping[str, Any]] = [
    {
        "$match": {
            "$or": [
                {"ns.coll": {"$in": [ACCOUNTS, REVOKED_TOKENS, STANDING_MARKS]}},
                {"operationType": {"$nin": list(_DOCUMENT_CHANGES)}},
            ]
        }
    }
]

CHECKS = Counter(
    "imoox_token_standing_checks_total",
    "Token standing checks (revocation, account) by where the answer came from.",
    ["source"],
)
_FROM_MEMORY = CHECKS.labels(source="memory")
_FROM_DATABASE = CHECKS.labels(source="database")


class _StartOver(Exception):
    """The stream can no longer be followed event by event: open a new one."""


class TokenStanding:
    """Answers `is_revoked` and `account` like the database does, from memory when warm."""

    def __init__(self, accounts_kept: int = ACCOUNTS_KEPT) -> None:
        self._revoked: set[str] = set()
        self._accounts: LRUCache[str, Mapping[str, Any] | None] = LRUCache(accounts_kept)
        self._generation = 0
        self._fresh_as_of: float | None = None
        self._local_write = -math.inf
        self._mark_id = f"mark:{uuid.uuid4().hex}"
        #: Marks written and not yet brought back: number → when its writing began.
        self._marks: dict[int, float] = {}
        self._mark_number = 0
        self.local_writes = LocalWrites(self)

    def _fresh(self) -> bool:
        fresh = self._fresh_as_of
        return (
            fresh is not None and fresh > self._local_write and time.monotonic() - fresh < FRESHNESS
        )

    def wrote(self) -> None:
        """This process wrote what decides standing: read until the stream has it."""
        self._local_write = time.monotonic()

    async def is_revoked(
        self, db: AsyncDatabase[Any], token_id: str, session_id: str | None
    ) -> bool:
        """`resolvers.tokens.is_revoked`, from memory when fresh."""
        if self._fresh():
            _FROM_MEMORY.inc()
            return not self._revoked.isdisjoint(tokens.revocation_keys(token_id, session_id))
        _FROM_DATABASE.inc()
        return await tokens.is_revoked(db, token_id, session_id)

    async def account(self, db: AsyncDatabase[Any], account: str) -> Mapping[str, Any] | None:
        """`resolvers.admin.account_standing_of_token`, from memory when fresh and known."""
        if self._fresh() and account in self._accounts:
            _FROM_MEMORY.inc()
            return self._accounts[account]
        _FROM_DATABASE.inc()
        generation = self._generation
        standing = await account_standing_of_token(db, account)
        if generation == self._generation:
            self._accounts[account] = standing
        return standing

    @asynccontextmanager
    async def following(self, uri: str, database: str) -> AsyncIterator[None]:
        """Follow the database's changes in the background while the context is open."""
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            uri, appname=STREAM_APP_NAME, socketTimeoutMS=ROUND_TIMEOUT_MS
        )
        running = asyncio.Event()
        running.set()
        task = asyncio.create_task(self._follow(client[database], running), name="token-standing")
        try:
            yield
        finally:
            # Its client closes before the wait (`stop`): a stream read the driver retried ends.
            await stop(task, running, client)

    async def _follow(self, db: AsyncDatabase[Any], running: asyncio.Event) -> None:
        """Follow the stream until stopped, opening it anew (after a growing wait) when it
        breaks."""
        retry = FIRST_RETRY
        while running.is_set():
            try:
                await self._follow_one_stream(db)
            except (PyMongoError, _StartOver) as error:
                if not running.is_set():
                    return
                log.warning(
                    "token standing: stream stopped, reading the database until it is back",
                    extra={"error": str(error)},
                )
            if self._fresh_as_of is not None:
                retry = FIRST_RETRY
            self._fresh_as_of = None
            await asyncio.sleep(retry)
            retry = min(retry * 2, LAST_RETRY)

    async def _follow_one_stream(self, db: AsyncDatabase[Any]) -> None:
        self._fresh_as_of = None
        self._marks.clear()
        stream = await db.watch(_PIPELINE, max_await_time_ms=ROUND_WAIT_MS)
        async with stream:
            # Only now that the stream is open: a change after this point reaches it, and an
            # entry read before it is not kept (the generation moves on).
            self._forget_accounts()
            self._revoked = {doc["_id"] async for doc in db[REVOKED_TOKENS].find({}, {"_id": 1})}
            next_mark = -math.inf
            while stream.alive:
                if time.monotonic() >= next_mark:
                    next_mark = time.monotonic() + MARK_EVERY
                    await self._write_mark(db)
                change = await stream.try_next()
                self._check_not_behind()
                if change is not None:
                    self._apply(change)
        raise _StartOver("the stream was closed")

    async def _write_mark(self, db: AsyncDatabase[Any]) -> None:
        """Rewrite this process's mark; when the stream brings it back, memory is current as
        of the moment the writing began."""
        self._mark_number += 1
        self._marks[self._mark_number] = time.monotonic()
        mark = {"number": self._mark_number, "expires_at": datetime.now(UTC) + MARK_KEPT}
        await db[STANDING_MARKS].replace_one({"_id": self._mark_id}, mark, upsert=True)

    def _apply(self, change: Mapping[str, Any]) -> None:
        kind = change["operationType"]
        if kind not in _DOCUMENT_CHANGES:
            raise _StartOver(f"a {kind} event")
        key = change["documentKey"]["_id"]
        collection = change["ns"]["coll"]
        if collection == ACCOUNTS:
            self._generation += 1
            self._accounts.pop(key, None)
        elif collection == REVOKED_TOKENS and kind == "delete":
            self._revoked.discard(key)
        elif collection == REVOKED_TOKENS:
            self._revoked.add(key)
        elif key == self._mark_id and kind != "delete":
            self._mark_back(change.get("fullDocument") or {})
        # Anything else is another process's mark, or a mark expiring.

    def _mark_back(self, mark: Mapping[str, Any]) -> None:
        """The stream brought this process's mark back: memory is current as of its writing."""
        number = mark.get("number")
        if number in self._marks:
            self._fresh_as_of = self._marks[number]
            self._marks = {n: began for n, began in self._marks.items() if n > number}

    def _check_not_behind(self) -> None:
        """Start over when a mark has been out longer than `FRESHNESS`: a stream that far
        behind may lose history. SecantusDB trims its log to its newest entries (100,000 by
        default) even past a live stream's position, and that stream then skips what was
        trimmed without an error, so a sign-out could be lost for good. Reopened, the
        stream starts at the log's end and memory is reloaded. (To lose an entry now, the log
        must take 100,000 writes within `FRESHNESS`; MongoDB ends a stream that lost history
        with an error, which starts over too.)"""
        if self._marks and time.monotonic() - min(self._marks.values()) > FRESHNESS:
            raise _StartOver("the stream fell behind")

    def _forget_accounts(self) -> None:
        self._generation += 1
        self._accounts.clear()


_Command = CommandStartedEvent | CommandSucceededEvent | CommandFailedEvent


def _command_key(event: _Command) -> tuple[object, ...]:
    """One command: request ids are random, but a connection runs one command at a time."""
    return (event.connection_id, event.server_connection_id, event.request_id)


#: Write commands, by the key that names their collection.
_WRITES = ("insert", "update", "delete", "findAndModify")
#: Commands that may change either collection whatever they name.
_WHOLESALE = ("commitTransaction", "bulkWrite", "drop", "dropDatabase", "renameCollection")


class LocalWrites(CommandListener):
    """Tells the cache when this process wrote what decides standing, once the write is done.

    On the gateway's client. A write in a transaction is seen by the stream only once committed,
    so the commit marks it too. A failed write marks it as well: it may have been applied.
    """

    def __init__(self, standing: TokenStanding) -> None:
        self._standing = standing
        self._pending: set[tuple[object, ...]] = set()

    def started(self, event: CommandStartedEvent) -> None:
        name = event.command_name
        if name in _WHOLESALE or (
            name in _WRITES and event.command.get(name) in (ACCOUNTS, REVOKED_TOKENS)
        ):
            self._pending.add(_command_key(event))

    def succeeded(self, event: CommandSucceededEvent) -> None:
        self._done(event)

    def failed(self, event: CommandFailedEvent) -> None:
        self._done(event)

    def _done(self, event: _Command) -> None:
        key = _command_key(event)
        if key in self._pending:
            self._pending.discard(key)
            self._standing.wrote()
