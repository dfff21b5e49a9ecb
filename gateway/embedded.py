"""The embedded MongoDB-compatible server (SecantusDB), run as a child process.

It runs in its own process, never in the gateway's: in process it would share the GIL and be
several times slower, and SecantusDB is GPL-2.0, so it is spoken to over the wire only.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import re
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

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
        options: Sequence[str] = (),
    ) -> None:
        """`options` go to the server as they are (the test suite enables fail points)."""
        self.storage_path = data_dir / "db"
        self.log_path = data_dir / "secantus.log"
        self.host = host
        self.timeout = timeout
        self.options = tuple(options)
        self._process: subprocess.Popen[bytes] | None = None
        self.uri: str | None = None

    def start(self) -> str:
        """Start the server on a free loopback port and return its URI once it answers `ping`."""
        if importlib.util.find_spec("secantus") is None:
            raise EmbeddedServerError(
                "The embedded database is not installed: install the extra with "
                "`pip install 'imoox-gateway[embedded]'`, or set MONGODB_URI to a MongoDB server."
            )
        self.storage_path.mkdir(parents=True, exist_ok=True)
        log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log_file:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "secantus",
                    "--host",
                    self.host,
                    "--port",
                    "0",
                    "--storage-path",
                    str(self.storage_path),
                    "--log-level",
                    "INFO",
                    *self.options,
                ],
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                # Its own session: Ctrl-C reaches the gateway only, which then stops the server
                # in order; the parent-death signal stops it even if the gateway is killed.
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        port = self._wait_for_port(log_offset)
        self.uri = f"mongodb://{self.host}:{port}/?directConnection=true"
        self._wait_for_ping()
        log.info("embedded database started", extra={"uri": self.uri, "pid": self._process.pid})
        return self.uri

    def stop(self) -> None:
        """Ask the server to shut down cleanly (SIGTERM), killing it only if it will not."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            log.warning("embedded database did not stop in time; killing it")
            process.kill()
            process.wait()
        log.info("embedded database stopped", extra={"pid": process.pid})

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
                self._process = None
                raise EmbeddedServerError(self._explain_exit(output))
            time.sleep(0.05)
        self.stop()
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
            self.stop()
            raise EmbeddedServerError(
                f"The embedded database started but does not answer ping ({error}); "
                f"see {self.log_path}."
            ) from error
        finally:
            client.close()

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


def die_with_parent() -> None:
    """In a child (the database, a worker): ask Linux to send SIGTERM when the gateway dies, so
    none is orphaned."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            pr_set_pdeathsig = 1
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
