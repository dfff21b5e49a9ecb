"""k-anonymity for the aggregates partners read (SPEC §6): no group smaller than k is shown."""

from __future__ import annotations

#: The smallest group any aggregate reports; smaller ones are suppressed, zero included.
K = 5


def suppressed(count: int) -> int | None:
    """`count` when its group is large enough to show, else `None` (suppressed)."""
    return count if count >= K else None
