"""Attacks on the speed-ups (remembered tokens, cached validation, grouped disclosure
records, one-query member pages, the feed's query, the JSON codec), each through HTTP
against a real database. The three that once succeeded are named for what now holds."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pymongo import monitoring
from pymongo.asynchronous.database import AsyncDatabase

import authz.keys
from authz.keys import KeyNotFound, KeySet, load_signing_key
from authz.tokens import TokenIssuer
from gateway.settings import Settings
from resolvers.collections import CONTENT
from resolvers.demo_world import DEMO_PRINCIPALS
from tests.client import GatewayClient, error_codes, running, signing_key_file
from tests.disclosure_records import records

ME = "{ me { id } }"


async def _status(gateway: GatewayClient, token: str) -> int:
    response = await gateway.http.post(
        "/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {token}"}
    )
    return response.status_code


async def test_a_remembered_token_is_refused_once_it_expires(
    gateway: GatewayClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = gateway.issuer.issue(DEMO_PRINCIPALS["alice"], ttl_seconds=60)
    assert await _status(gateway, token) == 200  # now remembered: no signature check next
    later = time.time() + 60 + 31  # past `exp` and the 30 s leeway
    monkeypatch.setattr(time, "time", lambda: later)  # what `authz.tokens` reads
    assert await _status(gateway, token) == 401


async def test_a_remembered_token_is_refused_once_its_key_is_no_longer_trusted(
    gateway: GatewayClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = gateway.token("alice")
    assert await _status(gateway, token) == 200

    def rotated_out(self: KeySet, kid: str | None, algorithm: str) -> Any:
        raise KeyNotFound(f"no key {kid!r}")

    monkeypatch.setattr(KeySet, "find", rotated_out)
    assert await _status(gateway, token) == 401


async def test_a_member_page_selected_twice_under_one_key_records_every_listed_member(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    """The first selection lists no member (pageInfo only), the second does: the merge must
    see the second, or membership leaves unrecorded."""
    body = await gateway.query(
        '{ domain(id: "uni-graz") { members(first: 2) { pageInfo { endCursor } } '
        "members(first: 2) { edges { node { id } } } } }",
        as_="dora",
    )
    listed = [edge["node"]["id"] for edge in body["data"]["domain"]["members"]["edges"]]
    assert len(listed) == 2
    stored = await records(demo_db, principal_id="acct-dora")
    assert sorted(r["subject"] for r in stored) == sorted(listed)
    assert all(r["fields"] == ["Account.domain"] for r in stored)


async def test_concurrent_readers_each_get_records_naming_themselves_only(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    """Requests of five principals interleave and share inserts; each record still names the
    principal, relation, purpose and legal request of the request that read the value."""
    reads = [
        ("dora", "acct-bob", "email", ("acct-dora", "DOMAIN_ADMIN", None, None)),
        ("flowershop", "acct-alice", "phone", ("flowershop", "PARTNER", "contact", None)),
        ("police-graz", "acct-bob", "phone", ("police-graz", "AUTHORITY", None, "*")),
        ("helpdesk-co", "acct-alice", "email", ("helpdesk-co", "PROCESSOR", "support", None)),
    ]
    rounds = 6
    bodies = await asyncio.gather(
        *(
            gateway.query(f'{{ account(id: "{subject}") {{ {field} }} }}', as_=who)
            for _ in range(rounds)
            for who, subject, field, _ in reads
        )
    )
    assert all("errors" not in body and body["data"]["account"] for body in bodies), bodies
    seen = Counter(
        (
            r["subject"],
            tuple(r["fields"]),
            (r["principal_id"], r["relation"], r["purpose"], "*" if r["legal_request"] else None),
        )
        for r in await records(demo_db)
    )
    assert seen == Counter(
        {(subject, (f"Account.{field}",), who_as): rounds for _, subject, field, who_as in reads}
    )


async def test_document_limits_hold_for_a_cached_document_whatever_the_operation(
    gateway: GatewayClient,
) -> None:
    aliases = " ".join(f"a{i}: __typename" for i in range(40))
    document = f"query A {{ __typename }} query B {{ {aliases} }}"
    for name in ("A", "A", "B", "A"):
        response = await gateway.http.post(
            "/graphql", json={"query": document, "operationName": name}
        )
        assert error_codes(response.json()) == ["LIMIT_EXCEEDED"], name
    batch = await gateway.http.post(
        "/graphql", json=[{"query": document, "operationName": "A"}, {"query": "{ __typename }"}]
    )
    first, second = batch.json()
    assert error_codes(first) == ["LIMIT_EXCEEDED"]
    assert second == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize(
    "body",
    [
        b'{"query": "{ __typename }",}',
        b'\xef\xbb\xbf{"query": "{ __typename }"}',
        b'{"query": "{ __typename }", "variables": {"a": "\\ud800"}}',
        b'{"query": "{ __typename }", "variables": NaN}',
        b'{"query": "{ __typename }", "variables": {"a": 1e400}}',
        b"\xff\xfe",
    ],
)
async def test_bodies_json_forbids_are_bad_requests_never_faults(
    gateway: GatewayClient, body: bytes
) -> None:
    response = await gateway.http.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert error_codes(response.json()) == ["BAD_REQUEST"]


async def test_the_feed_lists_only_public_items_never_emails_or_comments(
    gateway: GatewayClient, demo_db: AsyncDatabase[Any]
) -> None:
    listed: list[str] = []
    after: str | None = None
    while True:
        body = await gateway.query(
            "query($after: String) { publicFeed(first: 100, after: $after) "
            "{ edges { node { id } } pageInfo { endCursor hasNextPage } } }",
            {"after": after},
        )
        feed = body["data"]["publicFeed"]
        listed += [edge["node"]["id"] for edge in feed["edges"]]
        if not feed["pageInfo"]["hasNextPage"]:
            break
        after = feed["pageInfo"]["endCursor"]
    expected = await demo_db[CONTENT].distinct(
        "_id", {"visibility": "PUBLIC", "kind": {"$nin": ["EMAIL", "COMMENT"]}}
    )
    assert expected and sorted(listed) == sorted(expected)


class AccountLookups(monitoring.CommandListener):
    """The `_id` values every read of `accounts` asked the database for."""

    def __init__(self) -> None:
        self.filters: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find" and event.command.get("find") == "accounts":
            self.filters.append(json.dumps(event.command.get("filter"), default=str))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def test_an_id_sent_as_a_large_json_number_is_not_silently_changed(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    """A decoder that reads integers beyond 64 bits as floats (orjson) would coerce an `ID`
    sent as 18446744073709551617 to "18446744073709551616": an id the client never sent, two
    ids made one. Refusing the number (400) or keeping it exact both pass."""
    lookups = AccountLookups()
    async with running(settings, event_listeners=[lookups]) as gateway:
        response = await gateway.http.post(
            "/graphql",
            content=b'{"query": "query($id: ID!) { account(id: $id) { id } }",'
            b' "variables": {"id": 18446744073709551617}}',
            headers={"content-type": "application/json"},
        )
    exact = any("18446744073709551617" in f for f in lookups.filters)
    assert response.status_code == 400 or exact, lookups.filters


#: Far over the cost limit (800,000): 100 items by 10 comments by 100 items by 10 comments.
EXPENSIVE = (
    "f: publicFeed(first: 100) { edges { node { comments { author "
    "{ content { comments { id title } } } } } } }"
)


async def test_a_skipped_field_with_a_negative_first_does_not_cancel_the_cost(
    gateway: GatewayClient,
) -> None:
    """A literal `first: -1000000` multiplied as written would subtract millions from the
    cost; skipped, it never runs, and the rest of the document would run whatever its cost.
    The document is refused as it is without the skipped field."""
    alone = await gateway.query(f"{{ {EXPENSIVE} }}")
    assert error_codes(alone) == ["LIMIT_EXCEEDED"]
    offset = "x: publicFeed(first: -1000000) @skip(if: true) { edges { node { id } } }"
    body = await gateway.query(f"{{ {EXPENSIVE} {offset} }}")
    assert error_codes(body) == ["LIMIT_EXCEEDED"], str(body)[:300]


class _Clock:
    """The clock the fetched key set's lifespan is measured on, `ahead` seconds in the future."""

    def __init__(self) -> None:
        self.ahead = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.ahead


async def test_a_key_dropped_from_the_jwks_url_stops_verifying_tokens(
    settings: Settings, demo_db: AsyncDatabase[Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With `IMOOX_JWKS_URL`, a key the identity provider removed (rotated out after a leak)
    stops verifying once the key set's lifespan (300 s) is over, for new tokens and for
    remembered ones. (PyJWKClient's per-key cache has no lifetime: with it, such a key
    verified until the process restarted.)"""
    for name in ("old", "new"):
        (tmp_path / name).mkdir()
    old, old_jwks = load_signing_key(signing_key_file(tmp_path / "old"))
    _, new_jwks = load_signing_key(signing_key_file(tmp_path / "new"))
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(old_jwks))
    clock = _Clock()
    monkeypatch.setattr(authz.keys, "monotonic", clock.monotonic)
    issuer = TokenIssuer(old, settings.jwt_issuer, settings.jwt_audience)
    handler = partial(QuietFiles, directory=str(tmp_path))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as provider:
        threading.Thread(target=provider.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{provider.server_address[1]}/jwks.json"
        try:
            await _rotate(
                settings.model_copy(update={"jwks_url": url}), issuer, jwks, new_jwks, clock
            )
        finally:
            provider.shutdown()


class QuietFiles(SimpleHTTPRequestHandler):
    """The identity provider's JWKS endpoint: files under a directory, no access log."""

    def log_message(self, *_: Any) -> None:
        pass


async def _rotate(
    remote: Settings,
    issuer: TokenIssuer,
    jwks: Path,
    new_jwks: dict[str, Any],
    clock: _Clock,
) -> None:
    async with running(remote) as gateway:
        remembered = issuer.issue(DEMO_PRINCIPALS["alice"], 3600)
        assert await _status(gateway, remembered) == 200
        # The provider rotates the old key out.
        await asyncio.to_thread(jwks.write_text, json.dumps(new_jwks))
        clock.ahead = 301
        fresh = issuer.issue(DEMO_PRINCIPALS["alice"], 3600)
        assert (await _status(gateway, fresh), await _status(gateway, remembered)) == (401, 401)
