"""The documents a data export reads (GDPR Art. 15/20): everything held about one account.

The sections are those `collections.OWNED` declares, in its order, so a collection that
holds a person's data is exported by declaring it there. Read section by section with
cursors, so an export of any size streams in constant memory. Which fields of each document
leave the server is decided by the caller (`schema.export`), from the policy, and only those
are read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from resolvers import collections as c
from resolvers.disclosures import RECORD_ROWS
from resolvers.related import BATCH_SIZE, Rows

#: Collections whose documents hold rows of several accounts, and how to read one's rows.
GROUPED: dict[str, Rows] = {c.DISCLOSURES: RECORD_ROWS}


@dataclass(frozen=True, slots=True)
class Section:
    """One export section: a declared listing, and where its owner's documents are."""

    listing: c.Listing
    collection: str
    key: str

    def query(self, account: str) -> dict[str, Any]:
        return {self.key: account, **self.listing.where}


def sections(owned: Iterable[c.Owned]) -> tuple[Section, ...]:
    """Every listing `owned` declares, in its order."""
    return tuple(
        Section(listing, row.collection, row.key) for row in owned for listing in row.export
    )


SECTIONS = sections(c.OWNED)


async def section_documents(
    db: AsyncDatabase[Any], section: Section, account: str, fields: Iterable[str]
) -> AsyncIterator[dict[str, Any]]:
    """The owner's documents (or rows) of `section`, with only `fields` read (`_id` always)."""
    projection = {"_id": 1, **dict.fromkeys(fields, 1)}
    rows = GROUPED.get(section.collection)
    if rows is not None:
        projection = rows.projection(projection, account)
    cursor = db[section.collection].find(section.query(account), projection)
    async for doc in cursor.sort(list(section.listing.sort)).batch_size(BATCH_SIZE):
        if rows is None:
            yield doc
            continue
        for row in rows.rows(doc, account):
            yield row
