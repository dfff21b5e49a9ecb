"""Keyset pages read through bounded time windows: O(page) on any server.

A list ordered by (`created_at`, `_id`) with an equality prefix (`{visibility: "PUBLIC"}`,
`{owner: X}`, `{parent: X}`) is read as a few queries that each name a bounded range of the
index: equality on the prefix and `created_at` in one window. SecantusDB sorts in memory and
limits after fetching the whole range it scans, so an unbounded `sort + limit` reads every row
of the prefix; a window reads only its own rows, and MongoDB stops at the limit in any case.

Windows start small and widen (`GROWTH` after a window with rows, scaled to the rows still
wanted; `EMPTY_GROWTH` after an empty one) until the page and one row more are found, or the
little history is left before `FLOOR`, the oldest time an item may carry (less than `GROWTH`
windows): the last window then reads all of it, open-ended, so it also finds rows older than
`FLOOR` (none, when data keeps to it) and costs only what lies there. A list that is a union of
conditions (e.g. an audience: PUBLIC items, items shared with me, emails to me) is one `Branch`
per condition, each read through its own index and windows, merged here by (time, `_id`) and
deduplicated by `_id` (an item may match two branches) instead of an `$or` (a collection scan
on SecantusDB).

Cost per page: each window reads the rows of its range. Widths adapt to the density found, so
in realistic distributions a page reads its rows, the row after it, and the rest of the last
window (`tests/test_list_scaling.py` holds it at ≤ page + 50 documents). Adversarial bursts
are bounded by the schedule only: a window is at most `EMPTY_GROWTH` times wider than the one
before, so 10,000 items written in one second after a quiet stretch are all read by the one
window that reaches them (a window never splits below a millisecond, the date's precision).

Learned start widths: the first window of a first page (no cursor) is learned per database,
list (collection, time field, order) and branch, in this process only (`_learned`, bounded):
the width that held the last full first page of that branch, measured from its anchor to the
page's last row, plus the page's own span scaled by `EXTRA` (a margin at the page's density,
not at the quiet stretch's). So a warm first page reads one window per branch. When that
window holds fewer rows than wanted (nothing new since, a quiet stretch), the next window
ends exactly at the point that held the page then, when the usual growth would reach past it,
instead of growing blindly: a quiet stretch costs one more round trip, not a 16 times wider
window. A branch whose whole list was shorter than the page is remembered as such: its next
first page reads it whole in one open-ended window (it held fewer than a page; what was added
since is read too, once). Nothing learned comes from a client, and any value gives the same
rows: it changes what a request reads, never what it returns. A page after a cursor starts at
the cursor's width and teaches nothing.

Usage: `await read_page(collection, branches, first, after=cursor_position, project=...)`;
issue the next cursor from `page.items[-1]` and `page.width` (a hint only: any width gives the
same rows, it changes what one request reads, never what it returns).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any, assert_never

from pymongo.asynchronous.collection import AsyncCollection

from resolvers.concurrently import gathered

TIME = "created_at"
#: No item is older (the service's start, with a margin); a last window reaches below it.
FLOOR = datetime(2000, 1, 1, tzinfo=UTC)
#: Newer than now by this, a row is "in the future" (clock skew); an oldest-first list's last
#: window is open-ended above it.
SKEW = timedelta(days=1)
#: The first window's width without a hint (milliseconds): one hour.
START_WIDTH = 3_600_000
MIN_WIDTH = 1
#: Wider than this a window is no longer useful (about 40 years).
MAX_WIDTH = 40 * 365 * 86_400_000
GROWTH = 4
#: Rows a window aims for beyond those wanted: fewer round trips for a little more reading.
EXTRA = 16
EMPTY_GROWTH = 16
#: Branches whose start width is remembered (least recently used forgotten first).
LEARNED_BRANCHES = 4096
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: Built once: `timedelta(milliseconds=1)` per call was most of `millis` (2.4 against 0.7 µs),
#: called for every row's key, tens of times a page.
_MILLISECOND = timedelta(milliseconds=1)


class Order(Enum):
    NEWEST_FIRST = -1
    OLDEST_FIRST = 1


@dataclass(frozen=True, slots=True)
class Branch:
    """One indexed condition of a list.

    `equal`: the leading equality keys of an index `(equal..., time, _id)` (plain values, no
    operators: SecantusDB plans only those); `where`: conditions on the rows of the range (any
    operators, not served by the index); `then`: stages run on the rows found before the
    limit (e.g. a `$lookup` and a `$match` on what it found). No index is hinted: SecantusDB
    0.7 answers a hinted aggregate in ~0.3 s even over an empty range, and both servers pick
    the index with the most equality keys (`tests/test_list_scaling.py` checks the cost).
    """

    equal: Mapping[str, Any]
    where: Mapping[str, Any] | None = None
    then: Sequence[Mapping[str, Any]] = ()


@dataclass(frozen=True, slots=True)
class Key:
    """A row's place in the list: milliseconds since 1970 and `_id`."""

    millis: int
    id: str

    @classmethod
    def of(cls, row: Mapping[str, Any], time: str = TIME) -> Key:
        return cls(millis(row[time]), row["_id"])


@dataclass(frozen=True, slots=True)
class WindowPage:
    items: list[dict[str, Any]]
    has_next_page: bool
    #: The narrowest width a branch ended with: a hint for the next page's first window.
    width: int


@dataclass(frozen=True, slots=True)
class _Learned:
    """What a branch's last full first page needed: read from `anchor` to `far` (ms)."""

    anchor: int
    far: int


def _shape(branch: Branch) -> str:
    """What a branch learns its width under: its conditions with every time left out, so a
    condition on now (a consent in force now) is the same branch at every request."""

    def shape(value: Any) -> Any:
        if isinstance(value, datetime):
            return "<time>"
        if isinstance(value, Mapping):
            return tuple((key, shape(item)) for key, item in value.items())
        if isinstance(value, list | tuple):
            return tuple(shape(item) for item in value)
        return value

    return repr((shape(branch.equal), shape(branch.where), shape(branch.then)))


#: (database, collection, time field, order, branch) → what its last first page needed.
_learned: OrderedDict[tuple[str, str, str, Order, str], _Learned] = OrderedDict()


def millis(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // _MILLISECOND


def moment(value: int) -> datetime:
    return _EPOCH + value * _MILLISECOND


def _at_or_after(moment_millis: int) -> dict[str, datetime]:
    """`>= moment`, as `>` the millisecond before (dates are whole milliseconds): on an index
    `(equal..., time -1, ...)` SecantusDB 0.7.0b3 answers `$gte` like `$gt`, so a row exactly
    at a window's lower bound was in neither that window nor the next (`$lt` it)."""
    return {"$gt": moment(moment_millis - 1)}


def clamp_width(width: int | None) -> int:
    """A width within bounds (a cursor's hint is checked like any input)."""
    return START_WIDTH if width is None else max(MIN_WIDTH, min(MAX_WIDTH, width))


@dataclass
class _Reader:
    """One branch's progress: every row of it up to `edge` (in list order) has been read."""

    branch: Branch
    order: Order
    time: str
    width: int
    #: `None` before the first window; a `Key` with `id=""` covers its whole millisecond.
    edge: Key | None
    #: Where a learned first page ended (ms): a window that falls short reaches it exactly.
    target: int | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    done: bool = False

    def holds(self, key: Key) -> bool:
        """Whether `key` is at or before this reader's edge in list order."""
        if self.done:
            return True
        if self.edge is None:
            return False
        whole_milli = self.edge.id == ""
        match self.order:
            case Order.NEWEST_FIRST:
                if whole_milli:
                    return key.millis >= self.edge.millis
                return (key.millis, key.id) >= (self.edge.millis, self.edge.id)
            case Order.OLDEST_FIRST:
                if whole_milli:
                    return key.millis <= self.edge.millis
                return (key.millis, key.id) <= (self.edge.millis, self.edge.id)
            case _:
                assert_never(self.order)

    def next_range(self, anchor: int) -> tuple[dict[str, Any], bool]:
        """The `created_at`/`_id` condition of the next read, and whether it is the last."""
        edge, width, order, time = self.edge, self.width, self.order, self.time
        if edge is not None and edge.id != "":
            # Inside a millisecond (a cursor, or a window cut by the limit): its rest first.
            after = "$lt" if order is Order.NEWEST_FIRST else "$gt"
            return {time: moment(edge.millis), "_id": {after: edge.id}}, False
        match order:
            case Order.NEWEST_FIRST:
                if edge is None:
                    if anchor - width * (1 + GROWTH) <= millis(FLOOR):
                        return {}, True  # a list learned to be short: all of it
                    return {time: _at_or_after(anchor - width)}, False
                low = edge.millis - width
                if low - width * GROWTH <= millis(FLOOR):  # little history left: read it all
                    return {time: {"$lt": moment(edge.millis)}}, True
                return {time: {**_at_or_after(low), "$lt": moment(edge.millis)}}, False
            case Order.OLDEST_FIRST:
                if edge is None:
                    if anchor + width * (1 + GROWTH) >= millis(datetime.now(UTC) + SKEW):
                        return {}, True
                    return {time: {"$lte": moment(anchor + width)}}, False
                high = edge.millis + width
                if high + width * GROWTH >= millis(datetime.now(UTC) + SKEW):
                    return {time: {"$gt": moment(edge.millis)}}, True
                return {time: {"$gt": moment(edge.millis), "$lte": moment(high)}}, False
            case _:
                assert_never(order)

    def edge_after(self, last_range: Mapping[str, Any], anchor: int) -> Key:
        """The edge once a range was read whole: its far end, all of that millisecond."""
        bounds = last_range[self.time]
        if not isinstance(bounds, Mapping):  # the rest of one millisecond
            return Key(millis(bounds), "")
        match self.order:
            case Order.NEWEST_FIRST:
                return Key(millis(bounds["$gt"]) + 1, "")
            case Order.OLDEST_FIRST:
                return Key(millis(bounds["$lte"]), "")
            case _:
                assert_never(self.order)

    async def advance(
        self, collection: AsyncCollection[Any], need: int, anchor: int, project: Mapping[str, Any]
    ) -> None:
        """Read the next range: the page is then full, or this branch has read one more window."""
        where, last = self.next_range(anchor)
        found = await self._read(collection, where, need, project)
        self.rows += found
        if len(found) >= need:  # cut by the limit: what follows starts after its last row
            end = Key.of(found[-1], self.time)
            start = Key.of(found[0], self.time) if self.edge is None else self.edge
            # A burst: the next window (this page's, or the next page's) spans what held
            # `need` rows here, so a page inside a burst reads about a page.
            span = abs(start.millis - end.millis)
            self.width = clamp_width(span * (need + EXTRA) // need)
            self.edge = end
            return
        if last:
            self.done = True
            return
        self.edge = self.edge_after(where, anchor)
        if "_id" not in where:
            self.width = clamp_width(self.next_width(len(found), need - len(self.rows)))
        if self.target is not None:
            # Fewer rows than a learned page: the next window ends where that page ended.
            distance = (self.edge.millis - self.target) * -self.order.value
            if 0 < distance <= self.width:
                self.width = distance
            if distance <= self.width:
                self.target = None

    async def _read(
        self,
        collection: AsyncCollection[Any],
        where: Mapping[str, Any],
        need: int,
        project: Mapping[str, Any],
    ) -> list[dict[str, Any]]:
        """The first `need` rows of the branch within `where`, in list order.

        A plain range (equality keys and a time window) is a `find`: SecantusDB answers it with
        less of its own CPU than the same read as a pipeline (0.3 to 0.7 ms less a read, measured
        on alice's own items). Anything more is a pipeline whose first `$match` holds only what
        the index serves: the id bound after a cursor is a second `$match` (in the first,
        SecantusDB plans `_id: {$lt: …}` on the `_id` index, every row below the id, instead of
        the window's; found by the lists engineer, i12/lists 448e87b), and so are the branch's
        further conditions, which may hold operators.
        """
        direction = self.order.value
        sort = {self.time: direction, "_id": direction}
        ranged = {key: value for key, value in where.items() if key != "_id"}
        first = {**self.branch.equal, **ranged}
        if "_id" not in where and not self.branch.where and not self.branch.then:
            rows = collection.find(first, dict(project), sort=list(sort.items()), limit=need)
            return await rows.to_list()
        pipeline: list[dict[str, Any]] = [{"$match": first}]
        if "_id" in where:
            pipeline.append({"$match": {"_id": where["_id"]}})
        if self.branch.where:
            pipeline.append({"$match": dict(self.branch.where)})
        pipeline += [
            {"$sort": sort},
            *(dict(stage) for stage in self.branch.then),
            {"$limit": need},
            {"$project": dict(project)},
        ]
        return await (await collection.aggregate(pipeline)).to_list()

    def next_width(self, found: int, wanted: int) -> int:
        """Wide enough for the rows still wanted and `EXTRA` more at the density just seen, at
        most `GROWTH` times wider (`EMPTY_GROWTH` after an empty window), never narrower (a
        window that held fewer than wanted says nothing against its width; a burst cuts a
        window, which sets the width from the rows it held)."""
        if not found:
            return self.width * EMPTY_GROWTH
        return min(self.width * GROWTH, max(self.width, self.width * (wanted + EXTRA) // found))


async def read_page(
    collection: AsyncCollection[Any],
    branches: Sequence[Branch],
    first: int,
    *,
    project: Mapping[str, Any],
    after: Key | None = None,
    order: Order = Order.NEWEST_FIRST,
    anchor: datetime | None = None,
    width: int | None = None,
    time: str = TIME,
) -> WindowPage:
    """The first `first` rows (after `after`) of the union of `branches`, in `order`.

    `anchor` is where the first window starts without a cursor (now for newest-first; e.g. the
    item's time for its comments, oldest-first); the first window is open on its other side.
    `width` is a hint for the first window (a cursor's `WindowPage.width`); `time` is the
    time field (each branch's index is `(equal keys..., time, _id)`).
    """
    need = first + 1
    start = millis(anchor or datetime.now(UTC))
    database = collection.database.name
    keys = [(database, collection.name, time, order, _shape(branch)) for branch in branches]
    readers = [
        _reader(branch, order, time, width, after, None if after else _learned.get(key))
        for branch, key in zip(branches, keys, strict=True)
    ]
    project = {**project, time: 1, "_id": 1}
    while True:
        rows = {row["_id"]: row for reader in readers for row in reader.rows}
        behind = [r for r in readers if not r.done]
        if not behind:  # every branch read whole: every row is in the list
            final = list(rows.values())
            break
        final = [row for row in rows.values() if all(r.holds(Key.of(row, time)) for r in readers)]
        if len(final) >= need:
            break
        await gathered(r.advance(collection, need, start, project) for r in _slowest(behind))
    if len(readers) > 1:  # one branch's rows came in list order, window after window
        final.sort(
            key=lambda row: (millis(row[time]), row["_id"]), reverse=order is Order.NEWEST_FIRST
        )
    if after is None:
        _learn(keys, _needed(final, need, order, time), start)
    return WindowPage(
        items=final[:first],
        has_next_page=len(final) > first,
        width=min(reader.width for reader in readers) if readers else START_WIDTH,
    )


def _reader(
    branch: Branch,
    order: Order,
    time: str,
    width: int | None,
    after: Key | None,
    learned: _Learned | None,
) -> _Reader:
    """A branch's reader: from the cursor, or from what its last first page needed."""
    if learned is None:
        return _Reader(branch, order, time, clamp_width(width), after)
    needed = clamp_width(abs(learned.anchor - learned.far))
    # The learned width, from now: it holds the page if rows came as they did; if not
    # (nothing new since), the next window reaches the point that held it then.
    return _Reader(branch, order, time, needed, None, target=learned.far)


def _needed(final: list[dict[str, Any]], need: int, order: Order, time: str) -> int:
    """The far point a first page needed: its last row's time, with a margin of `EXTRA` rows
    at the page's own density; the floor (or the future, oldest first) if the list ended."""
    if len(final) < need:
        return millis(FLOOR) if order is Order.NEWEST_FIRST else millis(datetime.now(UTC) + SKEW)
    last = millis(final[need - 1][time])
    span = abs(millis(final[0][time]) - last)
    return last + order.value * (span * EXTRA // need)


def _learn(keys: list[tuple[str, str, str, Order, str]], far: int, anchor: int) -> None:
    for key in keys:
        _learned[key] = _Learned(anchor, far)
        _learned.move_to_end(key)
    while len(_learned) > LEARNED_BRANCHES:
        _learned.popitem(last=False)


def _slowest(readers: list[_Reader]) -> list[_Reader]:
    """The readers that hold the merge back: those whose edge every other one has passed."""
    unstarted = [reader for reader in readers if reader.edge is None]
    if unstarted:
        return unstarted
    return [
        reader
        for reader in readers
        if reader.edge is not None and all(other.holds(reader.edge) for other in readers)
    ]
