"""The domain admin console /admin in headless Chromium, against the demo world (SPEC §9):
dora administers uni-graz (alice, bob, dora and 16 learners); alice administers nothing."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.browser.live import LiveGateway, screenshot


async def _sign_in(page: Page, token: str) -> None:
    response = await page.goto("/admin")
    assert response is not None and response.status == 200
    csp = await response.header_value("content-security-policy")
    assert csp is not None and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    await page.get_by_label("Access token").fill(token)
    await page.get_by_role("button", name="Sign in").click()


async def test_an_admin_suspends_a_member_after_confirming_and_sees_it_in_the_audit(
    page: Page, live: LiveGateway
) -> None:
    await _sign_in(page, live.token("dora"))
    members = page.get_by_role("table", name="Members of the domain with their status")
    alice = members.get_by_role("row").filter(has_text="Alice Amsel")
    await expect(alice).to_contain_text("alice")
    await expect(alice).to_contain_text("ACTIVE")
    await expect(members.get_by_role("row").filter(has_text="Bob Berger")).to_contain_text("ACTIVE")
    await expect(members).not_to_contain_text("Carol Castell")  # tu-wien
    await screenshot(page, "admin-members")

    await alice.get_by_role("button", name="Suspend: Alice Amsel (alice)").click()
    dialog = page.get_by_role("alertdialog")
    await expect(dialog).to_contain_text("Suspend Alice Amsel (alice)?")
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(dialog).to_be_hidden()
    status = await live.query('{ domain(id: "uni-graz") { id } }', as_="dora")
    assert "errors" not in status
    body = await live.query('query { account(id: "acct-alice") { status } }', as_="dora")
    assert body["data"]["account"]["status"] == "ACTIVE"  # cancelled: nothing happened

    await alice.get_by_role("button", name="Suspend: Alice Amsel (alice)").click()
    await screenshot(page, "admin-confirm")
    await dialog.get_by_role("button", name="Suspend: confirm").click()
    await expect(page.get_by_role("status")).to_contain_text("Done: suspend for Alice Amsel")
    await expect(alice).to_contain_text("SUSPENDED")
    audit = page.get_by_role("table", name="Admin actions, newest first")
    first = audit.get_by_role("row").nth(1)
    await expect(first).to_contain_text("suspendAccount")
    await expect(first).to_contain_text("Alice Amsel")
    await expect(first).to_contain_text("Dora Dachs")
    await expect(first).to_contain_text("DONE")
    await screenshot(page, "admin-audit")

    body = await live.query('query { account(id: "acct-alice") { status } }', as_="dora")
    assert body["data"]["account"]["status"] == "SUSPENDED"


async def test_someone_who_administers_no_domain_sees_so_and_no_member(
    page: Page, live: LiveGateway
) -> None:
    await _sign_in(page, live.token("alice"))
    await expect(
        page.get_by_role("heading", name="You are not an admin of any domain")
    ).to_be_visible()
    await expect(
        page.get_by_role("table", name="Members of the domain with their status")
    ).to_be_hidden()
    await expect(page.locator("body")).not_to_contain_text("Bob Berger")
    await screenshot(page, "admin-not-an-admin")


async def test_a_member_name_is_shown_as_text_never_as_markup(
    page: Page, live: LiveGateway
) -> None:
    hostile = '<img src=x onerror="document.title=1">'
    body = await live.query(
        "mutation($n: String!) { updateProfile(input: {displayName: $n}) { account { id } } }",
        {"n": hostile},
        as_="bob",
    )
    assert "errors" not in body, body
    await _sign_in(page, live.token("dora"))
    members = page.get_by_role("table", name="Members of the domain with their status")
    await expect(members).to_contain_text(hostile)
    assert await members.locator("img").count() == 0
    assert await page.title() == "Domain admin console · IMOOX"
