"""What storing an operation's disclosure records costs the embedded database, per shape.

A domain admin's page of N members discloses N accounts in one operation. Stored one document
per subject (the shape before issue 11), SecantusDB re-reads its index catalogue per inserted
document and updates each secondary index per document; stored as one document per operation
(`resolvers.disclosures`: `subjects` multikey-indexed, their entries beside them), it pays
that once per operation. This replays operations of 20 and 100 subjects in both shapes into
one fresh embedded database, with the indexes each shape is read through, and prints the
database's CPU per operation (from /proc, the server's process only), idle to idle.

    .venv/bin/python bench/disclosure_records.py [--operations 200]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pymongo import ASCENDING, DESCENDING, IndexModel, MongoClient

from authz.disclosures import Disclosed, Disclosures
from authz.principals import Principal, PrincipalKind
from authz.relations import Relation
from bench.procstat import cpu_seconds
from gateway.embedded import EmbeddedServer
from resolvers.collections import DISCLOSURES, INDEXES, owner_indexes
from resolvers.disclosures import operation_document

Shape = Callable[[list[str], datetime], list[dict[str, Any]]]
FIELDS = ["Account.displayName", "Account.email", "Account.status"]


def per_subject(subjects: list[str], at: datetime) -> list[dict[str, Any]]:
    """One document per subject: the shape before issue 11."""
    return [
        {
            "_id": uuid.uuid4().hex,
            "subject": subject,
            "principal_kind": "USER",
            "principal_id": "acct-dora",
            "relation": "DOMAIN_ADMIN",
            "fields": FIELDS,
            "purpose": None,
            "legal_request": None,
            "at": at,
        }
        for subject in subjects
    ]


def grouped(subjects: list[str], at: datetime) -> list[dict[str, Any]]:
    """One document per operation: what the gateway stores (`resolvers.disclosures`)."""
    dora = Principal(PrincipalKind.DOMAIN_ADMIN, "acct-dora")
    read = tuple(Disclosed(s, Relation.DOMAIN_ADMIN, tuple(FIELDS), None, None) for s in subjects)
    return [operation_document(Disclosures(dora, at, read))]


SHAPES: dict[str, tuple[Shape, list[IndexModel]]] = {
    "per subject": (
        per_subject,
        [
            IndexModel([("subject", ASCENDING), ("at", DESCENDING)], name="by_subject"),
            IndexModel("principal_id", name="owner_principal_id"),
        ],
    ),
    "grouped": (grouped, [*INDEXES[DISCLOSURES], *owner_indexes()[DISCLOSURES]]),
}


def settle(pid: int) -> None:
    """Wait until the server is idle (its own checkpoints and the like done)."""
    while True:
        before = cpu_seconds(pid)
        time.sleep(0.3)
        if cpu_seconds(pid) - before < 0.01:
            return


def replay(client: MongoClient[Any], pid: int, shape: str, size: int, operations: int) -> float:
    """Milliseconds of database CPU per operation of `size` subjects."""
    make, indexes = SHAPES[shape]
    collection = client["bench"][f"{shape.replace(' ', '_')}_{size}"]
    collection.create_indexes(indexes)
    subjects = [f"acct-{n:04d}" for n in range(size)]
    settle(pid)
    before = cpu_seconds(pid)
    for _ in range(operations):
        collection.insert_many(make(subjects, datetime.now(UTC)), ordered=False)
    settle(pid)
    return (cpu_seconds(pid) - before) * 1000 / operations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--operations", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        embedded = EmbeddedServer(Path(data))
        client: MongoClient[Any] = MongoClient(embedded.start())
        assert embedded.pid is not None
        server = embedded.pid
        print(f"{'subjects':>8}  {'shape':<12} {'DB CPU ms/operation':>20}")
        for size in (20, 100):
            costs = {
                shape: replay(client, server, shape, size, args.operations) for shape in SHAPES
            }
            for shape, cost in costs.items():
                print(f"{size:>8}  {shape:<12} {cost:>20.2f}")
            print(f"{size:>8}  {'ratio':<12} {costs['per subject'] / costs['grouped']:>19.1f}x")
        client.close()
        embedded.stop()


if __name__ == "__main__":
    main()
