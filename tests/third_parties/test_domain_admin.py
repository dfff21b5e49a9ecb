"""The domain admin console through HTTP: dora administers uni-graz, and nothing else."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from resolvers import collections as c
from resolvers.admin import set_account_state
from resolvers.demo_world import DEMO_PASSWORD, account_id
from tests.client import GatewayClient, error_codes
from tests.disclosure_records import records
from tests.sign_ups import sign_in

MEMBERS = """
query($after: String, $filter: MemberFilter) {
  domain(id: "uni-graz") {
    name
    members(first: 7, after: $after, filter: $filter) {
      edges { cursor node { id username email status } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""
ALICE = account_id("alice")


async def disclosures_of(db: AsyncDatabase[Any], subject: str) -> list[dict[str, Any]]:
    return await records(db, subject=subject)


async def test_members_page_through_the_domain_and_nothing_else(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    seen: list[dict[str, Any]] = []
    after = None
    while True:
        body = await gateway.query(MEMBERS, {"after": after}, as_="dora")
        assert "errors" not in body, body
        members = body["data"]["domain"]["members"]
        seen += [edge["node"] for edge in members["edges"]]
        if not members["pageInfo"]["hasNextPage"]:
            break
        after = members["pageInfo"]["endCursor"]
    expected = await demo_db[c.ACCOUNTS].distinct("_id", {"domain": "uni-graz"})
    assert sorted(m["id"] for m in seen) == sorted(expected)
    # In id order: a PUBLIC field, so the order tells nothing of the usernames.
    assert [m["id"] for m in seen] == sorted(m["id"] for m in seen)
    assert all(m["email"].endswith("@uni-graz.example") for m in seen)
    # Each member whose e-mail and username were shown has a disclosure to dora on record.
    recorded = await demo_db[c.DISCLOSURES].distinct(
        "subjects", {"principal_id": account_id("dora")}
    )
    assert sorted(recorded) == sorted(expected)


async def test_members_filter_by_status_and_username_prefix(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    await demo_db[c.ACCOUNTS].update_one(
        {"_id": account_id("bob")}, {"$set": {"status": "SUSPENDED"}}
    )
    body = await gateway.query(MEMBERS, {"filter": {"status": "SUSPENDED"}}, as_="dora")
    assert [e["node"]["username"] for e in body["data"]["domain"]["members"]["edges"]] == ["bob"]
    body = await gateway.query(MEMBERS, {"filter": {"usernamePrefix": "al"}}, as_="dora")
    assert [e["node"]["username"] for e in body["data"]["domain"]["members"]["edges"]] == ["alice"]


async def test_domain_stats_count_the_members(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    # Through the gateway's own write, which keeps the domain's counter (`resolvers.rollups`):
    # a status written around it would not be counted until `rollups rebuild`.
    await set_account_state(demo_db, account_id("bob"), {"status": "BLOCKED"})
    body = await gateway.query(
        '{ domain(id: "uni-graz") {'
        " domainStats { members active suspended blocked appsInstalled } } }",
        as_="dora",
    )
    members = await demo_db[c.ACCOUNTS].find({"domain": "uni-graz"}).to_list()
    # Groups under k = 5 are suppressed, zero included: the one blocked member (bob) is not
    # told by a count, unrecorded, where reading his status would be recorded.
    assert body["data"]["domain"]["domainStats"] == {
        "members": len(members),
        "active": len(members) - 1,
        "suspended": None,
        "blocked": None,
        "appsInstalled": sum(m["stats"]["apps_installed"] for m in members),
    }
    assert await demo_db[c.DISCLOSURES].count_documents({}) == 0


@pytest.mark.parametrize(
    "query",
    [
        '{ domain(id: "tu-wien") { name } }',
        '{ account(id: "acct-carol") { email username status } }',
        '{ content(id: "post-carol-vienna") { author { email } } }',
        "{ publicFeed(first: 50) { edges { node { author { email } } } } }",
    ],
)
async def test_a_domain_admin_never_reaches_an_account_outside_their_domains(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any], query: str
) -> None:
    body = await gateway.query(query, as_="dora")
    assert set(error_codes(body)) <= {"FORBIDDEN"}
    carol_email = "carol@tu-wien.example"
    assert carol_email not in str(body["data"])
    assert await disclosures_of(demo_db, account_id("carol")) == []


async def test_suspending_a_member_ends_their_tokens_and_sign_in_and_is_recorded(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    token = (await sign_in(gateway, "alice", "d1", password=DEMO_PASSWORD))["data"]["signIn"]
    assert (await gateway.query("{ me { id } }", token=token["accessToken"]))["data"]["me"]

    body = await gateway.query(
        'mutation { suspendAccount(input: {accountId: "acct-alice"}) { account { status } } }',
        as_="dora",
    )
    assert body["data"]["suspendAccount"]["account"]["status"] == "SUSPENDED"
    for bearer in (token["accessToken"], gateway.token("alice")):
        response = await gateway.post(
            "{ me { id } }", headers={"Authorization": f"Bearer {bearer}"}
        )
        assert response.status_code == 401
    refused = await sign_in(gateway, "alice", "d1", password=DEMO_PASSWORD)
    assert error_codes(refused) == ["FORBIDDEN"]
    refresh = await gateway.query(
        "mutation($t: String!) { refreshToken(input: {refreshToken: $t}) { accessToken } }",
        {"t": token["refreshToken"]},
    )
    assert error_codes(refresh) == ["UNAUTHENTICATED"]

    recorded = [d for d in await disclosures_of(demo_db, ALICE) if d["relation"] == "DOMAIN_ADMIN"]
    assert any("Mutation.suspendAccount" in d["fields"] for d in recorded)
    audit = await demo_db[c.ADMIN_AUDIT].find({"subject": ALICE}).to_list()
    assert [(a["actor"], a["action"], a["outcome"]) for a in audit] == [
        (account_id("dora"), "Mutation.suspendAccount", "DONE")
    ]

    await gateway.query(
        'mutation { restoreAccount(input: {accountId: "acct-alice"}) { account { status } } }',
        as_="dora",
    )
    assert "errors" not in await sign_in(gateway, "alice", "d1", password=DEMO_PASSWORD)


async def test_resetting_a_password_and_blocking(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    body = await gateway.query(
        'mutation { setPassword(input: {accountId: "acct-bob"}) { account { id } } }', as_="dora"
    )
    assert "errors" not in body, body
    assert error_codes(await sign_in(gateway, "bob", "d", password=DEMO_PASSWORD)) == [
        "UNAUTHENTICATED"
    ]
    await gateway.query(
        'mutation { blockAccount(input: {accountId: "acct-bob"}) { account { id } } }', as_="dora"
    )
    stored = await demo_db[c.ACCOUNTS].find_one({"_id": account_id("bob")})
    assert stored is not None and stored["status"] == "BLOCKED"


async def test_limited_rights_refuse_the_members_own_writes(gateway: GatewayClient) -> None:
    body = await gateway.query(
        'mutation { limitRights(input: {accountId: "acct-alice", edit: true, delete: true})'
        " { account { rightsLimits { edit delete privacy } } } }",
        as_="dora",
    )
    assert body["data"]["limitRights"]["account"]["rightsLimits"] == {
        "edit": True,
        "delete": True,
        "privacy": False,
    }
    refused = await gateway.query(
        'mutation { updateProfile(input: {displayName: "A"}) { account { id } } }', as_="alice"
    )
    assert error_codes(refused) == ["FORBIDDEN"]


@pytest.mark.parametrize(
    "mutation",
    [
        'suspendAccount(input: {accountId: "acct-carol"}) { account { id } }',
        'setPassword(input: {accountId: "acct-carol"}) { account { id } }',
        'limitRights(input: {accountId: "acct-carol", delete: true}) { account { id } }',
        'suspendAccount(input: {accountId: "acct-nobody"}) { account { id } }',
    ],
)
async def test_admin_actions_outside_the_domain_are_refused_and_record_nothing(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any], mutation: str
) -> None:
    before = await demo_db[c.ACCOUNTS].find_one({"_id": account_id("carol")})
    body = await gateway.query(f"mutation {{ {mutation} }}", as_="dora")
    assert error_codes(body) == ["FORBIDDEN"]
    assert await demo_db[c.ACCOUNTS].find_one({"_id": account_id("carol")}) == before
    assert await disclosures_of(demo_db, account_id("carol")) == []
    assert await demo_db[c.ADMIN_AUDIT].count_documents({}) == 0


async def test_a_right_cannot_be_set_to_null(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    before = await demo_db[c.ACCOUNTS].find_one({"_id": ALICE})
    body = await gateway.query(
        'mutation { limitRights(input: {accountId: "acct-alice", edit: null}) { account { id } } }',
        as_="dora",
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == "edit"
    assert await demo_db[c.ACCOUNTS].find_one({"_id": ALICE}) == before
