"""A known device id is no proof of the known device: another browser on it raises the alert."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers import collections as c
from resolvers.demo_world import DEMO_PASSWORD
from tests.client import GatewayClient
from tests.sign_ups import sign_in


async def alerts(db: AsyncDatabase[Any]) -> list[str]:
    found = db[c.NOTIFICATIONS].find({"account": "acct-alice", "kind": "SUSPICIOUS_SIGN_IN"})
    return [n["message"] async for n in found.sort("created_at")]


async def test_a_known_device_id_from_another_browser_raises_one_alert(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    before = await alerts(demo_db)
    own = await sign_in(
        gateway, "alice", "demo-device-alice", DEMO_PASSWORD, user_agent="IMOOX demo"
    )
    assert "errors" not in own and await alerts(demo_db) == before
    copied = await sign_in(
        gateway, "alice", "demo-device-alice", DEMO_PASSWORD, user_agent="ThiefBrowser/9"
    )
    assert "errors" not in copied
    after = await alerts(demo_db)
    assert len(after) == len(before) + 1 and "ThiefBrowser/9" in after[-1]
    sign_ins = demo_db[c.SIGN_INS].find({"account": "acct-alice"}).sort("at", -1).limit(2)
    assert [s["suspicious"] async for s in sign_ins] == [True, False]
    # The browser now recorded is the new one: signing in with it again is not a new alert.
    await sign_in(gateway, "alice", "demo-device-alice", DEMO_PASSWORD, user_agent="ThiefBrowser/9")
    assert await alerts(demo_db) == after
