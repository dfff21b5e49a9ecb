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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pymongo.asynchronous.database import AsyncDatabase

from resolvers.concurrently import gathered
from resolvers.windows import Branch, Key, WindowPage, millis, read_page

#: Documents per cursor batch: a batched list of up to this many rows is one round trip.
BATCH_SIZE = 1000


class Rows(Protocol):
    """Documents that hold rows of several accounts (an operation's disclosure records): each
    account's rows of a document, each with an `_id` of its own that sorts right after
    the document's (the document's own id, or it followed by a suffix)."""

    def projection(self, project: Mapping[str, Any], subject: str) -> dict[str, Any]:
        """What to read of a document for `subject`'s rows with the row keys `project`."""

    def rows(self, doc: Mapping[str, Any], subject: str) -> list[dict[str, Any]]:
        """`subject`'s rows of a document read with `projection` (at least one)."""


@dataclass(frozen=True, slots=True)
class SubList:
    """One kind of per-account list: where its rows are, whose they are, and their time."""

    collection: str
    #: The field naming the account the row belongs to.
    key: str
    #: The field the list is ordered by, newest first (ties: `_id`, highest first); an index
    #: `(key, time, ...)` serves the list (the server picks it: `windows.Branch.index`).
    time: str
    #: Set when a document holds rows of several accounts (`key` is then a list of ids).
    rows: Rows | None = None


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
    pages = await gathered(
        _newest_page(db, sub_list, value, first, project, after, width, where) for value in values
    )
    return dict(zip(values, pages, strict=True))


async def _newest_page(
    db: AsyncDatabase[Any],
    sub_list: SubList,
    value: str,
    first: int,
    project: Mapping[str, Any],
    after: Key | None,
    width: int | None,
    where: Mapping[str, Any] | None,
) -> WindowPage:
    rows = sub_list.rows
    page = await read_page(
        db[sub_list.collection],
        [Branch(equal={sub_list.key: value}, where=where)],
        # Documents of several rows: `first` more hold `first` rows, with the one the cursor
        # is in (its rows after the cursor may be none).
        first + 1 if rows else first,
        project=rows.projection(project, value) if rows else project,
        after=after,
        width=width,
        time=sub_list.time,
    )
    if rows is None:
        return page
    time = sub_list.time
    found = [row for doc in page.items for row in rows.rows(doc, value)]
    if after is not None:
        # The cursor's document was read again (its id sorts before its rows'): its rows up
        # to the cursor were on the page before.
        found = [row for row in found if (millis(row[time]), row["_id"]) < (after.millis, after.id)]
    found.sort(key=lambda row: (millis(row[time]), row["_id"]), reverse=True)
    return WindowPage(found[:first], page.has_next_page or len(found) > first, page.width)
