"""Two replicas — two `imoox-gateway serve` processes, not workers of one — over one database
agree on what must be agreed: a rate limit holds across both (within the bound of shared
counts, `resolvers/rate_counts.py`), the sign-in rate exactly; a suspension made through one
binds the other within the token standing's bound; a job whose runner was killed (`kill -9`)
is finished by the other (`resolvers/leases.py`).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode

import httpx
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from gateway.settings import Settings
from resolvers import collections as c
from resolvers.demo_world import account_id
from resolvers.leases import LEASE
from resolvers.rate_counts import WINDOW_SECONDS
from tests.processes import Replica, demo_token, replica, until
from tests.standing import refused_within_the_bound

TYPENAME = {"query": "{ __typename }"}
ALICE = account_id("alice")
SUSPEND_ALICE = (
    f'mutation {{ suspendAccount(input: {{accountId: "{ALICE}"}}) {{ account {{ id }} }} }}'
)
PUBLISH = (
    'mutation { publishPolicyVersion(input: {summary: "New terms.", reason: "merger"})'
    " { policyVersion { version } } }"
)
GUESS = (
    'mutation { signIn(input: {username: "nobody", password: "a guess", deviceId: "d1"})'
    " { accessToken } }"
)


async def within_one_window(needed: float) -> None:
    """Start where at least `needed` seconds of the current counting minute remain, so the
    counts asserted on are one window's (a wait, not a timing assertion)."""
    left = WINDOW_SECONDS - time.time() % WINDOW_SECONDS
    if left < needed:
        await asyncio.sleep(left + 0.1)


async def statuses(http: httpx.AsyncClient, requests: int) -> Counter[int]:
    answers = await asyncio.gather(*(http.post("/graphql", json=TYPENAME) for _ in range(requests)))
    return Counter(answer.status_code for answer in answers)


async def test_one_address_limit_holds_across_two_replicas_within_the_bound(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    limit, batch, replicas = 20, 2, 2
    env = {"IMOOX_RATE_PER_ADDRESS_PER_MINUTE": str(limit), "IMOOX_RATE_BATCH": str(batch)}
    async with replica(settings, env) as first, replica(settings, env) as second:
        await within_one_window(needed=20)
        answered = Counter[int]()
        for _ in range(3):  # rounds: each replica meets the other's counts in between
            for counted in await asyncio.gather(
                statuses(first.http, 15), statuses(second.http, 15)
            ):
                answered.update(counted)
    assert set(answered) == {200, 429}, answered
    # In memory, each would have let `limit` through: 40.
    assert limit <= answered[200] <= limit + 2 * (replicas - 1) * batch, answered


async def test_the_sign_in_rate_is_exact_across_two_replicas(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    env = {"IMOOX_SIGN_IN_RATE_PER_ADDRESS_PER_MINUTE": "3", "IMOOX_RATE_BATCH": "16"}
    async with replica(settings, env) as first, replica(settings, env) as second:
        await within_one_window(needed=15)
        codes = []
        for http in (first.http, second.http, first.http, second.http, first.http):
            body = (await http.post("/graphql", json={"query": GUESS})).json()
            codes.append(body["errors"][0]["extensions"]["code"])
    assert "RATE_LIMITED" not in codes[:3], codes
    assert codes[3:] == ["RATE_LIMITED", "RATE_LIMITED"], codes


async def test_a_suspension_through_one_replica_binds_the_other_within_the_bound(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    alice = {"Authorization": f"Bearer {demo_token(settings, 'alice')}"}
    dora = {"Authorization": f"Bearer {demo_token(settings, 'dora')}"}
    async with replica(settings) as first, replica(settings) as second:

        async def ask() -> int:
            return (await second.http.post("/graphql", json=TYPENAME, headers=alice)).status_code

        assert await ask() == 200
        body = (
            await first.http.post("/graphql", json={"query": SUSPEND_ALICE}, headers=dora)
        ).json()
        assert "errors" not in body, body
        changed_at = time.monotonic()
        await refused_within_the_bound(ask, changed_at)


@asynccontextmanager
async def updates_held(mongo: AsyncMongoClient[dict[str, Any]], app: str) -> AsyncIterator[None]:
    """Every `update` command of the client named `app` hangs (a server fail point): its
    process stops mid-job, holding the job's lease, as a process that is about to be killed."""
    await mongo.admin.command(
        "configureFailPoint",
        "failCommand",
        mode="alwaysOn",
        data={
            "failCommands": ["update"],
            "appName": app,
            "blockConnection": True,
            "blockTimeMS": 120_000,
        },
    )
    try:
        yield
    finally:
        await mongo.admin.command("configureFailPoint", "failCommand", mode="off")


async def test_a_publication_whose_replica_was_killed_is_finished_by_the_other(
    settings: Settings,
    demo_db: AsyncDatabase[Any],
    mongo: AsyncMongoClient[dict[str, Any]],
) -> None:
    separator = "&" if "?" in (settings.mongodb_uri or "") else "/?"
    named = {"MONGODB_URI": f"{settings.mongodb_uri}{separator}{urlencode({'appName': 'doomed'})}"}
    cora = {"Authorization": f"Bearer {demo_token(settings, 'cora')}"}
    async with replica(settings, named) as doomed, replica(settings) as survivor:
        async with updates_held(mongo, "doomed"):
            publishing = asyncio.create_task(
                doomed.http.post("/graphql", json={"query": PUBLISH}, headers=cora)
            )

            async def mid_job() -> bool:
                version = await demo_db[c.POLICY_VERSIONS].find_one({})
                lease = await demo_db[c.JOB_LEASES].find_one({})
                return bool(version and version["state"] == "NOTIFYING" and lease)

            await until(mid_job, "mid-publication")
            await kill(doomed)
        publishing.cancel()
        await asyncio.gather(publishing, return_exceptions=True)

        async def finished() -> bool:
            version = await demo_db[c.POLICY_VERSIONS].find_one({})
            return version is not None and version["state"] == "PUBLISHED"

        await until(finished, "finished by the survivor", within=3 * LEASE.total_seconds() + 15)
        # The survivor ran it: over the expired lease, or over none when the lease's TTL index
        # had already removed it (the server's TTL monitor runs on its own schedule).
        assert "resumed policy notifications" in survivor.log.read_text()
    accounts = await demo_db[c.ACCOUNTS].distinct("_id")
    notices = Counter[str]()
    async for doc in demo_db[c.NOTIFICATIONS].find({"kind": "POLICY_UPDATED"}):
        notices[doc["account"]] += 1
    assert notices == dict.fromkeys(accounts, 1)
    assert await demo_db[c.JOB_LEASES].count_documents({}) == 0


async def kill(running: Replica) -> None:
    running.process.kill()  # SIGKILL: no lifespan, no lease released
    await running.process.wait()
