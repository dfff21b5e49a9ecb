"""A processor holds PROCESSOR only for open cases of its purpose assigned to it (audit,
suspected item): a second processor of the same purpose sees none of the first one's cases,
nobody sees a case waiting for a processor, and no processor sees cases of another purpose.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers import collections as c
from resolvers.demo_world import account_id
from tests.client import GatewayClient, error_codes

ALICE, BOB = account_id("alice"), account_id("bob")
CASES = "{ supportCases { id account { id email } } }"
ALICES_CASES = '{ account(id: "acct-alice") { email supportCases { id purpose } } }'
CLAIM = "mutation { claimSupportCase(input: {}) { caseId } }"


def helpdesk_two(gateway: GatewayClient) -> str:
    """A second processor for `support`, besides the demo's helpdesk-co."""
    return gateway.issuer.issue(
        {"kind": "processor", "sub": "helpdesk-two", "purpose": "support"}, 600
    )


async def add_case(
    db: AsyncDatabase[Any], case_id: str, subject: str, purpose: str, processor: str | None
) -> None:
    await db[c.SUPPORT_CASES].insert_one(
        {
            "_id": case_id,
            "subject": subject,
            "purpose": purpose,
            "processor": processor,
            "status": "OPEN",
            "opened_at": datetime.now(UTC),  # as `open_case` stores it: lists go by it
            "messages": [{"author": subject, "at": None, "text": f"About {case_id}."}],
        }
    )


async def test_a_processor_sees_only_the_cases_assigned_to_it(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    await add_case(demo_db, "case-alice-two", ALICE, "support", "helpdesk-two")
    await add_case(demo_db, "case-alice-billing", ALICE, "billing", "helpdesk-co")
    two = helpdesk_two(gateway)

    listed = await gateway.query(CASES, token=two)
    assert [case["id"] for case in listed["data"]["supportCases"]] == ["case-alice-two"]
    body = await gateway.query(ALICES_CASES, token=two)
    assert body["data"]["account"]["supportCases"] == [
        {"id": "case-alice-two", "purpose": "support"}
    ]
    body = await gateway.query(ALICES_CASES, as_="helpdesk-co")
    assert body["data"]["account"]["supportCases"] == [
        {"id": "case-alice-login", "purpose": "support"}
    ]


async def test_a_waiting_case_is_nobodys_until_one_processor_claims_it(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    opened = await gateway.query(
        'mutation { openSupportCase(input: {text: "Locked out."}) { caseId } }', as_="bob"
    )
    case_id = opened["data"]["openSupportCase"]["caseId"]
    two = helpdesk_two(gateway)
    for listed in (
        await gateway.query(CASES, token=two),
        await gateway.query(CASES, as_="helpdesk-co"),
    ):
        assert case_id not in {case["id"] for case in listed["data"]["supportCases"]}
    body = await gateway.query('{ account(id: "acct-bob") { email } }', token=two)
    assert body["data"]["account"]["email"] is None and error_codes(body) == ["FORBIDDEN"]

    claimed = await gateway.query(CLAIM, token=two)
    assert claimed["data"]["claimSupportCase"]["caseId"] == case_id
    listed = await gateway.query(CASES, token=two)
    assert {"id": case_id, "account": {"id": BOB, "email": "bob@uni-graz.example"}} in listed[
        "data"
    ]["supportCases"]
    # Claimed once: helpdesk-co finds nothing left to claim, and still cannot read bob.
    again = await gateway.query(CLAIM, as_="helpdesk-co")
    assert again["data"]["claimSupportCase"]["caseId"] is None
    body = await gateway.query('{ account(id: "acct-bob") { email } }', as_="helpdesk-co")
    assert error_codes(body) == ["FORBIDDEN"]
    stored = await demo_db[c.SUPPORT_CASES].find_one({"_id": case_id})
    assert stored is not None and stored["processor"] == "helpdesk-two"


async def test_only_processors_claim_cases(gateway: GatewayClient) -> None:
    for caller in ("bob", "flowershop", "dora"):
        body = await gateway.query(CLAIM, as_=caller)
        assert error_codes(body) == ["FORBIDDEN"]
