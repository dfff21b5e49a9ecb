"""Reads by a list of keys send the list in chunks (`resolvers.related.IN_CHUNK`).

SecantusDB checks every row it finds against the whole `$in` list, so one read of n keys costs
it n² comparisons (1,000 `_id`s: about 2 s of CPU); chunks of `IN_CHUNK` keep it linear. A
page's list (up to `IN_CHUNK` keys) is still one read; every key is read, whatever its chunk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.database import AsyncDatabase

from resolvers.accounts import accounts_by_id
from resolvers.collections import ACCOUNTS, DEVICES
from resolvers.related import IN_CHUNK, count_by, related_by

ACCOUNT_IDS = [f"acct-{n:04d}" for n in range(2 * IN_CHUNK + 7)]


@dataclass
class InLengths(monitoring.CommandListener):
    """How many keys each read's `$in` carried."""

    lengths: list[int] = field(default_factory=list)

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        match event.command:
            case {"find": str(), "filter": filter_}:
                self.lengths.extend(len(v["$in"]) for v in filter_.values() if "$in" in v)
            case {"aggregate": str(), "pipeline": [{"$match": filter_}, *_]}:
                self.lengths.extend(len(v["$in"]) for v in filter_.values() if "$in" in v)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def seeded(db: AsyncDatabase[Any]) -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    await db[ACCOUNTS].insert_many(
        {
            "_id": account_id,
            "username": f"user{n:04d}",
            "email": f"user{n:04d}@example.org",
            "display_name": f"User {n}",
            "status": "ACTIVE",
            "created_at": now,
        }
        for n, account_id in enumerate(ACCOUNT_IDS)
    )
    await db[DEVICES].insert_many(
        {"_id": f"{account_id}-{d}", "account": account_id, "device_id": str(d)}
        for account_id in ACCOUNT_IDS
        for d in range(2)
    )


async def test_long_key_lists_are_read_in_chunks_and_read_whole(
    mongo_uri: str, db: AsyncDatabase[Any]
) -> None:
    await seeded(db)
    listener = InLengths()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        mongo_uri, tz_aware=True, event_listeners=[listener]
    )
    try:
        watched = client[db.name]
        asked = [*reversed(ACCOUNT_IDS), "acct-missing"]
        accounts = await accounts_by_id(watched, asked, ["display_name"])
        devices = await related_by(watched, DEVICES, "account", asked, fields=["device_id"])
        counts = await count_by(watched, DEVICES, "account", asked)
    finally:
        await client.close()
    assert sorted(accounts) == ACCOUNT_IDS
    assert accounts["acct-0003"] == {"_id": "acct-0003", "display_name": "User 3"}
    assert {k: [d["device_id"] for d in v] for k, v in devices.items()} == {
        **{account_id: ["0", "1"] for account_id in ACCOUNT_IDS},
        "acct-missing": [],
    }
    assert counts == {**dict.fromkeys(ACCOUNT_IDS, 2), "acct-missing": 0}
    assert listener.lengths == 3 * [IN_CHUNK, IN_CHUNK, 8]


async def test_a_page_of_keys_is_one_read_and_a_key_asked_twice_read_once(
    mongo_uri: str, db: AsyncDatabase[Any]
) -> None:
    await seeded(db)
    listener = InLengths()
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        mongo_uri, tz_aware=True, event_listeners=[listener]
    )
    try:
        watched = client[db.name]
        accounts = await accounts_by_id(watched, ACCOUNT_IDS[:IN_CHUNK], ["_id"])
        twice = await related_by(watched, DEVICES, "account", ["acct-0001", "acct-0001"])
    finally:
        await client.close()
    assert len(accounts) == IN_CHUNK
    assert [d["_id"] for d in twice["acct-0001"]] == ["acct-0001-0", "acct-0001-1"]
    assert listener.lengths == [IN_CHUNK, 1]
