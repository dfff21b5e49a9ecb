"""Support cases through HTTP: helpdesk-co reads a person exactly while their case is open."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers import collections as c
from resolvers.demo_world import account_id
from tests.client import GatewayClient, error_codes
from tests.disclosure_records import records

CASES = """
{ supportCases { id status messages { author text } account { id username email status phone } } }
"""
REPLY = """
mutation($case: ID!, $close: Boolean!) {
  replyToSupportCase(input: {caseId: $case, text: "We fixed it.", close: $close}) { status }
}
"""
ALICE = account_id("alice")


async def support_disclosures(db: AsyncDatabase[Any]) -> list[dict[str, Any]]:
    return await records(db, principal_id="helpdesk-co")


async def test_processor_sees_open_cases_with_what_support_needs(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    body = await gateway.query(CASES, as_="helpdesk-co")
    [case] = body["data"]["supportCases"]
    assert case["id"] == "case-alice-login" and case["status"] == "OPEN"
    assert case["account"] == {
        "id": ALICE,
        "username": "alice",
        "email": "alice@uni-graz.example",
        "status": "ACTIVE",
        "phone": None,
    }
    assert [e["path"] for e in body["errors"]] == [["supportCases", 0, "account", "phone"]]
    [record] = await support_disclosures(demo_db)
    assert record["subject"] == ALICE and record["purpose"] == "support"
    assert "Account.email" in record["fields"]


async def test_a_case_from_opening_to_closing_and_access_ends_with_it(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    opened = await gateway.query(
        'mutation { openSupportCase(input: {text: "My photos are gone."}) { caseId status } }',
        as_="bob",
    )
    case_id = opened["data"]["openSupportCase"]["caseId"]
    more = await gateway.query(
        'mutation($c: ID!) { postSupportMessage(input: {caseId: $c, text: "Since Monday."})'
        " { status } }",
        {"c": case_id},
        as_="bob",
    )
    assert more["data"]["postSupportMessage"]["status"] == "OPEN"
    claimed = await gateway.query(
        "mutation { claimSupportCase(input: {}) { caseId } }", as_="helpdesk-co"
    )
    assert claimed["data"]["claimSupportCase"]["caseId"] == case_id
    listed = await gateway.query(CASES, as_="helpdesk-co")
    assert case_id in {case["id"] for case in listed["data"]["supportCases"]}

    replied = await gateway.query(REPLY, {"case": case_id, "close": True}, as_="helpdesk-co")
    assert replied["data"]["replyToSupportCase"]["status"] == "CLOSED"
    mine = await gateway.query(
        "{ me { supportCases { id status messages { author text } } } }", as_="bob"
    )
    [case] = [c for c in mine["data"]["me"]["supportCases"] if c["id"] == case_id]
    assert case["status"] == "CLOSED"
    assert [m["text"] for m in case["messages"]] == [
        "My photos are gone.",
        "Since Monday.",
        "We fixed it.",
    ]

    # Closed: no more reading bob, no more replies, and none of it is recorded.
    before = len(await support_disclosures(demo_db))
    body = await gateway.query('{ account(id: "acct-bob") { email } }', as_="helpdesk-co")
    assert body["data"]["account"]["email"] is None and error_codes(body) == ["FORBIDDEN"]
    again = await gateway.query(REPLY, {"case": case_id, "close": False}, as_="helpdesk-co")
    assert error_codes(again) == ["BAD_USER_INPUT"]  # as for a case that never existed
    assert len(await support_disclosures(demo_db)) == before


async def test_closing_alices_case_ends_the_processors_access_to_her(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    closed = await gateway.query(
        'mutation { closeSupportCase(input: {caseId: "case-alice-login"}) { status } }',
        as_="alice",
    )
    assert closed["data"]["closeSupportCase"]["status"] == "CLOSED"
    assert (await gateway.query(CASES, as_="helpdesk-co"))["data"]["supportCases"] == []
    body = await gateway.query('{ account(id: "acct-alice") { username } }', as_="helpdesk-co")
    assert error_codes(body) == ["FORBIDDEN"]
    assert await support_disclosures(demo_db) == []


async def test_nobody_writes_to_a_case_that_is_not_theirs(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    before = await demo_db[c.SUPPORT_CASES].find_one({"_id": "case-alice-login"})
    for caller in ("bob", "dora", "flowershop"):
        body = await gateway.query(
            'mutation { postSupportMessage(input: {caseId: "case-alice-login", text: "x"})'
            " { status } }",
            as_=caller,
        )
        assert error_codes(body) == ["BAD_USER_INPUT"]  # no such case, as far as they know
    missing = await gateway.query(REPLY, {"case": "case-nobody", "close": False}, as_="helpdesk-co")
    assert error_codes(missing) == ["BAD_USER_INPUT"]
    assert await demo_db[c.SUPPORT_CASES].find_one({"_id": "case-alice-login"}) == before


async def test_a_support_message_is_validated(gateway: GatewayClient) -> None:
    body = await gateway.query(
        'mutation { openSupportCase(input: {text: "   "}) { caseId } }', as_="bob"
    )
    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["field"] == "text"
