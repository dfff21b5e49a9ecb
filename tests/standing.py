"""Asking whether a token still works, and how soon an ended one must stop working."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from resolvers.token_standing import FRESHNESS
from tests.client import GatewayClient

#: One request with a token: its HTTP status.
Ask = Callable[[], Awaitable[int]]


def asking(gateway: GatewayClient, token: str, query: str = "{ __typename }") -> Ask:
    async def ask() -> int:
        response = await gateway.post(query, headers={"Authorization": f"Bearer {token}"})
        return response.status_code

    return ask


async def refused_within_the_bound(ask: Ask, changed_at: float) -> None:
    """A change made outside the gateway (an operator's write) binds every request that starts
    more than FRESHNESS after it (`resolvers/token_standing.py`); once refused, the token stays
    refused. `changed_at` is a monotonic moment after the change was committed."""
    answers = []
    while time.monotonic() <= changed_at + FRESHNESS:
        answers.append(await ask())
        await asyncio.sleep(0.02)
    answers.append(await ask())
    answers.append(await ask())
    assert answers[-2:] == [401, 401], answers
    assert set(answers) <= {200, 401}, answers
    assert answers == sorted(answers), f"a refused token was accepted again: {answers}"
