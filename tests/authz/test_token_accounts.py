"""Every token that names an account lives only as long as that account lets it.

Audit finding 4: a blocked domain admin kept admin power, because only `user` tokens were
re-checked; non-user principals could not sign out. Audit finding 12: a token issued in the
same second as a cut-off survived it, because the cut-off was compared in whole seconds.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import jwt
import pytest
from pymongo.asynchronous.database import AsyncDatabase

from resolvers import collections as c
from resolvers.demo_world import DEMO_PRINCIPALS, account_id
from tests.client import GatewayClient
from tests.standing import asking, refused_within_the_bound

DORA = account_id("dora")
MEMBERS = '{ domain(id: "uni-graz") { members(first: 5) { edges { node { email } } } } }'
SUSPEND = 'mutation { suspendAccount(input: {accountId: "acct-learner03"}) { account { id } } }'
SUSPEND_ANY = "mutation($id: ID!) { suspendAccount(input: {accountId: $id}) { account { id } } }"
RESTORE = 'mutation { restoreAccount(input: {accountId: "acct-learner03"}) { account { id } } }'


async def _status(gateway: GatewayClient, query: str, token: str) -> int:
    response = await gateway.post(query, headers={"Authorization": f"Bearer {token}"})
    return response.status_code


async def test_a_domain_admin_who_blocks_herself_loses_admin_power_at_once(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    token = gateway.token("dora")
    assert await _status(gateway, MEMBERS, token) == 200
    blocked = await gateway.post(
        'mutation { blockAccount(input: {accountId: "acct-dora"}) { account { id } } }',
        headers={"Authorization": f"Bearer {token}"},
    )
    assert "errors" not in blocked.json()
    for query in (MEMBERS, SUSPEND, RESTORE):
        assert await _status(gateway, query, token) == 401
        assert await _status(gateway, query, gateway.token("dora")) == 401
    learner = await demo_db[c.ACCOUNTS].find_one({"_id": account_id("learner03")})
    assert learner is not None and learner["status"] == "ACTIVE"


@pytest.mark.parametrize("status", ["SUSPENDED", "BLOCKED", "ERASED"])
async def test_a_domain_admin_token_needs_an_active_account(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any], status: str
) -> None:
    token = gateway.token("dora")
    if status == "ERASED":
        await demo_db[c.ACCOUNTS].delete_one({"_id": DORA})
    else:
        await demo_db[c.ACCOUNTS].update_one({"_id": DORA}, {"$set": {"status": status}})
    assert await _status(gateway, MEMBERS, token) == 401


async def test_a_staff_token_naming_an_account_follows_that_account(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    """Compliance staff are not accounts in the demo world (cora); one who is, is checked."""
    staff = gateway.issuer.issue({"kind": "compliance", "sub": account_id("erin")}, 600)
    query = '{ legalRequest(id: "lr-police-graz-bob") { id } }'
    assert await _status(gateway, query, staff) == 200
    await demo_db[c.ACCOUNTS].update_one(
        {"_id": account_id("erin")}, {"$set": {"status": "SUSPENDED"}}
    )
    # An operator's write, not the gateway's: it binds within the standing cache's bound.
    await refused_within_the_bound(asking(gateway, staff, query), time.monotonic())
    assert await _status(gateway, query, gateway.token("cora")) == 200


@pytest.mark.parametrize("handle", sorted(set(DEMO_PRINCIPALS) - {"alice", "bob", "carol", "erin"}))
async def test_every_principal_can_sign_out(gateway: GatewayClient, handle: str) -> None:
    token = gateway.token(handle)
    body = await gateway.post(
        "mutation { signOut(input: {}) { signedOut } }",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert body.json() == {"data": {"signOut": {"signedOut": True}}}
    assert await _status(gateway, "{ __typename }", token) == 401


async def _suspend_in_the_second_of(
    gateway: GatewayClient, db: AsyncDatabase[Any], handle: str
) -> str:
    """A token of `handle` issued, then a suspension of its account, within one second.

    Starts at the beginning of a second; a machine too busy to do both in one second tries
    again. The account is active again afterwards; its cut-off stays.
    """
    account = account_id(handle)
    for _ in range(3):
        await asyncio.sleep(1.02 - time.time() % 1)
        older = gateway.token(handle)
        await gateway.query(SUSPEND_ANY, {"id": account}, as_="dora")
        stored = await db[c.ACCOUNTS].find_one({"_id": account})
        assert stored is not None
        await db[c.ACCOUNTS].update_one({"_id": account}, {"$set": {"status": "ACTIVE"}})
        issued = jwt.decode(older, options={"verify_signature": False})["iat"]
        if int(issued) == int(stored["tokens_valid_after"].timestamp()):
            return older
    raise AssertionError("could not issue a token and suspend within one second")


@pytest.mark.parametrize("handle", ["bob", "dora"])
async def test_a_token_from_the_same_second_as_a_cut_off_is_refused(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any], handle: str
) -> None:
    older = await _suspend_in_the_second_of(gateway, demo_db, handle)
    query = "{ me { id } }" if handle == "bob" else MEMBERS
    assert await _status(gateway, query, older) == 401
    newer = gateway.token(handle)
    assert await _status(gateway, query, newer) == 200
