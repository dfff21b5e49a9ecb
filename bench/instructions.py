"""The fixed cost of a request in instructions: the gateway against the floor, without noise.

`bench/e2e.py` measures what a caller waits for, but on this shared 2-core VM one app's rounds
swing by a fifth between runs, so a change worth 3 % of `{ __typename }` cannot be seen there.
Instructions executed do not swing: each app runs under valgrind's callgrind, serves a warm-up,
then `--requests` anonymous `{ __typename }` requests at `--concurrency`, called straight
through ASGI (no sockets, no HTTP parser: both apps would pay those alike), counted from the
first to the last (`callgrind_control -i on/off`). Two runs of one app agree within about 2 %.

Only requests that read no data are measured. Under callgrind an app runs ~50 times slower
while the database does not, which changes how reads interleave with the event loop: a change
to the driver's timeouts measured 24 % fewer instructions here and under 4 % less CPU served
(README, "Speed"). Requests that read are `bench/e2e.py`'s.

    .venv/bin/python bench/instructions.py [--requests 320] [--concurrency 16]

Needs valgrind (Debian package `valgrind`). The gateway is built as `imoox-gateway serve`
builds it (`settle_heap` included), with uvloop as uvicorn picks it; the floor as
`bench/floor_app.py` serves it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import uvloop

from bench.e2e import DATABASE, UNLIMITED_RATE, database

APPS = ("gateway", "floor")
DOCUMENT = "{ __typename }"
WARM_UP_REQUESTS = 200
#: How a counted run reports how many requests it counted.
COUNTED = "counted requests:"

_Asgi = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def progress(message: str) -> None:
    print(f"[instructions {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--requests", type=int, default=320, help="counted requests per app")
    parser.add_argument("--concurrency", type=int, default=16, help="requests in flight")
    parser.add_argument("--app", choices=APPS, help=argparse.SUPPRESS)  # one counted run
    parser.add_argument("--uri", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.app:
        uvloop.run(_counted_run(options))
        return
    for tool in ("valgrind", "callgrind_control"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is missing: install Debian's `valgrind` package.")
    scratch = tempfile.TemporaryDirectory(prefix="imoox-instructions-")
    with scratch, database(Path(scratch.name) / "db") as db:
        counts = {app: _instructions(app, db.uri, Path(scratch.name), options) for app in APPS}
    gateway, floor = counts["gateway"], counts["floor"]
    print(
        f"{DOCUMENT} (anonymous), {options.requests} requests at {options.concurrency} in flight:"
        f" gateway {gateway:,.0f} instructions a request, floor {floor:,.0f},"
        f" gateway / floor {gateway / floor:.2f}"
    )


def _instructions(app: str, uri: str, scratch: Path, options: argparse.Namespace) -> float:
    """One app's counted run under callgrind: instructions per counted request."""
    progress(f"{app}: {options.requests} requests under callgrind (about a minute)")
    out = scratch / f"callgrind.{app}.out"
    command = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={out}",
        sys.executable,
        __file__,
        *("--app", app, "--uri", uri, "--data-dir", str(scratch / app)),
        *("--requests", str(options.requests), "--concurrency", str(options.concurrency)),
    ]
    run = subprocess.run(command, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"{app}'s run failed:\n{run.stdout[-2000:]}{run.stderr[-2000:]}")
    counted = [line for line in run.stdout.splitlines() if line.startswith(COUNTED)]
    requests = int(counted[-1].split()[-1])
    return _total_instructions(out) / requests


def _total_instructions(out: Path) -> int:
    """The `totals:` line of callgrind's output (one file; threads are not separated)."""
    for line in out.read_text().splitlines():
        if line.startswith(("totals:", "summary:")) and int(line.split()[1]):
            return int(line.split()[1])
    raise RuntimeError(f"{out} holds no instruction count")


async def _counted_run(options: argparse.Namespace) -> None:
    """In the app's own process: warm up, count `--requests`, print how many were counted."""
    app, lifespan = _built(options.app, options.uri, options.data_dir)
    async with lifespan:
        call = _caller(app)
        for _ in range(WARM_UP_REQUESTS):
            await call()
        each = options.requests // options.concurrency

        async def client() -> None:
            for _ in range(each):
                await call()

        _instrumentation("on")
        await asyncio.gather(*(client() for _ in range(options.concurrency)))
        _instrumentation("off")
    print(f"{COUNTED} {each * options.concurrency}")


def _instrumentation(state: str) -> None:
    command = ["callgrind_control", "-i", state, str(os.getpid())]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def _built(name: str, uri: str, data_dir: Path) -> tuple[Any, Any]:
    """The app, as its server builds it, and its lifespan context."""
    if name == "gateway":
        from gateway.app import create_app
        from gateway.heap import settle_heap
        from gateway.settings import Settings

        data_dir.mkdir(parents=True, exist_ok=True)
        settings = Settings(
            mongodb_uri=uri,
            database=DATABASE,
            data_dir=data_dir,
            rate_per_principal_per_minute=int(UNLIMITED_RATE),
            rate_per_address_per_minute=int(UNLIMITED_RATE),
        )
        app = create_app(settings)
        settle_heap()
        return app, app.router.lifespan_context(app)
    from contextlib import asynccontextmanager

    from pymongo import AsyncMongoClient

    from bench import floor_app

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri, tz_aware=True)
    app = floor_app.create_app(client[DATABASE])

    @asynccontextmanager
    async def connected() -> Any:
        try:
            yield
        finally:
            await client.close()

    return app, connected()


def _caller(app: _Asgi) -> Callable[[], Awaitable[None]]:
    """One POST of `DOCUMENT` to `/graphql`; fails unless answered 200 without errors.

    A bare ASGI call, not httpx's `ASGITransport` as the other benchmarks use: the client's own
    work would be counted with each app's."""
    body = json.dumps({"query": DOCUMENT}).encode()
    headers = [(b"content-type", b"application/json"), (b"host", b"localhost")]

    async def call() -> None:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/graphql",
            "raw_path": b"/graphql",
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 5555),
            "server": ("127.0.0.1", 80),
            "state": {},
        }
        received = False
        answer: list[Any] = []

        async def receive() -> dict[str, Any]:
            nonlocal received
            if received:
                await asyncio.Event().wait()  # the client never disconnects
            received = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            answer.append(message.get("status") or message.get("body", b""))

        await app(scope, receive, send)
        if answer[0] != 200 or b'"errors"' in b"".join(answer[1:]):
            raise RuntimeError(f"unexpected answer: {answer!r}")

    return call


if __name__ == "__main__":
    main()
