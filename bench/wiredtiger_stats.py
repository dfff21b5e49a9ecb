"""The embedded database's storage engine seen from inside: WiredTiger's statistics log.

WiredTiger reads extra configuration from `WIREDTIGER_CONFIG` when it opens; with
`statistics_log` it appends a JSON line of all its counters to a file every second. A bench
gives the embedded server `environment()` and reads `counters()` on either side of a run, so a
stall of SecantusDB (README, "Speed") shows as what it is: forced evictions of an oversized page,
each blocked by another session's hazard pointer, while the evicting thread holds SecantusDB's
global lock and sleeps.
"""

from __future__ import annotations

import json
from contextlib import suppress
from pathlib import Path

#: What a stall is made of: (section, counter) in WiredTiger's log, by the name a bench prints.
STALL_COUNTERS = {
    "forced evictions": ("cache", "forced eviction - pages selected count"),
    "blocked by a hazard pointer": ("cache", "hazard pointer blocked page eviction"),
    "us asleep acquiring pages": ("thread-yield", "page acquire time sleeping (usecs)"),
}
#: A line holds every counter (about 30 KB); the newest whole one is within this much of the end.
_TAIL_BYTES = 256 * 1024


def environment(directory: Path) -> dict[str, str]:
    """For the embedded server: log every counter to `directory` once a second."""
    directory.mkdir(parents=True, exist_ok=True)
    return {
        "WIREDTIGER_CONFIG": (
            f"statistics=(fast),statistics_log=(wait=1,json=true,path={directory})"
        )
    }


def counters(directory: Path) -> dict[str, int]:
    """The stall counters as of the newest line logged (at most a second old); zeros before
    the first."""
    logs = sorted(directory.glob("WiredTigerStat.*"), key=lambda path: path.stat().st_mtime)
    sections = (_newest(logs[-1]) if logs else None) or {}
    return {
        name: int(sections.get(section, {}).get(counter, 0))
        for name, (section, counter) in STALL_COUNTERS.items()
    }


def _newest(path: Path) -> dict[str, dict[str, int]] | None:
    """The counters of the newest whole line of `path`, by section."""
    with path.open("rb") as log:
        size = log.seek(0, 2)
        log.seek(max(0, size - _TAIL_BYTES))
        lines = log.read().splitlines()
    for line in reversed(lines):
        with suppress(ValueError):  # the line being written, or the first one cut by the seek
            sections: dict[str, dict[str, int]] = json.loads(line)["wiredTiger"]
            return sections
    return None


def change(before: dict[str, int], after: dict[str, int]) -> str:
    """`before` → `after` as a bench prints it; empty when nothing stalled."""
    moved = {name: after[name] - before.get(name, 0) for name in after}
    if not moved.get("forced evictions"):
        return ""
    return "  WiredTiger: " + ", ".join(f"{count} {name}" for name, count in moved.items())
