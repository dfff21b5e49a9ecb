"""The privacy center /account in headless Chromium, against expectations from the demo world
(SPEC §9)."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.browser.conftest import LiveGateway, screenshot


async def test_the_page_loads_under_its_csp_with_the_sign_in_form(
    page: Page, live: LiveGateway
) -> None:
    response = await page.goto("/account")
    assert response is not None and response.status == 200
    csp = await response.header_value("content-security-policy")
    assert csp is not None and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await expect(page.get_by_label("Username", exact=True)).to_be_editable()
    await screenshot(page, "account-sign-in")
