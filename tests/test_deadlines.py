"""Operation deadlines from one shared timer (`gateway.deadlines`), held to what
`asyncio.timeout` does: cancelled at the deadline, `TimeoutError` to the caller, a cancellation
from elsewhere left as it is, and nothing done to an operation that has ended."""

from __future__ import annotations

import asyncio

import pytest

from gateway.deadlines import Deadlines

BOUND = 0.2


async def _sleep_within(deadlines: Deadlines, seconds: float) -> str:
    async with deadlines.within():
        await asyncio.sleep(seconds)
    return "done"


async def test_an_operation_past_its_deadline_is_cancelled_then_and_its_caller_told() -> None:
    deadlines = Deadlines(BOUND)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(TimeoutError):
        await _sleep_within(deadlines, 10)
    assert BOUND <= loop.time() - started < BOUND + 0.1


async def test_each_operation_has_its_own_deadline_whatever_ended_before_it() -> None:
    deadlines = Deadlines(BOUND)
    loop = asyncio.get_running_loop()
    started = loop.time()
    ended: dict[str, float] = {}

    async def operation(name: str, delay: float, seconds: float) -> None:
        await asyncio.sleep(delay)
        try:
            await _sleep_within(deadlines, seconds)
        except TimeoutError:
            ended[name] = loop.time() - started

    await asyncio.gather(
        operation("quick", 0.0, 0.01),  # ends at once: the timer was armed for its deadline
        operation("first", 0.05, 10),
        operation("in time", 0.08, 0.15),
        operation("second", 0.1, 10),
    )
    assert set(ended) == {"first", "second"}
    assert 0.25 <= ended["first"] < 0.25 + 0.08
    assert 0.3 <= ended["second"] < 0.3 + 0.08


async def test_an_operation_that_ended_in_time_is_never_cancelled_afterwards() -> None:
    deadlines = Deadlines(BOUND)
    assert await _sleep_within(deadlines, 0.01) == "done"
    await asyncio.sleep(BOUND * 2)  # the same task, past the deadline it had: not cancelled
    # And after an idle spell the next operation is bounded again.
    with pytest.raises(TimeoutError):
        await _sleep_within(deadlines, 10)


async def test_a_cancellation_from_elsewhere_stays_a_cancellation() -> None:
    deadlines = Deadlines(BOUND)
    task = asyncio.create_task(_sleep_within(deadlines, 10))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(BOUND * 1.5)  # its deadline passes with nothing left to cancel
    assert await _sleep_within(deadlines, 0.01) == "done"


def test_a_new_event_loop_starts_afresh() -> None:
    deadlines = Deadlines(BOUND)

    async def held_then_abandoned() -> None:
        asyncio.get_running_loop().create_task(_sleep_within(deadlines, 10))
        await asyncio.sleep(0)

    asyncio.run(held_then_abandoned())  # leaves an operation and an armed timer behind

    async def bounded() -> None:
        with pytest.raises(TimeoutError):
            await _sleep_within(deadlines, 10)

    asyncio.run(asyncio.wait_for(bounded(), timeout=5))
