"""Browser tests: real headless Chromium (Debian's `/usr/bin/chromium`) driven by Playwright
for Python, against a live gateway on a free port over the test's own demo database.

The gateway is the app `create_app` builds for `serve`, run by uvicorn as a task in the
session's event loop, so the browser speaks real HTTP to it. Playwright never downloads a
browser (`executable_path`). Without Chromium these tests are deselected with a printed notice,
unless `IMOOX_BROWSER_TESTS=required` (as `.ci/run` sets), where they fail saying how to
install it.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.async_api import Browser, Page, async_playwright
from pymongo.asynchronous.database import AsyncDatabase

from gateway.app import create_app
from gateway.settings import Settings
from tests.browser.live import HERE, LiveGateway

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MISSING = (
    f"Chromium is not installed at {CHROMIUM}: the browser tests need it "
    "(apt-get update && apt-get install -y chromium)."
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """No Chromium and not required: leave the browser tests out, and say so."""
    if CHROMIUM.exists() or os.environ.get("IMOOX_BROWSER_TESTS") == "required":
        return
    browser = [item for item in items if HERE in item.path.parents]
    if not browser:
        return
    items[:] = [item for item in items if item not in browser]
    config.hook.pytest_deselected(items=browser)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"NOTICE: {len(browser)} browser tests deselected. {MISSING}")


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium, or a failure saying how to install it."""
    if not CHROMIUM.exists():
        pytest.fail(MISSING)
    return CHROMIUM


@pytest.fixture(scope="session")
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        await launched.close()


@pytest.fixture
async def live(settings: Settings, demo_db: AsyncDatabase[Any]) -> AsyncIterator[LiveGateway]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(create_app(settings), lifespan="on", log_level="warning")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started:
        if serving.done():
            serving.result()  # raises why the server could not start
        await asyncio.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url) as http:
            yield LiveGateway(http, settings, url)
    finally:
        server.should_exit = True
        await serving
        listener.close()


@pytest.fixture
async def page(browser: Browser, live: LiveGateway) -> AsyncIterator[Page]:
    """A fresh browser context (no storage shared between tests) on the live gateway."""
    context = await browser.new_context(base_url=live.url, accept_downloads=True)
    opened = await context.new_page()
    yield opened
    await context.close()
