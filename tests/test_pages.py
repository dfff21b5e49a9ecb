"""The pages package: served under a strict CSP, and the pages' operations run by hash only."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from graphql import parse, validate
from pymongo.asynchronous.database import AsyncDatabase

from gateway.pages.operations import load_operations
from gateway.settings import Settings
from schema import build_schema
from schema.protections.persisted import PersistedOnly, sha256
from tests.client import GatewayClient, running


def by_hash(name: str, hashes: dict[str, str], variables: dict[str, Any] | None = None) -> Any:
    digest = {"persistedQuery": {"version": 1, "sha256Hash": hashes[name]}}
    return {"operationName": name, "variables": variables or {}, "extensions": digest}


@pytest.mark.parametrize("path", ["/account", "/pages/client.js", "/pages/operations.json"])
async def test_pages_answer_under_a_csp_without_inline_code_or_framing(
    gateway: GatewayClient, path: str
) -> None:
    response = await gateway.http.get(path)
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["form-action"] == "'self'"
    assert "unsafe" not in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


class _Inline(HTMLParser):
    """What of a page would run or style inline: handler or style attributes, inline
    `<script>` text, `<style>` elements."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.scripts: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [f"{tag} {name}" for name, _ in attrs if name.startswith("on")]
        self.found += [f"{tag} style" for name, _ in attrs if name == "style"]
        if tag == "style":
            self.found.append("style element")
        self.in_script = tag == "script"
        if self.in_script:
            self.scripts.append(dict(attrs).get("src") or "")

    def handle_data(self, data: str) -> None:
        if self.in_script and data.strip():
            self.found.append("inline script")

    def handle_endtag(self, tag: str) -> None:
        self.in_script = False


async def test_the_account_page_has_no_inline_script_or_style(gateway: GatewayClient) -> None:
    response = await gateway.http.get("/account")
    assert response.headers["content-type"].startswith("text/html")
    page = _Inline()
    page.feed(response.text)
    assert page.found == []
    assert page.scripts == ["/pages/account.js"]


async def test_a_page_operation_runs_by_its_hash_alone(gateway: GatewayClient) -> None:
    hashes = (await gateway.http.get("/pages/operations.json")).json()
    response = await gateway.http.post(
        "/graphql",
        json=by_hash("AccountProfile", hashes),
        headers={"Authorization": f"Bearer {gateway.token('alice')}"},
    )
    body = response.json()
    assert "errors" not in body, body
    assert body["data"]["me"]["id"] == "acct-alice"
    assert body["data"]["me"]["username"] == "alice"


async def test_pages_and_configured_documents_run_when_only_registered_ones_may(
    settings: Settings, demo_db: AsyncDatabase[Any], tmp_path: Path
) -> None:
    document = "{ publicFeed(first: 1) { edges { node { id } } } }"
    registry = tmp_path / "queries.json"
    registry.write_text(json.dumps({sha256(document): document}))
    configured = settings.model_copy(
        update={"persisted_queries_file": registry, "persisted_queries_only": PersistedOnly.ALL}
    )
    async with running(configured) as client:
        hashes = (await client.http.get("/pages/operations.json")).json()
        alice = {"Authorization": f"Bearer {client.token('alice')}"}
        page = await client.http.post(
            "/graphql", json=by_hash("AccountProfile", hashes), headers=alice
        )
        assert page.json()["data"]["me"]["id"] == "acct-alice"
        digest = {"persistedQuery": {"version": 1, "sha256Hash": sha256(document)}}
        feed = (await client.http.post("/graphql", json={"extensions": digest})).json()
        assert feed["data"]["publicFeed"]["edges"]
        # The pages' documents are registered, not any document: another one is refused.
        other = (await client.post("{ me { email } }", as_="alice")).json()
        assert other["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"


def test_every_page_operation_is_valid_against_the_schema() -> None:
    schema = build_schema()._schema
    operations = load_operations()
    assert "AccountSignIn" in operations.hashes
    for name, digest in operations.hashes.items():
        document = operations.documents[digest]
        assert sha256(document) == digest
        assert validate(schema, parse(document)) == [], name


def test_an_operation_carries_the_fragments_it_spreads_and_no_others(tmp_path: Path) -> None:
    (tmp_path / "page.graphql").write_text(
        "fragment A on Account { id ...B }\nfragment B on Account { displayName }\n"
        "fragment C on Account { email }\n"
        "query One { me { ...A } }\nquery Two { me { ...C } }\n"
    )
    operations = load_operations(tmp_path)
    one = operations.documents[operations.hashes["One"]]
    assert "fragment A" in one and "fragment B" in one and "fragment C" not in one
    two = operations.documents[operations.hashes["Two"]]
    assert "fragment C" in two and "fragment A" not in two


@pytest.mark.parametrize(
    ("text", "problem"),
    [("{ me { id } }", "needs a name"), ("query A { me { id } }\nquery A { __typename }", "twice")],
)
def test_an_unnamed_or_repeated_operation_is_refused(
    tmp_path: Path, text: str, problem: str
) -> None:
    (tmp_path / "page.graphql").write_text(text)
    with pytest.raises(ValueError, match=problem):
        load_operations(tmp_path)


@pytest.mark.parametrize(
    "path",
    ["/pages/../__init__.py", "/pages/%2e%2e/__init__.py", "/pages/operations.py", "/pages/"],
)
async def test_only_the_pages_static_files_are_served(gateway: GatewayClient, path: str) -> None:
    response = await gateway.http.get(path)
    assert response.status_code == 404
    assert "PageOperations" not in response.text
