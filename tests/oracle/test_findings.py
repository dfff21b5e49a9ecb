"""Minimal reproducers of what the oracle found, each through HTTP, each against the SPEC."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from tests.client import GatewayClient, error_codes
from tests.disclosure_records import records


async def test_a_payload_nulled_by_a_refused_sibling_write_is_not_recorded_as_disclosed(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    """SPEC §8 records values *returned*. dora's first write runs (and is recorded, §7), the
    second is refused; the refusal nulls the whole answer (payloads are non-null), so bob's
    email never reaches dora and must not be on record as disclosed to her."""
    body = await gateway.query(
        """mutation {
          a: limitRights(input: {accountId: "acct-bob", edit: true}) { account { id email } }
          b: suspendAccount(input: {accountId: "acct-carol"}) { account { id } }
        }""",
        as_="dora",
    )
    assert body["data"] is None
    assert error_codes(body) == ["FORBIDDEN"]
    bob = await demo_db.accounts.find_one({"_id": "acct-bob"})
    assert bob is not None and bob["rights_limits"]["edit"] is True
    stored = await records(demo_db, subject="acct-bob")
    assert [r["fields"] for r in stored] == [["Mutation.limitRights"]]
