"""Adding a row rule is one line in the policy table: the owned-list reader applies any grant's
rows (`authz.rows`), with no resolver of its own (docs/architecture.md, "adding a row rule").

The rule here exists only in this test: alice's own `devices` narrowed to one device.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

import authz.decisions
from authz.decisions import decisions_for
from authz.grants import Rule
from authz.policy import POLICY
from authz.rows import Rows
from resolvers import collections as c
from schema.enforcement.guard import access
from schema.enforcement.projection import projection
from tests.client import GatewayClient

DEVICES = "{ me { devices { deviceId } } }"


def _forget_decisions() -> None:
    for cached in (decisions_for, access, projection):
        cached.cache_clear()


@pytest.fixture
def one_device_rule(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The table with a row rule on the owner's grant of `Account.devices`."""
    table = {name: dict(rules) for name, rules in POLICY.items()}
    devices = table["Account"]["devices"]
    narrowed = Rows({"device_id": "demo-device-alice"})
    grants = tuple(replace(grant, rows=narrowed) for grant in devices.grants)
    table["Account"]["devices"] = Rule(grants, devices.scope)
    monkeypatch.setattr(authz.decisions, "POLICY", table)
    _forget_decisions()
    yield
    _forget_decisions()


async def _second_device(db: AsyncDatabase[Any]) -> None:
    await db[c.DEVICES].insert_one(
        {
            "_id": "device-alice-tablet",
            "account": "acct-alice",
            "device_id": "alice-tablet",
            "user_agent": "IMOOX test",
            "first_seen_at": datetime.now(UTC),
            "last_seen_at": datetime.now(UTC),
        }
    )


async def test_without_a_row_rule_the_owner_reads_every_device(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    await _second_device(demo_db)
    body = await gateway.query(DEVICES, as_="alice")
    assert body["data"]["me"]["devices"] == [
        {"deviceId": "alice-tablet"},
        {"deviceId": "demo-device-alice"},
    ]


async def test_a_row_rule_in_the_table_narrows_the_list_it_grants(
    one_device_rule: None, gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    await _second_device(demo_db)
    body = await gateway.query(DEVICES, as_="alice")
    assert body["data"]["me"]["devices"] == [{"deviceId": "demo-device-alice"}]
