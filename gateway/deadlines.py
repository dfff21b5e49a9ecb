"""Operation deadlines kept by one timer per process, not one per operation.

`asyncio.timeout` arms an event-loop timer for every operation and disarms it when the
operation ends: 27,000 of the 1,090,000 instructions of `{ __typename }`
(`bench/instructions.py`), for a timer that almost never fires. Every operation here has the
same bound, so the operations running are in deadline order as they started: an operation
only enters and leaves a dict, and one timer, armed for the oldest deadline while any operation
runs, cancels those past theirs and re-arms for the next. An operation is cancelled at its
deadline (to the loop's timer resolution), as with `asyncio.timeout`, and its caller gets
`TimeoutError`; a cancellation from elsewhere stays a `CancelledError`.
"""

from __future__ import annotations

import asyncio
from types import TracebackType


class Deadlines:
    """`within()` bounds one operation to `seconds`; the loop's timer is shared by all."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        #: Operations running, oldest (so earliest deadline) first.
        self._running: dict[_Bound, None] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def within(self) -> _Bound:
        return _Bound(self)

    def _enter(self, bound: _Bound, loop: asyncio.AbstractEventLoop) -> None:
        if loop is not self._loop:  # a new loop (an app served again, in tests): start afresh
            self._loop, self._running, self._timer = loop, {}, None
        self._running[bound] = None
        if self._timer is None:
            self._timer = loop.call_at(bound.deadline, self._expire)

    def _leave(self, bound: _Bound) -> None:
        self._running.pop(bound, None)

    def _expire(self) -> None:
        """Cancel the operations past their deadline; wait for the next one's."""
        assert self._loop is not None
        self._timer = None
        now = self._loop.time()
        while self._running:
            bound = next(iter(self._running))
            if bound.deadline > now:
                self._timer = self._loop.call_at(bound.deadline, self._expire)
                return
            del self._running[bound]
            bound.expire()


class _Bound:
    """One operation's deadline, entered as `async with`, as `asyncio.timeout` is."""

    __slots__ = ("_cancelling", "_deadlines", "_expired", "_task", "deadline")

    def __init__(self, deadlines: Deadlines) -> None:
        self._deadlines = deadlines
        self._expired = False

    async def __aenter__(self) -> None:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("Deadlines bound operations that run in a task")
        self._task = task
        self._cancelling = task.cancelling()
        loop = asyncio.get_running_loop()
        self.deadline = loop.time() + self._deadlines.seconds
        self._deadlines._enter(self, loop)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        if not self._expired:
            self._deadlines._leave(self)
            return
        # Ours was the cancellation unless another arrived meanwhile (as `asyncio.timeout`).
        if self._task.uncancel() <= self._cancelling and exc_type is asyncio.CancelledError:
            raise TimeoutError from exc_val

    def expire(self) -> None:
        self._expired = True
        self._task.cancel()
