"""`/metrics`: this process's counters, or every worker's together under `serve --workers N`."""

from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import Request
from starlette.responses import Response

#: Where each worker's counters live, set by the parent before it starts them; read by
#: prometheus_client when a worker imports it.
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"


async def metrics(request: Request) -> Response:
    registry = REGISTRY
    if MULTIPROCESS_DIR in os.environ:
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
