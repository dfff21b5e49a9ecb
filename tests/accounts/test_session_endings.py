"""Ending access ends it everywhere: a sign-in racing an admin's cut-off, and session families
ended by reuse or sign-out take their access tokens with them (through HTTP)."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from resolvers import collections as c
from resolvers import sessions
from resolvers.demo_world import DEMO_PASSWORD
from schema import sessions as session_mutations
from tests.client import GatewayClient, error_codes
from tests.sign_ups import sign_in, sign_up

REFRESH = """
mutation($t: String!) { refreshToken(input: {refreshToken: $t}) { accessToken refreshToken } }
"""
ADMIN_ACTIONS = {
    "reset": 'mutation { setPassword(input: {accountId: "acct-alice"}) { account { id } } }',
    "suspend": 'mutation { suspendAccount(input: {accountId: "acct-alice"}) { account { id } } }',
    "block": 'mutation { blockAccount(input: {accountId: "acct-alice"}) { account { id } } }',
}


async def status_of(gateway: GatewayClient, token: str) -> int:
    response = await gateway.post("{ me { phone } }", headers={"Authorization": f"Bearer {token}"})
    return response.status_code


@pytest.mark.parametrize("action", sorted(ADMIN_ACTIONS))
async def test_a_sign_in_racing_an_admin_cut_off_is_refused_and_leaves_no_session(
    gateway: GatewayClient,
    demo_db: AsyncDatabase[Any],
    monkeypatch: pytest.MonkeyPatch,
    action: str,
) -> None:
    """F2: the admin acts after alice's password was checked, before her session exists."""
    real_record = session_mutations.record_sign_in
    acted: list[dict[str, Any]] = []

    async def admin_acts_first(*args: Any, **kwargs: Any) -> Any:
        acted.append(await gateway.query(ADMIN_ACTIONS[action], as_="dora"))
        return await real_record(*args, **kwargs)

    monkeypatch.setattr(session_mutations, "record_sign_in", admin_acts_first)
    raced = await sign_in(gateway, "alice", "demo-device-alice", password=DEMO_PASSWORD)
    assert [("errors" in body) for body in acted] == [False]
    assert error_codes(raced) == ["UNAUTHENTICATED"]
    assert await demo_db[c.SESSIONS].count_documents({"account": "acct-alice"}) == 0


@pytest.mark.parametrize("action", sorted(ADMIN_ACTIONS))
async def test_a_refresh_racing_an_admin_cut_off_keeps_neither_token_nor_session(
    gateway: GatewayClient, monkeypatch: pytest.MonkeyPatch, action: str
) -> None:
    """F2 for refreshing: the admin acts after the old session was used, before the new one is
    stored; its access token (issued as of the request's start) and its session are refused."""
    tokens = (await sign_in(gateway, "alice", "d1", password=DEMO_PASSWORD))["data"]["signIn"]
    real_start = sessions.start_session

    async def admin_acts_first(*args: Any, **kwargs: Any) -> Any:
        assert "errors" not in await gateway.query(ADMIN_ACTIONS[action], as_="dora")
        return await real_start(*args, **kwargs)

    monkeypatch.setattr(sessions, "start_session", admin_acts_first)
    raced = (await gateway.query(REFRESH, {"t": tokens["refreshToken"]}))["data"]["refreshToken"]
    monkeypatch.setattr(sessions, "start_session", real_start)
    assert await status_of(gateway, raced["accessToken"]) == 401
    assert error_codes(await gateway.query(REFRESH, {"t": raced["refreshToken"]})) == [
        "UNAUTHENTICATED"
    ]


async def test_an_unraced_sign_in_and_its_rotation_keep_working(gateway: GatewayClient) -> None:
    """Only a raced sign-in is refused: a session of an account nobody acted on keeps working."""
    before = (await sign_in(gateway, "bob", "d1", password=DEMO_PASSWORD))["data"]["signIn"]
    assert await status_of(gateway, before["accessToken"]) == 200
    rotated = await gateway.query(REFRESH, {"t": before["refreshToken"]})
    assert await status_of(gateway, rotated["data"]["refreshToken"]["accessToken"]) == 200


async def test_reusing_a_refresh_token_ends_the_access_tokens_of_its_whole_family(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    """F4: the thief's a2 stops at once when the owner's reuse of r1 ends the family."""
    await sign_up(gateway, demo_db, "nora")
    owner = (await sign_in(gateway, "nora", "d1"))["data"]["signIn"]
    thief = (await gateway.query(REFRESH, {"t": owner["refreshToken"]}))["data"]["refreshToken"]
    assert await status_of(gateway, thief["accessToken"]) == 200
    reused = await gateway.query(REFRESH, {"t": owner["refreshToken"]})
    assert error_codes(reused) == ["UNAUTHENTICATED"]
    assert await status_of(gateway, thief["accessToken"]) == 401
    assert await status_of(gateway, owner["accessToken"]) == 401
    # Another session of the same account is not part of that family and keeps working.
    other = (await sign_in(gateway, "nora", "d1"))["data"]["signIn"]
    assert await status_of(gateway, other["accessToken"]) == 200


async def test_signing_out_ends_every_access_token_of_the_session(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    """F4: a4, refreshed from the same session as a3, stops when a3 signs out."""
    await sign_up(gateway, demo_db, "nora")
    first = (await sign_in(gateway, "nora", "d1"))["data"]["signIn"]
    second = (await gateway.query(REFRESH, {"t": first["refreshToken"]}))["data"]["refreshToken"]
    elsewhere = (await sign_in(gateway, "nora", "d2"))["data"]["signIn"]
    signed_out = await gateway.query(
        "mutation { signOut(input: {}) { signedOut } }", token=first["accessToken"]
    )
    assert signed_out["data"]["signOut"]["signedOut"] is True
    assert await status_of(gateway, second["accessToken"]) == 401
    assert error_codes(await gateway.query(REFRESH, {"t": second["refreshToken"]})) == [
        "UNAUTHENTICATED"
    ]
    assert await status_of(gateway, elsewhere["accessToken"]) == 200
