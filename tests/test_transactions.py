"""`atomic` commits or aborts as one where the server has transactions (the embedded one does)."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from resolvers.transactions import atomic


class Crash(Exception):
    pass


async def test_a_failed_block_leaves_nothing_and_a_finished_one_everything(
    db: AsyncDatabase[Any],
) -> None:
    hello = await db.client.admin.command("hello")
    transactional = bool(hello.get("setName") or hello.get("msg") == "isdbgrid")
    with pytest.raises(Crash):
        async with atomic(db) as session:
            assert (session is not None) is transactional
            await db.devices.insert_one({"_id": "d1", "account": "a"}, session=session)
            await db.sign_ins.insert_one({"_id": "s1", "account": "a"}, session=session)
            raise Crash
    if transactional:
        assert await db.devices.count_documents({}) == 0
        assert await db.sign_ins.count_documents({}) == 0
    async with atomic(db) as session:
        await db.devices.insert_one({"_id": "d2", "account": "a"}, session=session)
        await db.sign_ins.insert_one({"_id": "s2", "account": "a"}, session=session)
    assert await db.devices.find_one({"_id": "d2"}) is not None
    assert await db.sign_ins.find_one({"_id": "s2"}) is not None
