"""Institution domains (a university, a company) whose members use IMOOX."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers.collections import ACCOUNTS, COUNTERS, DOMAINS
from resolvers.id_windows import read_ids

#: How many members past a page a filtered page may test, at most: a rare filter answers a
#: short page (`hasNextPage` true, `endCursor` after the last member tested), never a scan
#: of the whole domain.
FILTER_SLACK = 20


@dataclass(frozen=True, slots=True)
class MemberPage:
    #: The page's member documents, in id order, each with the fields asked for.
    members: list[dict[str, Any]]
    has_next_page: bool
    #: Every member the filters were tested on, in id order.
    tested: list[str]
    #: The member the next page starts after, when it is not the page's last one (the
    #: filters passed over every member after it); `None` otherwise.
    resume_after: str | None

    @property
    def ids(self) -> list[str]:
        return [member["_id"] for member in self.members]


async def member_page(
    db: AsyncDatabase[Any],
    domain_id: str,
    first: int,
    after: str | None,
    fields: Iterable[str],
    status: str | None = None,
    username_prefix: str | None = None,
) -> MemberPage:
    """A page of a domain's members in id order (a PUBLIC field, so the order itself tells
    nothing), reading only `fields` of each (and those the filters test), and whether more
    follow; `after` is the last id seen.

    Members are read a bounded `_id` range at a time (index `(domain, _id)`,
    `resolvers.id_windows.read_ids`): the database reads about a page, never the whole
    domain. The filters are tested here, on the members read, so that which members they
    tested is known exactly (each is recorded) and bounded (`FILTER_SLACK`).
    """
    filtered = bool(status or username_prefix)
    read = {*fields, *(["status"] if status else []), *(["username"] if username_prefix else [])}
    page = await read_ids(
        db[ACCOUNTS],
        [{"domain": domain_id}],
        first,
        after,
        read,
        lambda member: _passes(member, status, username_prefix),
        first + 1 + (FILTER_SLACK if filtered else 0),
        (db.name, "members", domain_id),
    )
    matches, tested = page.passed, page.tested
    more = len(matches) > first or not page.exhausted
    resume = tested[-1]["_id"] if more and len(matches) <= first else None
    return MemberPage(matches[:first], more, [member["_id"] for member in tested], resume)


def _passes(member: dict[str, Any], status: str | None, username_prefix: str | None) -> bool:
    if status and member.get("status") != status:
        return False
    return not username_prefix or str(member.get("username", "")).startswith(username_prefix)


async def find_domain(
    db: AsyncDatabase[Any], domain_id: str, *, with_stats: bool
) -> dict[str, Any] | None:
    """A domain's id and name; `with_stats`, its members' numbers too (`stats`: members, per
    status, and apps installed), read from its counter (`resolvers.rollups`) in the same
    round trip."""
    counter = {"$concat": ["domain|", "$_id"]}
    pipeline: list[dict[str, Any]] = [
        {"$match": {"_id": domain_id}},
        {"$project": {"name": 1, **({"counter": counter} if with_stats else {})}},
    ]
    if with_stats:
        # By `localField`: the counter is looked up by its id (index), not matched in a scan.
        lookup = {"from": COUNTERS, "localField": "counter", "foreignField": "_id", "as": "stats"}
        pipeline.append({"$lookup": lookup})
    found = await (await db[DOMAINS].aggregate(pipeline)).to_list()
    if not found:
        return None
    domain: dict[str, Any] = found[0]
    if with_stats:
        counted = domain["stats"][0] if domain["stats"] else {}
        domain["stats"] = {name: counted.get(name, 0) for name in _STATS}
    return domain


_STATS = ("members", "ACTIVE", "SUSPENDED", "BLOCKED", "apps_installed")
