"""Processes for tests: the `imoox-gateway` command (`run_cli`, `serving`), `serve`
subprocesses over the test's database as replicas run (not workers of one `serve`), and
watching a process end (`watch`, `ended`, `wait_gone`)."""

from __future__ import annotations

import asyncio
import os
import select
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import MongoClient

from authz.keys import development_keys
from authz.tokens import TokenIssuer
from gateway.settings import Settings
from resolvers.collections import ALL
from resolvers.demo_world import DEMO_PRINCIPALS


async def until(condition: Callable[[], Awaitable[bool]], what: str, within: float = 15.0) -> None:
    """Wait for a condition the gateway reaches on its own (a deadline on correctness)."""
    deadline = time.monotonic() + within
    while not await condition():
        assert time.monotonic() < deadline, f"never {what}"
        await asyncio.sleep(0.05)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def demo_token(settings: Settings, handle: str) -> str:
    """A token of a demo principal, good with every replica over `settings`' keys."""
    key, _ = development_keys(settings.keys_dir)
    issuer = TokenIssuer(key, settings.jwt_issuer, settings.jwt_audience)
    return issuer.issue(DEMO_PRINCIPALS[handle], 600)


@dataclass(frozen=True, slots=True)
class Replica:
    http: httpx.AsyncClient
    process: asyncio.subprocess.Process
    log: Path


@asynccontextmanager
async def replica(settings: Settings, env: Mapping[str, str] = {}) -> AsyncIterator[Replica]:
    """`imoox-gateway serve` in its own process, over the test's database and keys, with
    `env` added to its environment; stopped on leaving (unless the test killed it)."""
    port = free_port()
    environment = {
        **os.environ,
        "MONGODB_URI": settings.mongodb_uri or "",
        "IMOOX_DATABASE": settings.database,
        "IMOOX_DATA_DIR": str(settings.data_dir),
        **env,
    }
    command = [str(Path(sys.executable).parent / "imoox-gateway"), "serve", "--port", str(port)]
    log = settings.data_dir / f"gateway-{port}.log"
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            *command, env=environment, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:

            async def ready() -> bool:
                assert process.returncode is None, log.read_text()
                try:
                    return (await http.get("/readyz")).status_code == 200
                except httpx.TransportError:
                    return False

            await until(ready, "ready", within=30.0)
            yield Replica(http, process, log)
    finally:
        if process.returncode is None:
            process.terminate()
        await asyncio.wait_for(process.wait(), 15)


@asynccontextmanager
async def gateway_process(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A replica's HTTP client only."""
    async with replica(settings) as running:
        yield running.http


# The console script installed beside the interpreter running the tests.
CLI = str(Path(sys.executable).parent / "imoox-gateway")


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "MONGODB_URI"} | (env or {})
    return subprocess.run(
        [CLI, *args], capture_output=True, text=True, env=environment, timeout=120, check=False
    )


@contextmanager
def serving(
    data_dir: Path, *args: str, env: dict[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`serve --demo` on a free port, once it answers /readyz; killed if a test left it up."""
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if k != "MONGODB_URI"} | (env or {})
    process = subprocess.Popen(
        [CLI, "serve", "--demo", "--port", str(port), "--data-dir", str(data_dir), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environment,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail(f"serve did not become ready: {process.communicate()[0]}")
    try:
        yield process, base
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def embedded_pid(data_dir: Path) -> int:
    output = subprocess.run(
        ["pgrep", "-f", f"secantus.*{data_dir}"], capture_output=True, text=True, check=False
    ).stdout.split()
    assert len(output) == 1, output
    return int(output[0])


def watch(pid: int) -> int:
    """A handle on exactly this process: unlike its pid, it cannot come to name another process
    once this one has ended (the machine reuses pids quickly)."""
    return os.pidfd_open(pid)


def ended(pidfd: int, timeout: float = 30.0) -> bool:
    """Whether the watched process ends within `timeout` (a pidfd becomes readable when it does):
    WiredTiger checkpoints on shutdown, which is slow on a loaded machine."""
    try:
        return bool(select.select([pidfd], [], [], timeout)[0])
    finally:
        os.close(pidfd)


def wait_gone(pid: int, timeout: float = 30.0) -> bool:
    """Whether process `pid` is gone within `timeout`, for callers that know only a pid (prefer
    `watch` while the process is surely alive: a pid can be reused once it has ended)."""
    try:
        pidfd = watch(pid)
    except ProcessLookupError:
        return True
    return ended(pidfd, timeout)


def snapshot(client: MongoClient[dict[str, Any]], database: str) -> dict[str, list[Any]]:
    """Every document of every collection, in id order: what a command left in a database."""
    return {name: list(client[database][name].find().sort("_id")) for name in ALL}
