"""Asking whether a token still works, how soon an ended one must stop working, and whether
the gateway answered from memory or read the token's standing (`resolvers/token_standing.py`).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.database import AsyncDatabase

from resolvers import collections as c
from resolvers.token_standing import FRESHNESS, ROUND_WAIT_MS, STREAM_APP_NAME
from tests.client import GatewayClient
from tests.processes import until

#: One request with a token: its HTTP status.
Ask = Callable[[], Awaitable[int]]


def asking(gateway: GatewayClient, token: str, query: str = "{ __typename }") -> Ask:
    async def ask() -> int:
        response = await gateway.post(query, headers={"Authorization": f"Bearer {token}"})
        return response.status_code

    return ask


async def refused_within_the_bound(ask: Ask, changed_at: float) -> None:
    """A change made outside the gateway (an operator's write) binds every request that starts
    more than FRESHNESS after it (`resolvers/token_standing.py`); once refused, the token stays
    refused. `changed_at` is a monotonic moment after the change was committed."""
    answers = []
    while time.monotonic() <= changed_at + FRESHNESS:
        answers.append(await ask())
        await asyncio.sleep(0.02)
    answers.append(await ask())
    answers.append(await ask())
    assert answers[-2:] == [401, 401], answers
    assert set(answers) <= {200, 401}, answers
    assert answers == sorted(answers), f"a refused token was accepted again: {answers}"


TYPENAME = "{ __typename }"


SIGN_OUT = "mutation { signOut(input: {}) { signedOut } }"


STANDING_COLLECTIONS = {c.ACCOUNTS, c.REVOKED_TOKENS}


class StandingReads(monitoring.CommandListener):
    """Counts the commands the gateway's client sends to `accounts` and `revoked_tokens`."""

    def __init__(self) -> None:
        self.commands: Counter[str] = Counter()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        collection = event.command.get(event.command_name)
        if isinstance(collection, str) and collection in STANDING_COLLECTIONS:
            self.commands[event.command_name] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def answers_until_from_memory(
    ask: Ask, reads: StandingReads, within: float = 15.0
) -> list[int]:
    """The statuses of requests asked until one is answered without reading its standing (the
    stream has proven memory fresh), that one last."""
    statuses: list[int] = []

    async def answered_from_memory() -> bool:
        before = sum(reads.commands.values())
        statuses.append(await ask())
        return sum(reads.commands.values()) == before

    await until(answered_from_memory, "answered from memory", within)
    return statuses


def reading_again(ask: Ask, reads: StandingReads) -> Callable[[], Awaitable[bool]]:
    """Whether the next request, let in, read its standing (memory could not prove fresh)."""

    async def read_again() -> bool:
        before = reads.commands["find"]
        assert await ask() == 200
        return reads.commands["find"] > before

    return read_again


async def warm(ask: Ask, reads: StandingReads) -> None:
    """Until a signed-in request is answered without reading its standing, all let in."""
    assert set(await answers_until_from_memory(ask, reads)) == {200}


@asynccontextmanager
async def fail_point(
    mongo: AsyncMongoClient[dict[str, Any]], mode: str | dict[str, int] = "alwaysOn", **data: Any
) -> AsyncIterator[None]:
    """A server fail point on the standing stream's getMore commands (its client's appName)."""
    await mongo.admin.command(
        "configureFailPoint",
        "failCommand",
        mode=mode,
        data={"failCommands": ["getMore"], "appName": STREAM_APP_NAME, **data},
    )
    try:
        yield
    finally:
        await mongo.admin.command("configureFailPoint", "failCommand", mode="off")


@asynccontextmanager
async def held_stream(mongo: AsyncMongoClient[dict[str, Any]]) -> AsyncIterator[None]:
    """The stream's next rounds hang, while the cache still counts as fresh for a while: what
    binds the gateway's next request then is its own write, not the stream."""
    async with fail_point(mongo, blockConnection=True, blockTimeMS=5000):
        await asyncio.sleep(ROUND_WAIT_MS / 1000 + 0.05)  # the round in flight ends
        yield


def asking_process(http: httpx.AsyncClient, token: str) -> Ask:
    async def ask() -> int:
        response = await http.post(
            "/graphql", json={"query": TYPENAME}, headers={"Authorization": f"Bearer {token}"}
        )
        return response.status_code

    return ask


async def answered_from_memory(http: httpx.AsyncClient) -> float:
    """How many standing checks this process answered from memory (its `/metrics`)."""
    text = (await http.get("/metrics")).text
    for line in text.splitlines():
        if line.startswith('imoox_token_standing_checks_total{source="memory"}'):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def warm_process(http: httpx.AsyncClient, ask: Ask) -> None:
    async def from_memory() -> bool:
        before = await answered_from_memory(http)
        assert await ask() == 200
        return await answered_from_memory(http) > before

    await until(from_memory, "answered from memory")


async def committed_backlog(
    mongo: AsyncMongoClient[dict[str, Any]], db: AsyncDatabase[Any], rows: int
) -> None:
    """`rows` writes to a collection the standing does not follow, in the gateway's database,
    made visible at once (one transaction's commit)."""
    async with mongo.start_session() as session:
        await session.start_transaction()
        await db["review_backlog"].insert_many(
            [{"n": i} for i in range(rows)], ordered=False, session=session
        )
        await session.commit_transaction()
