"""A stalled database (its process stopped for a few seconds) under concurrent requests."""

from __future__ import annotations

import signal

from tests.client import running
from tests.faults.outages import (
    MEMBERS,
    Supervised,
    a_normal_request_succeeds,
    read_emails,
    recorded,
    serving_again,
    unavailable_or_answered,
)


async def test_a_stalled_database_fails_requests_with_unavailable_then_serves(
    supervised: Supervised,
) -> None:
    async with running(supervised.settings) as gateway:
        await a_normal_request_succeeds(gateway, supervised.db)
        supervised.stop()
        try:
            # Two requests per member at once: 16 clients, each held by a database that
            # never answers; each ends by the bound, not by the execution timeout.
            during = await read_emails(gateway, MEMBERS * 2)
            readiness = await gateway.http.get("/readyz")
        finally:
            supervised.signal(signal.SIGCONT)
        assert readiness.status_code == 503
        assert [unavailable_or_answered(response) for response in during] == [False] * 16
        await serving_again(gateway)
        after = await read_emails(gateway, MEMBERS)
        assert all(unavailable_or_answered(response) for response in after)
        await recorded(supervised.db, dict(zip(MEMBERS, after, strict=True)))
        await a_normal_request_succeeds(gateway, supervised.db)
