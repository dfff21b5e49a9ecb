"""Brings a dead embedded database back: the same data directory, the same port, no person.

The gateway that started the database (the `serve` parent, the one process even with
`--workers N`) watches it from a thread. When it ends without being stopped (killed, crashed),
the thread starts it again after a wait that doubles per failed attempt up to a cap, with
jitter (a database that dies at start-up is not restarted in a tight loop). Clients keep their
URI (the port is the same) and reconnect by themselves; meanwhile each request fails within
`database_timeout_seconds` with `UNAVAILABLE`, and each process re-runs its start-up
preparation once the database answers again (`gateway.recovery`).
"""

from __future__ import annotations

import logging
import random
import threading
from types import TracebackType

from gateway.embedded import EmbeddedServer, EmbeddedServerError

log = logging.getLogger(__name__)

#: How often the thread looks whether the database is still running.
POLL_SECONDS = 0.1
#: The wait before the first restart; each failed attempt doubles it, up to the cap.
FIRST_BACKOFF_SECONDS = 0.5


def restart_delay(attempt: int, cap: float) -> float:
    """The wait before restart number `attempt` (0-based): doubling, capped, and jittered
    between half and all of it, so it never drops to nothing and never exceeds the cap."""
    ceiling = min(cap, FIRST_BACKOFF_SECONDS * 2**attempt)
    return random.uniform(ceiling / 2, ceiling)


class Supervisor:
    """While open, restarts `server` whenever it dies; closing stops it for good.

    The thread that restarts the database is the one Linux ties its parent-death signal to:
    it lives until `__exit__` has stopped the database, never shorter.
    """

    def __init__(self, server: EmbeddedServer, *, max_backoff: float) -> None:
        self.server = server
        self.max_backoff = max_backoff
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="database-supervisor")

    def __enter__(self) -> Supervisor:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._closing.set()
        self.server.stop()  # waits for a restart in progress, and forbids the next one
        self._thread.join()

    def _watch(self) -> None:
        while not self._closing.wait(POLL_SECONDS):
            status = self.server.died()
            if status is not None:
                log.error(
                    "embedded database died",
                    extra={"exit_status": status, "port": self.server.port},
                )
                self._bring_back()

    def _bring_back(self) -> None:
        attempt = 0
        while True:
            delay = restart_delay(attempt, self.max_backoff)
            log.warning(
                "restarting embedded database",
                extra={"attempt": attempt + 1, "delay_s": round(delay, 3)},
            )
            if self._closing.wait(delay):
                return
            try:
                restarted = self.server.restart()
            except EmbeddedServerError as error:
                log.error(
                    "embedded database restart failed",
                    extra={"attempt": attempt + 1, "error": str(error)},
                )
                attempt += 1
                continue
            if restarted:
                log.info(
                    "embedded database restarted",
                    extra={"attempt": attempt + 1, "pid": self.server.pid, "uri": self.server.uri},
                )
            return
