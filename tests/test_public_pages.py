"""Public pages for search engines (issue 14): `/content/{id}`, `robots.txt`, `sitemap.xml`.

Everything goes through HTTP, as a crawler would. What may appear is restated here by hand
(SPEC §4: an anonymous visitor reads `displayName` and `photoUrl` of an account, nothing else;
§5: PUBLIC items only, never a comment, a share or an e-mail on its own).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from gateway.settings import Settings
from resolvers.collections import ACCOUNTS, CONTENT, DISCLOSURES
from resolvers.public_pages import public_items_between
from schema.protections.persisted import PersistedOnly
from tests.client import GatewayClient, running

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"

#: SPEC §9's demo world: every item an anonymous visitor may see on its own.
PUBLIC_ITEMS = {
    "post-alice-garden",
    "post-alice-cycling",
    "photo-alice-schlossberg",
    "post-bob-chess",
    "post-carol-vienna",
    *(f"post-learner{n:02d}" for n in range(1, 49)),
}
NOT_PUBLIC_ITEMS = (
    "post-alice-shared",
    "post-alice-private",
    "email-alice-bob",
    "comment-bob-garden",
)
#: Account fields an anonymous visitor never reads (SPEC §4: all but id, displayName, photoUrl).
HIDDEN_ACCOUNT_FIELDS = ("username", "email", "phone", "domain", "address", "billing", "sensitive")


def _path(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def _locations(xml: str, tag: str) -> list[str]:
    root = ElementTree.fromstring(xml)
    return [_path(loc.text or "") for loc in root.iter(f"{SITEMAP}loc") if root.tag.endswith(tag)]


def _hidden_values(account: dict[str, Any]) -> list[str]:
    """The stored values of an account's non-public fields that no public text could hold by
    chance (a city or a country code can: Carol's comment names Graz), nor is public anyway
    (the billing holder is the display name)."""
    values: list[str] = []
    for field in HIDDEN_ACCOUNT_FIELDS[1:]:  # usernames are looked for apart (in URLs)
        value = account.get(field)
        if isinstance(value, dict):
            values.extend(
                part
                for key, part in value.items()
                if key not in ("city", "country") and isinstance(part, str)
            )
        elif isinstance(value, str):
            values.append(value)
    return [value for value in values if len(value) >= 4 and value != account["display_name"]]


async def _crawl(gateway: GatewayClient) -> dict[str, str]:
    """robots.txt → sitemap index → sitemaps → pages, as a crawler: each page's HTML by path."""
    robots = await gateway.http.get("/robots.txt")
    assert robots.status_code == 200
    assert robots.headers["content-type"].startswith("text/plain")
    sitemaps = [
        _path(line.split(":", 1)[1].strip())
        for line in robots.text.splitlines()
        if line.lower().startswith("sitemap:")
    ]
    assert sitemaps == ["/sitemap.xml"]
    index = await gateway.http.get(sitemaps[0])
    assert index.status_code == 200
    assert index.headers["content-type"].startswith("application/xml")
    children = _locations(index.text, "sitemapindex")
    assert children
    pages: dict[str, str] = {}
    for child in children:
        answer = await gateway.http.get(child)
        assert answer.status_code == 200, child
        for page in _locations(answer.text, "urlset"):
            found = await gateway.http.get(page)
            assert found.status_code == 200, page
            pages[page] = found.text
    return pages


async def test_a_crawler_finds_every_public_item_and_nothing_else_of_anyone(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    pages = await _crawl(gateway)
    assert set(pages) == {f"/content/{item}" for item in PUBLIC_ITEMS}
    accounts = await demo_db[ACCOUNTS].find().to_list()
    everything = "\n".join(pages.values())
    for account in accounts:
        for value in _hidden_values(account):
            assert value not in everything, (account["_id"], value)
        # A username is in nobody's public text; photo URLs and item URLs may contain it.
        text = everything.replace(account["photo_url"], "")
        text = re.sub(r"/content/[\w-]+", "", text)
        assert not re.search(rf"\b{re.escape(account['username'])}\b", text), account["_id"]
    for item in NOT_PUBLIC_ITEMS:
        assert item not in everything


async def test_robots_lets_crawlers_into_public_pages_only(gateway: GatewayClient) -> None:
    robots = (await gateway.http.get("/robots.txt")).text
    disallowed = {
        line.split(":", 1)[1].strip()
        for line in robots.splitlines()
        if line.lower().startswith("disallow:")
    }
    assert {"/graphql", "/account", "/admin", "/export"} <= disallowed
    assert "Allow: /content/" in robots


async def test_a_page_shows_the_item_and_its_authors_name_and_photo(
    gateway: GatewayClient,
) -> None:
    answer = await gateway.http.get("/content/post-alice-garden")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    html = answer.text
    assert "Spring in the botanical garden" in html
    assert "The magnolias are out." in html
    assert "Alice Amsel" in html
    assert 'src="https://img.imoox.example/alice.png"' in html
    # Comments under it show their authors' names too (SPEC §5).
    assert "Lovely!" in html and "Bob Berger" in html
    assert '<link rel="canonical" href="http://gateway/content/post-alice-garden">' in html
    csp = answer.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp


async def test_reading_a_public_page_records_no_disclosure(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    before = await demo_db[DISCLOSURES].count_documents({})
    await _crawl(gateway)
    assert await demo_db[DISCLOSURES].count_documents({}) == before


async def test_unknown_and_not_public_ids_answer_alike(gateway: GatewayClient) -> None:
    unknown = await gateway.http.get("/content/no-such-item")
    assert unknown.status_code == 404
    for item in NOT_PUBLIC_ITEMS:
        answer = await gateway.http.get(f"/content/{item}")
        assert answer.status_code == unknown.status_code
        assert answer.content == unknown.content
        headers = {k: v for k, v in answer.headers.items() if k != "x-request-id"}
        assert headers == {k: v for k, v in unknown.headers.items() if k != "x-request-id"}


async def _visibility(gateway: GatewayClient, item: str, visibility: str) -> None:
    body = await gateway.query(
        "mutation($id: ID!, $v: Visibility!) {"
        " updateContent(input: {id: $id, visibility: $v}) { content { id } } }",
        {"id": item, "v": visibility},
        as_="alice",
    )
    assert "errors" not in body, body


async def _sitemapped(gateway: GatewayClient) -> set[str]:
    index = (await gateway.http.get("/sitemap.xml")).text
    listed: set[str] = set()
    for child in _locations(index, "sitemapindex"):
        listed.update(_locations((await gateway.http.get(child)).text, "urlset"))
    return listed


async def test_an_item_made_private_is_gone_at_once_and_back_when_public_again(
    gateway: GatewayClient,
) -> None:
    page = "/content/post-alice-cycling"
    assert (await gateway.http.get(page)).status_code == 200
    await _visibility(gateway, "post-alice-cycling", "PRIVATE")
    assert (await gateway.http.get(page)).status_code == 404
    assert page not in await _sitemapped(gateway)
    await _visibility(gateway, "post-alice-cycling", "PUBLIC")
    assert (await gateway.http.get(page)).status_code == 200
    assert page in await _sitemapped(gateway)


async def test_a_deleted_item_is_gone_at_once(gateway: GatewayClient) -> None:
    body = await gateway.query(
        'mutation { deleteContent(input: {id: "post-alice-cycling"}) { deletedId } }', as_="alice"
    )
    assert "errors" not in body, body
    assert (await gateway.http.get("/content/post-alice-cycling")).status_code == 404


async def test_items_of_a_suspended_author_are_gone_at_once(gateway: GatewayClient) -> None:
    unknown = await gateway.http.get("/content/no-such-item")
    body = await gateway.query(
        'mutation { suspendAccount(input: {accountId: "acct-alice"}) { account { id } } }',
        as_="dora",
    )
    assert "errors" not in body, body
    answer = await gateway.http.get("/content/post-alice-garden")
    assert answer.status_code == 404 and answer.content == unknown.content
    assert "/content/post-alice-garden" not in await _sitemapped(gateway)
    assert "/content/post-bob-chess" in await _sitemapped(gateway)
    body = await gateway.query(
        'mutation { restoreAccount(input: {accountId: "acct-alice"}) { account { id } } }',
        as_="dora",
    )
    assert (await gateway.http.get("/content/post-alice-garden")).status_code == 200


@pytest.mark.parametrize("action", ["suspendAccount", "blockAccount"])
async def test_comments_of_a_suspended_or_blocked_member_are_gone_at_once(
    gateway: GatewayClient, action: str
) -> None:
    before = (await gateway.http.get("/content/post-alice-garden")).text
    assert "Bob Berger" in before and "bob.png" in before and "Lovely!" in before
    body = await gateway.query(
        f'mutation {{ {action}(input: {{accountId: "acct-bob"}}) {{ account {{ id }} }} }}',
        as_="dora",
    )
    assert "errors" not in body, body
    page = await gateway.http.get("/content/post-alice-garden")
    assert page.status_code == 200
    for gone in ("Bob Berger", "bob.png", "Lovely!"):
        assert gone not in page.text
    await gateway.query(
        'mutation { restoreAccount(input: {accountId: "acct-bob"}) { account { id } } }',
        as_="dora",
    )
    assert "Lovely!" in (await gateway.http.get("/content/post-alice-garden")).text


async def test_hostile_text_is_escaped(gateway: GatewayClient) -> None:
    hostile = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    body = await gateway.query(
        "mutation($t: String!) { updateProfile(input: {displayName: $t}) { account { id } } }",
        {"t": hostile},
        as_="alice",
    )
    assert "errors" not in body, body
    body = await gateway.query(
        "mutation($t: String!) { createContent(input: {kind: POST, visibility: PUBLIC,"
        " title: $t, body: $t}) { content { id } } }",
        {"t": hostile},
        as_="alice",
    )
    item = body["data"]["createContent"]["content"]["id"]
    html = (await gateway.http.get(f"/content/{item}")).text
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    # In the title, the heading, the body, the description and the author's name.
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;img src=x") == 5


async def test_the_sitemap_of_a_day_lists_that_days_items(gateway: GatewayClient) -> None:
    index = (await gateway.http.get("/sitemap.xml")).text
    day = "/sitemaps/2026-01-09.xml"
    assert day in _locations(index, "sitemapindex")
    answer = await gateway.http.get(day)
    # The demo world's items of 2026-01-09 (hours 100 to 110 after 2026-01-05 09:00 UTC).
    assert set(_locations(answer.text, "urlset")) == {
        "/content/post-alice-garden",
        "/content/post-alice-cycling",
        "/content/photo-alice-schlossberg",
        "/content/post-bob-chess",
        "/content/post-carol-vienna",
    }
    assert "<lastmod>2026-01-09T13:00:00+00:00</lastmod>" in answer.text
    assert (await gateway.http.get("/sitemaps/2026-13-40.xml")).status_code == 404
    assert (await gateway.http.get("/sitemaps/1999-01-01.xml")).status_code == 404


async def test_pages_render_where_only_registered_documents_run(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    only_registered = settings.model_copy(update={"persisted_queries_only": PersistedOnly.ALL})
    async with running(only_registered) as gateway:
        refused = await gateway.post("{ publicFeed { edges { node { id } } } }")
        assert "PERSISTED_QUERY_REQUIRED" in refused.text
        answer = await gateway.http.get("/content/post-alice-garden")
        assert answer.status_code == 200 and "Alice Amsel" in answer.text


def _public_item(n: int, at: datetime) -> dict[str, Any]:
    return {
        "_id": f"busy-{n:04d}",
        "owner": "acct-learner01",
        "kind": "POST",
        "visibility": "PUBLIC",
        "title": f"Busy {n}",
        "body": "…",
        "shared_with": [],
        "recipients": [],
        "parent": None,
        "created_at": at,
    }


async def test_a_busy_days_sitemap_lists_all_of_it_up_to_the_cap(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    day = datetime(2026, 2, 1, tzinfo=UTC)
    # 250 items that day (more than one chunk), 100 the day before and 100 the day after.
    moments = [day + timedelta(seconds=300 * n) for n in range(250)]
    moments += [day - timedelta(seconds=600 * (n + 1)) for n in range(100)]
    moments += [day + timedelta(days=1, seconds=600 * n) for n in range(100)]
    await demo_db[CONTENT].insert_many([_public_item(n, at) for n, at in enumerate(moments)])
    listed = _locations((await gateway.http.get("/sitemaps/2026-02-01.xml")).text, "urlset")
    assert listed == [f"/content/busy-{n:04d}" for n in reversed(range(250))]
    newest = await public_items_between(demo_db, day, day + timedelta(days=1), cap=120)
    assert [item["_id"] for item in newest] == [f"busy-{n:04d}" for n in range(249, 129, -1)]


async def test_urls_name_the_configured_site_whatever_host_a_client_sends(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    site = settings.model_copy(update={"public_base_url": "https://imoox.example/"})
    async with running(site) as gateway:
        evil = {"Host": "evil.example"}
        robots = (await gateway.http.get("/robots.txt", headers=evil)).text
        assert "Sitemap: https://imoox.example/sitemap.xml" in robots
        index = (await gateway.http.get("/sitemap.xml", headers=evil)).text
        assert "evil.example" not in index
        page = (await gateway.http.get("/content/post-bob-chess", headers=evil)).text
        assert '<link rel="canonical" href="https://imoox.example/content/post-bob-chess">' in page


async def test_pages_count_against_the_rate_of_an_address(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    limited = settings.model_copy(update={"rate_per_address_per_minute": 3, "rate_batch": 1})
    async with running(limited) as gateway:
        answers = [await gateway.http.get("/content/post-bob-chess") for _ in range(5)]
        assert [a.status_code for a in answers][:3] == [200, 200, 200]
        assert answers[-1].status_code == 429 and "Retry-After" in answers[-1].headers


async def test_pages_count_against_the_address_a_trusted_proxy_names(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    """Behind a proxy, each visitor has the rate of their own address, as on `/graphql`."""
    limited = settings.model_copy(
        update={
            "rate_per_address_per_minute": 3,
            "rate_batch": 1,
            "trusted_proxy_header": "X-Forwarded-For",
        }
    )
    async with running(limited) as gateway:

        async def visit(address: str) -> int:
            headers = {"X-Forwarded-For": address}
            page = await gateway.http.get("/content/post-bob-chess", headers=headers)
            return page.status_code

        assert [await visit("203.0.113.7") for _ in range(4)] == [200, 200, 200, 429]
        assert await visit("203.0.113.8") == 200
