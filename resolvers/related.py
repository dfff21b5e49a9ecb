"""Documents that belong to other documents (an account's sign-ins, devices, records), read a
page at a time.

Each account's page is its own read through `resolvers.windows` (equality on the account,
then bounded windows of the list's time on an index `(account, time, ...)`), so about a page
of rows is read however many the account has: SecantusDB sorts a whole equality range in
memory and limits after. Pages of many accounts (a members page selecting each member's
sign-ins) are read concurrently, one read per account: a `$in` over the accounts, or a
`$group` keeping each one's newest, reads every row of every account (`$group` on any server).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers.windows import Branch, Key, WindowPage, read_page

#: Documents per cursor batch: a batched list of up to this many rows is one round trip.
BATCH_SIZE = 1000


@dataclass(frozen=True, slots=True)
class SubList:
    """One kind of per-account list: where its rows are, whose they are, and their time."""

    collection: str
    #: The field naming the account the row belongs to.
    key: str
    #: The field the list is ordered by, newest first (ties: `_id`, highest first); an index
    #: `(key, time, ...)` serves the list (the server picks it: `windows.Branch.index`).
    time: str


async def newest_pages(
    db: AsyncDatabase[Any],
    sub_list: SubList,
    values: Sequence[str],
    first: int,
    project: Mapping[str, Any],
    *,
    after: Key | None = None,
    width: int | None = None,
    where: Mapping[str, Any] | None = None,
) -> dict[str, WindowPage]:
    """The newest `first` rows (after `after`) of each of `values` that match `where`, each
    with its `project`ed fields, its time and id; read concurrently."""
    pages = await asyncio.gather(
        *(
            read_page(
                db[sub_list.collection],
                [Branch(equal={sub_list.key: value}, where=where)],
                first,
                project=project,
                after=after,
                width=width,
                time=sub_list.time,
            )
            for value in values
        )
    )
    return dict(zip(values, pages, strict=True))
