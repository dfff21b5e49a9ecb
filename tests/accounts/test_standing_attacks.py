"""A change behind a backlog of other writes still binds: memory is trusted only once the
stream has brought back a mark written after the change.

A stream round proves nothing by itself: SecantusDB reads at most a few hundred log entries of
the database per round before it filters, so when many writes to other collections become
visible at once (one transaction's commit: an operator's job, another service, a gateway
transaction), rounds come back empty while the change is still unread behind them (measured:
5,000 entries, 1.1 s; 20,000, 1.8 s). Trusting such rounds let a signed-out token in again.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from gateway.settings import Settings
from resolvers import collections as c
from resolvers.demo_world import account_id
from resolvers.token_standing import FRESHNESS
from tests.client import GatewayClient, running
from tests.processes import gateway_process
from tests.standing import (
    SIGN_OUT,
    StandingReads,
    asking,
    asking_process,
    committed_backlog,
    refused_within_the_bound,
    warm,
    warm_process,
)

ALICE = account_id("alice")


async def test_a_sign_out_right_after_a_committed_backlog_binds_every_later_request(
    settings: Settings, demo_db: AsyncDatabase[Any], mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    """Observed: [401, 401, 200 x ~60, 401 …]: refused, then accepted again for about a second
    on the very process that signed it out."""
    reads = StandingReads()
    async with running(settings, event_listeners=[reads]) as gateway:
        token = gateway.token("alice")
        alice = asking(gateway, token)
        await warm(alice, reads)
        await committed_backlog(mongo, demo_db, 10_000)
        assert await gateway.query(SIGN_OUT, token=token) == {
            "data": {"signOut": {"signedOut": True}}
        }
        answers = []
        until = time.monotonic() + 2 * FRESHNESS
        while time.monotonic() < until:
            answers.append(await alice())
            await asyncio.sleep(0.02)
        assert set(answers) == {401}, f"a signed-out token was accepted: {answers}"


async def test_an_operators_suspension_behind_a_committed_backlog_binds_after_the_bound(
    settings: Settings, demo_db: AsyncDatabase[Any], mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    """The cross-replica bound: a suspension committed more than FRESHNESS ago still lets the
    token act while the stream scans the backlog in front of it."""
    reads = StandingReads()
    async with running(settings, event_listeners=[reads]) as gateway:
        alice = asking(gateway, gateway.token("alice"))
        await warm(alice, reads)
        await committed_backlog(mongo, demo_db, 30_000)
        await demo_db[c.ACCOUNTS].update_one({"_id": ALICE}, {"$set": {"status": "SUSPENDED"}})
        await refused_within_the_bound(alice, time.monotonic())


async def test_a_sign_out_through_one_process_behind_a_backlog_binds_the_other_after_the_bound(
    settings: Settings,
    gateway: GatewayClient,
    demo_db: AsyncDatabase[Any],
    mongo: AsyncMongoClient[dict[str, Any]],
) -> None:
    """Two `imoox-gateway serve` processes over one database, as in test_token_standing."""
    token = gateway.token("alice")
    async with gateway_process(settings) as first, gateway_process(settings) as second:
        await warm_process(first, asking_process(first, token))
        await warm_process(second, asking_process(second, token))
        await committed_backlog(mongo, demo_db, 30_000)
        response = await first.post(
            "/graphql", json={"query": SIGN_OUT}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.json() == {"data": {"signOut": {"signedOut": True}}}
        changed_at = time.monotonic()
        await refused_within_the_bound(asking_process(second, token), changed_at)
