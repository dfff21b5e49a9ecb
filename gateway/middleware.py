"""The one ASGI middleware: a request id, secure headers, CORS, a bound on request bodies, and
a coded 500 for a fault nothing inside answered.

One pass per request (issue 11: four middleware layers each wrapped `send` and parsed the
headers again, about a fifth of the CPU of `{ __typename }`). Pure ASGI (no
`BaseHTTPMiddleware`), so streamed responses such as `/export` pass through untouched and no
request body is buffered here. CORS itself is Starlette's, asked only when a request names an
`Origin`; refusals made here (413) carry the same request id and secure headers as answers.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
from collections.abc import Iterable, Sequence
from functools import partial

from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.responses import error_response
from schema.protections.errors import ErrorCode
from schema.protections.security import REQUEST_ID, security_event

log = logging.getLogger(__name__)

_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

#: For JSON answers; the development GraphiQL page (HTML) loads its code from a CDN instead.
API_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-store",
}
API_CSP = "default-src 'none'; frame-ancestors 'none'"
HSTS = "max-age=63072000; includeSubDomains"

_REQUEST_ID = b"x-request-id"
#: Request ids: this process's random half, then a count (32 hex digits). Unique, not secret
#: (a client may choose its own id); no system call per request, as `uuid4` made.
_ID_PREFIX = os.urandom(8).hex()
_ID_COUNT = itertools.count()
_VARY = b"vary"
_CONTENT_TYPE = b"content-type"
_ORIGIN = b"Origin"


def _encoded(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()
    ]


class BodyTooLarge(Exception):
    pass


class Edge:
    """Every HTTP request once: its id (kept from `X-Request-Id` when safe), secure headers on
    its answer, CORS for listed origins, and 413 for a body over `max_bytes`, declared or
    streamed."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        production: bool = False,
        max_bytes: int,
        cors_origins: Sequence[str] = (),
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.with_cors = partial(
            CORSMiddleware,
            allow_origins=cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "X-Device-Id", "X-Request-Id"],
            max_age=600,
        )
        self.cors = self.with_cors(app)
        secure = dict(API_HEADERS)
        if production:
            secure["Strict-Transport-Security"] = HSTS
        self._secure = _encoded(secure)
        self._secure_names = frozenset(name for name, _ in self._secure)
        self._csp = _encoded({"Content-Security-Policy": API_CSP})[0]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = declared = None
        has_origin = False
        for name, value in scope["headers"]:
            if name == _REQUEST_ID:
                incoming = value
            elif name == b"content-length":
                declared = value
            elif name == b"origin":
                has_origin = True
        text = incoming.decode("latin-1") if incoming is not None else ""
        request_id = (
            text if _SAFE_REQUEST_ID.fullmatch(text) else f"{_ID_PREFIX}{next(_ID_COUNT):016x}"
        )
        token = REQUEST_ID.set(request_id)
        try:
            stamp = request_id.encode("latin-1")
            # Without an origin, what CORS answers such a request: the answer varies by it.
            answering = _Answering(self, send, stamp, vary=not has_origin)
            if declared is not None and _over(declared, self.max_bytes):
                await self._answer(self._refuse, scope, receive, answering, has_origin)
                return
            await self._bounded(scope, receive, answering, has_origin)
        finally:
            REQUEST_ID.reset(token)

    def answer_headers(
        self, headers: Iterable[tuple[bytes, bytes]], request_id: bytes, vary: bool
    ) -> list[tuple[bytes, bytes]]:
        """The app's headers, ours added in one pass: its own request id replaced, a secure
        header it set itself kept, no CSP on an HTML page, `Vary` values joined (as Starlette's
        CORS does) with `Origin` added when `vary`."""
        raw: list[tuple[bytes, bytes]] = []
        present: set[bytes] = set()
        varies: list[bytes] = []
        html = False
        for name, value in headers:
            lower = name.lower()
            if lower == _REQUEST_ID:
                continue
            if vary and lower == _VARY:
                varies.append(value)
                continue
            if lower == _CONTENT_TYPE and value.startswith(b"text/html"):
                html = True
            present.add(lower)
            raw.append((name, value))
        raw.append((_REQUEST_ID, request_id))
        if present.isdisjoint(self._secure_names):
            raw += self._secure
        else:
            raw += [item for item in self._secure if item[0] not in present]
        if not html and self._csp[0] not in present:
            raw.append(self._csp)
        if vary:
            raw.append((_VARY, b", ".join([*varies, _ORIGIN])))
        return raw

    async def _bounded(
        self, scope: Scope, receive: Receive, send: _Answering, has_origin: bool
    ) -> None:
        """The app (through CORS if the request names an origin), its body counted as read."""
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge
            return message

        try:
            app = self.cors if has_origin else self.app
            await app(scope, counting_receive, send)
        except BodyTooLarge:
            if send.started:  # the answer is cut where the body passed the bound
                security_event("limit", "body_size")
            else:
                await self._answer(self._refuse, scope, receive, send, has_origin)
        except Exception as error:
            if send.started:
                raise
            request_id = send.request_id.decode("latin-1")
            if isinstance(error, ClientDisconnect):
                # The caller hung up before its body ended: nobody to answer, and no fault.
                log.info("client disconnected", extra={"request_id": request_id})
                return
            # A fault nothing inside answered: coded, with this request's id and headers (the
            # server's own 500 is plain text, without either), logged here with the id.
            log.exception("internal error", extra={"request_id": request_id})
            response = error_response(
                500, ErrorCode.INTERNAL_SERVER_ERROR, "Unexpected error.", requestId=request_id
            )
            await self._answer(response, scope, receive, send, has_origin)

    async def _answer(
        self, response: ASGIApp, scope: Scope, receive: Receive, send: _Answering, has_origin: bool
    ) -> None:
        """An answer the edge makes itself, with what the app's answers get: the edge's
        headers, and CORS for a listed origin (a browser shows a page an answer without it only
        as a network error, so it could not read why it was refused)."""
        await (self.with_cors(response) if has_origin else response)(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The 413, noted as a security event when it is answered (CORS answers a preflight
        itself, whatever length it declares)."""
        security_event("limit", "body_size")
        response = error_response(
            413,
            ErrorCode.LIMIT_EXCEEDED,
            f"The request body is larger than {self.max_bytes} bytes.",
            limit="body",
        )
        await response(scope, receive, send)


#: More digits than this declare more than any body bound (2**64 has 20).
_LENGTH_DIGITS = 20


def _over(declared: bytes, max_bytes: int) -> bool:
    """Whether a declared `Content-Length` is over `max_bytes`, read without `int()` of all of
    it: the server lets leading zeros through, and Python refuses past 4,300 digits."""
    if not declared.isdigit():
        return False  # not a length (the body is still counted as it is read)
    digits = declared.lstrip(b"0")
    return len(digits) > _LENGTH_DIGITS or int(digits or b"0") > max_bytes


class _Answering:
    """`send` with the edge's headers on the answer's start; it knows whether that started."""

    __slots__ = ("edge", "request_id", "send", "started", "vary")

    def __init__(self, edge: Edge, send: Send, request_id: bytes, *, vary: bool = False) -> None:
        self.edge = edge
        self.send = send
        self.request_id = request_id
        self.vary = vary
        self.started = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            headers = message.get("headers", ())
            message["headers"] = self.edge.answer_headers(headers, self.request_id, self.vary)
        await self.send(message)
