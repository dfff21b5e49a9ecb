"""The database refuses the disclosure records (as a full disk or a failing validator would)
while concurrent requests are answered: whatever could not be recorded is withheld."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers.collections import DISCLOSURES
from tests.client import GatewayClient
from tests.disclosures import WITHHELD, refuse_records_about
from tests.faults.outages import MEMBERS, a_normal_request_succeeds, read_emails, recorded


async def test_answers_whose_records_are_refused_are_withheld_with_a_clear_error(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    await refuse_records_about(demo_db, "acct-bob")
    answers = dict(zip(MEMBERS, await read_emails(gateway, MEMBERS), strict=True))
    withheld = {member for member, response in answers.items() if "errors" in response.json()}
    assert "acct-bob" in withheld
    for member in withheld:
        assert answers[member].json() == {
            "data": None,
            "errors": [{"message": WITHHELD, "extensions": {"code": "INTERNAL_SERVER_ERROR"}}],
        }
    await recorded(demo_db, answers)
    await demo_db.command("collMod", DISCLOSURES, validator={})
    await a_normal_request_succeeds(gateway, demo_db)
