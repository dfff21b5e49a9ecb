"""The supervised database a fault test stops or kills, and what every scenario checks:
answers during an outage are answers or `UNAVAILABLE`, never a fault; no value left without
its disclosure record; serving again afterwards."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from pymongo.asynchronous.database import AsyncDatabase

from gateway.embedded import EmbeddedServer
from gateway.settings import Settings
from tests.client import GatewayClient
from tests.disclosure_records import subjects

#: dora (a domain admin) reads the e-mail of members of her domain: a non-public value whose
#: every answer needs a disclosure record (SPEC §8).
READ_EMAIL = "query($id: ID!) { account(id: $id) { email } }"
MEMBERS = ["acct-alice", "acct-bob", *(f"acct-learner{n:02d}" for n in (3, 6, 9, 12, 15, 18))]
#: The bound on one database operation in these tests (`database_timeout_seconds`).
DATABASE_TIMEOUT = 2.0


async def eventually(
    condition: Callable[[], Awaitable[bool]], what: str, within: float = 60.0
) -> None:
    """Wait for what the gateway reaches by itself (a deadline on correctness, not speed)."""
    deadline = time.monotonic() + within
    while not await condition():
        assert time.monotonic() < deadline, f"never {what}"
        await asyncio.sleep(0.1)


async def serving_again(gateway: GatewayClient) -> None:
    async def ready() -> bool:
        return (await gateway.http.get("/readyz")).status_code == 200

    await eventually(ready, "ready again")


def unavailable_or_answered(response: httpx.Response) -> bool:
    """What a request may get during an outage: its answer, or `UNAVAILABLE` and no data;
    never a fault, a stack trace, or a database message."""
    body = response.json()
    assert "Traceback" not in response.text and "pymongo" not in response.text.lower()
    codes = [error["extensions"]["code"] for error in body.get("errors", [])]
    if not codes:
        assert response.status_code == 200 and body["data"] is not None, response.text
        return True
    assert set(codes) == {"UNAVAILABLE"}, response.text
    assert body["data"] is None and response.status_code in (200, 503), response.text
    return False


async def read_emails(gateway: GatewayClient, members: list[str]) -> list[httpx.Response]:
    return list(
        await asyncio.gather(
            *(gateway.post(READ_EMAIL, {"id": member}, as_="dora") for member in members)
        )
    )


async def recorded(db: AsyncDatabase[Any], answered: dict[str, httpx.Response]) -> None:
    """Every e-mail dora was given (by subject) has its disclosure record."""
    given = {
        subject
        for subject, response in answered.items()
        if (response.json().get("data") or {}).get("account")
    }
    stored = await subjects(db, principal_id="acct-dora", fields=["Account.email"])
    assert given <= set(stored), given - set(stored)


async def a_normal_request_succeeds(gateway: GatewayClient, db: AsyncDatabase[Any]) -> None:
    """How every scenario ends: a non-public read answered, and its record on file."""
    response = await gateway.post(READ_EMAIL, {"id": "acct-alice"}, as_="dora")
    assert response.json() == {"data": {"account": {"email": "alice@uni-graz.example"}}}
    await recorded(db, {"acct-alice": response})


@dataclass
class Supervised:
    server: EmbeddedServer
    settings: Settings
    db: AsyncDatabase[Any]

    @property
    def pid(self) -> int:
        assert self.server.pid is not None
        return self.server.pid

    def signal(self, signum: signal.Signals) -> int:
        """Send the database process `signum`; its pid."""
        pid = self.pid
        os.kill(pid, signum)
        return pid

    def stop(self) -> int:
        """SIGSTOP the database and wait until it is stopped (`kill` returns before the
        signal is delivered: on a loaded machine it answered one more ping); its pid."""
        pid = self.signal(signal.SIGSTOP)
        deadline = time.monotonic() + 10
        while process_state(pid) != "T":
            assert time.monotonic() < deadline, f"database {pid} never stopped"
            time.sleep(0.01)
        return pid


def process_state(pid: int) -> str:
    """The process's state letter (`T`: stopped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return "gone"
