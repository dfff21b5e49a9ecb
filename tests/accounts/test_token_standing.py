"""Authentication answers from memory when warm, and an ended token still ends everywhere.

A token's standing (revoked or not, its account's status and cut-off) is kept in memory and
followed through a change stream (`resolvers/token_standing.py`). These tests hold the two
sides of that bargain through HTTP over the real database: a warm request reads neither
`revoked_tokens` nor `accounts`; a sign-out or admin action binds the next request of the process
that made it, and every request of any process that starts more than `FRESHNESS` after a change,
whoever made it, however the stream is doing.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from gateway.settings import Settings
from resolvers import collections as c
from resolvers import token_standing
from resolvers.demo_world import account_id
from resolvers.token_standing import FRESHNESS
from tests.client import GatewayClient, running
from tests.processes import gateway_process, until
from tests.standing import (
    SIGN_OUT,
    StandingReads,
    asking,
    asking_process,
    fail_point,
    held_stream,
    reading_again,
    refused_within_the_bound,
    warm,
    warm_process,
)

ALICE = account_id("alice")
BOB = account_id("bob")
SUSPEND_ALICE = (
    f'mutation {{ suspendAccount(input: {{accountId: "{ALICE}"}}) {{ account {{ id }} }} }}'
)


async def test_warm_authentication_reads_neither_revocations_nor_accounts(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    """40 warm requests read nothing. On a starved machine the stream can fall behind for a
    moment (a mark back later than `FRESHNESS`: it starts over and reloads, 3 reads), and then
    requests read, as they must; so up to three windows are asked for one that read nothing."""
    reads = StandingReads()
    async with running(settings, event_listeners=[reads]) as gateway:
        alice = asking(gateway, gateway.token("alice"))
        dora = asking(gateway, gateway.token("dora"))
        windows: list[Counter[str]] = []
        while len(windows) < 3 and Counter() not in windows:
            await warm(alice, reads)
            await warm(dora, reads)
            reads.commands.clear()
            for _ in range(20):
                assert await alice() == 200
                assert await dora() == 200
            windows.append(reads.commands.copy())
        assert Counter() in windows, windows


async def test_a_cold_account_is_read_once_then_answered_from_memory(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    """Warm for alice, then bob's first request reads his account and the next ones do not."""
    reads = StandingReads()
    async with running(settings, event_listeners=[reads]) as gateway:
        await warm(asking(gateway, gateway.token("alice")), reads)
        bob = asking(gateway, gateway.token("bob"))
        reads.commands.clear()
        assert await bob() == 200
        assert reads.commands["find"] >= 1, (
            "bob's account was never read: answered from memory without knowing it"
        )
        await warm(bob, reads)


async def test_a_sign_out_binds_the_next_request_of_its_gateway(
    settings: Settings, demo_db: AsyncDatabase[Any], mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    reads = StandingReads()
    async with running(settings, event_listeners=[reads]) as gateway:
        token = gateway.token("alice")
        alice = asking(gateway, token)
        await warm(alice, reads)
        async with held_stream(mongo):
            signed_out = await gateway.query(SIGN_OUT, token=token)
            assert signed_out == {"data": {"signOut": {"signedOut": True}}}
            assert await alice() == 401


async def test_an_admin_action_binds_the_next_request_of_its_gateway(
    settings: Settings, demo_db: AsyncDatabase[Any], mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    """The suspension is written in a transaction: its commit is what the gateway notes."""
    reads = StandingReads()
    async with running(settings, event_listeners=[reads]) as gateway:
        alice = asking(gateway, gateway.token("alice"))
        await warm(alice, reads)
        await warm(asking(gateway, gateway.token("dora")), reads)
        async with held_stream(mongo):
            assert "errors" not in await gateway.query(SUSPEND_ALICE, as_="dora")
            assert await alice() == 401


async def test_a_read_overtaken_by_a_change_is_not_kept(
    settings: Settings, demo_db: AsyncDatabase[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bob's first request reads his account; before it can keep what it read, his account is
    suspended and the stream brings the change: what it read is not kept."""
    reads = StandingReads()
    read_done, release = asyncio.Event(), asyncio.Event()
    real_read = token_standing.account_standing_of_token

    async def slow_read(db: AsyncDatabase[Any], account: str) -> Any:
        standing = await real_read(db, account)
        if account == BOB:
            read_done.set()
            await release.wait()
        return standing

    monkeypatch.setattr(token_standing, "account_standing_of_token", slow_read)
    async with running(settings, event_listeners=[reads]) as gateway:
        alice, bob = asking(gateway, gateway.token("alice")), asking(gateway, gateway.token("bob"))
        await warm(alice, reads)
        first = asyncio.create_task(bob())
        await read_done.wait()
        await demo_db[c.ACCOUNTS].update_one({"_id": BOB}, {"$set": {"status": "SUSPENDED"}})
        await asyncio.sleep(FRESHNESS)
        await warm(alice, reads)  # fresh as of a round that began after the suspension
        release.set()
        assert await first == 200  # it read before the suspension: concurrent with it
        assert await bob() == 401


async def test_an_operators_write_binds_every_request_after_the_bound(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    """A change made outside any gateway reaches the cache through the change stream."""
    reads = StandingReads()
    async with running(settings, event_listeners=[reads]) as gateway:
        alice = asking(gateway, gateway.token("alice"))
        await warm(alice, reads)
        await demo_db[c.ACCOUNTS].update_one({"_id": ALICE}, {"$set": {"status": "BLOCKED"}})
        await refused_within_the_bound(alice, time.monotonic())


async def test_a_stalled_stream_falls_back_to_reading(
    settings: Settings, demo_db: AsyncDatabase[Any], mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    """The stream hangs: once the cache cannot prove it is fresh, requests read the database."""
    reads = StandingReads()
    async with running(settings, event_listeners=[reads]) as gateway:
        alice = asking(gateway, gateway.token("alice"))
        await warm(alice, reads)
        async with fail_point(mongo, blockConnection=True, blockTimeMS=8000):
            await until(reading_again(alice, reads), "read the database again", within=5.0)
            await demo_db[c.ACCOUNTS].update_one({"_id": ALICE}, {"$set": {"status": "SUSPENDED"}})
            before = reads.commands["find"]
            assert await alice() == 401
            assert reads.commands["find"] > before


async def test_a_round_never_answered_is_given_up_and_what_it_missed_still_binds(
    settings: Settings, demo_db: AsyncDatabase[Any], mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    """One round's answer does not come (a connection lost without a reset looks so: the
    server holds the reply 40 s): the round ends at `ROUND_TIMEOUT_MS`, the stream goes on
    (resumed, or opened anew), and memory answers again long before the held reply would
    have come, knowing what changed meanwhile. Alice asks nothing while the round is held, so
    no read of hers can have put her new state in memory."""
    reads = StandingReads()
    async with running(settings, event_listeners=[reads]) as gateway:
        alice = asking(gateway, gateway.token("alice"))
        bob = asking(gateway, gateway.token("bob"))
        await warm(alice, reads)
        await warm(bob, reads)
        async with fail_point(mongo, {"times": 1}, blockConnection=True, blockTimeMS=40_000):
            await until(reading_again(bob, reads), "read the database again", within=5.0)
            held_since = time.monotonic()
            await demo_db[c.ACCOUNTS].update_one({"_id": ALICE}, {"$set": {"status": "SUSPENDED"}})
        await warm(bob, reads)
        assert time.monotonic() - held_since < 20.0
        assert await alice() == 401


async def test_changes_while_the_stream_is_broken_are_not_lost(
    settings: Settings, demo_db: AsyncDatabase[Any], mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    """The stream fails and is opened anew, missing what changed meanwhile: nothing known from
    before is served from memory then. Alice asks nothing during the outage, so no read of hers
    can have put her new state in memory."""
    reads = StandingReads()
    async with running(settings, event_listeners=[reads]) as gateway:
        alice = asking(gateway, gateway.token("alice"))
        await warm(alice, reads)
        async with fail_point(mongo, errorCode=2):
            await asyncio.sleep(1.0)  # the round in flight ends; the ones after it fail
            await demo_db[c.ACCOUNTS].update_one({"_id": ALICE}, {"$set": {"status": "SUSPENDED"}})
        await warm(asking(gateway, gateway.token("bob")), reads)  # the stream is back
        assert await alice() == 401


async def _two_processes_then(
    settings: Settings,
    gateway: GatewayClient,
    change: Callable[[httpx.AsyncClient, str], Awaitable[None]],
) -> None:
    """Warm two gateway processes with alice's token, `change` through the first (given its
    client and alice's token), and the second refuses her within the bound."""
    token = gateway.token("alice")
    async with gateway_process(settings) as first, gateway_process(settings) as second:
        await warm_process(first, asking_process(first, token))
        await warm_process(second, asking_process(second, token))
        await change(first, token)
        changed_at = time.monotonic()
        assert await asking_process(first, token)() == 401
        await refused_within_the_bound(asking_process(second, token), changed_at)


async def test_a_sign_out_through_one_process_binds_the_other_within_the_bound(
    settings: Settings, gateway: GatewayClient
) -> None:
    async def sign_out(first: httpx.AsyncClient, token: str) -> None:
        response = await first.post(
            "/graphql", json={"query": SIGN_OUT}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.json() == {"data": {"signOut": {"signedOut": True}}}

    await _two_processes_then(settings, gateway, sign_out)


async def test_a_suspension_through_one_process_binds_the_other_within_the_bound(
    settings: Settings, gateway: GatewayClient
) -> None:
    async def suspend(first: httpx.AsyncClient, token: str) -> None:
        dora = gateway.token("dora")
        response = await first.post(
            "/graphql", json={"query": SUSPEND_ALICE}, headers={"Authorization": f"Bearer {dora}"}
        )
        assert "errors" not in response.json()

    await _two_processes_then(settings, gateway, suspend)


async def test_an_operators_write_binds_both_processes_within_the_bound(
    settings: Settings, gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    token = gateway.token("alice")
    async with gateway_process(settings) as first, gateway_process(settings) as second:
        asks = [asking_process(first, token), asking_process(second, token)]
        await warm_process(first, asks[0])
        await warm_process(second, asks[1])
        await demo_db[c.ACCOUNTS].update_one(
            {"_id": ALICE}, {"$set": {"tokens_valid_after": datetime.now(UTC)}}
        )
        changed_at = time.monotonic()
        await asyncio.gather(*(refused_within_the_bound(ask, changed_at) for ask in asks))
