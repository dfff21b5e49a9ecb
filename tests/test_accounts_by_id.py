"""`accounts_by_id`: one id is a point read, several one `$in`; both answer alike (issue 11)."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from resolvers.accounts import accounts_by_id

ALICE = {"_id": "acct-alice", "display_name": "Alice Amsel"}  # uni-graz
CAROL = {"_id": "acct-carol", "display_name": "Carol Castell"}  # tu-wien
DORA = {"_id": "acct-dora", "display_name": "Dora Dachs"}  # uni-graz
IN_GRAZ = {"domain": "uni-graz"}


@pytest.mark.parametrize(
    ("ids", "where", "expected"),
    [
        (["acct-alice"], None, [ALICE]),
        (["acct-carol"], IN_GRAZ, []),
        (["acct-nobody"], None, []),
        (["acct-alice", "acct-carol", "acct-nobody"], None, [ALICE, CAROL]),
        (["acct-alice", "acct-carol", "acct-dora"], IN_GRAZ, [ALICE, DORA]),
    ],
)
async def test_the_accounts_asked_for_that_match_with_only_the_fields_asked_for(
    demo_db: AsyncDatabase[Any],
    ids: list[str],
    where: dict[str, Any] | None,
    expected: list[dict[str, Any]],
) -> None:
    found = await accounts_by_id(demo_db, ids, ["_id", "display_name"], where)
    assert found == {account["_id"]: account for account in expected}


async def test_a_lone_id_is_compared_as_a_value_never_read_as_an_operator(
    demo_db: AsyncDatabase[Any],
) -> None:
    """An id that is not a string (a bug upstream, or input that slipped past a type) matches
    the account with that exact id or none, never every account but one. (Inside `$in`, as
    several ids are read, the server refuses an operator outright.)"""
    not_an_id: Any = {"$ne": "acct-alice"}
    assert await accounts_by_id(demo_db, [not_an_id], ["_id"]) == {}
