"""The stored disclosure records, one row per record, for tests that check what was recorded.

Records are stored one document per operation (`resolvers.disclosures`): `subjects`, and
position for position the entries about each. These rows are what the SPEC calls a record
(subject, principal kind and id, relation, fields, purpose or legal request, time), read back
here without the gateway's code, so a test checks the stored shape as well.
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers.collections import DISCLOSURES


def rows_of(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The records of one stored operation document, each with its subject, in stored order."""
    shared = {key: doc[key] for key in ("principal_kind", "principal_id", "at")}
    assert len(doc["subjects"]) == len(doc["entries"]) == len(set(doc["subjects"])) > 0
    return [
        {"_id": doc["_id"], "subject": subject, **shared, **entry}
        for subject, entries in zip(doc["subjects"], doc["entries"], strict=True)
        for entry in entries
    ]


async def records(db: AsyncDatabase[Any], **equal: Any) -> list[dict[str, Any]]:
    """Every stored record whose keys have the `equal` values (`subject="acct-alice"`), in
    the order their operations were stored; `_id` is its operation's document id."""
    found = []
    async for doc in db[DISCLOSURES].find({}).sort([("at", 1), ("_id", 1)]):
        found += [row for row in rows_of(doc) if all(row.get(k) == v for k, v in equal.items())]
    return found


async def subjects(db: AsyncDatabase[Any], **equal: Any) -> list[str]:
    """The distinct subjects of the records matching `equal`, sorted."""
    return sorted({row["subject"] for row in await records(db, **equal)})


def without(row: dict[str, Any], *keys: str) -> dict[str, Any]:
    """`row` without `keys` (a record's `_id` and `at` are not known in advance)."""
    return {key: value for key, value in row.items() if key not in keys}
