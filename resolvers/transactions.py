"""All-or-nothing writes across documents, wherever the server can do them.

A replica set (MongoDB's, or the embedded server, which reports one) runs the block in a
transaction; a standalone server cannot, and there the callers' writes are ordered so that
repeating them finishes what a crash interrupted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

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
