"""Storage of disclosure records: one document per operation, written in groups, kept
(pseudonymised) when an account is erased.

An operation's records share their principal and time; a domain admin's page of 100 members
is 100 records. Stored one document per record, SecantusDB paid its per-document insert cost
(the index catalogue re-read, each index updated) 100 times: 57 % of its CPU under a members
page. So an operation is one document (`bench/disclosure_records.py`: 4x less database CPU
for an operation of 20 subjects, 7.5x for 100):

    {_id, principal_kind, principal_id, at,
     subjects: [subject ids],  # multikey-indexed with (at, _id): a subject's records
     entries: [[{relation, fields, purpose, legal_request}, ...], ...]}  # subjects[i]'s: [i]

The entries are kept apart from the ids, position for position, so erasure rewrites only
`subjects` (the id becomes a pseudonym where it stands), and a reader asks the database for
one subject's entries only (`RECORD_ROWS`): no other subject's id or entries leave it. Each
entry is one `Disclosure` of its subject: its id is the document's id when it is the subject's
only entry there, else `<document id>:<k>` (its place among the subject's entries), so ids and
cursors stay stable, and leak nothing of the operation's other subjects.
"""

from __future__ import annotations

import asyncio
import contextvars
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import OperationFailure

from authz.disclosures import Disclosures
from resolvers.collections import DISCLOSURES
from resolvers.transactions import in_enclosing_transaction

#: What each entry says of its subject; the rest of a record is its operation's.
ENTRY_FIELDS = ("relation", "fields", "purpose", "legal_request")
#: One subject's entries of a document, as read (`RecordRows.projection`).
_MINE = "mine"
#: The index of records stored one document per subject, `(subject, at)`, before issue 11.
_PER_SUBJECT_INDEX = "by_subject"
#: The server's error code for dropping an index that is not there (any more).
_INDEX_NOT_FOUND = 27


def operation_document(disclosures: Disclosures, record_id: str | None = None) -> dict[str, Any]:
    """The stored document of one operation's records (`record_id`: a generated one)."""
    entries: dict[str, list[dict[str, Any]]] = {}
    for record in disclosures.records:
        entries.setdefault(record.subject, []).append(
            {
                "relation": record.relation.value,
                "fields": list(record.fields),
                "purpose": record.purpose,
                "legal_request": record.legal_request,
            }
        )
    principal = disclosures.principal
    return {
        "_id": record_id or uuid.uuid4().hex,
        "principal_kind": principal.kind.value,
        "principal_id": principal.id,
        "at": disclosures.at,
        "subjects": list(entries),
        "entries": list(entries.values()),
    }


class RecordRows:
    """One subject's records in operation documents, as rows shaped like a `Disclosure`
    (`resolvers.related.Rows`: the account's list and its data export read them so)."""

    def projection(self, project: Mapping[str, Any], subject: str) -> dict[str, Any]:
        """What to read of a document for `subject`'s rows: of `project` (row keys), the
        operation's keys as they are, and the entry keys of `subject`'s entries only."""
        mine = {"$arrayElemAt": ["$entries", {"$indexOfArray": ["$subjects", subject]}]}
        wanted = {key: f"$$this.{key}" for key in ENTRY_FIELDS if key in project}
        shared = {key: value for key, value in project.items() if key not in ENTRY_FIELDS}
        return {
            **shared,
            "_id": 1,
            _MINE: {"$map": {"input": mine, "in": wanted or {"$literal": {}}}},
        }

    def rows(self, doc: Mapping[str, Any], subject: str) -> list[dict[str, Any]]:
        """`subject`'s rows of a document read with `projection`, in their stored order."""
        shared = {key: value for key, value in doc.items() if key not in ("_id", _MINE)}
        mine = doc[_MINE]
        ids = [doc["_id"]] if len(mine) == 1 else [f"{doc['_id']}:{k}" for k in range(len(mine))]
        return [{**shared, **entry, "_id": row_id} for row_id, entry in zip(ids, mine, strict=True)]


RECORD_ROWS = RecordRows()


async def group_stored_records(db: AsyncDatabase[Any]) -> None:
    """Records stored one document per subject (before issue 11) become one-subject
    operations, ids kept; then their index goes. Idempotent and safe to run by several
    processes at once: a store without the old index has nothing left to convert."""
    collection = db[DISCLOSURES]
    if _PER_SUBJECT_INDEX not in await collection.index_information():
        return
    entry = {key: f"${key}" for key in ENTRY_FIELDS}
    await collection.update_many(
        {"subject": {"$exists": True}},
        [
            {"$set": {"subjects": ["$subject"], "entries": [[entry]]}},
            {"$unset": ["subject", *ENTRY_FIELDS]},
        ],
    )
    try:
        await collection.drop_index(_PER_SUBJECT_INDEX)
    except OperationFailure as error:
        if error.code != _INDEX_NOT_FOUND:
            raise


async def record_disclosures(db: AsyncDatabase[Any], records: Sequence[dict[str, Any]]) -> None:
    await db[DISCLOSURES].insert_many(list(records), ordered=False)


class DisclosureWriter:
    """Writes the records of concurrent operations together: one `insert_many` per group.

    Group commit: while an insert is in flight, records queue; when it returns, everything
    queued goes in the next insert. A lone operation's records go at once (no delay is ever
    added), and each caller of `write` returns only once the insert carrying its records has
    succeeded, or raises what made it fail: a failed insert fails every write it carried, so
    no operation of the group may answer with data whose record may be missing.
    """

    def __init__(self, db: AsyncDatabase[Any]) -> None:
        self.db = db
        self._queue: list[tuple[list[dict[str, Any]], asyncio.Future[None]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def write(self, disclosures: Disclosures) -> None:
        """Store an operation's records; raises (e.g. `PyMongoError`) if they may not have
        been stored."""
        records = [operation_document(disclosures)]
        if in_enclosing_transaction():
            # The operation runs in one transaction (reject mode): its records belong to it,
            # committed or rolled back with its writes, never in another operation's group.
            await record_disclosures(self.db, records)
            return
        stored = asyncio.get_running_loop().create_future()
        self._queue.append((list(records), stored))
        if self._flushing is None:
            # A context of its own: the flush must never join a caller's bound session.
            self._flushing = asyncio.create_task(self._flush(), context=contextvars.Context())
        await stored

    async def flush(self) -> None:
        """Return once every record handed to `write` so far has been inserted or has failed
        (shutting down: nothing may be left queued when the client closes)."""
        while self._flushing is not None:
            await asyncio.shield(self._flushing)

    async def _flush(self) -> None:
        group: list[tuple[list[dict[str, Any]], asyncio.Future[None]]] = []
        try:
            while self._queue:
                group, self._queue = self._queue, []
                try:
                    await record_disclosures(self.db, [r for records, _ in group for r in records])
                except Exception as error:
                    _settle(group, error)
                else:
                    _settle(group, None)
        finally:
            # Cancelled (the loop is closing): whoever still waits is cancelled too, never
            # left waiting, and never told its records were stored.
            for _, stored in [*group, *self._queue]:
                stored.cancel()
            self._queue = []
            self._flushing = None


def _settle(
    group: list[tuple[list[dict[str, Any]], asyncio.Future[None]]], error: Exception | None
) -> None:
    """Tell each writer of a group how its insert went (one that stopped waiting is skipped)."""
    for _, stored in group:
        if stored.done():
            continue
        if error is None:
            stored.set_result(None)
        else:
            stored.set_exception(error)
