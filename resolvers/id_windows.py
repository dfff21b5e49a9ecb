"""Account ids as positions, so that a list in id order can read a bounded `_id` range at a
time: SecantusDB sorts a whole equality range in memory and applies `limit` after reading it,
but reads only the range asked for on the second key of an index.

Account ids are `acct-` and a suffix (a username, or 20 hex digits from sign-up). A position
is the suffix's first `DIGITS` characters read as hex digits (`ALPHABET`, so that positions
are dense where ids are: random hex spreads evenly); `bound(p)` is the
smallest string at position `p`, and `bound` grows with `p`, so ranges `[bound(a), bound(b))`
follow each other without gap or overlap. Positions only size ranges and say where the range
after an id starts: which ids a range holds is the database's own string order, so any id,
whatever its characters, is in exactly one range (`bound` is `None` past the last position:
the last range is open-ended).

`read_ids` pages a list in id order through such ranges (a domain's members, the accounts
recommendable to anyone). Only a range on the second key of an index is bounded on
SecantusDB 0.7.0b3: a range on `_id` alone, or an equality with `$in`, scans the collection.
So each list names one or more equality branches (`{domain: X}`), each leading an index
`(keys..., _id)`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from math import ceil
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from resolvers.concurrently import gathered

PREFIX = "acct-"
#: The digits of sign-up's ids, which is how a domain grows to thousands. Other characters
#: (a demo username's) count as the nearest digit below: ids of mostly such characters share
#: few ranges, which costs reads when they are many, never answers.
ALPHABET = "0123456789abcdef"
BASE = len(ALPHABET)
DIGITS = 15
#: One past the last position of the prefix's space.
END = BASE**DIGITS
#: Where suffixes start in practice: usernames and hex digits start at `0` or later.
FIRST = 0


def position(account_id: str) -> int:
    if not account_id.startswith(PREFIX):
        return 0 if account_id < PREFIX else END
    value = 0
    for char in account_id[len(PREFIX) :][:DIGITS].ljust(DIGITS, ALPHABET[0]):
        value = value * BASE + max(bisect_right(ALPHABET, char) - 1, 0)
    return value


def bound(at: int) -> str | None:
    """The smallest id at position `at` (every id at a lower position sorts before it)."""
    if at >= END:
        return None
    digits = []
    for _ in range(DIGITS):
        at, digit = divmod(at, BASE)
        digits.append(ALPHABET[digit])
    return PREFIX + "".join(reversed(digits)).rstrip(ALPHABET[0])


#: How many times wider a range may be than the one before: after an empty one, and after
#: one with rows (whose count, when small, says little of the density).
GROWTH_EMPTY, GROWTH_SEEN = 4, 2
#: The first range's share of the id space, before anything is known of the ids: about 5
#: accounts of 20,000 with sign-up ids.
FIRST_WIDTH = END // 4096
#: The rows the last page of a list read and the positions they spanned, per database and
#: list: the density of ids, where a range of the right width for a page starts, counted
#: again with what each page reads (a sparse stretch then narrows the next range instead of
#: widening it fourfold). A hint only: any value gives the same answer.
_density: dict[tuple[str, ...], tuple[int, int]] = {}
_DENSITY_LISTS = 4096


@dataclass(frozen=True, slots=True)
class IdPage:
    #: The rows that passed, in id order: at most `first + 1` (one more says more follow).
    passed: list[dict[str, Any]]
    #: Every row `passes` was tested on, in id order.
    tested: list[dict[str, Any]]
    #: Whether every row after `after` was read (the last range was open-ended).
    exhausted: bool


async def read_ids(
    collection: AsyncCollection[Any],
    branches: Sequence[Mapping[str, Any]],
    first: int,
    after: str | None,
    fields: Iterable[str],
    passes: Callable[[dict[str, Any]], bool],
    budget: int,
    hint: tuple[str, ...],
) -> IdPage:
    """The first `first + 1` rows after `after`, in id order, of the union of `branches` (plain
    equality values, each leading an index `(keys..., _id)`), that `passes`, testing at most
    `budget` rows; each row with its `fields` and `_id`.

    Rows are read a bounded `_id` range at a time, every branch over the same range at once,
    the next range sized by the density of ids seen so far (`hint` names the list whose
    density is learned), until `first + 1` passed, `budget` were tested or the range was
    open-ended: about a page, never the collection. `passes` runs here, on the rows read, so
    which rows were tested is known exactly and bounded.
    """
    tested: list[dict[str, Any]] = []
    passed: list[dict[str, Any]] = []
    start = position(after) if after else FIRST
    known_rows, known_span = _density.get(hint, (0, 0))
    at, width, exhausted = start, _first_width(known_rows, known_span, first + 1), False
    project = dict.fromkeys(fields, 1)
    while len(passed) <= first and len(tested) < budget and not exhausted:
        ids = _range(start, at, at + width, after)
        limit = budget - len(tested)
        found = await gathered(
            collection.find({**branch, **({"_id": ids} if ids else {})}, project)
            .sort("_id", 1)
            .limit(limit)
            .to_list()
            for branch in branches
        )
        exhausted = "$lt" not in ids and all(len(rows) < limit for rows in found)
        for row in sorted((row for rows in found for row in rows), key=lambda row: row["_id"]):
            if len(tested) == budget:
                exhausted = False  # rows of this range are left unread
                break
            tested.append(row)
            if passes(row):
                passed.append(row)
                if len(passed) > first:
                    break
        # Rows still to read: at the rate they passed so far, up to the budget.
        left = budget - len(tested)
        wanted = ceil((first + 1 - len(passed)) * len(tested) / len(passed)) if passed else left
        at, width = (
            at + width,
            _next_width(
                known_rows + len(tested),
                known_span + at + width - start,
                width,
                min(wanted, left),
                bool(tested),
            ),
        )
    if tested:
        # A range cut short by the page ends at the last row read, not at its far end.
        spanned = (position(tested[-1]["_id"]) + 1 if not exhausted else at) - start
        _learn(hint, len(tested), max(spanned, 1))
    return IdPage(passed, tested, exhausted)


def _range(start: int, at: int, end: int, after: str | None) -> dict[str, str]:
    """The ids after `after` from position `at` to `end` (open-ended past the last position);
    the first range starts after `after`, or at the first id of all."""
    ids = {"$lt": upper} if (upper := bound(end)) is not None else {}
    if at != start:
        ids["$gte"] = str(bound(at))
    if after:  # positions only approximate ids of other characters: never before `after`
        ids["$gt"] = after
    return ids


def _first_width(rows: int, span: int, wanted: int) -> int:
    return _width_for(wanted, rows, span) if rows else FIRST_WIDTH


def _next_width(rows: int, span: int, width: int, wanted: int, seen: bool) -> int:
    """Wide enough for `wanted` more rows at the density of `rows` in `span` positions (what
    the last page and this one read), at most `GROWTH_SEEN` times the last range once this
    page has read rows, `GROWTH_EMPTY` times while it has not."""
    if rows == 0:
        return width * GROWTH_EMPTY
    wider = _width_for(max(wanted, 1), rows, span)
    return min(wider, width * (GROWTH_SEEN if seen else GROWTH_EMPTY))


def _width_for(wanted: int, rows: int, span: int) -> int:
    """The positions that hold `wanted` rows and a quarter more at the density of `rows` in
    `span` positions (at least one)."""
    return max(1, int(wanted * 1.25 * span / rows))


def _learn(hint: tuple[str, ...], rows: int, span: int) -> None:
    if len(_density) >= _DENSITY_LISTS:
        _density.clear()
    _density[hint] = (rows, span)
