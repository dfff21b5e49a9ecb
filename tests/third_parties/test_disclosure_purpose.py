"""A partner's disclosure record names the purpose of the consent it read under (finding 13)."""

from __future__ import annotations

from tests.client import GatewayClient

DISCLOSURES = "{ me { disclosures { principalId relation fields purpose legalRequest } } }"


async def partner_records(gateway: GatewayClient, handle: str) -> list[dict[str, object]]:
    body = await gateway.query(DISCLOSURES, as_=handle)
    return [r for r in body["data"]["me"]["disclosures"] if r["relation"] == "PARTNER"]


async def test_alices_record_for_flowershop_names_the_consents_purpose(
    gateway: GatewayClient,
) -> None:
    body = await gateway.query('{ account(id: "acct-alice") { phone } }', as_="flowershop")
    assert body["data"]["account"]["phone"] == "+43 316 380 0001"
    assert await partner_records(gateway, "alice") == [
        {
            "principalId": "flowershop",
            "relation": "PARTNER",
            "fields": ["Account.phone"],
            "purpose": "contact",
            "legalRequest": None,
        }
    ]


async def test_each_field_is_recorded_under_the_purpose_of_the_consent_that_names_it(
    gateway: GatewayClient,
) -> None:
    grant = """
    mutation { grantConsent(input: {recipient: "flowershop", fields: ["email"],
                                    purpose: "newsletter"}) { consent { id } } }
    """
    assert "errors" not in await gateway.query(grant, as_="bob")
    called = 'mutation { contactBusiness(input: {businessId: "flowershop"}) { consent { id } } }'
    assert "errors" not in await gateway.query(called, as_="bob")
    body = await gateway.query('{ account(id: "acct-bob") { email phone } }', as_="flowershop")
    assert "errors" not in body, body
    records = await partner_records(gateway, "bob")
    assert sorted((r["fields"], r["purpose"]) for r in records) == [
        (["Account.email"], "newsletter"),
        (["Account.phone"], "contact"),
    ]
