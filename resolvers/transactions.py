"""All-or-nothing writes across documents, wherever the server can do them.

A replica set (MongoDB's, or the embedded server, which reports one) runs the block in a
transaction; a standalone server cannot, and there the callers' writes are ordered so that
repeating them finishes what a crash interrupted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

_SUPPORT: dict[int, bool] = {}


async def _supports_transactions(db: AsyncDatabase[Any]) -> bool:
    client = db.client
    if id(client) not in _SUPPORT:
        hello = await client.admin.command("hello")
        _SUPPORT[id(client)] = bool(hello.get("setName") or hello.get("msg") == "isdbgrid")
    return _SUPPORT[id(client)]


@asynccontextmanager
async def atomic(db: AsyncDatabase[Any]) -> AsyncIterator[AsyncClientSession | None]:
    """A session in a transaction (committed when the block ends, aborted if it raises)."""
    if not await _supports_transactions(db):
        yield None
        return
    async with db.client.start_session() as session, await session.start_transaction():
        yield session
