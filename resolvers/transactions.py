"""All-or-nothing writes across documents, wherever the server can do them.

A replica set (MongoDB's, or the embedded server, which reports one) runs the block in a
transaction; a standalone server cannot, and there the callers' writes are ordered so that
repeating them finishes what a crash interrupted.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

T = TypeVar("T")

#: How long a write keeps running again while it loses write conflicts (below the execution
#: timeout, 10 s, which bounds the operation anyway), and the longest wait between two runs.
PATIENCE_SECONDS = 8.0
LONGEST_WAIT = 0.25

_SUPPORT: dict[int, bool] = {}

#: The transaction a whole operation runs in (reject mode), which every `atomic` block joins.
_ENCLOSING: ContextVar[AsyncClientSession | None] = ContextVar("enclosing", default=None)


async def supports_transactions(db: AsyncDatabase[Any]) -> bool:
    client = db.client
    if id(client) not in _SUPPORT:
        hello = await client.admin.command("hello")
        _SUPPORT[id(client)] = bool(hello.get("setName") or hello.get("msg") == "isdbgrid")
    return _SUPPORT[id(client)]


def in_enclosing_transaction() -> bool:
    """Whether the running code is part of an operation's enclosing transaction."""
    return _ENCLOSING.get() is not None


@asynccontextmanager
async def atomic(db: AsyncDatabase[Any]) -> AsyncIterator[AsyncClientSession | None]:
    """A session in a transaction (committed when the block ends, aborted if it raises).

    Inside `enclosing_transaction`, the block is part of that transaction instead.
    """
    if (enclosing := _ENCLOSING.get()) is not None:
        yield enclosing
        return
    if not await supports_transactions(db):
        yield None
        return
    async with db.client.start_session() as session, await session.start_transaction():
        yield session


def turns() -> Iterator[float]:
    """The waits before each new run of a write that lost a write conflict: random (so the
    losers do not meet again), doubling up to `LONGEST_WAIT` (so a crowd of writers of one
    counter spreads out and takes turns), for `PATIENCE_SECONDS` in all: a count of attempts
    gave up while a crowd was still taking its turns (the attack review: 1 to 4 of 40
    comments on one item, 8 at a time, answered a fault)."""
    deadline = time.monotonic() + PATIENCE_SECONDS
    attempt = 1
    while time.monotonic() < deadline:
        yield random.uniform(0, min(LONGEST_WAIT, 0.01 * 2**attempt))
        attempt += 1


async def retried(
    db: AsyncDatabase[Any], work: Callable[[AsyncClientSession | None], Awaitable[T]]
) -> T:
    """`work` in `atomic`, run again when the server reports a conflict with another
    transaction (`TransientTransactionError`, as `with_transaction` would).

    For writes to documents many requests change (counters): two at once conflict, and
    one of them waits a moment and runs again. Inside an enclosing transaction, the whole
    operation fails instead, which only it could repeat.
    """
    waits = turns()
    while True:
        try:
            async with atomic(db) as session:
                return await work(session)
        except PyMongoError as error:
            transient = error.has_error_label("TransientTransactionError")
            wait = next(waits, None) if transient and not in_enclosing_transaction() else None
            if wait is None:
                raise
        await asyncio.sleep(wait)


@asynccontextmanager
async def kept_whatever_happens(db: AsyncDatabase[Any]) -> AsyncIterator[None]:
    """Writes in the block stay even if an enclosing transaction is rolled back.

    For what an attempt must leave behind whatever becomes of the operation it is part of: a
    failed sign-in counts toward the lockout, even in a document reject mode refuses.
    """
    token = _ENCLOSING.set(None)
    try:
        async with db.client.start_session() as session, session.bind(end_session=False):
            yield
    finally:
        _ENCLOSING.reset(token)


class Transaction:
    """An enclosing transaction whose outcome is decided after its block: commit or roll back."""

    def __init__(self) -> None:
        self.roll_back = False


@asynccontextmanager
async def enclosing_transaction(db: AsyncDatabase[Any]) -> AsyncIterator[Transaction]:
    """Every database operation in the block, however deep, in one transaction.

    The session is bound to the block's context (PyMongo's `bind`), so reads and writes that
    name no session join it, and `atomic` blocks inside join it rather than commit on their own.
    The block commits unless it raises or sets `roll_back`.
    """
    outcome = Transaction()
    async with db.client.start_session() as session:
        await session.start_transaction()
        token = _ENCLOSING.set(session)
        try:
            async with session.bind(end_session=False):
                yield outcome
        except BaseException:
            await session.abort_transaction()
            raise
        finally:
            _ENCLOSING.reset(token)
        if outcome.roll_back:
            await session.abort_transaction()
        else:
            await session.commit_transaction()
