"""The consent ledger through HTTP: partners read exactly what an active consent names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from resolvers import collections as c
from resolvers.demo_world import account_id
from tests.client import GatewayClient, error_codes
from tests.disclosure_records import records

GRANT = """
mutation($input: GrantConsentInput!) {
  grantConsent(input: $input) { consent { id recipient fields explicit active } }
}
"""
CONTACTS = "{ partnerContacts { consentFields account { id displayName email phone } } }"
BOB = account_id("bob")


async def contacts(gateway: GatewayClient, partner: str) -> dict[str, Any]:
    body = await gateway.query(CONTACTS, as_=partner)
    return {row["account"]["id"]: row for row in body["data"]["partnerContacts"]}


async def partner_disclosures(db: AsyncDatabase[Any], subject: str) -> list[dict[str, Any]]:
    return await records(db, subject=subject, relation="PARTNER")


async def test_a_grant_shows_the_named_fields_until_it_is_revoked(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    granted = await gateway.query(
        GRANT, {"input": {"recipient": "flowershop", "fields": ["email"]}}, as_="bob"
    )
    consent = granted["data"]["grantConsent"]["consent"]
    assert consent["fields"] == ["email"] and consent["active"] is True
    row = (await contacts(gateway, "flowershop"))[BOB]
    assert row["consentFields"] == ["email"]
    assert row["account"]["email"] == "bob@uni-graz.example"
    assert row["account"]["phone"] is None  # named nowhere: still forbidden
    [record] = await partner_disclosures(demo_db, BOB)
    assert record["fields"] == ["Account.email"] and record["principal_id"] == "flowershop"

    revoked = await gateway.query(
        "mutation($id: ID!) { revokeConsent(input: {consentId: $id})"
        " { consent { active revokedAt } } }",
        {"id": consent["id"]},
        as_="bob",
    )
    assert revoked["data"]["revokeConsent"]["consent"]["active"] is False
    assert BOB not in await contacts(gateway, "flowershop")
    body = await gateway.query('{ account(id: "acct-bob") { email } }', as_="flowershop")
    assert error_codes(body) == ["FORBIDDEN"]
    assert len(await partner_disclosures(demo_db, BOB)) == 1

    history = await gateway.query("{ me { consents { recipient active revokedAt } } }", as_="bob")
    [entry] = history["data"]["me"]["consents"]
    assert entry["recipient"] == "flowershop" and entry["active"] is False
    assert entry["revokedAt"] is not None


async def test_an_expired_consent_counts_for_nothing(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    now = datetime.now(UTC)
    await demo_db[c.CONSENTS].insert_one(
        {
            "_id": "consent-bob-expired",
            "subject": BOB,
            "recipient": "flowershop",
            "fields": ["email"],
            "purpose": None,
            "explicit": False,
            "source": "GRANT",
            "granted_at": now - timedelta(days=30),
            "expires_at": now - timedelta(seconds=1),
            "revoked_at": None,
        }
    )
    assert BOB not in await contacts(gateway, "flowershop")
    body = await gateway.query('{ account(id: "acct-bob") { email } }', as_="flowershop")
    assert error_codes(body) == ["FORBIDDEN"]
    assert await partner_disclosures(demo_db, BOB) == []


async def test_contacting_a_business_shares_the_phone_only(gateway: GatewayClient) -> None:
    body = await gateway.query(
        'mutation { contactBusiness(input: {businessId: "flowershop"})'
        " { consent { fields purpose source } } }",
        as_="bob",
    )
    assert body["data"]["contactBusiness"]["consent"] == {
        "fields": ["phone"],
        "purpose": "contact",
        "source": "ACTION",
    }
    row = (await contacts(gateway, "flowershop"))[BOB]
    assert row["account"]["phone"] == "+43 316 380 0002"
    assert row["account"]["email"] is None


async def test_sensitive_fields_need_explicit_consent_and_never_go_to_advertisers(
    gateway: GatewayClient,
) -> None:
    implicit = await gateway.query(
        GRANT, {"input": {"recipient": "flowershop", "fields": ["sensitive"]}}, as_="alice"
    )
    assert error_codes(implicit) == ["BAD_USER_INPUT"]
    assert implicit["errors"][0]["extensions"]["field"] == "explicit"
    to_advertiser = await gateway.query(
        GRANT,
        {"input": {"recipient": "adnet", "fields": ["sensitive"], "explicit": True}},
        as_="alice",
    )
    assert error_codes(to_advertiser) == ["BAD_USER_INPUT"]
    assert to_advertiser["errors"][0]["extensions"]["field"] == "fields"

    explicit = await gateway.query(
        GRANT,
        {"input": {"recipient": "flowershop", "fields": ["sensitive"], "explicit": True}},
        as_="alice",
    )
    assert "errors" not in explicit, explicit
    body = await gateway.query(
        '{ account(id: "acct-alice") { sensitive { health } } }', as_="flowershop"
    )
    assert body["data"]["account"]["sensitive"] == {"health": "asthma"}


@pytest.mark.parametrize(
    ("input", "field"),
    [
        ({"recipient": "nobody-inc", "fields": ["email"]}, "recipient"),
        ({"recipient": "flowershop", "fields": ["billing"]}, "fields"),
        ({"recipient": "flowershop", "fields": ["passwordHash"]}, "fields"),
        ({"recipient": "flowershop", "fields": []}, "fields"),
        (
            {"recipient": "flowershop", "fields": ["email"], "expiresAt": "2000-01-01T00:00:00Z"},
            "expiresAt",
        ),
    ],
)
async def test_a_consent_that_cannot_be_given_stores_nothing(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any], input: dict[str, Any], field: str
) -> None:
    before = await demo_db[c.CONSENTS].count_documents({})
    body = await gateway.query(GRANT, {"input": input}, as_="bob")
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == field
    assert await demo_db[c.CONSENTS].count_documents({}) == before


async def test_contacting_a_partner_that_is_no_business_is_refused(gateway: GatewayClient) -> None:
    body = await gateway.query(
        'mutation { contactBusiness(input: {businessId: "adnet"}) { consent { id } } }', as_="bob"
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_a_partner_sees_only_consents_naming_it(gateway: GatewayClient) -> None:
    assert set(await contacts(gateway, "flowershop")) == {account_id("alice")}
    assert await contacts(gateway, "adnet") == {}
