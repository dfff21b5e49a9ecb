"""The oracle's gateway: the demo world, every demo principal's token, and no rate limit in
the way of a few hundred requests a minute from one address."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from gateway.settings import Settings
from resolvers.demo_world import DEMO_PRINCIPALS
from tests.client import running
from tests.oracle.harness import Lab


@pytest.fixture
async def lab(settings: Settings, demo_db: AsyncDatabase[Any]) -> AsyncIterator[Lab]:
    unthrottled = settings.model_copy(
        update={"rate_per_principal_per_minute": 100_000, "rate_per_address_per_minute": 100_000}
    )
    async with running(unthrottled) as client:
        tokens = {handle: client.token(handle, ttl_seconds=3600) for handle in DEMO_PRINCIPALS}
        lab = Lab(client.http, tokens, demo_db)
        await lab.start()
        yield lab
