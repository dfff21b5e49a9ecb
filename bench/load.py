"""Load generation with `wrk` (Debian package `wrk`): one POST, repeated, from a Lua script.

wrk is an event-driven C load generator: on a 2-core machine it takes little of the CPU the
servers under test need, and one script per request gives every app the same load. Its
`done` hook prints the figures as one JSON line, read back here.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

_MARKER = "BENCH_RESULT "
_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '%s{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
    .. '"socket_errors": %d, "bad_status": %d}\\n',
    "MARKER", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
""".replace("MARKER", _MARKER)


class LoadError(RuntimeError):
    """wrk is missing or did not report its figures."""


@dataclass(frozen=True, slots=True)
class Load:
    """How hard to push: wrk's threads, open connections and seconds per run."""

    threads: int = 1
    connections: int = 16
    seconds: int = 10
    #: A request slower than this counts as a socket error (wrk's default is 2 s).
    timeout_seconds: int = 30


@dataclass(frozen=True, slots=True)
class LoadResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    socket_errors: int
    #: Answers other than 2xx/3xx (e.g. 429 from a rate limit).
    bad_status: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def failed(self) -> int:
        return self.socket_errors + self.bad_status


def wrk_path() -> str:
    """Where wrk is; `make bench` installs it (`apt-get install -y wrk`) when it is missing."""
    found = shutil.which("wrk")
    if found is None:
        raise LoadError("wrk is not installed: `apt-get install -y wrk` (Debian/Ubuntu).")
    return found


def write_script(path: Path, body: str, headers: dict[str, str]) -> Path:
    """A wrk script POSTing `body` (JSON) with `headers`, reporting through `done`."""
    lines = ['wrk.method = "POST"', f"wrk.body = {_lua_string(body)}"]
    for name, value in {"Content-Type": "application/json", **headers}.items():
        lines.append(f"wrk.headers[ {_lua_string(name)} ] = {_lua_string(value)}")
    path.write_text("\n".join(lines) + "\n" + _DONE)
    return path


def run(url: str, script: Path, load: Load) -> LoadResult:
    """Drive `url` with `script` under `load` and return what wrk measured."""
    command = [
        wrk_path(),
        f"-t{load.threads}",
        f"-c{load.connections}",
        f"-d{load.seconds}s",
        f"--timeout={load.timeout_seconds}s",
        "-s",
        str(script),
        url,
    ]
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    for line in finished.stdout.splitlines():
        if line.startswith(_MARKER):
            figures = json.loads(line.removeprefix(_MARKER))
            return LoadResult(
                requests=figures["requests"],
                seconds=figures["duration_us"] / 1e6,
                p50_ms=figures["p50_us"] / 1e3,
                p99_ms=figures["p99_us"] / 1e3,
                socket_errors=figures["socket_errors"],
                bad_status=figures["bad_status"],
            )
    raise LoadError(
        f"wrk reported no figures (exit {finished.returncode}):\n{finished.stdout}{finished.stderr}"
    )


def _lua_string(text: str) -> str:
    """`text` as a Lua long-bracket literal, with a level no `]=…]` inside it closes."""
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"
