"""The database itself refuses malformed documents, and schema set-up is repeatable."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError, WriteError

from resolvers.collections import ACCOUNTS, ALL, CONTENT, ensure_schema

NOW = datetime.now(UTC)
GOOD_ACCOUNT = {
    "_id": "acct-x",
    "username": "xavier",
    "email": "x@mail.example",
    "display_name": "Xavier",
    "status": "ACTIVE",
    "created_at": NOW,
}
GOOD_CONTENT = {
    "_id": "c-x",
    "owner": "acct-x",
    "kind": "POST",
    "visibility": "PUBLIC",
    "created_at": NOW,
}


@pytest.mark.parametrize(
    ("collection", "document"),
    [
        (ACCOUNTS, {**GOOD_ACCOUNT, "username": "X Ray!"}),
        (ACCOUNTS, {**GOOD_ACCOUNT, "status": "DELETED"}),
        (ACCOUNTS, {**GOOD_ACCOUNT, "email": "not-an-email"}),
        (ACCOUNTS, {k: v for k, v in GOOD_ACCOUNT.items() if k != "display_name"}),
        (CONTENT, {**GOOD_CONTENT, "kind": "TWEET"}),
        (CONTENT, {**GOOD_CONTENT, "visibility": "FRIENDS"}),
        (CONTENT, {**GOOD_CONTENT, "shared_with": "acct-y"}),
        (CONTENT, {k: v for k, v in GOOD_CONTENT.items() if k != "owner"}),
    ],
)
async def test_validators_refuse_malformed_documents(
    db: AsyncDatabase[Any], collection: str, document: dict[str, Any]
) -> None:
    with pytest.raises(WriteError) as refused:
        await db[collection].insert_one(document)
    assert refused.value.code == 121
    assert await db[collection].count_documents({}) == 0


async def test_well_formed_documents_pass_and_usernames_are_unique(
    db: AsyncDatabase[Any],
) -> None:
    await db[ACCOUNTS].insert_one(dict(GOOD_ACCOUNT))
    await db[CONTENT].insert_one(dict(GOOD_CONTENT))
    with pytest.raises(DuplicateKeyError):
        await db[ACCOUNTS].insert_one({**GOOD_ACCOUNT, "_id": "acct-y", "email": "y@m.example"})


async def test_ensure_schema_is_repeatable(db: AsyncDatabase[Any]) -> None:
    await ensure_schema(db)
    assert set(ALL) <= set(await db.list_collection_names())
    indexes = await db[ACCOUNTS].index_information()
    assert indexes["username_unique"]["unique"] and indexes["email_unique"]["unique"]


async def test_ensure_schema_run_by_two_processes_at_once_on_a_new_database(
    mongo: AsyncMongoClient[dict[str, Any]],
) -> None:
    """Workers and replicas each run it at start, at the same time on a first start."""
    fresh = mongo[f"test_{uuid.uuid4().hex[:12]}"]
    try:
        await asyncio.gather(ensure_schema(fresh), ensure_schema(fresh))
        assert set(ALL) <= set(await fresh.list_collection_names())
        indexes = await fresh[ACCOUNTS].index_information()
        assert indexes["username_unique"]["unique"]
    finally:
        await mongo.drop_database(fresh.name)
