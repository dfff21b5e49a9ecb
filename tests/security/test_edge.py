"""What every HTTP answer carries, whichever part of the gateway made it (`gateway.middleware`).

The request id, the secure headers, CORS and the body limit are one pass over each request
(issue 11: each middleware layer cost every request); these hold what that pass must keep:
refusals made before GraphQL runs carry the same headers as answers, CORS answers a simple
request as it answers a preflight, and a body is bounded whether or not it declares its length.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.types import Receive, Scope, Send

from gateway.middleware import Edge
from gateway.settings import Settings
from tests.client import GatewayClient, running

APP_ORIGIN = "https://app.imoox.example"


def _secured(headers: httpx.Headers) -> None:
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert len(headers["X-Request-Id"]) == 32


async def test_a_body_refused_as_too_large_carries_the_secure_headers(
    gateway: GatewayClient,
) -> None:
    response = await gateway.http.post(
        "/graphql",
        content=b"{" + b" " * 300_000 + b"}",
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
    _secured(response.headers)
    assert "access-control-allow-origin" not in response.headers


async def test_cors_answers_a_simple_request_only_for_listed_origins(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    allowed = settings.model_copy(update={"cors_origins": [APP_ORIGIN]})
    async with running(allowed) as client:
        listed = await client.post("{ __typename }", headers={"Origin": APP_ORIGIN})
        other = await client.post("{ __typename }", headers={"Origin": "https://evil.example"})
        none = await client.post("{ __typename }")
        preflight = await client.http.options(
            "/graphql",
            headers={"Origin": APP_ORIGIN, "Access-Control-Request-Method": "POST"},
        )
    assert listed.headers["access-control-allow-origin"] == APP_ORIGIN
    assert listed.headers["vary"] == "Origin"
    assert "access-control-allow-origin" not in other.headers
    assert "access-control-allow-origin" not in none.headers
    assert none.headers["vary"] == "Origin"
    for response in (listed, other, none, preflight):
        _secured(response.headers)
    assert preflight.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "POST" in preflight.headers["access-control-allow-methods"]


async def _echo(scope: Scope, receive: Receive, send: Send) -> None:
    """An app that reads its whole body, answers its size, and sets headers of its own."""
    body = await Request(scope, receive).body()
    if scope["path"] == "/page":
        own = {"Cache-Control": "public, max-age=60", "Vary": "Accept-Encoding"}
        await HTMLResponse("<p>page</p>", headers=own)(scope, receive, send)
        return
    answer = JSONResponse({"size": len(body)}, headers={"X-Request-Id": "from-the-app"})
    await answer(scope, receive, send)


async def _edge(production: bool) -> AsyncIterator[httpx.AsyncClient]:
    app = Edge(_echo, production=production, max_bytes=10, cors_origins=[APP_ORIGIN])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://edge") as client:
        yield client


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def test_a_streamed_body_is_bounded_without_a_declared_length() -> None:
    async for client in _edge(production=False):
        small = await client.post("/", content=_chunks(b"12345", b"12345"))
        large = await client.post("/", content=_chunks(b"12345", b"12345", b"1"))
    assert small.status_code == 200
    assert small.json() == {"size": 10}
    assert large.status_code == 413
    _secured(large.headers)


async def test_the_request_id_is_the_gateways_and_hsts_only_in_production() -> None:
    async for client in _edge(production=False):
        development = await client.post("/", content=b"{}")
        page = await client.post("/page", content=b"")
    async for client in _edge(production=True):
        production = await client.post("/", content=b"{}", headers={"X-Request-Id": "trace-7"})
    assert development.headers.get_list("x-request-id") == [development.headers["x-request-id"]]
    assert development.headers["x-request-id"] != "from-the-app"
    assert "strict-transport-security" not in development.headers
    assert "content-security-policy" not in page.headers
    assert page.headers["x-frame-options"] == "DENY"
    # A secure header the app set is its own; its `Vary` is kept, with `Origin` added.
    assert page.headers.get_list("cache-control") == ["public, max-age=60"]
    assert page.headers.get_list("vary") == ["Accept-Encoding, Origin"]
    assert production.headers["strict-transport-security"] == "max-age=63072000; includeSubDomains"
    assert production.headers.get_list("x-request-id") == ["trace-7"]


async def _faulty(scope: Scope, receive: Receive, send: Send) -> None:
    """An app that fails before it answers, or (on `/late`) after it began to."""
    if scope["path"] == "/late":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("after the answer began")
    raise RuntimeError("secret detail of the fault")


async def test_a_fault_nothing_inside_answered_is_a_coded_500_with_the_edge_headers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Edge(_faulty, max_bytes=10)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://edge") as client:
        response = await client.post("/", content=b"{}")
        with pytest.raises(RuntimeError, match="after the answer began"):
            await client.post("/late", content=b"{}")
    assert response.status_code == 500
    _secured(response.headers)
    (error,) = response.json()["errors"]
    assert error["message"] == "Unexpected error."
    assert error["extensions"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "requestId": response.headers["x-request-id"],
    }
    assert "secret detail" not in response.text
    (logged,) = [r for r in caplog.records if r.getMessage() == "internal error"]
    assert logged.__dict__["request_id"] == response.headers["x-request-id"]
    assert logged.exc_info is not None
