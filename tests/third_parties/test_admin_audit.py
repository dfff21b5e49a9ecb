"""The audit of a domain's admin actions, read by its admins (`Domain.auditLog`, issue 14):
what the console at /admin shows under "Past actions"."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers import collections as c
from tests.client import GatewayClient, error_codes

AUDIT = """query($domain: ID!) { domain(id: $domain) { auditLog(first: 10) {
  action outcome at actor { displayName } account { id displayName } } } }"""


async def _act(gateway: GatewayClient, mutation: str, account: str) -> None:
    body = await gateway.query(
        f"mutation($a: ID!) {{ {mutation}(input: {{accountId: $a}}) {{ account {{ id }} }} }}",
        {"a": account},
        as_="dora",
    )
    assert "errors" not in body, body


async def test_a_domain_admin_reads_the_actions_on_its_members_newest_first(
    gateway: GatewayClient,
) -> None:
    empty = await gateway.query(AUDIT, {"domain": "uni-graz"}, as_="dora")
    assert empty == {"data": {"domain": {"auditLog": []}}}
    await _act(gateway, "suspendAccount", "acct-alice")
    await _act(gateway, "restoreAccount", "acct-alice")
    await _act(gateway, "blockAccount", "acct-bob")
    body = await gateway.query(AUDIT, {"domain": "uni-graz"}, as_="dora")
    assert "errors" not in body, body
    entries = body["data"]["domain"]["auditLog"]
    assert [(e["action"], e["outcome"], e["account"]["id"]) for e in entries] == [
        ("blockAccount", "DONE", "acct-bob"),
        ("restoreAccount", "DONE", "acct-alice"),
        ("suspendAccount", "DONE", "acct-alice"),
    ]
    assert {e["actor"]["displayName"] for e in entries} == {"Dora Dachs"}
    assert entries[0]["at"] >= entries[1]["at"] >= entries[2]["at"]


async def test_the_audit_of_another_domain_is_refused(gateway: GatewayClient) -> None:
    await _act(gateway, "suspendAccount", "acct-alice")
    body = await gateway.query(AUDIT, {"domain": "tu-wien"}, as_="dora")
    assert error_codes(body) == ["FORBIDDEN"] and body["data"] == {"domain": None}
    body = await gateway.query(AUDIT, {"domain": "uni-graz"}, as_="bob")
    assert error_codes(body) == ["FORBIDDEN"] and body["data"] == {"domain": None}


async def test_an_action_is_listed_under_the_domain_its_member_was_in(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    await _act(gateway, "suspendAccount", "acct-alice")
    entry = await demo_db[c.ADMIN_AUDIT].find_one({"subject": "acct-alice"})
    assert entry is not None and entry["domain"] == "uni-graz"
    body = await gateway.query(AUDIT, {"domain": "uni-graz"}, as_="dora")
    assert [e["action"] for e in body["data"]["domain"]["auditLog"]] == ["suspendAccount"]
