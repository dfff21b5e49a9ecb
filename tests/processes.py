"""Gateway processes for tests: `imoox-gateway serve` subprocesses over the test's database,
as replicas run (not workers of one `serve`)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from authz.keys import development_keys
from authz.tokens import TokenIssuer
from gateway.settings import Settings
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
