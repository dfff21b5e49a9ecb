"""k-anonymity for the aggregates partners read (SPEC §6): no group smaller than k is shown,
and no difference of shown numbers counts fewer than k accounts either.

A metric is counted per aligned period (`authz.periods`), which nest: week ⊂ month ⊂ quarter ⊂
year. A week is shown when its group has at least k accounts. A coarser period is shown when
its group has at least k accounts and it adds nothing to what the periods shown inside it
already tell: either none of them is shown, or its value is exactly their sum. So every shown
number is a sum of disjoint "atoms" (the shown periods with nothing shown inside them), each
of at least k accounts, and any sum or difference of shown numbers is a sum of such atoms:
zero, or at least k accounts. Distinct counts (active accounts) do not add up over periods, so
for them a period and the periods inside it are shown together only when they do add up.
The rule depends on the data alone, never on what was asked, so asking differently shows
nothing more.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from authz.periods import LEVELS, Period, PeriodKind, period_of, span

#: The smallest group any aggregate reports; smaller ones are suppressed, zero included.
K = 5

_INSTANT = timedelta(microseconds=1)


def suppressed(count: int) -> int | None:
    """`count` when its group is large enough to show, else `None` (suppressed)."""
    return count if count >= K else None


@dataclass(frozen=True, slots=True)
class Cell:
    """One period's number and how many distinct accounts it is about."""

    value: int = 0
    accounts: int = 0


def shown(cell_of: Callable[[Period], Cell], periods: Iterable[Period]) -> dict[Period, int | None]:
    """Each of `periods` with its value where the rule above shows it, else `None`.

    `cell_of` gives the cell of any period of the same or a finer kind inside them.
    """
    frontiers: dict[Period, list[Period]] = {}

    def frontier(period: Period) -> list[Period]:
        """The shown periods inside `period` (itself, if shown) that nothing shown holds."""
        if period in frontiers:
            return frontiers[period]
        cell = cell_of(period)
        inner = [found for child in children(period) for found in frontier(child)]
        adds_nothing = not inner or sum(cell_of(p).value for p in inner) == cell.value
        visible = cell.accounts >= K and cell.value >= K and adds_nothing
        frontiers[period] = [period] if visible else inner
        return frontiers[period]

    return {p: cell_of(p).value if frontier(p) == [p] else None for p in periods}


@lru_cache(maxsize=4096)
def children(period: Period) -> tuple[Period, ...]:
    """The periods of the next finer kind that make up `period`; none inside a week.

    Remembered: every answer asks it of each period for each metric (calendar arithmetic
    was most of the CPU time of a `usageTrends` answered from published numbers)."""
    if period.kind is PeriodKind.WEEK:
        return ()
    finer = LEVELS[LEVELS.index(period.kind) - 1]
    return tuple(span(period_of(finer, period.start), period_of(finer, period.end - _INSTANT)))
