"""The development IDE at `/graphql` in headless Chromium with every other origin cut off:
what `make run` gives a developer on a machine without internet (issue 14)."""

from __future__ import annotations

from playwright.async_api import Page, Route, expect

from tests.browser.live import LiveGateway, screenshot


async def test_the_ide_works_offline_and_keeps_a_pasted_token_in_memory_only(
    page: Page, live: LiveGateway
) -> None:
    elsewhere: list[str] = []
    problems: list[str] = []

    async def offline(route: Route) -> None:
        if route.request.url.startswith(live.url):
            await route.continue_()
        else:
            elsewhere.append(route.request.url)
            await route.abort()

    await page.route("**/*", offline)
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("pageerror", lambda error: problems.append(str(error)))
    await page.goto("/graphql")
    await expect(page.locator(".graphiql-container")).to_be_visible(timeout=30_000)
    headers = page.locator(".graphiql-editor-tool .CodeMirror").last
    await expect(headers).to_contain_text("imoox-gateway token --as alice")

    token = live.token("alice")
    await page.locator(".graphiql-query-editor .CodeMirror").first.click()
    await page.keyboard.press("Control+A")
    await page.keyboard.type("{ me { id displayName } }")
    await headers.click()
    await page.keyboard.press("Control+A")
    await page.keyboard.type(f'{{"Authorization": "Bearer {token}"}}')
    await page.locator(".graphiql-execute-button").click()
    await expect(page.locator(".result-window")).to_contain_text("Alice Amsel", timeout=20_000)
    await screenshot(page, "ide")

    stored = await page.evaluate("JSON.stringify(localStorage) + JSON.stringify(sessionStorage)")
    assert token not in stored
    assert "Bearer" not in stored
    assert elsewhere == []
    assert problems == []
