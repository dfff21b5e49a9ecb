"""`gathered`: `asyncio.gather`'s results, with no task for a lone awaitable (issue 11)."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from resolvers.concurrently import gathered


async def _task_and(value: int) -> tuple[asyncio.Task[object] | None, int]:
    await asyncio.sleep(0)
    return asyncio.current_task(), value


async def test_a_lone_read_runs_in_the_callers_task() -> None:
    [(task, value)] = await gathered([_task_and(1)])
    assert (task, value) == (asyncio.current_task(), 1)


async def test_several_run_concurrently_and_answer_in_order() -> None:
    results = await gathered(_task_and(n) for n in range(3))
    assert [value for _, value in results] == [0, 1, 2]
    tasks = {task for task, _ in results}
    assert asyncio.current_task() not in tasks
    assert len(tasks) == 3


async def test_a_failure_is_raised_alone_or_among_several() -> None:
    async def fails() -> int:
        raise LookupError("gone")

    with pytest.raises(LookupError):
        await gathered([fails()])
    with pytest.raises(LookupError):
        await gathered([_task_and(0), fails()])
    assert await gathered([]) == []


async def test_a_cancellation_the_lone_read_swallows_still_cancels_the_caller() -> None:
    """As `gather` does: the operation timeout must fire even when the read (PyMongo's, at
    times) swallows the cancellation it was sent."""

    async def swallows() -> str:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(1)
        return "completed anyway"

    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await gathered([swallows()])
