"""The embedded MongoDB-compatible server (SecantusDB), run as a child process.

It runs in its own process, never in the gateway's: in process it would share the GIL and be
several times slower, and SecantusDB is GPL-2.0, so it is spoken to over the wire only.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import BinaryIO

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from gateway.child import command

log = logging.getLogger(__name__)

_LISTENING = re.compile(rb"listening on (?P<host>[\w.:\[\]-]+):(?P<port>\d+)")
_LOCKED = (b"already being managed by another process", b"Resource temporarily unavailable")


class EmbeddedServerError(RuntimeError):
    """The embedded server could not start; the message says why and what to do."""


class EmbeddedServer:
    """Start, wait for, and stop one SecantusDB process storing its data under `data_dir`."""

    def __init__(
        self,
        data_dir: Path,
        *,
        host: str = "127.0.0.1",
        timeout: float = 30.0,
        stop_timeout: float = 10.0,
        options: Sequence[str] = (),
        environment: Mapping[str, str] | None = None,
        crash_safe: bool = True,
    ) -> None:
        """`timeout` bounds the start; `stop_timeout` is how long the server may take to stop
        (its closing checkpoint) once asked, by `stop()` or by the gateway's death, before it is
        killed. `options` go to the server as they are (the test suite enables fail points);
        `environment` is added to its environment (a bench turns on WiredTiger's statistics).
        `crash_safe=False` leaves out the sync of every commit (below), so a SIGKILL loses the
        writes since the last checkpoint: only for a throwaway server nothing kills (the test
        suite's shared one, whose seeding it slowed from 14 to 24 minutes)."""
        self.storage_path = data_dir / "db"
        self.log_path = data_dir / "secantus.log"
        self.host = host
        self.timeout = timeout
        self.stop_timeout = stop_timeout
        self.options = tuple(options)
        self.environment = dict(environment or {})
        self.crash_safe = crash_safe
        self._process: subprocess.Popen[bytes] | None = None
        self._reaper: subprocess.Popen[bytes] | None = None
        self.uri: str | None = None
        self.port = 0
        # `stop()` and a supervisor's `restart()` come from different threads; once stopped,
        # a restart must not bring the server back.
        self._lock = threading.Lock()
        self._stopped = False

    def start(self) -> str:
        """Start the server on a free loopback port and return its URI once it answers `ping`."""
        if threading.current_thread() is not threading.main_thread():
            # Linux sends the parent-death signal when the *thread* that started the child
            # ends, which would stop the database under a live gateway.
            raise EmbeddedServerError("The embedded database must be started by the main thread.")
        with self._lock:
            self._stopped = False
            self.port = 0
            return self._launch()

    def restart(self) -> bool:
        """Start the server again (it died) on the same port, so every client's URI stays
        right; False if it was stopped meanwhile. Called by `Supervisor`'s thread only, which
        lives until the server is stopped (the parent-death signal follows the thread)."""
        with self._lock:
            if self._stopped:
                return False
            self._stop_process()
            self._launch()
            return True

    def died(self) -> int | None:
        """The exit status of a server that ended without being stopped, else None."""
        process = self._process
        return None if process is None else process.poll()

    def _launch(self) -> str:
        if importlib.util.find_spec("secantus") is None:
            raise EmbeddedServerError(
                "The embedded database is not installed: install the extra with "
                "`pip install 'imoox-gateway[embedded]'`, or set MONGODB_URI to a MongoDB server."
            )
        self.storage_path.mkdir(parents=True, exist_ok=True)
        log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log_file:
            self._process = subprocess.Popen(
                command(
                    os.getpid(),
                    [
                        sys.executable,
                        "-m",
                        "secantus",
                        "--host",
                        self.host,
                        "--port",
                        str(self.port),
                        "--storage-path",
                        str(self.storage_path),
                        "--log-level",
                        "INFO",
                        # Every commit synced to its journal before the reply: SecantusDB
                        # acknowledges a write before writing its journal record otherwise,
                        # and a SIGKILL (the supervisor's and the reaper's last resort, an
                        # OOM kill) lost every write since the last checkpoint, disclosure
                        # records and erasure jobs included (README, "Quick start").
                        *(["--sync-on-commit"] if self.crash_safe else []),
                        *self.options,
                    ],
                ),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                env={**os.environ, **self.environment},
                stderr=subprocess.STDOUT,
                # Its own session: Ctrl-C reaches the gateway only, which then stops the server
                # in order; the parent-death signal (`command`) stops it if the gateway is killed.
                start_new_session=True,
            )
            self._reaper = self._start_reaper(self._process.pid, log_file)
        self.port = self._wait_for_port(log_offset)
        # No retryable writes: SecantusDB keeps a record of each one for 30 minutes (up to
        # 10,000) and scans them, at the cap sorts them, on every retryable write, so a steady
        # stream of writes (disclosure records, freshness marks, rate counts) slows every write
        # in proportion (an insert from 2 ms to 26 ms within 15,000 writes). They exist for
        # elections and lost connections; this is one local process without either, whose
        # records a restart loses anyway.
        self.uri = f"mongodb://{self.host}:{self.port}/?directConnection=true&retryWrites=false"
        self._wait_for_ping()
        log.info("embedded database started", extra={"uri": self.uri, "pid": self._process.pid})
        return self.uri

    def stop(self) -> None:
        """Ask the server to shut down cleanly (SIGTERM), killing it if it has not within
        `stop_timeout`; then let its reaper go. No `restart()` brings it back afterwards."""
        with self._lock:
            self._stopped = True
            self._stop_process()

    def _stop_process(self) -> None:
        process, self._process = self._process, None
        reaper, self._reaper = self._reaper, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                log.warning("embedded database did not stop in time; killing it")
                process.kill()
                process.wait()
            log.info("embedded database stopped", extra={"pid": process.pid})
        if reaper is not None:
            assert reaper.stdin is not None
            reaper.stdin.close()  # it sees the database has ended, and ends too
            reaper.wait()

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _wait_for_port(self, log_offset: int) -> int:
        assert self._process is not None
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            output = self._read_log(log_offset)
            if match := _LISTENING.search(output):
                return int(match["port"])
            if self._process.poll() is not None:
                self._stop_process()
                raise EmbeddedServerError(self._explain_exit(output))
            time.sleep(0.05)
        self._stop_process()
        raise EmbeddedServerError(
            f"The embedded database did not start within {self.timeout:.0f} s; "
            f"see {self.log_path} for its output."
        )

    def _wait_for_ping(self) -> None:
        client: MongoClient[dict[str, object]] = MongoClient(
            self.uri, serverSelectionTimeoutMS=int(self.timeout * 1000)
        )
        try:
            client.admin.command("ping")
        except PyMongoError as error:
            self._stop_process()
            raise EmbeddedServerError(
                f"The embedded database started but does not answer ping ({error}); "
                f"see {self.log_path}."
            ) from error
        finally:
            client.close()

    def _start_reaper(self, pid: int, output: BinaryIO) -> subprocess.Popen[bytes]:
        """The process that kills the server if it outlives a dead gateway (gateway/reaper.py).
        It is given a pidfd taken now, while the server cannot have been reaped: its pid alone
        might name another process by then."""
        pidfd = os.pidfd_open(pid)
        try:
            return subprocess.Popen(
                [sys.executable, "-m", "gateway.reaper", str(self.stop_timeout), str(pidfd)],
                stdin=subprocess.PIPE,  # the gateway never writes; the end of file is the signal
                stdout=output,
                stderr=subprocess.STDOUT,
                pass_fds=(pidfd,),
                start_new_session=True,
            )
        finally:
            os.close(pidfd)

    def _read_log(self, offset: int) -> bytes:
        with self.log_path.open("rb") as log_file:
            log_file.seek(offset)
            return log_file.read()

    def _explain_exit(self, output: bytes) -> str:
        if any(marker in output for marker in _LOCKED):
            return (
                f"The data directory {self.storage_path} is in use by another process "
                "(is another `imoox-gateway serve` or `seed` running?): stop it, or pass "
                "another --data-dir."
            )
        last_line = (output.strip().splitlines()[-1:] or [b"no output"])[0]
        return (
            "The embedded database exited during start-up "
            f"({last_line.decode(errors='replace')}); see {self.log_path}."
        )
