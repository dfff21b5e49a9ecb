"""Graceful shutdown: SIGTERM stops accepting, lets in-flight requests finish with their
disclosure records, then the app shuts down (pending records flushed) and the client closes.

The server is uvicorn with `serve`'s own options (`gateway.workers.server_options`), run in
the test's loop; setting `should_exit` is what its SIGTERM handler does (a real signal to the
test process would be re-raised there once uvicorn returns). tests/test_cli.py sends `serve`
real SIGTERMs.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import time
from typing import Any

import httpx
import uvicorn
from pymongo import AsyncMongoClient, monitoring
from pymongo.asynchronous.database import AsyncDatabase

from gateway.app import create_app
from gateway.settings import Settings
from gateway.workers import server_options
from resolvers.collections import DISCLOSURES
from resolvers.disclosures import DisclosureWriter
from tests.client import GatewayClient
from tests.disclosure_records import records
from tests.disclosures import record
from tests.faults.outages import READ_EMAIL, Supervised, eventually

BLOCK_MS = 3000
#: Far above what a stalled database now holds a shutdown (a few seconds), far below the 30 s
#: each client's close waited before.
STALLED_SHUTDOWN_SECONDS = 15


class Finds(monitoring.CommandListener):
    """Set once the gateway's client has sent a `find` (the request is held by the database)."""

    def __init__(self) -> None:
        self.sent = asyncio.Event()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find":
            self.sent.set()

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def _refused(base: str) -> bool:
    try:
        async with httpx.AsyncClient(base_url=base) as fresh:
            await fresh.get("/healthz")
    except httpx.ConnectError:
        return True
    return False


async def test_sigterm_lets_an_in_flight_request_finish_with_its_data_and_record(
    settings: Settings,
    demo_db: AsyncDatabase[Any],
    mongo: AsyncMongoClient[dict[str, Any]],
    gateway: GatewayClient,
) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    finds = Finds()
    app = create_app(settings, event_listeners=[finds])
    server = uvicorn.Server(
        uvicorn.Config(app, **server_options(settings.model_copy(update={"port": port})))
    )
    serving = asyncio.create_task(server.serve())
    await eventually(lambda: asyncio.sleep(0, server.started), "started", within=30)
    token = gateway.token("dora")
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        await mongo.admin.command(
            "configureFailPoint",
            "failCommand",
            mode={"times": 1},
            data={"failCommands": ["find"], "blockConnection": True, "blockTimeMS": BLOCK_MS},
        )
        try:
            finds.sent.clear()
            in_flight = asyncio.create_task(
                http.post(
                    "/graphql",
                    json={"query": READ_EMAIL, "variables": {"id": "acct-bob"}},
                    headers={"Authorization": f"Bearer {token}"},
                )
            )
            await asyncio.wait_for(finds.sent.wait(), 30)
            server.should_exit = True  # SIGTERM
            await eventually(lambda: _refused(base), "stopped accepting", within=30)
            response = await in_flight
        finally:
            await mongo.admin.command("configureFailPoint", "failCommand", mode="off")
    await asyncio.wait_for(serving, 60)
    assert response.json() == {"data": {"account": {"email": "bob@uni-graz.example"}}}
    [stored] = await records(demo_db, principal_id="acct-dora")
    assert stored["subject"] == "acct-bob"
    assert stored["fields"] == ["Account.email"]


async def test_flush_returns_once_every_record_handed_over_is_stored(
    db: AsyncDatabase[Any],
) -> None:
    """What shutdown awaits before the client closes: the group in flight and the queue."""
    writer = DisclosureWriter(db)
    writes = [asyncio.create_task(writer.write(record(s))) for s in ("acct-a", "acct-b")]
    await asyncio.sleep(0)  # both handed over, neither stored yet
    await writer.flush()
    assert [write.done() for write in writes] == [True, True]
    await asyncio.gather(*writes)
    assert sorted(await db[DISCLOSURES].distinct("subjects")) == ["acct-a", "acct-b"]


async def test_the_app_stops_within_seconds_when_its_database_has_stalled(
    supervised: Supervised,
) -> None:
    """A SIGTERM while the database hangs (or is gone): every client of the app ends its
    sessions on the server as it closes, which PyMongo waits for as long as server selection
    allows (30 s by default) and for the answer without a bound; 32 s and more before each
    close was bounded (`resolvers.background.closed`)."""
    app = create_app(supervised.settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway"
        ) as http:
            answer = await http.post("/graphql", json={"query": "{ __typename }"})
            assert answer.status_code == 200
        await asyncio.sleep(0.5)  # the background tasks have used their clients
        supervised.stop()
        leaving = time.monotonic()
    took = time.monotonic() - leaving
    supervised.signal(signal.SIGCONT)
    assert took < STALLED_SHUTDOWN_SECONDS, took
