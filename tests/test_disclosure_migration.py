"""Records a deployment stored one document per subject (before issue 11) are converted at
start-up into one-subject operations, ids kept, so every reader sees them as before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from gateway.app import prepare
from gateway.settings import Settings
from resolvers import collections as c
from tests.client import running

ALICE, BOB = "acct-alice", "acct-bob"
T0 = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
MINE = """query($first: Int, $after: String) { me {
  disclosures(first: $first, after: $after) { id principalId relation fields purpose cursor } } }"""


def _old(doc_id: str, subject: str, minutes: int, who: str, relation: str, field: str) -> Any:
    return {
        "_id": doc_id,
        "subject": subject,
        "principal_kind": "partner" if relation == "PARTNER" else "domain_admin",
        "principal_id": who,
        "relation": relation,
        "fields": [field],
        "purpose": "contact" if relation == "PARTNER" else None,
        "legal_request": None,
        "at": T0 - timedelta(minutes=minutes),
    }


OLD = [
    _old("old-1", ALICE, 1, "flowershop", "PARTNER", "Account.phone"),
    _old("old-2", ALICE, 2, "acct-dora", "DOMAIN_ADMIN", "Account.email"),
    _old("old-3", BOB, 3, "acct-dora", "DOMAIN_ADMIN", "Account.email"),
]


async def _stored_before_issue_11(db: AsyncDatabase[Any]) -> None:
    """The collection as the previous release left it: its index, one document per subject."""
    await db[c.DISCLOSURES].create_index(
        [("subject", ASCENDING), ("at", DESCENDING)], name="by_subject"
    )
    await db[c.DISCLOSURES].insert_many([dict(doc) for doc in OLD])


async def _page(gateway: Any, first: int, after: str | None = None) -> list[dict[str, Any]]:
    body = await gateway.query(MINE, {"first": first, "after": after}, as_="alice")
    assert "errors" not in body, body
    rows: list[dict[str, Any]] = body["data"]["me"]["disclosures"]
    return rows


async def test_old_records_are_converted_at_start_and_read_as_before(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    await _stored_before_issue_11(demo_db)
    async with running(settings) as gateway:
        rows = await _page(gateway, 20)
        assert [
            (r["id"], r["principalId"], r["relation"], r["fields"], r["purpose"]) for r in rows
        ] == [
            ("old-1", "flowershop", "PARTNER", ["Account.phone"], "contact"),
            ("old-2", "acct-dora", "DOMAIN_ADMIN", ["Account.email"], None),
        ]
        first = await _page(gateway, 1)
        assert [r["id"] for r in await _page(gateway, 1, first[0]["cursor"])] == ["old-2"]
        exported = await gateway.query(
            "mutation { exportMyData(input: {}) { document } }", as_="alice"
        )
        document = exported["data"]["exportMyData"]["document"]
        assert [d["id"] for d in document["disclosures"]] == ["old-2", "old-1"]
    assert "by_subject" not in await demo_db[c.DISCLOSURES].index_information()
    bob = await demo_db[c.DISCLOSURES].find_one({"_id": "old-3"})
    assert bob == {
        "_id": "old-3",
        "principal_kind": "domain_admin",
        "principal_id": "acct-dora",
        "at": OLD[2]["at"],
        "subjects": [BOB],
        "entries": [
            [
                {
                    "relation": "DOMAIN_ADMIN",
                    "fields": ["Account.email"],
                    "purpose": None,
                    "legal_request": None,
                }
            ]
        ],
    }


async def test_converting_again_changes_nothing(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    """Every start converts (several workers at once, a start after a crash midway)."""
    await _stored_before_issue_11(demo_db)
    await prepare(demo_db)
    converted = await demo_db[c.DISCLOSURES].find().sort("_id").to_list()
    # A second run, and one that finds the old index back (a crash before it was dropped).
    await prepare(demo_db)
    await demo_db[c.DISCLOSURES].create_index(
        [("subject", ASCENDING), ("at", DESCENDING)], name="by_subject"
    )
    await prepare(demo_db)
    assert await demo_db[c.DISCLOSURES].find().sort("_id").to_list() == converted
    assert [doc["subjects"] for doc in converted] == [[ALICE], [ALICE], [BOB]]
