"""Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the database answers);
and the one answer to a request the database could not serve in time (`UNAVAILABLE`)."""

from __future__ import annotations

import asyncio

from pymongo.errors import PyMongoError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gateway.responses import error_response
from schema.protections.errors import UNAVAILABLE_MESSAGE, ErrorCode

READINESS_TIMEOUT_SECONDS = 2.0


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    try:
        async with asyncio.timeout(READINESS_TIMEOUT_SECONDS):
            await request.app.state.db.command("ping")
    except (PyMongoError, TimeoutError):
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ready", "database": "ok"})


async def unavailable(request: Request, error: Exception) -> Response:
    """A request that reached the database outside GraphQL execution (its token's standing,
    an export) while the database was down or stalled: 503, retry shortly, no details."""
    return error_response(
        503, ErrorCode.UNAVAILABLE, UNAVAILABLE_MESSAGE, headers={"Retry-After": "1"}
    )
