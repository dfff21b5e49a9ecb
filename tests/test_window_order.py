"""Pages of one branch come in list order without a sort in Python (`resolvers.windows`).

A branch is read window after window, each window sorted by the database, so its rows arrive
in list order; only a union of branches is sorted again. Bursts (many rows in one millisecond,
ids in no order) cut windows by the limit inside a millisecond, the hardest case: every page,
followed by its cursor, must continue the list exactly, newest first and oldest first.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from resolvers.collections import CONTENT
from resolvers.windows import Branch, Key, Order, read_page

NEWEST = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
PROJECT = {"_id": 1, "created_at": 1}


def _items() -> list[dict[str, Any]]:
    """40 rows in each of 4 one-millisecond bursts, and 60 spread out, ids shuffled."""
    draw = random.Random(11)
    times = [NEWEST - timedelta(minutes=burst * 7) for burst in range(4) for _ in range(40)]
    times += [NEWEST - timedelta(minutes=n, seconds=13) for n in range(60)]
    ids = [f"order-{n:04d}" for n in range(len(times))]
    draw.shuffle(ids)
    return [
        {"_id": id_, "owner": "acct-order", "kind": "POST", "visibility": "PUBLIC",
         "created_at": time}
        for id_, time in zip(ids, times, strict=True)
    ]  # fmt: skip


def _expected(items: list[dict[str, Any]], order: Order) -> list[str]:
    ranked = sorted(items, key=lambda row: (row["created_at"], row["_id"]))
    ids = [row["_id"] for row in ranked]
    return ids[::-1] if order is Order.NEWEST_FIRST else ids


@pytest.mark.parametrize("order", [Order.NEWEST_FIRST, Order.OLDEST_FIRST])
@pytest.mark.parametrize("first", [7, 40, 100])
async def test_a_branch_pages_in_list_order_through_bursts(
    db: AsyncDatabase[Any], order: Order, first: int
) -> None:
    items = _items()
    await db[CONTENT].insert_many(items)
    # Where the first window starts: after the newest row, or before the oldest.
    newest_first = order is Order.NEWEST_FIRST
    anchor = NEWEST + timedelta(seconds=1) if newest_first else NEWEST - timedelta(hours=2)
    listed: list[str] = []
    after: Key | None = None
    width: int | None = None
    while True:
        page = await read_page(
            db[CONTENT],
            [Branch({"owner": "acct-order"})],
            first,
            project=PROJECT,
            after=after,
            order=order,
            anchor=anchor,
            width=width,
        )
        listed += [row["_id"] for row in page.items]
        if not page.has_next_page:
            break
        after, width = Key.of(page.items[-1]), page.width
    assert listed == _expected(items, order)
