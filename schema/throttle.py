"""Rate limits: token buckets in memory, per key (a principal, an address).

In memory, so each gateway process limits on its own: with N processes behind a balancer the
effective limit is N times the configured one. Buckets of idle keys are dropped as new ones
arrive, so memory stays bounded however many addresses call.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable


class RateLimiter:
    def __init__(
        self,
        per_minute: int,
        burst: int | None = None,
        *,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst if burst is not None else per_minute)
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def acquire(self, key: str) -> float | None:
        """Take one token for `key`: `None` if allowed, else the seconds to wait (Retry-After)."""
        now = self.clock()
        tokens, last = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        allowed = tokens >= 1.0
        self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return None if allowed else (1.0 - tokens) / self.rate


def retry_after(wait: float) -> int:
    """A wait as a `Retry-After` value: whole seconds, at least one."""
    return max(1, math.ceil(wait))
