"""Stopping a background task without hanging on it."""

from __future__ import annotations

import asyncio
from typing import Any

#: How long a stopping task may take to end.
STOP_SECONDS = 5.0


async def stop(task: asyncio.Task[Any], running: asyncio.Event) -> None:
    """Clear `running` (the task's loop checks it) and cancel the task, then wait for it at
    most `STOP_SECONDS`: PyMongo's retried operations can absorb a cancellation, and a
    shutdown must not hang on one. A task still busy then ends at its loop's next check."""
    running.clear()
    task.cancel()
    await asyncio.wait([task], timeout=STOP_SECONDS)
