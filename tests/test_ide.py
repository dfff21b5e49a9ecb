"""The development IDE works offline: every file it loads is the gateway's own (issue 14)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from gateway.settings import Settings
from tests.client import GatewayClient, production, running

BASE = "http://gateway/graphql"


class _Page(HTMLParser):
    """What a browser would load from the page, and anything inline it would run or apply."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.styles: list[str] = []
        self.inline: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if "style" in named or any(name.startswith("on") for name in named):
            self.inline.append(f"<{tag}> attribute")
        if tag == "style":
            self.inline.append("<style>")
        if tag == "script":
            self._in_script = True
            if named.get("src"):
                self.scripts.append(str(named["src"]))
            else:
                self.inline.append("<script> without src")
        if tag == "link" and named.get("rel") == "stylesheet":
            self.styles.append(str(named["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline.append("script text")


async def _page(client: httpx.AsyncClient) -> httpx.Response:
    return await client.get("/graphql", headers={"Accept": "text/html"})


async def _answers(client: httpx.AsyncClient, url: str, content_type: str) -> bytes:
    assert urlsplit(url).netloc == "gateway", f"{url} is not same-origin"
    response = await client.get(url)
    assert response.status_code == 200, url
    assert response.headers["content-type"].startswith(content_type), url
    return response.content


async def test_the_development_ide_loads_only_its_own_files(gateway: GatewayClient) -> None:
    response = await _page(gateway.http)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = _Page()
    page.feed(response.text)
    assert page.inline == []
    assert len(page.scripts) == 4
    assert len(page.styles) == 2
    for src in page.scripts:
        await _answers(gateway.http, urljoin(BASE, src), "text/javascript")
    for href in page.styles:
        css_url = urljoin(BASE, href)
        css = (await _answers(gateway.http, css_url, "text/css")).decode()
        # The stylesheet's fonts and images are files too (no `data:` URL for the CSP to allow).
        for target in re.findall(r"url\(([^)]*)\)", css):
            await _answers(gateway.http, urljoin(css_url, target.strip("'\"")), "")
    boot = await gateway.http.get(urljoin(BASE, page.scripts[-1]))
    assert "imoox-gateway token --as alice" in boot.text
    assert "shouldPersistHeaders: false" in boot.text


async def test_the_ide_page_allows_only_its_own_origin(gateway: GatewayClient) -> None:
    policy = (await _page(gateway.http)).headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    for sources in directives.values():
        assert set(sources.split()) <= {"'self'", "'none'"}, sources


async def test_production_serves_no_ide(settings: Settings, tmp_path: Path) -> None:
    async with running(production(settings, tmp_path)) as client:
        assert (await _page(client.http)).status_code == 404
        assert (await client.http.get("/graphiql/graphiql.min.js")).status_code == 404
        assert (await client.http.get("/graphiql/boot.js")).status_code == 404
