"""What every HTTP answer carries, whichever part of the gateway made it (`gateway.middleware`).

The request id, the secure headers, CORS and the body limit are one pass over each request
(issue 11: each middleware layer cost every request); these hold what that pass must keep:
refusals made before GraphQL runs carry the same headers as answers, CORS answers a simple
request as it answers a preflight, and a body is bounded whether or not it declares its length.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx
import msgspec
import pytest
from prometheus_client import REGISTRY
from pymongo.asynchronous.database import AsyncDatabase
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.app import create_app
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


async def test_a_body_refused_as_too_large_is_readable_by_a_listed_origin() -> None:
    """A page on a listed origin reads why its request was refused (without CORS headers the
    browser hides the 413 behind a network error), declared or streamed; others do not."""
    listed = {"Origin": APP_ORIGIN}
    async for client in _edge(production=False):
        declared = await client.post("/", content=b"12345678901", headers=listed)
        streamed = await client.post("/", content=_chunks(b"123456", b"123456"), headers=listed)
        other = await client.post(
            "/", content=b"12345678901", headers={"Origin": "https://evil.example"}
        )
        none = await client.post("/", content=b"12345678901")
    for response in (declared, streamed, other, none):
        assert response.status_code == 413
        assert response.json()["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
        _secured(response.headers)
        assert response.headers["vary"] == "Origin"
    for response in (declared, streamed):
        assert response.headers["access-control-allow-origin"] == APP_ORIGIN
    for response in (other, none):
        assert "access-control-allow-origin" not in response.headers


async def _raw(
    app: ASGIApp,
    method: str,
    headers: list[tuple[bytes, bytes]],
    *,
    path: str = "/",
    received: Sequence[Message] = ({"type": "http.request", "body": b"{}", "more_body": False},),
) -> list[Message]:
    """One request straight through ASGI (what httpx would not send as given): the app receives
    `received`, then a disconnect; what it sent is returned."""
    pending, sent = list(received), []

    async def receive() -> Message:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 5555),
        "server": ("gateway", 80),
    }
    await app(scope, receive, send)
    return sent


def _count(metric: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(metric, labels) or 0.0


async def test_a_declared_length_is_read_whatever_its_leading_zeros() -> None:
    """The server lets leading zeros through, and `int()` refuses over 4,300 digits: 5,000 of
    them made an uncoded 500 with a traceback, before any rate limit."""
    app = Edge(_echo, max_bytes=10)
    within = await _raw(app, "POST", [(b"content-length", b"0" * 5000 + b"2")])
    over = await _raw(app, "POST", [(b"content-length", b"0" * 5000 + b"11")])
    assert within[0]["status"] == 200
    assert msgspec.json.decode(within[1]["body"]) == {"size": 2}
    assert over[0]["status"] == 413


async def test_a_preflight_declaring_a_large_body_is_no_refusal() -> None:
    """CORS answers a preflight itself (no body is read): no 413, and no security event."""
    events = _security_events()
    preflight = await _raw(
        Edge(_echo, max_bytes=10, cors_origins=[APP_ORIGIN]),
        "OPTIONS",
        [
            (b"origin", APP_ORIGIN.encode()),
            (b"access-control-request-method", b"POST"),
            (b"content-length", b"1000"),
        ],
    )
    assert preflight[0]["status"] == 200
    assert _security_events() == events


async def test_a_body_past_the_bound_after_the_answer_began_cuts_it_and_is_noted() -> None:
    """An answer that streams while it reads (an export) is cut where the body passed the
    bound: too late for a 413, but the refusal is still a security event."""

    async def answers_then_reads(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await Request(scope, receive).body()
        await send({"type": "http.response.body", "body": b"never sent"})

    events = _security_events()
    answer = await _raw(Edge(answers_then_reads, max_bytes=1), "POST", [])
    assert [message["type"] for message in answer] == ["http.response.start"]
    assert _security_events() == events + 1


def _security_events() -> float:
    return _count("imoox_security_events_total", event="limit", reason="body_size")


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


async def test_a_request_id_with_a_line_break_is_not_taken() -> None:
    """`$` matches before a final newline: the caller's id must be safe whole (a log line, a
    header)."""
    answer = await _raw(Edge(_echo, max_bytes=10), "POST", [(b"x-request-id", b"abc\n")])
    (request_id,) = [value for name, value in answer[0]["headers"] if name == b"x-request-id"]
    assert request_id != b"abc\n"
    assert len(request_id) == 32


async def _faulty(scope: Scope, receive: Receive, send: Send) -> None:
    """An app that fails before it answers, or (on `/late`) after it began to; on
    `/late-disconnect` as Starlette fails a streamed body's `OSError` under ASGI 2.4."""
    if scope["path"] == "/late":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("after the answer began")
    if scope["path"] == "/late-disconnect":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise ClientDisconnect
    raise RuntimeError("secret detail of the fault")


async def test_a_fault_nothing_inside_answered_is_a_coded_500_with_the_edge_headers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Edge(_faulty, max_bytes=10, cors_origins=[APP_ORIGIN])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://edge") as client:
        response = await client.post("/", content=b"{}")
        from_a_page = await client.post("/", content=b"{}", headers={"Origin": APP_ORIGIN})
        with pytest.raises(RuntimeError, match="after the answer began"):
            await client.post("/late", content=b"{}")
        with pytest.raises(ClientDisconnect):  # not taken for a caller gone: it may be a fault
            await client.post("/late-disconnect", content=b"{}")
    assert response.status_code == 500
    _secured(response.headers)
    assert response.headers["vary"] == "Origin"
    assert from_a_page.status_code == 500
    assert from_a_page.headers["access-control-allow-origin"] == APP_ORIGIN
    (error,) = response.json()["errors"]
    assert error["message"] == "Unexpected error."
    assert error["extensions"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "requestId": response.headers["x-request-id"],
    }
    assert "secret detail" not in response.text
    logged = [r for r in caplog.records if r.getMessage() == "internal error"]
    assert [record.__dict__["request_id"] for record in logged] == [
        answer.headers["x-request-id"] for answer in (response, from_a_page)
    ]
    assert all(record.exc_info is not None for record in logged)


async def test_a_client_gone_before_its_body_ended_is_let_go_without_a_trace(
    settings: Settings, demo_db: AsyncDatabase[Any], caplog: pytest.LogCaptureFixture
) -> None:
    """A caller that hangs up mid-body is an expected event, not a fault: nothing is answered
    (nobody is there), nothing is logged with a traceback."""
    caplog.set_level(logging.INFO, logger="gateway.middleware")
    before = {status: _requests(status) for status in ("499", "500")}
    body = b'{"query": "{ __typename }"}'
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        sent = await _raw(
            app,
            "POST",
            headers,
            path="/graphql",
            received=[{"type": "http.request", "body": body[:10], "more_body": True}],
        )
    assert sent == []
    assert [record.getMessage() for record in caplog.records if record.exc_info] == []
    assert "client disconnected" in [record.getMessage() for record in caplog.records]
    # Counted as the caller's leaving, not as a fault of ours.
    assert {status: _requests(status) - count for status, count in before.items()} == {
        "499": 1,
        "500": 0,
    }


def _requests(status: str) -> float:
    return _count("imoox_requests_total", status=status, code="NONE")
