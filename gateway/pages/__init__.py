"""The pages the gateway serves to people (SPEC §11), beside `/graphql` and under its policy.

A page is a static HTML file with JS modules and CSS: no build step, no inline script or style,
so its Content-Security-Policy can forbid both (an injected `<script>` or `onerror=` does not
run). Pages read and write only through `/graphql`, sending the hashes of their own operations
(`gateway/pages/operations/*.graphql`, registered as trusted documents at start-up).
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from gateway.pages.operations import PageOperations

STATIC = Path(__file__).parent / "static"

#: Everything from the gateway itself and nothing inline; no framing (clickjacking), no form
#: posting elsewhere, no `<base>` rewriting, no plugins.
PAGE_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PAGE_HEADERS = {"Content-Security-Policy": PAGE_CSP}


class PageFiles(StaticFiles):
    """Starlette's static files, every answer under the pages' CSP."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(PAGE_HEADERS)
        return response


def html_page(name: str) -> Route:
    """A route answering the page `static/<name>.html` at `/<name>`."""
    file = STATIC / f"{name}.html"

    async def endpoint(request: Request) -> Response:
        return FileResponse(file, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)

    return Route(f"/{name}", endpoint, methods=["GET", "HEAD"], name=f"page-{name}")


def page_routes(operations: PageOperations) -> list[BaseRoute]:
    """Every page, the table of operation hashes pages look up, and the pages' static files."""

    async def operation_hashes(request: Request) -> Response:
        return JSONResponse(dict(operations.hashes), headers=PAGE_HEADERS)

    return [
        html_page("account"),
        html_page("admin"),
        Route("/pages/operations.json", operation_hashes, methods=["GET", "HEAD"]),
        Mount("/pages", PageFiles(directory=STATIC), name="pages"),
    ]
