"""Publishing a policy version notifies every account, and an interrupted run is finished."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from gateway.settings import Settings
from resolvers import collections as c
from resolvers import policy_versions
from tests.client import GatewayClient, error_codes, running

PUBLISH = """
mutation {
  publishPolicyVersion(input: {summary: "IMOOX merged with EduCorp.", reason: "merger"}) {
    policyVersion { version summary notifiedAccounts }
  }
}
"""


async def notified(db: AsyncDatabase[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    async for doc in db[c.NOTIFICATIONS].find({"kind": "POLICY_UPDATED"}):
        counts[doc["account"]] = counts.get(doc["account"], 0) + 1
    return counts


async def test_publishing_notifies_every_account_once(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    body = await gateway.query(PUBLISH, as_="cora")
    accounts = await demo_db[c.ACCOUNTS].distinct("_id")
    assert body["data"]["publishPolicyVersion"]["policyVersion"] == {
        "version": 1,
        "summary": "IMOOX merged with EduCorp.",
        "notifiedAccounts": len(accounts),
    }
    assert await notified(demo_db) == dict.fromkeys(accounts, 1)
    mine = await gateway.query("{ me { notifications { kind message } } }", as_="erin")
    assert {
        "kind": "POLICY_UPDATED",
        "message": "Our privacy policy changed (version 1): IMOOX merged with EduCorp.",
    } in mine["data"]["me"]["notifications"]
    public = await gateway.query("{ policyVersion { version reason } }")
    assert public["data"]["policyVersion"] == {"version": 1, "reason": "merger"}


class CrashAfter:
    """A log that dies after `batches` progress lines: the process stops mid-publication."""

    def __init__(self, batches: int) -> None:
        self.left = batches

    def info(self, *args: Any, **kwargs: Any) -> None:
        self.left -= 1
        if self.left == 0:
            raise SystemError("simulated crash after a batch")

    def warning(self, *args: Any, **kwargs: Any) -> None:
        pass


async def test_an_interrupted_publication_is_finished_on_restart(
    gateway: GatewayClient,
    demo_db: AsyncDatabase[Any],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(policy_versions, "NOTIFY_BATCH", 10)
    monkeypatch.setattr(policy_versions, "log", CrashAfter(batches=2))
    body = await gateway.query(PUBLISH, as_="cora")
    assert error_codes(body) == ["INTERNAL_SERVER_ERROR"]
    accounts = await demo_db[c.ACCOUNTS].distinct("_id")
    assert len(await notified(demo_db)) == 20 < len(accounts)

    monkeypatch.undo()
    async with running(settings):
        pass
    assert await notified(demo_db) == dict.fromkeys(accounts, 1)
    version = await demo_db[c.POLICY_VERSIONS].find_one({})
    assert version is not None and version["state"] == "PUBLISHED"
    assert version["notified"] == len(accounts)


async def test_two_workers_starting_at_once_finish_an_interrupted_publication_once(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`serve --workers N` runs the start-up jobs in every worker, at the same time."""
    monkeypatch.setattr(policy_versions, "NOTIFY_BATCH", 10)
    monkeypatch.setattr(policy_versions, "log", CrashAfter(batches=2))
    body = await gateway.query(PUBLISH, as_="cora")
    assert error_codes(body) == ["INTERNAL_SERVER_ERROR"]
    monkeypatch.setattr(policy_versions, "log", logging.getLogger(__name__))

    await asyncio.gather(*(policy_versions.resume_publications(demo_db) for _ in range(2)))
    accounts = await demo_db[c.ACCOUNTS].distinct("_id")
    assert await notified(demo_db) == dict.fromkeys(accounts, 1)
    version = await demo_db[c.POLICY_VERSIONS].find_one({})
    assert version is not None and version["state"] == "PUBLISHED"
    assert version["notified"] == len(accounts)
