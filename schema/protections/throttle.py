"""Rate limits per minute and key (a principal, an address), over counts every gateway process
shares (`resolvers.rate_counts`).

A sliding estimate smooths the minute boundary: the previous minute's count weighs as much as
the part of it still within the last 60 s, so a client cannot send twice the limit across a
boundary.
"""

from __future__ import annotations

import logging
import math

from pymongo.errors import PyMongoError

from resolvers.rate_counts import WINDOW_SECONDS, RateCounts

log = logging.getLogger(__name__)

#: A key's requests a process may count before it must share them: at least the configured
#: batch, and up to this share of the limit, so the excess over a limit is a small part of it
#: (1/64 per extra process) and a high limit does not cost a round trip every few requests.
LIMIT_SHARE = 64

#: The wait given when counts cannot be shared (the database is unreachable): refused, not
#: let through, for as long as that lasts.
UNSHARED_WAIT = 1.0


class RateLimiter:
    def __init__(self, counts: RateCounts, scope: str, per_minute: int) -> None:
        self.counts = counts
        self.scope = scope
        self.limit = per_minute
        self.batch = max(counts.batch, per_minute // LIMIT_SHARE)

    async def acquire(self, key: str) -> float | None:
        """Count one request of `key`: `None` if allowed, else the seconds to wait.

        No round trip, unless this process already has `self.batch` requests of `key` unsent: then
        it sends them first, and if the database cannot take them the request is refused (at
        once while the last flush failed, so an outage costs no wait per request).
        """
        key = f"{self.scope}:{key}"
        while True:
            window, elapsed = self.counts.now()
            tally = self.counts.tally(key, window)
            wait = self._wait(self.counts.seen(key, window - 1), tally.count, elapsed)
            if wait is not None:
                return wait
            # Counts on their way to the database are not shared yet either: while a flush is
            # in flight (or failing), they still use up the batch.
            if tally.unsent + tally.sending < self.batch:
                tally.unsent += 1
                return None
            if not self.counts.sharing:
                return UNSHARED_WAIT
            try:
                await self.counts.flush()
            except PyMongoError:
                log.warning("rate limited without shared counts", extra={"scope": self.scope})
                return UNSHARED_WAIT

    async def acquire_exactly(self, key: str) -> float | None:
        """As `acquire`, counted in the database before answering (one round trip), for rare
        requests the limit must hold exactly across processes. Raises `PyMongoError` when the
        database cannot be reached: the request fails rather than going uncounted."""
        window, elapsed = self.counts.now()
        previous, count = await self.counts.count_now(f"{self.scope}:{key}", window)
        return self._wait(previous, count - 1, elapsed)

    def _wait(self, previous: int, count: int, elapsed: float) -> float | None:
        """`None` if one more request keeps the estimate within the limit, else the seconds
        until it would (with `previous` and `count` as they are)."""
        if previous * (1 - elapsed) + count + 1 <= self.limit:
            return None
        if count + 1 <= self.limit:  # once enough of the previous minute has slid out
            return (1 - (self.limit - count - 1) / previous - elapsed) * WINDOW_SECONDS
        # In the next minute, this one's count is the previous one.
        return (1 - elapsed + max(0.0, 1 - (self.limit - 1) / count)) * WINDOW_SECONDS


def retry_after(wait: float) -> int:
    """A wait as a `Retry-After` value: whole seconds, at least one."""
    return max(1, math.ceil(wait))
