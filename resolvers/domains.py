"""Institution domains (a university, a company) whose members use IMOOX."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from math import ceil
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers.collections import ACCOUNTS, COUNTERS, DOMAINS
from resolvers.id_windows import END, FIRST, bound, position

#: How many members past a page a filtered page may test, at most: a rare filter answers a
#: short page (`hasNextPage` true, `endCursor` after the last member tested), never a scan
#: of the whole domain.
FILTER_SLACK = 20
#: How many times wider a range may grow from one read to the next (an empty one: by this).
GROWTH = 4
#: The first range's share of the id space, before anything is known of the domain's ids:
#: about 5 members of a domain of 20,000 with sign-up ids.
FIRST_WIDTH = END // 4096
#: Members per position (the density of ids), per database and domain, learned from earlier
#: pages: where a range of the right width for a page starts. A hint only: any value gives the
#: same answer.
_density: dict[tuple[str, str], float] = {}
_DENSITY_DOMAINS = 4096


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

    Members are read a bounded `_id` range at a time (index `(domain, _id)`), the next range
    sized by the density of ids seen so far, until the page is full: the database reads
    about a page, never the whole domain. The filters are tested here, on the members read,
    so that which members they tested is known exactly (each is recorded) and bounded
    (`FILTER_SLACK`).
    """
    filtered = bool(status or username_prefix)
    budget = first + 1 + (FILTER_SLACK if filtered else 0)
    read = {*fields, *(["status"] if status else []), *(["username"] if username_prefix else [])}
    tested: list[dict[str, Any]] = []
    matches: list[dict[str, Any]] = []
    start = position(after) if after else FIRST
    at, width, exhausted = start, _first_width((db.name, domain_id), first + 1), False
    while len(matches) <= first and len(tested) < budget and not exhausted:
        ids = _range(start, at, at + width, after)
        query = {"domain": domain_id, **({"_id": ids} if ids else {})}
        limit = budget - len(tested)
        cursor = db[ACCOUNTS].find(query, dict.fromkeys(read, 1)).sort("_id", 1).limit(limit)
        found = await cursor.to_list()
        exhausted = "$lt" not in ids and len(found) < limit
        for member in found:
            tested.append(member)
            if _passes(member, status, username_prefix):
                matches.append(member)
                if len(matches) > first:
                    break
        # Members still to read: at the rate the filters passed them so far, up to the budget.
        left = budget - len(tested)
        wanted = ceil((first + 1 - len(matches)) * len(tested) / len(matches)) if matches else left
        at, width = (
            at + width,
            _next_width(len(tested), at + width - start, width, min(wanted, left)),
        )
    if tested:
        # A range cut short by the page ends at the last member read, not at its far end.
        spanned = (position(tested[-1]["_id"]) + 1 if not exhausted else at) - start
        _learn((db.name, domain_id), len(tested) / max(spanned, 1))
    more = len(matches) > first or not exhausted
    resume = tested[-1]["_id"] if more and len(matches) <= first else None
    return MemberPage(matches[:first], more, [member["_id"] for member in tested], resume)


def _range(start: int, at: int, end: int, after: str | None) -> dict[str, str]:
    """The ids after `after` from position `at` to `end` (open-ended past the last position);
    the first range starts after `after`, or at the first id of all."""
    ids = {"$lt": upper} if (upper := bound(end)) is not None else {}
    if at != start:
        ids["$gte"] = str(bound(at))
    if after:  # positions only approximate ids of other characters: never before `after`
        ids["$gt"] = after
    return ids


def _passes(member: dict[str, Any], status: str | None, username_prefix: str | None) -> bool:
    if status and member.get("status") != status:
        return False
    return not username_prefix or str(member.get("username", "")).startswith(username_prefix)


def _first_width(domain: tuple[str, str], wanted: int) -> int:
    density = _density.get(domain)
    return max(1, int(wanted * 1.25 / density)) if density else FIRST_WIDTH


def _next_width(read: int, spanned: int, width: int, wanted: int) -> int:
    """Wide enough for `wanted` more members at the density seen (at most `GROWTH` times the
    last range; that many times wider after an empty start)."""
    if read == 0:
        return width * GROWTH
    return max(1, min(int(max(wanted, 1) * 1.25 * spanned / read), width * GROWTH))


def _learn(domain: tuple[str, str], density: float) -> None:
    if len(_density) >= _DENSITY_DOMAINS:
        _density.clear()
    _density[domain] = density


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
