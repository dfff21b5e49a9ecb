"""The suppression rule for aggregates over nested periods (`authz.aggregates.shown`)."""

from __future__ import annotations

from authz.aggregates import Cell, children, shown
from authz.periods import PeriodKind, parse

JANUARY = parse(PeriodKind.MONTH, "2026-01")
WEEKS = children(JANUARY)


def test_a_month_is_made_of_the_weeks_whose_thursday_it_holds() -> None:
    assert [w.label for w in WEEKS] == [f"2026-W0{n}" for n in range(1, 6)]


def rule(month: Cell, *weeks: Cell) -> dict[str, int | None]:
    cells = {JANUARY: month, **dict(zip(WEEKS, weeks, strict=True))}
    return {p.label: v for p, v in shown(lambda p: cells[p], [JANUARY, *WEEKS]).items()}


def test_a_month_shows_with_its_weeks_only_when_it_is_their_sum() -> None:
    weeks = [Cell(6, 6), Cell(7, 7), Cell(5, 5), Cell(8, 8), Cell(9, 9)]
    assert rule(Cell(35, 35), *weeks)["2026-01"] == 35
    # Distinct active accounts: 30 people over the month, some active in several weeks.
    # 35 - 30 would count the repeat visits of fewer than k people: the month stays hidden.
    assert rule(Cell(30, 30), *weeks) == {
        "2026-01": None,
        **{w.label: c.value for w, c in zip(WEEKS, weeks, strict=True)},
    }


def test_a_month_hides_when_a_hidden_week_would_be_its_difference() -> None:
    shown_weeks = rule(Cell(54, 54), Cell(), Cell(53, 53), Cell(1, 1), Cell(), Cell())
    assert shown_weeks == {
        "2026-01": None,
        "2026-W01": None,
        "2026-W02": 53,
        "2026-W03": None,
        "2026-W04": None,
        "2026-W05": None,
    }
    # No week shows: the month is the only number, and it shows.
    assert rule(Cell(12, 12), *[Cell(3, 3)] * 4, Cell())["2026-01"] == 12


def test_a_count_of_items_needs_k_accounts_behind_it() -> None:
    assert rule(Cell(40, 2), *[Cell(8, 1)] * 5)["2026-01"] is None
