"""What public pages read besides their GraphQL document: a day of PUBLIC items for the
sitemap, and whether an author still stands behind their public items.

Both read what an anonymous visitor's audience allows (`authz.visibility`), and less: a page or
a sitemap leaves out the items of an author who is not `ACTIVE` (suspended or blocked), which
the API still answers. Both cost a bounded page, never the whole collection (issue 12).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from authz.principals import Principal
from authz.visibility import audience
from resolvers.accounts import accounts_by_id
from resolvers.content import content_page
from resolvers.windows import Key, millis

#: Items one day's sitemap lists at most (the sitemap protocol allows 50,000 URLs a file); a
#: day with more lists its newest `DAY_CAP`, so one request reads a bounded page.
DAY_CAP = 1_000
#: Rows read at a time: a day with few items (or none) reads about this many rows of the days
#: before it, not `DAY_CAP`.
CHUNK = 100
_DAY_MILLIS = 86_400_000


async def public_items_between(
    db: AsyncDatabase[Any], since: datetime, until: datetime, cap: int = DAY_CAP
) -> list[dict[str, Any]]:
    """PUBLIC items created in [since, until) whose author is active, newest first, at most
    `cap`: each with `_id`, `owner` and `created_at`.

    Pages of the public feed (its own index and windowed reader) read backwards from `until`,
    `CHUNK` rows at a time, until one reaches before `since`: about the day's rows plus one
    chunk, at most `cap + CHUNK`, whatever the collection holds.
    """
    everyone = audience(Principal.anonymous())
    after, width = Key(millis(until), ""), min(millis(until) - millis(since), _DAY_MILLIS)
    items: list[dict[str, Any]] = []
    while len(items) < cap:
        page = await content_page(
            db, everyone, min(CHUNK, cap - len(items)), after, width, {"owner": 1}
        )
        inside = [item for item in page.items if item["created_at"] >= since]
        items.extend(inside)
        if len(inside) < len(page.items) or not page.has_next_page:
            break
        after, width = Key.of(page.items[-1]), page.width
    active = await active_authors(db, {item["owner"] for item in items})
    return [item for item in items if item["owner"] in active]


async def active_authors(db: AsyncDatabase[Any], authors: Iterable[str]) -> set[str]:
    """Which of `authors` are active accounts (one indexed read); others show nothing public."""
    wanted = sorted(set(authors))
    if not wanted:
        return set()
    return set(await accounts_by_id(db, wanted, ["_id"], {"status": "ACTIVE"}))
