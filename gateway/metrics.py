"""`/metrics`: this process's counters, or every worker's together under `serve --workers N`."""

from __future__ import annotations

import os
from functools import cache

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from schema.observability import OK, Tally

#: Where each worker's counters live, set by the parent before it starts them; read by
#: prometheus_client when a worker imports it.
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


async def metrics(request: Request) -> Response:
    registry = REGISTRY
    if MULTIPROCESS_DIR in os.environ:
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


REQUESTS = Counter(
    "imoox_requests_total",
    "HTTP requests answered, by status and the first error's `extensions.code` (`OK`: none).",
    ["status", "code"],
)


#: The status a request is counted under when its caller left before any answer (nginx's).
CLIENT_CLOSED = 499


class CountRequests:
    """Counts every HTTP request by status and code, and publishes its decisions' tally."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 0  # until a response starts

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        with Tally() as tally:
            try:
                await self.app(scope, receive, sending)
            except BaseException:
                status = status or 500  # an exception the server answers itself
                raise
            finally:
                # Nothing answered and nothing raised: the caller hung up first (nginx's 499).
                status = status or CLIENT_CLOSED
                _answered(status, tally.code or (OK if status < 400 else "NONE")).inc()


@cache
def _answered(status: int, code: str) -> Counter:
    """The counter child of one (status, code): `labels` validates and locks at every call.
    Both vocabularies are small (HTTP statuses, error codes), so every child is kept."""
    return REQUESTS.labels(str(status), code)
