"""After its database restarted, each gateway process re-runs its start-up preparation itself.

A database process that comes back (restarted by `gateway.supervisor`, or an external one its
operator restarted) interrupted what start-up resumes: a job (erasure, policy notice) cut off
mid-way waits for a `resume_*` call; and indexes are ensured again (they are idempotent). The
driver reports every server description; a new `topologyVersion.processId` for an address it
knew is a new server process, the signal to prepare again (retried until it succeeds). A mere
loss of contact (a stall, a slow heartbeat under load) is not: nothing in the database changed,
and preparing again would add writes to every such blip.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from pymongo.errors import PyMongoError
from pymongo.monitoring import (
    ServerClosedEvent,
    ServerDescriptionChangedEvent,
    ServerListener,
    ServerOpeningEvent,
)
from pymongo.server_type import SERVER_TYPE

log = logging.getLogger(__name__)

#: The wait before preparing again when preparing failed (the database went away again).
RETRY_SECONDS = 1.0


class Reconnects(ServerListener):
    """Pass to the client's `event_listeners`; `preparing_again` then acts on each restart."""

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._back = asyncio.Event()
        self._processes: dict[tuple[str, int | None], object] = {}

    def opened(self, event: ServerOpeningEvent) -> None:
        """Nothing to do: the first connection is start-up's to prepare."""

    def closed(self, event: ServerClosedEvent) -> None:
        """Nothing to do: the client is closing."""

    def description_changed(self, event: ServerDescriptionChangedEvent) -> None:
        described = event.new_description
        process = (described.topology_version or {}).get("processId")
        if described.server_type == SERVER_TYPE.Unknown or process is None:
            return
        known = self._processes.get(event.server_address)
        self._processes[event.server_address] = process
        if known is not None and known != process:
            # The driver may call from a thread of its own: the event belongs to the loop.
            self._loop.call_soon_threadsafe(self._back.set)

    @asynccontextmanager
    async def preparing_again(self, prepare: Callable[[], Awaitable[None]]) -> AsyncIterator[None]:
        """While open, run `prepare` each time the database process was restarted. Enter it
        once start-up has prepared."""
        self._back.clear()
        closing = asyncio.Event()
        task = asyncio.create_task(self._prepare_on_return(prepare, closing))
        try:
            yield
        finally:
            # The driver may turn a cancellation into an error of its own: the flag ends the
            # retries whatever the cancellation became.
            closing.set()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _prepare_on_return(
        self, prepare: Callable[[], Awaitable[None]], closing: asyncio.Event
    ) -> None:
        while not closing.is_set():
            await self._back.wait()
            self._back.clear()
            log.info("database restarted; preparing it as at start-up")
            while not closing.is_set():
                try:
                    await prepare()
                except PyMongoError as error:
                    log.warning(
                        "preparing the database failed; retrying", extra={"error": str(error)}
                    )
                    await asyncio.sleep(RETRY_SECONDS)
                else:
                    log.info("database prepared again")
                    break
