"""Cursors are sealed handles, and member filters are reads (audit 2026-11-30 finding 7).

A cursor tells its holder nothing, works only on the list and for the caller it was issued to,
and a filter on a field the caller may not see publicly is recorded like reading that field.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from pymongo.asynchronous.database import AsyncDatabase

import schema.domains
from authz.decisions import Decision, decide
from authz.keys import load_signing_key
from authz.relations import Standing
from gateway.app import ConfigurationError, create_app
from gateway.settings import Environment, Settings
from resolvers import collections as c
from resolvers.demo_world import account_id
from tests.client import GatewayClient, error_codes, running, signing_key_file
from tests.disclosure_records import records

MEMBERS = """
query($first: Int, $after: String, $filter: MemberFilter) {
  domain(id: "uni-graz") {
    members(first: $first, after: $after, filter: $filter) {
      edges { cursor node { id } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""
FEED = """
query($after: String) {
  publicFeed(first: 3, after: $after) { edges { cursor node { id } } pageInfo { endCursor } }
}
"""
ALICE, BOB = account_id("alice"), account_id("bob")


def _decoded(cursor: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        return b""


def _tampered(cursor: str) -> str:
    middle = len(cursor) // 2
    return cursor[:middle] + ("A" if cursor[middle] != "A" else "B") + cursor[middle + 1 :]


async def _members(gateway: GatewayClient, **variables: Any) -> dict[str, Any]:
    return await gateway.query(MEMBERS, {"first": 4, **variables}, as_="dora")


async def _feed(gateway: GatewayClient, as_: str | None, after: str | None = None) -> Any:
    return await gateway.query(FEED, {"after": after}, as_=as_)


def _refused_after(body: dict[str, Any]) -> None:
    assert error_codes(body) == ["BAD_USER_INPUT"], body
    assert body["errors"][0]["extensions"]["field"] == "after"


async def test_cursors_reveal_nothing_of_the_row(gateway: GatewayClient) -> None:
    members = (await _members(gateway))["data"]["domain"]["members"]["edges"]
    feed = (await _feed(gateway, None))["data"]["publicFeed"]["edges"]
    usernames = [b"alice", b"bob", b"dora", b"learner"]
    for edge in members + feed:
        cursor = edge["cursor"]
        raw = _decoded(cursor)
        assert edge["node"]["id"].encode() not in raw and edge["node"]["id"] not in cursor
        assert not any(name in raw or name.decode() in cursor for name in usernames)
        with pytest.raises(ValueError):
            json.loads(raw)
    # The same row gets a new handle each time: nothing to compare across answers either.
    again = (await _feed(gateway, None))["data"]["publicFeed"]["edges"]
    assert [e["node"] for e in again] == [e["node"] for e in feed]
    assert not {e["cursor"] for e in again} & {e["cursor"] for e in feed}


async def test_a_cursor_pages_on_for_whoever_got_it(gateway: GatewayClient) -> None:
    first = (await _feed(gateway, "alice"))["data"]["publicFeed"]
    second = (await _feed(gateway, "alice", first["pageInfo"]["endCursor"]))["data"]["publicFeed"]
    both = [e["node"]["id"] for e in first["edges"] + second["edges"]]
    whole = await gateway.query("{ publicFeed(first: 6) { edges { node { id } } } }")
    assert both == [e["node"]["id"] for e in whole["data"]["publicFeed"]["edges"]]

    page = (await _members(gateway))["data"]["domain"]["members"]
    rest = (await _members(gateway, first=100, after=page["pageInfo"]["endCursor"]))["data"]
    ids = [e["node"]["id"] for e in page["edges"] + rest["domain"]["members"]["edges"]]
    assert len(ids) == len(set(ids)) > 4


async def test_a_tampered_or_foreign_cursor_is_bad_input(gateway: GatewayClient) -> None:
    feed_cursor = (await _feed(gateway, "alice"))["data"]["publicFeed"]["pageInfo"]["endCursor"]
    page = (await _members(gateway))["data"]["domain"]["members"]
    member_cursor = page["pageInfo"]["endCursor"]
    forged = base64.urlsafe_b64encode(json.dumps(["k", "alice"]).encode()).decode().rstrip("=")

    for cursor in (_tampered(feed_cursor), forged, "", "x" * 5000, member_cursor):
        _refused_after(await _feed(gateway, "alice", cursor))
    for cursor in (_tampered(member_cursor), forged, feed_cursor):
        _refused_after(await _members(gateway, after=cursor))
    # Another principal (or nobody) cannot replay Alice's cursor.
    _refused_after(await _feed(gateway, "bob", feed_cursor))
    _refused_after(await _feed(gateway, None, feed_cursor))
    # Nor can a cursor of one filtered list page another.
    filtered = await _members(gateway, first=1, filter={"status": "ACTIVE"})
    cursor = filtered["data"]["domain"]["members"]["pageInfo"]["endCursor"]
    _refused_after(await _members(gateway, after=cursor))


async def _records_by_dora(db: AsyncDatabase[Any], subject: str) -> list[list[str]]:
    found = await records(db, subject=subject, principal_id="acct-dora")
    return [record["fields"] for record in found]


async def test_member_filters_are_recorded_as_reads(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    """Dora learned whose username starts with "ali" without a trace in alice's disclosures."""
    body = await _members(gateway, filter={"usernamePrefix": "ali"})
    assert [e["node"]["id"] for e in body["data"]["domain"]["members"]["edges"]] == [ALICE]
    assert await _records_by_dora(demo_db, ALICE) == [["Account.domain", "Account.username"]]

    body = await _members(gateway, first=100, filter={"status": "ACTIVE"})
    assert ALICE in [e["node"]["id"] for e in body["data"]["domain"]["members"]["edges"]]
    assert sorted(await _records_by_dora(demo_db, ALICE)) == [
        ["Account.domain", "Account.status"],
        ["Account.domain", "Account.username"],
    ]
    me = await gateway.query("{ me { disclosures { principalId relation fields } } }", as_="alice")
    assert {
        "principalId": "acct-dora",
        "relation": "DOMAIN_ADMIN",
        "fields": ["Account.domain", "Account.status"],
    } in me["data"]["me"]["disclosures"]


async def test_a_member_the_filter_passed_over_is_recorded_too(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    """Not being listed says something as well: every member the filter tested is recorded."""
    await demo_db[c.ACCOUNTS].update_one({"_id": BOB}, {"$set": {"status": "SUSPENDED"}})
    body = await _members(gateway, first=100, filter={"status": "SUSPENDED"})
    assert [e["node"]["id"] for e in body["data"]["domain"]["members"]["edges"]] == [BOB]
    assert await _records_by_dora(demo_db, BOB) == [["Account.domain", "Account.status"]]
    assert await _records_by_dora(demo_db, ALICE) == [["Account.status"]]
    # Without a filter, listing ids records only what being listed tells: the domain.
    await demo_db[c.DISCLOSURES].delete_many({})
    await _members(gateway, first=100)
    assert await _records_by_dora(demo_db, ALICE) == [["Account.domain"]]


async def _end_cursor(gateway: GatewayClient) -> str:
    cursor: str = (await _feed(gateway, "alice"))["data"]["publicFeed"]["pageInfo"]["endCursor"]
    return cursor


async def test_replicas_derive_the_same_cursor_key(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    """Every replica opens every replica's cursors: same secret, or else same signing key."""
    for config in (settings, settings.model_copy(update={"cursor_secret": SecretStr("s" * 40)})):
        async with running(config) as one:
            cursor = await _end_cursor(one)
        async with running(config) as two:
            assert "errors" not in await _feed(two, "alice", cursor)
    other = settings.model_copy(update={"cursor_secret": SecretStr("t" * 40)})
    async with running(other) as three:
        _refused_after(await _feed(three, "alice", cursor))


def test_production_needs_a_cursor_key(settings: Settings, tmp_path: Path) -> None:
    jwks = tmp_path / "jwks.json"  # an identity provider's public key: nothing to derive from
    jwks.write_text(json.dumps(load_signing_key(signing_key_file(tmp_path))[1]))
    production = settings.model_copy(update={"env": Environment.PRODUCTION, "jwks_file": jwks})
    with pytest.raises(ConfigurationError, match="IMOOX_CURSOR_SECRET"):
        create_app(production)
    create_app(production.model_copy(update={"cursor_secret": SecretStr("s" * 40)}))


async def test_a_filter_on_a_field_the_policy_denies_is_refused(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The filter asks the policy first: were `status` not granted to the admin, no member's
    status could be tested through it (nothing listed, nothing recorded)."""

    def without_status(type_name: str, field: str, standing: Standing) -> Decision:
        decision = decide(type_name, field, standing)
        return replace(decision, allowed=False) if field == "status" else decision

    monkeypatch.setattr(schema.domains, "decide", without_status)
    body = await _members(gateway, filter={"status": "ACTIVE"})
    assert body["data"] == {"domain": None}
    assert [(e["extensions"]["code"], e["extensions"]["coordinate"]) for e in body["errors"]] == [
        ("FORBIDDEN", "Account.status")
    ]
    assert await _records_by_dora(demo_db, ALICE) == []
    allowed = await _members(gateway, filter={"usernamePrefix": "ali"})
    assert [e["node"]["id"] for e in allowed["data"]["domain"]["members"]["edges"]] == [ALICE]


async def test_a_page_that_lists_no_member_records_no_membership(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    """Only values that reach the caller are on record: `pageInfo` alone names no member."""
    body = await gateway.query(
        '{ domain(id: "uni-graz") { members(first: 2) { pageInfo { hasNextPage } } } }',
        as_="dora",
    )
    assert body["data"]["domain"]["members"]["pageInfo"]["hasNextPage"] is True
    assert await demo_db[c.DISCLOSURES].count_documents({}) == 0
