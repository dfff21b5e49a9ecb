"""A steady stream of writes against a fresh embedded SecantusDB, as the gateway writes: how an
insert's latency moves as the writes add up, with retryable writes off (the embedded server's
URI, `gateway/embedded.py`) or on (PyMongo's default).

Each iteration inserts two documents and replaces three (a disclosure group, freshness marks,
rate counts). With retryable writes on, SecantusDB keeps a record of each for 30 minutes (up to
10,000) and scans them, at the cap sorts them, on every retryable write, so the inserts slow
in proportion; off, they stay flat.

    .venv/bin/python bench/steady_writes.py [--retryable] [--iterations 4000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from pymongo import MongoClient

from gateway.embedded import EmbeddedServer

REPORT_EVERY = 500


def run(iterations: int, retryable: bool) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="imoox-writes-") as data_dir,
        EmbeddedServer(Path(data_dir)) as uri,
        MongoClient[dict[str, Any]](uri, retryWrites=retryable) as client,
    ):
        db = client.imoox
        latencies: list[float] = []
        for iteration in range(1, iterations + 1):
            started = time.perf_counter()
            db.disclosures.insert_many([{"_id": uuid.uuid4().hex} for _ in range(2)])
            latencies.append(time.perf_counter() - started)
            for mark in range(3):
                db.marks.replace_one({"_id": mark}, {"n": iteration}, upsert=True)
            if iteration % REPORT_EVERY == 0:
                median = statistics.median(latencies) * 1000
                print(f"{iteration:6d} iterations: insert p50 {median:5.1f} ms", flush=True)
                latencies.clear()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=4000)
    parser.add_argument(
        "--retryable", action="store_true", help="PyMongo's default: every write retryable"
    )
    arguments = parser.parse_args()
    run(arguments.iterations, arguments.retryable)
