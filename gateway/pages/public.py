"""Public pages for search engines: `/content/{id}`, `robots.txt`, `sitemap.xml` (SPEC §11).

A page is the answer to one fixed GraphQL document (`operations/public.graphql`) run by the
schema as an anonymous visitor, so the policy table decides what shows, exactly as for any
anonymous API caller; nothing here reads an item or an account field around it. Pages add
one rule of their own, stricter than the API: an item of an author who is not `ACTIVE` shows
nothing (`resolvers.public_pages`).

Every answer is read afresh (the edge sends `Cache-Control: no-store`), so an item made
private, deleted, erased or whose author was suspended is gone at the next request. Gone
items, non-public items and unknown ids answer one identical 404: a 410 would tell that an id
was once public, an existence oracle.

The sitemap is an index of one sitemap per UTC day since `sitemap_since`: the index costs no
read at all, and a day's sitemap one bounded page (`DAY_CAP`), whatever the data holds.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

import jinja2
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from authz.principals import Principal
from gateway.auth import Authenticator
from gateway.graphql import Throttles, too_many
from gateway.pages.operations import PageOperations
from resolvers.public_pages import active_authors, public_items_between
from schema.enforcement.context import Context
from schema.protections.errors import ErrorCode

_HERE = Path(__file__).parent
#: The operation of `operations/public.graphql` that renders an item.
ITEM_OPERATION = "PublicItem"

#: Pages load the shared stylesheet and images from https (an author's photo is hosted where
#: they chose); no script, frame or form at all.
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src https:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


def _https(value: object) -> bool:
    """Only https URLs become an image source (stored ones are validated so; this holds
    whatever the database holds)."""
    return isinstance(value, str) and urlparse(value).scheme == "https"


_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(_HERE / "templates"),
    autoescape=True,  # every template, .xml and .txt included: nothing reaches out unescaped
    undefined=jinja2.StrictUndefined,
)
_templates.filters["https"] = _https


class PublicPages:
    """The routes; `base_url` (e.g. `https://imoox.example`) names the site in canonical and
    sitemap URLs, so no `Host` header a client sends can."""

    def __init__(
        self,
        schema: Any,
        authenticator: Authenticator,
        throttles: Throttles,
        operations: PageOperations,
        *,
        base_url: str | None,
        sitemap_since: date,
    ) -> None:
        self.schema = schema
        # The registered (trusted) text, so persisted-only production runs it too.
        self.document = operations.documents[operations.hashes[ITEM_OPERATION]]
        self.authenticator = authenticator
        self.throttles = throttles
        self.base_url = base_url.rstrip("/") if base_url else None
        self.since = sitemap_since

    def routes(self) -> list[Route]:
        return [
            Route("/content/{item_id}", self.item, methods=["GET", "HEAD"]),
            Route("/robots.txt", self.robots, methods=["GET", "HEAD"]),
            Route("/sitemap.xml", self.sitemap_index, methods=["GET", "HEAD"]),
            Route("/sitemaps/{day}.xml", self.sitemap, methods=["GET", "HEAD"]),
        ]

    def _base(self, request: Request) -> str:
        return self.base_url or str(request.base_url).rstrip("/")

    async def _limited(self, request: Request) -> Response | None:
        """The per-address rate of `/graphql` applies to pages too, to the same address (a
        trusted proxy's header, as for `/graphql`): each page reads data."""
        client = self.authenticator.client(request)
        if wait := await self.throttles.wait(Principal.anonymous(), client):
            return too_many(wait)
        return None

    async def item(self, request: Request) -> Response:
        if refused := await self._limited(request):
            return refused
        item_id = request.path_params["item_id"]
        context = Context(
            Principal.anonymous(),
            request.app.state.db,
            records=request.app.state.disclosure_writer,
        )
        result = await self.schema.execute(
            self.document,
            variable_values={"id": item_id},
            context_value=context,
            operation_name=ITEM_OPERATION,
        )
        if any(_unavailable(error) for error in result.errors or ()):
            return Response("Unavailable, retry shortly.", 503, headers={"Retry-After": "1"})
        item = (result.data or {}).get("content")
        # A comment shows on its item's page, not on one of its own.
        if item is None or item.get("visibility") != "PUBLIC":
            return _not_found()
        author = (item.get("author") or {}).get("id")
        comments = item.get("comments") or []
        writers = {(comment.get("author") or {}).get("id") or "" for comment in comments}
        active = await active_authors(request.app.state.db, {author or "", *writers})
        if author not in active:
            return _not_found()
        # Comments of a suspended or blocked member go with them, as their items do.
        item["comments"] = [c for c in comments if (c.get("author") or {}).get("id") in active]
        canonical = f"{self._base(request)}/content/{quote(item['id'], safe='')}"
        html = _templates.get_template("item.html").render(item=item, canonical=canonical)
        return _html(html, 200)

    async def robots(self, request: Request) -> Response:
        text = _templates.get_template("robots.txt").render(base=self._base(request))
        return Response(text, media_type="text/plain; charset=utf-8")

    async def sitemap_index(self, request: Request) -> Response:
        """One sitemap per day, newest first: no read, and at most 50,000 entries for the
        137 years after `sitemap_since`."""
        base, today = self._base(request), _today()
        days = (today - timedelta(days=n) for n in range((today - self.since).days + 1))
        sitemaps = [f"{base}/sitemaps/{day.isoformat()}.xml" for day in days]
        return _xml(_templates.get_template("sitemap_index.xml").render(sitemaps=sitemaps))

    async def sitemap(self, request: Request) -> Response:
        try:
            day = date.fromisoformat(request.path_params["day"])
        except ValueError:
            return _not_found()
        if len(request.path_params["day"]) != 10 or not self.since <= day <= _today():
            return _not_found()
        if refused := await self._limited(request):
            return refused
        since = datetime.combine(day, time(), UTC)
        items = await public_items_between(request.app.state.db, since, since + timedelta(days=1))
        base = self._base(request)
        urls = [
            (f"{base}/content/{quote(item['_id'], safe='')}", item["created_at"].isoformat())
            for item in items
        ]
        return _xml(_templates.get_template("sitemap.xml").render(urls=urls))


def _unavailable(error: GraphQLError) -> bool:
    return (error.extensions or {}).get("code") == ErrorCode.UNAVAILABLE.value


def _html(html: str, status: int) -> Response:
    return Response(
        html,
        status,
        media_type="text/html; charset=utf-8",
        headers={"Content-Security-Policy": PAGE_CSP},
    )


def _xml(text: str) -> Response:
    return Response(text, media_type="application/xml; charset=utf-8")


def _today() -> date:
    return datetime.now(UTC).date()


#: One answer for every id without a public page: rendered once, so it is the same bytes.
_NOT_FOUND_HTML = _templates.get_template("not_found.html").render()


def _not_found() -> Response:
    return _html(_NOT_FOUND_HTML, 404)
