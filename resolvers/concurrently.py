"""Awaiting several reads at once, without paying for concurrency when there is one."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from typing import TypeVar

_T = TypeVar("_T")


async def gathered(awaitables: Iterable[Awaitable[_T]]) -> list[_T]:
    """Their results in order, as `asyncio.gather` gives them.

    Most reads of a request gather one awaitable (one group of accounts, one owner's page, one
    window behind), and `gather` runs even that in a task of its own: a loop turn to start it
    and callbacks to report, about 4 % of alice's `me` (issue 11). A lone one is awaited here.
    """
    pending = list(awaitables)
    if len(pending) == 1:
        result = await pending[0]
        _raise_if_cancelled()
        return [result]
    return list(await asyncio.gather(*pending))


def _raise_if_cancelled() -> None:
    """Cancel the caller if a cancellation reached the awaited code and was swallowed there.

    PyMongo's async reads sometimes complete although their task was cancelled (a read inside
    an `asyncio.timeout` that expired: 2 of 30, 8 of 30 with `timeoutMS`), without `uncancel`.
    `gather` raises `CancelledError` in its caller whatever its children did, and the operation
    timeout (`gateway.graphql`) relies on that; so does this.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
