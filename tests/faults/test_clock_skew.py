"""Tokens from an issuer whose clock is off: accepted within the leeway, refused beyond it.

The leeway is `jwt_leeway_seconds` (default 30 s) on each side: a token may look issued up to
30 s in the future (`iat`, `nbf`) or have expired up to 30 s ago (`exp`). Beyond it the caller
gets 401 `UNAUTHENTICATED` with the one message every bad token gets (it tells a forger
nothing); the security log says which time was wrong.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from resolvers.demo_world import DEMO_PRINCIPALS
from schema.protections.errors import UNAUTHENTICATED_MESSAGE
from tests.client import GatewayClient
from tests.faults.outages import a_normal_request_succeeds

LEEWAY = 30  # Settings().jwt_leeway_seconds
ME = "{ me { id } }"

#: (issued this many seconds from now, for this many seconds) -> the log's reason, or None
#: where the token must be accepted.
SKEWS = {
    "issued 60 s in the future": (60, 600, "The token is not yet valid (iat)"),
    "issued 20 s in the future": (20, 600, None),
    "expired 60 s ago": (-120, 60, "Signature has expired"),
    "expired 20 s ago": (-80, 60, None),
}


@pytest.mark.parametrize("skew", SKEWS)
async def test_clock_skew_is_tolerated_within_the_leeway_only(
    gateway: GatewayClient,
    demo_db: AsyncDatabase[Any],
    caplog: pytest.LogCaptureFixture,
    skew: str,
) -> None:
    assert gateway.issuer is not None
    offset, ttl, reason = SKEWS[skew]
    token = gateway.issuer.issue(DEMO_PRINCIPALS["alice"], ttl, issued_at=time.time() + offset)
    caplog.set_level(logging.WARNING, logger="imoox.security")
    response = await gateway.post(ME, headers={"Authorization": f"Bearer {token}"})
    if reason is None:
        assert response.json() == {"data": {"me": {"id": "acct-alice"}}}
    else:
        assert response.status_code == 401
        assert response.json()["errors"] == [
            {"message": UNAUTHENTICATED_MESSAGE, "extensions": {"code": "UNAUTHENTICATED"}}
        ]
        assert [getattr(r, "detail", None) for r in caplog.records] == [reason]
    await a_normal_request_succeeds(gateway, demo_db)
