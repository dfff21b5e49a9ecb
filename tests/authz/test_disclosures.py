"""Disclosure records: written for every non-owner read of a non-public field, and only then."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from resolvers.demo_world import LEGAL_REQUEST_ID
from tests.client import GatewayClient
from tests.disclosure_records import records, without


async def _records(db: AsyncDatabase[Any], subject: str) -> list[dict[str, Any]]:
    return [without(row, "_id", "at") for row in await records(db, subject=subject)]


async def test_domain_admin_read_is_recorded_with_relation_and_fields(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    body = await gateway.query(
        '{ account(id: "acct-alice") { displayName email settings { profileVisibility } } }',
        as_="dora",
    )
    assert body["data"]["account"]["email"] == "alice@uni-graz.example"
    assert await _records(demo_db, "acct-alice") == [
        {
            "subject": "acct-alice",
            "principal_kind": "domain_admin",
            "principal_id": "acct-dora",
            "relation": "DOMAIN_ADMIN",
            "fields": ["Account.email", "Account.settings", "Settings.profileVisibility"],
            "purpose": None,
            "legal_request": None,
        }
    ]


async def test_authority_read_names_the_legal_request(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    await gateway.query('{ account(id: "acct-bob") { email phone } }', as_="police-graz")
    [record] = await _records(demo_db, "acct-bob")
    assert record["relation"] == "AUTHORITY"
    assert record["legal_request"] == LEGAL_REQUEST_ID
    assert record["fields"] == ["Account.email", "Account.phone"]


async def test_processor_read_names_its_purpose(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    await gateway.query('{ account(id: "acct-alice") { email } }', as_="helpdesk-co")
    [record] = await _records(demo_db, "acct-alice")
    assert (record["relation"], record["purpose"]) == ("PROCESSOR", "support")


@pytest.mark.parametrize(
    ("viewer", "query"),
    [
        ("alice", "{ me { email phone billing { iban } sensitive { health } } }"),
        (None, '{ account(id: "acct-alice") { id displayName photoUrl } }'),
        ("bob", '{ account(id: "acct-alice") { displayName email phone } }'),
        ("carol", "{ publicFeed(first: 50) { edges { node { title author { displayName } } } } }"),
        ("adnet", '{ account(id: "acct-alice") { email sensitive { health } } }'),
    ],
)
async def test_no_record_for_the_owner_public_fields_or_denied_fields(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any], viewer: str | None, query: str
) -> None:
    await gateway.query(query, as_=viewer)
    assert await demo_db.disclosures.count_documents({}) == 0


async def test_the_owner_sees_the_records_about_them(gateway: GatewayClient) -> None:
    await gateway.query('{ account(id: "acct-alice") { phone } }', as_="flowershop")
    body = await gateway.query(
        "{ me { disclosures { principalKind principalId relation fields at } } }", as_="alice"
    )
    [record] = body["data"]["me"]["disclosures"]
    assert record["principalKind"] == "partner" and record["principalId"] == "flowershop"
    assert record["relation"] == "PARTNER" and record["fields"] == ["Account.phone"]
    assert record["at"]
    # Reading one's own disclosures is not itself a disclosure.
    other = await gateway.query('{ account(id: "acct-alice") { disclosures { id } } }', as_="bob")
    assert other["data"]["account"]["disclosures"] is None


async def test_one_record_per_subject_and_relation_per_request(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    await gateway.query(
        '{ a: account(id: "acct-alice") { email } b: account(id: "acct-bob") { email username }'
        ' c: account(id: "acct-alice") { username } }',
        as_="dora",
    )
    stored = {r["subject"]: r["fields"] for r in await records(demo_db)}
    assert stored == {
        "acct-alice": ["Account.email", "Account.username"],
        "acct-bob": ["Account.email", "Account.username"],
    }


async def test_an_operation_s_records_are_one_document(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    body = await gateway.query(
        '{ domain(id: "uni-graz") { members(first: 20) { edges { node { id email } } } } }',
        as_="dora",
    )
    members = sorted(e["node"]["id"] for e in body["data"]["domain"]["members"]["edges"])
    assert len(members) > 2
    [doc] = await demo_db.disclosures.find().to_list()
    # Each disclosed member once, in `subjects`, and its entries at the same place.
    assert sorted(doc["subjects"]) == members
    assert doc["entries"] == [
        [
            {
                "relation": "DOMAIN_ADMIN",
                "fields": ["Account.domain", "Account.email"],
                "purpose": None,
                "legal_request": None,
            }
        ]
    ] * len(doc["subjects"])
    assert (doc["principal_kind"], doc["principal_id"]) == ("domain_admin", "acct-dora")


async def test_a_batch_records_each_disclosed_value_once(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    email = {"query": '{ account(id: "acct-alice") { email } }'}
    username = {"query": '{ account(id: "acct-alice") { username } }'}
    response = await gateway.http.post(
        "/graphql",
        json=[email, username],
        headers={"Authorization": f"Bearer {gateway.token('dora')}"},
    )
    assert response.status_code == 200
    # The operations share one request: each value is on record exactly once, not once per
    # operation that finished after it was read.
    fields = sorted(f for r in await _records(demo_db, "acct-alice") for f in r["fields"])
    assert fields == ["Account.email", "Account.username"]
