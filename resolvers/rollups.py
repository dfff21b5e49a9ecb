"""Rollups and counters: what aggregates and counts read, kept as the writes they count happen.

No request counts over a collection. Each counted document (an account, an item, a sign-in)
adds to a few counter documents in `COUNTERS`, in the same transaction as its own write:

- a rollup cell per metric, aligned period (`authz.periods.LEVELS`) and split value, holding
  `value` and `accounts` (its distinct accounts; k-anonymity is decided on them by
  `authz.aggregates`, as before);
- `content|<owner>`: the owner's items that are not comments (`Stats.contentCount`);
- `comments|<item>`: the comments on an item (a hint for reading them, `resolvers.content`);
- `domain|<id>`: the domain's members per status and their apps (`domainStats`);
- `audience|<interest>`: active accounts allowing personalised ads with that interest.

A metric counted per account (items per author, sign-ins per account) keeps a mark per
(cell, account) in `ROLLUP_MARKS` with how many of the account's documents the cell holds:
a cell's `accounts` grows when a mark is inserted and shrinks when one drops to zero. Marks
hold account ids, so they are declared in `collections.OWNED` and erased with the account (a
one-way hash of an id would still be found from the id, so it would be personal data too).

Every counted collection also keeps `total|<collection>`, the documents counted. A write around
the gateway (a bulk load) makes the collection's size differ from it: `drifted` notices that
before anything new is published, and the rollups are rebuilt from the collections then
(`resolvers.rollup_rebuild`; `imoox-gateway rollups rebuild` does it ahead). Deleting or erasing
a document takes its counts back, so the counters always say what a count over the
collections would say now; published numbers (`resolvers.aggregates`) never change either way.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymongo import DeleteOne, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from authz.periods import LEVELS, period_of
from resolvers.collections import (
    ACCOUNTS,
    CONTENT,
    CONTENT_KINDS,
    COUNTERS,
    ROLLUP_MARKS,
    SIGN_INS,
)
from resolvers.concurrently import gathered
from resolvers.transactions import retried

#: Documents deleted with their counts per transaction.
BATCH = 500
#: The one document that says a rebuild runs: no new number is published meanwhile.
REBUILD = "rebuild"


@dataclass(frozen=True, slots=True)
class Metric:
    """What to count: documents of `collection` timed by `at` and about the account `account`,
    per value of `split` (if any); `distinct` counts accounts instead of documents."""

    collection: str
    at: str
    account: str
    split: str | None = None
    distinct: bool = False

    @property
    def splits(self) -> tuple[str | None, ...]:
        return tuple(CONTENT_KINDS) if self.split == "kind" else (None,)

    @property
    def prefix(self) -> str:
        return f"{self.collection}|{self.at}"

    def cell(self, label: str, split: str | None) -> str:
        """The id of the cell of period `label` and `split` (also its published id)."""
        return f"{self.prefix}|{label}|{split}"

    def cells_of(self, doc: Mapping[str, Any]) -> list[str]:
        """The cells `doc` counts in: one per kind of period."""
        at: datetime = doc[self.at]
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        split = doc.get(self.split) if self.split else None
        return [self.cell(period_of(level, at).label, split) for level in LEVELS]


SIGN_UPS = Metric(ACCOUNTS, "created_at", "_id")
ACTIVE_ACCOUNTS = Metric(SIGN_INS, "at", "account", distinct=True)
CONTENT_CREATED = Metric(CONTENT, "created_at", "owner", split="kind")
#: The metrics counted per account, by the prefix of their cells' ids.
MARKED = {metric.prefix: metric for metric in (ACTIVE_ACCOUNTS, CONTENT_CREATED)}

#: What a counter document holds: field → amount to add.
Amounts = Counter[str]
#: Counter id → amounts.
Changes = defaultdict[str, Amounts]

_ACCOUNT_FIELDS = ("created_at", "domain", "status", "stats", "settings", "ad_interests")
_CONTENT_FIELDS = ("owner", "kind", "created_at", "parent")
_SIGN_IN_FIELDS = ("account", "at")
#: What each counted collection's documents are counted by.
FIELDS = {ACCOUNTS: _ACCOUNT_FIELDS, CONTENT: _CONTENT_FIELDS, SIGN_INS: _SIGN_IN_FIELDS}


def _changes() -> Changes:
    return defaultdict(Counter)


def account_counts(doc: Mapping[str, Any]) -> Changes:
    """What one account adds: its sign-up, its domain's members, the audiences it is in."""
    counts = _changes()
    for cell in SIGN_UPS.cells_of(doc):
        counts[cell].update(value=1, accounts=1)
    status = doc.get("status")
    if domain := doc.get("domain"):
        apps = (doc.get("stats") or {}).get("apps_installed") or 0
        counts[f"domain|{domain}"].update({"members": 1, str(status): 1, "apps_installed": apps})
    if status == "ACTIVE" and (doc.get("settings") or {}).get("personalized_ads") is True:
        for interest in set(doc.get("ad_interests") or ()):
            counts[f"audience|{interest}"]["n"] += 1
    return counts


def difference(after: Changes, before: Changes) -> Changes:
    """What changing a document from `before` to `after` adds (negative: takes back)."""
    changes = _changes()
    for key in after.keys() | before.keys():
        for name in after[key].keys() | before[key].keys():
            if amount := after[key][name] - before[key][name]:
                changes[key][name] = amount
    return changes


def negated(counts: Changes) -> Changes:
    return difference(_changes(), counts)


async def apply(
    db: AsyncDatabase[Any], changes: Changes, session: AsyncClientSession | None
) -> None:
    """Add `changes` to the counters, in one round trip (none when nothing changes)."""
    writes = [
        UpdateOne({"_id": key}, {"$inc": dict(amounts), **_owner_of(key)}, upsert=True)
        for key, amounts in changes.items()
        if any(amounts.values())
    ]
    if writes:
        await db[COUNTERS].bulk_write(writes, ordered=True, session=session)


def _owner_of(key: str) -> dict[str, Any]:
    """A per-account counter names its account, so erasure finds it (`collections.OWNED`)."""
    kind, _, rest = key.partition("|")
    return {"$setOnInsert": {"account": rest}} if kind == "content" else {}


async def count_documents(
    db: AsyncDatabase[Any],
    collection: str,
    docs: Sequence[Mapping[str, Any]],
    sign: int,
    session: AsyncClientSession | None,
) -> None:
    """Count (`sign` 1) or take back (`sign` -1) documents of one `collection`: at most three
    round trips (marks, marks that reached zero, counters) whatever their number."""
    if collection == ACCOUNTS:
        changes = _changes()
        for doc in docs:
            for key, amounts in account_counts(doc).items():
                changes[key].update({name: sign * n for name, n in amounts.items()})
    else:
        metric = CONTENT_CREATED if collection == CONTENT else ACTIVE_ACCOUNTS
        changes = await _marked(db, metric, docs, sign, session)
        for key, amounts in owner_counts(collection, docs).items():
            changes[key].update({name: sign * n for name, n in amounts.items()})
    changes[total(collection)]["n"] += sign * len(docs)
    await apply(db, changes, session)


def total(collection: str) -> str:
    return f"total|{collection}"


def owner_counts(collection: str, docs: Sequence[Mapping[str, Any]]) -> Changes:
    """Items (not comments) per owner, for `Stats.contentCount`; comments per item."""
    counts = _changes()
    if collection == CONTENT:
        for doc in docs:
            if doc["kind"] != "COMMENT":
                counts[f"content|{doc['owner']}"]["n"] += 1
            elif doc.get("parent"):
                counts[comments_key(doc["parent"])]["n"] += 1
    return counts


#: The counter of an item's comments is this and the item's id.
COMMENTS = "comments|"


def comments_key(item: str) -> str:
    return COMMENTS + item


async def _marked(
    db: AsyncDatabase[Any],
    metric: Metric,
    docs: Sequence[Mapping[str, Any]],
    sign: int,
    session: AsyncClientSession | None,
) -> Changes:
    """Mark each document's account in its cells; the cell changes that follow."""
    per_mark: Counter[tuple[str, str]] = Counter()
    for doc in docs:
        for cell in metric.cells_of(doc):
            per_mark[(cell, doc[metric.account])] += 1
    changes = _changes()
    if not per_mark:
        return changes
    marks = list(per_mark)
    ids = [f"{cell}|{account}" for cell, account in marks]
    result = await db[ROLLUP_MARKS].bulk_write(
        [
            UpdateOne(
                {"_id": mark_id},
                {
                    "$inc": {"n": sign * per_mark[mark]},
                    "$setOnInsert": {"cell": mark[0], "account": mark[1]},
                },
                upsert=sign > 0,
            )
            for mark_id, mark in zip(ids, marks, strict=True)
        ],
        ordered=True,
        session=session,
    )
    if sign > 0:
        changed = {marks[index] for index in result.upserted_ids or {}}
    else:
        gone = db[ROLLUP_MARKS].find({"_id": {"$in": ids}, "n": {"$lte": 0}}, session=session)
        changed = {(doc["cell"], doc["account"]) async for doc in gone}
        if changed:
            dropped = [DeleteOne({"_id": f"{cell}|{account}"}) for cell, account in changed]
            await db[ROLLUP_MARKS].bulk_write(dropped, session=session)
    for mark, n in per_mark.items():
        cell = mark[0]
        changes[cell]["value"] += sign * (int(mark in changed) if metric.distinct else n)
        changes[cell]["accounts"] += sign * int(mark in changed)
    return changes


async def insert_counted(
    db: AsyncDatabase[Any],
    collection: str,
    doc: Mapping[str, Any],
    session: AsyncClientSession | None,
) -> None:
    """Insert `doc` and count it, in the caller's transaction."""
    await db[collection].insert_one(dict(doc), session=session)
    await count_documents(db, collection, [doc], 1, session)


async def delete_in(
    db: AsyncDatabase[Any],
    collection: str,
    where: Mapping[str, Any],
    session: AsyncClientSession | None,
) -> int:
    """Delete the documents matching `where` and take back their counts, in the caller's
    transaction; how many were deleted."""
    projection = {**dict.fromkeys(FIELDS[collection], 1), "uncounted": 1}
    found = await db[collection].find(dict(where), projection, session=session).to_list()
    counted = [doc for doc in found if not doc.get("uncounted")]
    await count_documents(db, collection, counted, -1, session)
    ids = [doc["_id"] for doc in found]
    if not ids:
        return 0
    result = await db[collection].delete_many({"_id": {"$in": ids}}, session=session)
    return result.deleted_count


async def delete_counted(db: AsyncDatabase[Any], collection: str, where: Mapping[str, Any]) -> None:
    """Delete every document matching `where` with its counts, `BATCH` per transaction (an
    account's years of items would exceed one); idempotent, so erasure can repeat it."""

    async def one_batch(session: AsyncClientSession | None) -> int:
        batch = db[collection].find(dict(where), {"_id": 1}, session=session).limit(BATCH)
        ids = [doc["_id"] async for doc in batch]
        return await delete_in(db, collection, {"_id": {"$in": ids}}, session) if ids else 0

    while await retried(db, one_batch):
        pass


async def change_account(
    db: AsyncDatabase[Any],
    before: Mapping[str, Any] | None,
    changes: Mapping[str, Any],
    session: AsyncClientSession | None,
) -> None:
    """Count a `$set` of `changes` on an account read as `before` (`ACCOUNT_PROJECTION`)."""
    if before is None or before.get("uncounted"):
        return
    after = _with_set(before, changes)
    await apply(db, difference(account_counts(after), account_counts(before)), session)


def _with_set(doc: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """`doc` as `$set` of `changes` (dotted paths) leaves it."""
    result: dict[str, Any] = {**doc}
    for path, value in changes.items():
        *parents, last = path.split(".")
        place = result
        for name in parents:
            inner = place.get(name)
            place[name] = dict(inner) if isinstance(inner, Mapping) else {}
            place = place[name]
        place[last] = value
    return result


#: What an account write must read before it changes the account, to count the change.
ACCOUNT_PROJECTION = {**dict.fromkeys(_ACCOUNT_FIELDS, 1), "uncounted": 1}


async def uncount_account(db: AsyncDatabase[Any], account: str) -> None:
    """Take back everything still counted of `account`: its own counts and its marks.

    Erasure's step, after its items and sign-ins are gone: idempotent (the account is marked
    `uncounted` and its marks deleted, in one transaction where the server has them). The
    account itself is deleted by the next step, and then no longer in its collection's total.
    """

    async def uncount(session: AsyncClientSession | None) -> None:
        doc = await db[ACCOUNTS].find_one_and_update(
            {"_id": account, "uncounted": {"$ne": True}},
            {"$set": {"uncounted": True}},
            ACCOUNT_PROJECTION,
            session=session,
        )
        changes = negated(account_counts(doc)) if doc else _changes()
        if doc:
            changes[total(ACCOUNTS)]["n"] -= 1
        async for mark in db[ROLLUP_MARKS].find({"account": account}, session=session):
            metric = MARKED["|".join(mark["cell"].split("|")[:2])]
            changes[mark["cell"]]["value"] -= 1 if metric.distinct else mark["n"]
            changes[mark["cell"]]["accounts"] -= 1
        await apply(db, changes, session)
        await db[ROLLUP_MARKS].delete_many({"account": account}, session=session)

    await retried(db, uncount)


async def drifted(db: AsyncDatabase[Any]) -> bool:
    """Whether a collection holds other documents than were counted (written around the
    gateway): its size differs from its counted total."""
    totals = await read(db, [total(collection) for collection in FIELDS])
    for collection in FIELDS:
        size = await db[collection].estimated_document_count()
        if size != totals.get(total(collection), {}).get("n", 0):
            return True
    return False


async def rebuilding(db: AsyncDatabase[Any]) -> bool:
    """Whether a rebuild runs (or stopped half-way): nothing new may be published then."""
    return await db[COUNTERS].find_one({"_id": REBUILD}, {"_id": 1}) is not None


async def read(db: AsyncDatabase[Any], keys: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The counters named `keys` that exist, by id."""
    return {doc["_id"]: doc for doc in await by_ids(db, COUNTERS, keys)}


#: Ids per `$in`: SecantusDB looks up a long `$in` far slower than several short ones at once
#: (585 ids: 2.3 s; 20: 12 ms), and a range of ids scans the whole collection.
IN_CHUNK = 20


async def by_ids(
    db: AsyncDatabase[Any], collection: str, ids: Sequence[str]
) -> list[dict[str, Any]]:
    """The documents of `collection` with these ids that exist, in concurrent short queries."""
    chunks = [list(ids[start : start + IN_CHUNK]) for start in range(0, len(ids), IN_CHUNK)]
    found = await gathered(
        db[collection].find({"_id": {"$in": chunk}}).to_list() for chunk in chunks
    )
    return [doc for part in found for doc in part]


async def content_counts(db: AsyncDatabase[Any], owners: Sequence[str]) -> dict[str, int]:
    """Each owner's items that are not comments, in one query."""
    found = await read(db, [f"content|{owner}" for owner in owners])
    return {owner: found.get(f"content|{owner}", {}).get("n", 0) for owner in owners}
