"""The live gateway a browser test speaks to, and screenshots of what the browser shows."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import httpx
from playwright.async_api import Locator, Page

from gateway.settings import Settings
from tests.client import GatewayClient

HERE = Path(__file__).parent
ARTIFACTS = HERE / "artifacts"
DOCS_SCREENSHOTS = HERE.parent.parent / "docs" / "screenshots"


class LiveGateway(GatewayClient):
    """The gateway listening on 127.0.0.1 (`url`), and an HTTP client speaking to it as demo
    principals (tokens as `imoox-gateway token` makes them)."""

    def __init__(self, http: httpx.AsyncClient, settings: Settings, url: str) -> None:
        super().__init__(http, settings)
        self.url = url


async def screenshot(page: Page, name: str, view: Locator | None = None) -> Path:
    """Save the page (or one `view` of it) as `tests/browser/artifacts/<name>.png` (gitignored
    test artifacts); with `IMOOX_SCREENSHOTS_TO_DOCS=1` (`make screenshots`), also as the
    README's copy under `docs/screenshots/`."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    if view is None:
        await page.screenshot(path=str(path), full_page=True)
    else:
        await view.screenshot(path=str(path))
    if os.environ.get("IMOOX_SCREENSHOTS_TO_DOCS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOTS / path.name)
    return path
