"""The embedded database killed (SIGKILL) mid-request and mid-job: the gateway notices, the
supervisor starts it again on the same data, and everything resumes without a person."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from resolvers import collections as c
from resolvers import erasure
from resolvers.demo_world import account_id
from tests.client import error_codes, running
from tests.erasure import DELETE, assert_erased, lived_in_account
from tests.faults.outages import (
    READ_EMAIL,
    Supervised,
    a_normal_request_succeeds,
    eventually,
    serving_again,
    unavailable_or_answered,
)
from tests.standing import asking, refused_within_the_bound


async def test_a_killed_database_is_restarted_and_the_gateway_serves_again(
    supervised: Supervised, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="gateway.supervisor")
    async with running(supervised.settings) as gateway:
        await a_normal_request_succeeds(gateway, supervised.db)
        # Stopped first, so the request is surely in flight (held by the database) when the
        # database dies under it.
        killed = supervised.stop()
        in_flight = asyncio.create_task(gateway.post(READ_EMAIL, {"id": "acct-bob"}, as_="dora"))
        readiness = await gateway.http.get("/readyz")
        assert readiness.status_code == 503, (supervised.pid, killed, caplog.text)
        supervised.signal(signal.SIGKILL)
        unavailable_or_answered(await in_flight)
        await serving_again(gateway)
        assert supervised.pid != killed
        await a_normal_request_succeeds(gateway, supervised.db)
        if (await in_flight).json()["data"]:
            records = supervised.db[c.DISCLOSURES]
            assert await records.find_one({"principal_id": "acct-dora", "subjects": "acct-bob"})
    said = [(r.getMessage(), getattr(r, "attempt", None)) for r in caplog.records]
    assert ("embedded database died", None) in said
    assert ("restarting embedded database", 1) in said
    assert ("embedded database restarted", 1) in said


async def test_a_suspension_binds_within_the_bound_after_the_database_restarted(
    supervised: Supervised,
) -> None:
    """The token standing's stream breaks with the database; it reconnects or the gateway
    reads, and an operator's suspension still binds every request after FRESHNESS."""
    async with running(supervised.settings) as gateway:
        alice = asking(gateway, gateway.token("alice"))
        assert await alice() == 200
        killed = supervised.signal(signal.SIGKILL)
        await serving_again(gateway)
        assert supervised.pid != killed
        assert await alice() == 200
        await supervised.db[c.ACCOUNTS].update_one(
            {"_id": account_id("alice")}, {"$set": {"status": "SUSPENDED"}}
        )
        await refused_within_the_bound(alice, time.monotonic())
        await a_normal_request_succeeds(gateway, supervised.db)


async def test_an_erasure_cut_off_by_the_database_dying_is_finished_when_it_returns(
    supervised: Supervised, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database dies between two steps of an erasure: the request fails UNAVAILABLE, and
    once the database is back the gateway finishes the job by itself (never half an account)."""
    db: AsyncDatabase[Any] = supervised.db
    async with running(supervised.settings) as gateway:
        nora = await lived_in_account(gateway, db)
        steps = dict(erasure.STEPS)

        async def die_then_share(db: AsyncDatabase[Any], account: str, alias: str) -> None:
            supervised.signal(signal.SIGKILL)
            await steps["shares"](db, account, alias)

        monkeypatch.setattr(
            erasure,
            "STEPS",
            tuple((n, die_then_share if n == "shares" else s) for n, s in steps.items()),
        )
        body = await gateway.query(DELETE, token=nora["token"])
        assert body["data"] is None and error_codes(body) == ["UNAVAILABLE"]
        monkeypatch.undo()

        async def job_done() -> bool:
            try:
                return await db[c.ERASURES].count_documents({}) == 0
            except PyMongoError:  # the database is still restarting
                return False

        await serving_again(gateway)
        await eventually(job_done, "finished the erasure")
        await assert_erased(gateway, db, nora)
        await a_normal_request_succeeds(gateway, supervised.db)
