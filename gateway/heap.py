"""The garbage collector's settings for a serving process (issue 11).

A request leaves a few hundred container objects for the collector (its futures, frames and
handles refer to each other), and CPython collects its youngest generation after every 700 more
allocations than frees: about every third request, each collection walking the objects of every
request then in flight and promoting them, so the older generations fill and are walked too.
A full collection also walked the ~110,000 objects the built app holds (modules, the schema,
its caches), which live as long as the process: ~90 ms a time, a pause for every request in
flight. Measured on alice's `me` at 16 connections (`bench/e2e.py`'s load), the collector took
0.47 to 0.57 ms of CPU a request, a tenth of the gateway's.

So, once the app is built: `gc.freeze()` puts what exists then out of the collector's sight (it
is never garbage), and the youngest generation is collected after `YOUNG_THRESHOLD`
allocations, by when most of the requests it saw have ended and their objects are gone. The
older generations keep CPython's defaults relative to it. Measured the same way: 0.11 ms a
request at 5,000, as at 10,000; 0.16 to 0.22 ms at 3,000. Cycles are still collected, later:
garbage in cycles (errors with their tracebacks) waits longer, and under error-heavy load
10,000 held about 125 MB more per process than the default (the attack review of 2026-12-01,
reading 175 denied fields a request at 250 connections); 5,000 holds about half that.
"""

from __future__ import annotations

import gc

#: Allocations (net of frees) between collections of the youngest generation; CPython's is 700.
YOUNG_THRESHOLD = 5_000


def settle_heap() -> None:
    """Call once the app is built, before serving: everything alive now lives as long as the
    process, so the collector stops walking it, and collects the young less often."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
