"""Disclosure records of concurrent operations are written together, and still before the data.

The writer (`resolvers.disclosures.DisclosureWriter`) sends what queued while its previous
insert was in flight as one `insert_many`; each operation waits for the insert carrying its
own records, so a failed insert withholds the answer of every operation it carried. Failures
here are real database refusals: a validator on the `disclosures` collection.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from gateway.settings import Settings
from resolvers.collections import DISCLOSURES
from resolvers.disclosures import DisclosureWriter
from resolvers.transactions import enclosing_transaction, turns
from tests.client import error_codes, running
from tests.disclosure_records import records
from tests.disclosures import WITHHELD, record, refuse_records_about

READ_EMAIL = "query($id: ID!) { account(id: $id) { email } }"
#: Eight members of dora's domain (SPEC §9 demo world), one request for each.
MEMBERS = [
    "acct-alice",
    "acct-bob",
    *(f"acct-learner{n:02d}" for n in (3, 6, 9, 12, 15, 18)),
]


@dataclass
class Insert:
    subjects: set[str]
    failed: bool = False


@dataclass
class DisclosureInserts(monitoring.CommandListener):
    """Every insert into `disclosures`: the subjects it carried, and whether it failed."""

    inserts: dict[int, Insert] = field(default_factory=dict)

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "insert" and event.command["insert"] == DISCLOSURES:
            subjects = {s for doc in event.command["documents"] for s in doc["subjects"]}
            self.inserts[event.request_id] = Insert(subjects)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        # An insert whose documents the server refused still "succeeds" with `writeErrors`.
        if event.request_id in self.inserts and event.reply.get("writeErrors"):
            self.inserts[event.request_id].failed = True

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        if event.request_id in self.inserts:
            self.inserts[event.request_id].failed = True

    def carrying(self, subject: str) -> Insert:
        [insert] = [i for i in self.inserts.values() if subject in i.subjects]
        return insert


@pytest.fixture
async def listened(
    mongo_uri: str, db: AsyncDatabase[Any]
) -> AsyncIterator[tuple[AsyncDatabase[Any], DisclosureInserts]]:
    """The test's database through a client of its own that reports its inserts."""
    inserts = DisclosureInserts()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        mongo_uri, tz_aware=True, event_listeners=[inserts]
    )
    yield client[db.name], inserts
    await client.close()


async def _read_emails(settings: Settings, inserts: DisclosureInserts) -> list[dict[str, Any]]:
    async with running(settings, event_listeners=[inserts]) as gateway:
        return list(
            await asyncio.gather(
                *(gateway.query(READ_EMAIL, {"id": member}, as_="dora") for member in MEMBERS)
            )
        )


async def test_concurrent_requests_share_inserts_and_each_keeps_its_records(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    inserts = DisclosureInserts()
    bodies = await _read_emails(settings, inserts)
    assert all("errors" not in body and body["data"]["account"]["email"] for body in bodies)
    assert len(inserts.inserts) < len(MEMBERS)
    stored = await records(demo_db, principal_id="acct-dora")
    assert sorted((r["subject"], r["fields"]) for r in stored) == [
        (member, ["Account.email"]) for member in sorted(MEMBERS)
    ]


async def test_every_request_of_a_failed_insert_is_withheld_and_only_those(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    await refuse_records_about(demo_db, "acct-bob")
    inserts = DisclosureInserts()
    bodies = await _read_emails(settings, inserts)
    assert inserts.carrying("acct-bob").failed
    for member, body in zip(MEMBERS, bodies, strict=True):
        if inserts.carrying(member).failed:
            assert body["data"] is None, member
            assert [e["message"] for e in body["errors"]] == [WITHHELD]
            assert error_codes(body) == ["INTERNAL_SERVER_ERROR"]
        else:
            assert body == {"data": {"account": {"email": body["data"]["account"]["email"]}}}
            assert body["data"]["account"]["email"].endswith("@uni-graz.example")


async def test_a_lone_request_whose_record_is_refused_is_withheld(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    await refuse_records_about(demo_db, "acct-bob")
    async with running(settings) as gateway:
        refused = await gateway.query(READ_EMAIL, {"id": "acct-bob"}, as_="dora")
        kept = await gateway.query(READ_EMAIL, {"id": "acct-alice"}, as_="dora")
    assert refused["data"] is None
    assert [e["message"] for e in refused["errors"]] == [WITHHELD]
    assert kept == {"data": {"account": {"email": "alice@uni-graz.example"}}}


async def test_writes_queued_while_the_writer_is_busy_go_in_one_insert(
    listened: tuple[AsyncDatabase[Any], DisclosureInserts],
) -> None:
    db, inserts = listened
    writer = DisclosureWriter(db)
    await asyncio.gather(*(writer.write(record(member)) for member in MEMBERS))
    assert [insert.subjects for insert in inserts.inserts.values()] == [set(MEMBERS)]
    assert await db[DISCLOSURES].count_documents({}) == len(MEMBERS)


async def test_a_refused_insert_fails_every_write_it_carried_and_the_next_one_stands(
    listened: tuple[AsyncDatabase[Any], DisclosureInserts],
) -> None:
    db, inserts = listened
    await refuse_records_about(db, "acct-bob")
    writer = DisclosureWriter(db)
    outcomes = await asyncio.gather(
        *(writer.write(record(member)) for member in MEMBERS), return_exceptions=True
    )
    assert all(isinstance(outcome, PyMongoError) for outcome in outcomes), outcomes
    await writer.write(record("acct-carol"))
    assert [insert.failed for insert in inserts.inserts.values()] == [True, False]


async def test_records_inside_an_operations_transaction_stay_in_it(
    listened: tuple[AsyncDatabase[Any], DisclosureInserts],
) -> None:
    """A reject-mode operation's records are written in its transaction, and roll back with it,
    while another operation's records, written meanwhile, stand.

    The transaction may lose a write conflict to the other insert (SecantusDB's are coarse):
    it then kept nothing and runs again whole, as the gateway runs such an operation again
    (`GatewayGraphQL._until_no_conflict`). The insert outside it never fails."""
    db, _ = listened
    writer = DisclosureWriter(db)

    async def rolled_back() -> None:
        for wait in turns():
            try:
                async with enclosing_transaction(db) as transaction:
                    await writer.write(record("acct-alice"))
                    transaction.roll_back = True
            except PyMongoError as error:
                if not error.has_error_label("TransientTransactionError"):
                    raise
                await asyncio.sleep(wait)
            else:
                return
        pytest.fail("the transaction lost every conflict")

    await asyncio.gather(rolled_back(), writer.write(record("acct-bob")))
    assert await db[DISCLOSURES].distinct("subjects") == ["acct-bob"]


async def test_a_reject_mode_write_whose_record_is_refused_changes_nothing(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    await refuse_records_about(demo_db, "acct-bob")
    async with running(settings) as gateway:
        body = await gateway.query(
            'mutation { limitRights(input: {accountId: "acct-bob", privacy: true}) '
            "{ account { id } } }",
            as_="dora",
            headers={"X-Authz-Mode": "reject"},
        )
    assert body["data"] is None
    assert [e["message"] for e in body["errors"]] == [WITHHELD]
    bob = await demo_db.accounts.find_one({"_id": "acct-bob"})
    assert bob is not None and bob["rights_limits"]["privacy"] is False
    assert await demo_db.admin_audit.count_documents({}) == 0
