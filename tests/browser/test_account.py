"""The privacy center /account in headless Chromium, each behaviour checked against what the
demo world holds (SPEC §9) and, where it concerns the gateway, through HTTP as other callers."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from playwright.async_api import Page, Response, expect
from pymongo.asynchronous.database import AsyncDatabase

from tests.browser.live import LiveGateway, screenshot
from tests.client import error_codes
from tests.sign_ups import PASSWORD, SIGN_IN, sign_up

DEMO_PASSWORD = "imoox-demo-password"
ALICE = "acct-alice"
ALICE_PHONE = "+43 316 380 0001"
FLOWERSHOP_READ = f'{{ account(id: "{ALICE}") {{ phone }} }}'
CONTACTS = "{ partnerContacts { account { id phone } } }"


async def sign_in(page: Page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Open the privacy center and sign in through its form, with the keyboard only."""
    await page.goto("/account")
    await page.get_by_label("Username", exact=True).focus()
    await page.keyboard.type(username)
    await page.keyboard.press("Tab")
    await page.keyboard.type(password)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Who saw my data")).to_be_visible()


async def test_every_response_of_the_page_carries_a_csp_without_inline_code(
    page: Page, live: LiveGateway
) -> None:
    responses: list[Response] = []
    errors: list[str] = []
    page.on("response", lambda response: responses.append(response))
    # A CSP violation (an inline script or style the page itself tried) is a console error.
    page.on(
        "console",
        lambda message: (
            message.type == "error" and errors.append(f"{message.text} {message.location}")
        ),
    )
    await sign_in(page, "alice")
    await expect(page.locator("#disclosure-rows tr").first).to_be_visible()
    assert errors == []
    served = {response.url.removeprefix(live.url).split("?")[0] for response in responses}
    assert {"/account", "/pages/account.js", "/pages/client.js", "/pages/pages.css"} <= served
    assert "/graphql" in served
    for response in responses:
        csp = await response.header_value("content-security-policy")
        assert csp is not None, response.url
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp
    await screenshot(page, "account-profile", page.locator("#profile"))


async def test_no_token_is_kept_where_scripts_or_requests_could_reuse_it(
    page: Page, live: LiveGateway
) -> None:
    async with page.expect_response(
        lambda response: response.url.endswith("/graphql") and response.request.method == "POST"
    ) as signed_in:
        await sign_in(page, "alice")
    body = await (await signed_in.value).json()
    token = body["data"]["signIn"]["accessToken"]
    assert len(token) > 100
    stored = await page.evaluate(
        "() => ({local: {...localStorage}, session: {...sessionStorage}, cookie: document.cookie})"
    )
    # Only the device id (not a credential) is remembered; no token anywhere.
    assert set(stored["local"]) == {"imoox-device-id"}
    assert stored["session"] == {} and stored["cookie"] == ""
    assert token not in json.dumps(stored)
    assert await page.context.cookies() == []
    # Reloading forgets the token: the page asks to sign in again.
    await page.reload()
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await expect(page.get_by_role("heading", name="Who saw my data")).to_be_hidden()


async def test_alice_sees_doras_and_flowershops_reads_in_who_saw_my_data(
    page: Page, live: LiveGateway
) -> None:
    doras = await live.query(f'{{ account(id: "{ALICE}") {{ email }} }}', as_="dora")
    assert doras["data"]["account"]["email"] == "alice@uni-graz.example"
    flowershops = await live.query(CONTACTS, as_="flowershop")
    assert {"id": ALICE, "phone": ALICE_PHONE} in [
        row["account"] for row in flowershops["data"]["partnerContacts"]
    ]
    await sign_in(page, "alice")
    dora = page.locator('#disclosure-rows tr[data-principal="acct-dora"]')
    await expect(dora).to_have_count(1)
    await expect(dora).to_contain_text("Domain admin acct-dora")
    await expect(dora).to_contain_text("Account.email")
    await expect(dora).to_contain_text("As DOMAIN_ADMIN")
    flowershop = page.locator('#disclosure-rows tr[data-principal="flowershop"]')
    await expect(flowershop).to_have_count(1)
    await expect(flowershop).to_contain_text("Partner flowershop")
    await expect(flowershop).to_contain_text("Account.phone")
    await expect(flowershop).to_contain_text("contact")
    await screenshot(page, "account-who-saw-my-data", page.locator("#disclosures"))


async def test_revoking_flowershops_consent_in_the_page_refuses_flowershop(
    page: Page, live: LiveGateway
) -> None:
    before = await live.query(FLOWERSHOP_READ, as_="flowershop")
    assert before == {"data": {"account": {"phone": ALICE_PHONE}}}
    await sign_in(page, "alice")
    row = page.locator('#consent-rows tr[data-recipient="flowershop"]')
    await expect(row).to_contain_text("phone")
    await expect(row).to_contain_text("Active")
    await page.get_by_role("button", name="Revoke consent for flowershop").click()
    await expect(page.get_by_role("status")).to_have_text(
        "flowershop may no longer see your phone."
    )
    await expect(row).to_contain_text("Revoked")
    await expect(row.get_by_role("button")).to_have_count(0)
    await screenshot(page, "account-consents", page.locator("#consents"))
    after = await live.query(FLOWERSHOP_READ, as_="flowershop")
    assert after["data"]["account"]["phone"] is None
    assert error_codes(after) == ["FORBIDDEN"]
    contacts = await live.query(CONTACTS, as_="flowershop")
    assert ALICE not in [row["account"]["id"] for row in contacts["data"]["partnerContacts"]]


async def test_the_sign_in_from_the_page_is_listed_and_marked_suspicious(
    page: Page, live: LiveGateway
) -> None:
    await sign_in(page, "alice")
    device = await page.evaluate("() => localStorage.getItem('imoox-device-id')")
    # Alice signed in before from other devices: this browser is new, so suspicious.
    newest = page.locator("#sign-in-rows tr").first
    await expect(newest).to_contain_text(device)
    await expect(newest).to_contain_text("Suspicious: a new device")
    await expect(newest).to_have_class("suspicious")
    await expect(page.locator("#device-rows")).to_contain_text(device)
    await screenshot(page, "account-devices", page.locator("#devices"))


async def test_settings_changed_in_the_page_are_what_the_api_answers(
    page: Page, live: LiveGateway
) -> None:
    settings = "{ me { settings { personalizedAds profileVisibility language } } }"
    before = (await live.query(settings, as_="alice"))["data"]["me"]["settings"]
    await sign_in(page, "alice")
    ads = page.get_by_label("Personalised ads")
    await expect(ads).to_be_checked(checked=bool(before["personalizedAds"]))
    await ads.set_checked(not before["personalizedAds"])
    await page.get_by_label("Who may see my profile").select_option("PRIVATE")
    await page.get_by_label("Language").fill("de")
    await page.get_by_role("button", name="Save settings").click()
    await expect(page.get_by_role("status")).to_have_text("Settings saved.")
    after = (await live.query(settings, as_="alice"))["data"]["me"]["settings"]
    assert after == {
        "personalizedAds": not before["personalizedAds"],
        "profileVisibility": "PRIVATE",
        "language": "de",
    }


async def test_export_downloads_alices_data_as_json(page: Page, live: LiveGateway) -> None:
    await sign_in(page, "alice")
    async with page.expect_download() as started:
        await page.get_by_role("button", name="Download my data").click()
    download = await started.value
    assert download.suggested_filename == "imoox-export.json"
    saved = await download.path()
    document: dict[str, Any] = json.loads(await asyncio.to_thread(saved.read_text))
    assert document["account"]["id"] == ALICE
    assert document["account"]["phone"] == ALICE_PHONE
    assert "flowershop" in [consent["recipient"] for consent in document["consents"]]
    await expect(page.get_by_role("status")).to_have_text(
        "Your data was downloaded as imoox-export.json."
    )
    await screenshot(page, "account-export-delete", page.locator("#rights"))


async def test_a_fresh_account_is_deleted_after_confirmation_and_cannot_sign_in(
    page: Page, live: LiveGateway, demo_db: AsyncDatabase[Any]
) -> None:
    account = await sign_up(live, demo_db, "paula")
    await sign_in(page, "paula", PASSWORD)
    await expect(page.locator("#profile-facts")).to_contain_text("Paula")
    await page.get_by_role("button", name="Delete my account…").click()
    dialog = page.get_by_role("alertdialog")
    await expect(dialog).to_be_visible()
    await expect(page.get_by_role("textbox", name="Your username")).to_be_focused()
    # A wrong confirmation deletes nothing.
    await page.get_by_role("textbox", name="Your username").fill("alice")
    await page.get_by_role("button", name="Delete for good").click()
    await expect(page.get_by_role("status")).to_have_text(
        "Type your username exactly to confirm deletion."
    )
    me = await live.query(
        "{ me { id } }", token=live.issuer.issue({"kind": "user", "sub": account}, 60)
    )
    assert me["data"]["me"]["id"] == account
    await screenshot(page, "account-delete-confirmation", page.locator("#rights"))
    await page.get_by_role("textbox", name="Your username").fill("paula")
    await page.get_by_role("button", name="Delete for good").click()
    await expect(page.get_by_role("status")).to_have_text("Your account was deleted.")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    signed_in = await live.post(
        SIGN_IN, {"input": {"username": "paula", "password": PASSWORD, "deviceId": "web-x"}}
    )
    assert error_codes(signed_in.json()) == ["UNAUTHENTICATED"]
    # …and neither can the page.
    await page.get_by_label("Username", exact=True).fill("paula")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("status")).to_have_text(
        "Sign-in failed: wrong username or password."
    )


async def test_a_display_name_with_markup_renders_as_text(page: Page, live: LiveGateway) -> None:
    hostile = "<img src=x onerror=\"document.title='pwned'\">"
    changed = await live.query(
        "mutation($name: String!) { updateProfile(input: {displayName: $name})"
        " { account { displayName } } }",
        {"name": hostile},
        as_="alice",
    )
    assert changed["data"]["updateProfile"]["account"]["displayName"] == hostile
    await sign_in(page, "alice")
    facts = page.locator("#profile-facts")
    await expect(facts).to_contain_text(hostile)
    assert await page.locator("img").count() == 0
    assert await page.title() == "Privacy center · IMOOX"
    await screenshot(page, "account-markup-as-text", page.locator("#profile-facts"))


#: WCAG 2 contrast of each visible text element against the first opaque background behind it.
CONTRASTS = """() => {
  const rgb = (text) => text.match(/[\\d.]+/g).map(Number);
  const luminance = ([r, g, b]) => {
    const [R, G, B] = [r, g, b].map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * R + 0.7152 * G + 0.0722 * B;
  };
  const background = (node) => {
    for (; node; node = node.parentElement) {
      const colour = rgb(getComputedStyle(node).backgroundColor);
      if (colour.length < 4 || colour[3] === 1) return colour;
    }
    return [255, 255, 255];
  };
  const found = [];
  for (const node of document.querySelectorAll("body *")) {
    const own = [...node.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim());
    if (!own || !node.checkVisibility()) continue;
    const [a, b] = [luminance(rgb(getComputedStyle(node).color)), luminance(background(node))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    found.push([node.tagName + "#" + node.id + " " + node.textContent.trim().slice(0, 30), ratio]);
  }
  return found;
}"""


async def test_the_page_is_accessible_by_labels_landmarks_focus_and_contrast(
    page: Page, live: LiveGateway
) -> None:
    # Keyboard: from the top, Tab reaches the skip link first, with a visible focus ring.
    await page.goto("/account")
    await page.keyboard.press("Tab")
    focused = await page.evaluate(
        """() => [document.activeElement.textContent,
                 getComputedStyle(document.activeElement).outlineStyle,
                 getComputedStyle(document.activeElement).outlineWidth]"""
    )
    assert focused == ["Skip to content", "solid", "3px"]
    await screenshot(page, "account-sign-in")
    await sign_in(page, "alice")
    await expect(page.locator("#consent-rows button")).to_have_count(1)
    for landmark in ("banner", "main", "navigation"):
        await expect(page.get_by_role(landmark)).to_have_count(1)
    unlabelled = await page.evaluate(
        """() => [...document.querySelectorAll("input, select, textarea")]
            .filter((control) => !control.labels.length).map((control) => control.id)"""
    )
    assert unlabelled == []
    nameless = await page.evaluate(
        """() => [...document.querySelectorAll("button")]
            .filter((b) => !(b.getAttribute("aria-label") || b.textContent.trim()))
            .map((b) => b.id)"""
    )
    assert nameless == []
    low = [(text, ratio) for text, ratio in await page.evaluate(CONTRASTS) if ratio < 4.5]
    assert low == []
