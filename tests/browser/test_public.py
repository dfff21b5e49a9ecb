"""A public page in headless Chromium: what a visitor (or a crawler's renderer) sees."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.browser.live import LiveGateway, screenshot


async def test_a_public_page_shows_the_item_and_only_its_authors_name_and_photo(
    page: Page, live: LiveGateway
) -> None:
    response = await page.goto("/content/post-alice-garden")
    assert response is not None and response.status == 200
    await expect(page.get_by_role("heading", name="Spring in the botanical garden")).to_be_visible()
    article = page.get_by_role("article")
    await expect(article).to_contain_text("Alice Amsel")
    photos = article.locator("img")
    await expect(photos).to_have_count(1)
    assert await photos.get_attribute("src") == "https://img.imoox.example/alice.png"
    text = await page.locator("body").inner_text()
    for hidden in ("alice@uni-graz.example", "+43 316 380 0001", "uni-graz", "Universitätsplatz"):
        assert hidden not in text
    await screenshot(page, "public-item")


async def test_a_private_item_has_no_page(page: Page, live: LiveGateway) -> None:
    response = await page.goto("/content/post-alice-private")
    assert response is not None and response.status == 404
    await expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    await expect(page.locator("body")).not_to_contain_text("Diary")
