"""The protections around the GraphQL endpoint, one by one: headers, CORS, errors, limits, logs."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from graphql import OperationDefinitionNode, parse
from pymongo.asynchronous.database import AsyncDatabase

import schema.query
from gateway.app import ConfigurationError, create_app
from gateway.logs import JsonFormatter
from gateway.settings import Environment, Settings
from resolvers import collections as c
from resolvers.demo_world import DEMO_PASSWORD
from schema import build_schema
from schema.protections.limits import Limits, query_cost
from schema.protections.persisted import QueryRegistry, sha256
from tests.client import GatewayClient, error_codes, running

WRONG = (
    'mutation { signIn(input: {username: "alice", password: "not it at all",'
    ' deviceId: "d1"}) { accessToken } }'
)


async def test_every_response_carries_security_headers_and_a_request_id(
    gateway: GatewayClient,
) -> None:
    for response in (
        await gateway.post("{ __typename }"),
        await gateway.http.get("/healthz"),
        await gateway.post("{ me { id } }", headers={"Authorization": "Bearer nope"}),
    ):
        headers = response.headers
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["Cache-Control"] == "no-store"
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        assert len(headers["X-Request-Id"]) == 32
    kept = await gateway.post("{ __typename }", headers={"X-Request-Id": "trace-42"})
    assert kept.headers["X-Request-Id"] == "trace-42"
    forged = await gateway.post("{ __typename }", headers={"X-Request-Id": "<script>"})
    assert forged.headers["X-Request-Id"] != "<script>"


async def test_cors_answers_only_listed_origins(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    allowed = settings.model_copy(update={"cors_origins": ["https://app.imoox.example"]})
    async with running(allowed) as client:
        for origin, expected in (
            ("https://app.imoox.example", "https://app.imoox.example"),
            ("https://evil.example", None),
        ):
            response = await client.http.options(
                "/graphql",
                headers={
                    "Origin": origin,
                    "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "authorization,content-type",
                },
            )
            assert response.headers.get("access-control-allow-origin") == expected


async def test_an_internal_fault_is_masked_with_the_request_id_that_finds_it_in_the_logs(
    gateway: GatewayClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("mongodb://admin:secret@db: connection refused")

    monkeypatch.setattr(schema.query, "content_page", broken)
    with caplog.at_level(logging.ERROR):
        response = await gateway.post("{ publicFeed(first: 1) { pageInfo { hasNextPage } } }")
    body = response.json()
    assert "secret" not in response.text and "Traceback" not in response.text
    [error] = body["errors"]
    assert error["message"] == "Unexpected error."
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["extensions"]["requestId"] == response.headers["X-Request-Id"]
    [logged] = [r for r in caplog.records if r.getMessage() == "internal error"]
    line = json.loads(JsonFormatter().format(logged))
    assert line["request_id"] == error["extensions"]["requestId"]
    assert "secret" in line["exception"]


async def test_the_per_principal_rate_limit_answers_429_with_retry_after(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    limited = settings.model_copy(update={"rate_per_principal_per_minute": 3})
    async with running(limited) as client:
        statuses = [(await client.post("{ me { id } }", as_="alice")).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        refused = await client.post("{ me { id } }", as_="alice")
        assert int(refused.headers["Retry-After"]) >= 1
        assert error_codes(refused.json()) == ["RATE_LIMITED"]
        assert (await client.post("{ me { id } }", as_="bob")).status_code == 200


async def test_the_sign_in_lockout_is_per_address_and_ends(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    proxied = settings.model_copy(update={"trusted_proxy_header": "X-Forwarded-For"})
    attacker, owner = {"X-Forwarded-For": "203.0.113.5"}, {"X-Forwarded-For": "198.51.100.2"}
    right = WRONG.replace("not it at all", DEMO_PASSWORD)
    async with running(proxied) as client:
        answers = [await client.post(WRONG, headers=attacker) for _ in range(6)]
        assert [a.status_code for a in answers] == [200] * 5 + [429]
        retry = int(answers[-1].headers["Retry-After"])
        assert 1 <= retry <= 60
        # Even the right password is refused from the attacker's address while locked…
        assert (await client.post(right, headers=attacker)).status_code == 429
        # …but the owner, elsewhere, signs in.
        assert "errors" not in (await client.post(right, headers=owner)).json()
        # The lock ends: once its time has passed, the right password works again.
        await demo_db[c.SIGN_IN_FAILURES].update_many(
            {}, {"$set": {"locked_until": datetime.now(UTC) - timedelta(seconds=1)}}
        )
        assert "errors" not in (await client.post(right, headers=attacker)).json()


async def test_the_lockout_holds_after_any_number_of_failures(
    settings: Settings, demo_db: AsyncDatabase[Any]
) -> None:
    """The lock doubles with each failure up to its longest: 2 ** 46 of the base overflowed a
    time span, a fault at every later failure, and no lock was set again (attack review)."""
    async with running(settings) as client:
        await client.post(WRONG)
        await demo_db[c.SIGN_IN_FAILURES].update_many(
            {}, {"$set": {"failures": 10_000, "locked_until": datetime.now(UTC)}}
        )
        wrong = await client.post(WRONG)
        assert error_codes(wrong.json()) == ["UNAUTHENTICATED"]
        locked = await client.post(WRONG)
        assert locked.status_code == 429
        assert int(locked.headers["Retry-After"]) == settings.lockout_longest_seconds


async def test_registered_queries_run_by_hash_and_a_mismatched_document_is_refused(
    settings: Settings, demo_db: AsyncDatabase[Any], tmp_path: Path
) -> None:
    document = "{ publicFeed(first: 1) { edges { node { id } } } }"
    registry = tmp_path / "queries.json"
    registry.write_text(json.dumps({sha256(document): document}))
    configured = settings.model_copy(update={"persisted_queries_file": registry})
    hashed = {"persistedQuery": {"version": 1, "sha256Hash": sha256(document)}}
    async with running(configured) as client:
        by_hash = (await client.http.post("/graphql", json={"extensions": hashed})).json()
        assert by_hash["data"]["publicFeed"]["edges"]
        both = await client.http.post(
            "/graphql", json={"query": "{ me { email } }", "extensions": hashed}
        )
        assert error_codes(both.json()) == ["BAD_USER_INPUT"]
        # Without `persisted_queries_only`, ordinary documents still run.
        assert "errors" not in (await client.post("{ __typename }")).json()


def test_a_registry_entry_must_match_its_hash() -> None:
    with pytest.raises(ValueError, match="does not match"):
        QueryRegistry({"0" * 64: "{ __typename }"})


def test_production_refuses_to_start_without_keys(settings: Settings) -> None:
    production = settings.model_copy(update={"env": Environment.PRODUCTION})
    with pytest.raises(ConfigurationError, match="Production needs"):
        create_app(production)


async def test_refusals_are_counted_on_metrics(gateway: GatewayClient) -> None:
    await gateway.post('{ account(id: "acct-alice") { email } }', as_="carol")
    await gateway.post("{ me { id } }", headers={"Authorization": "Bearer broken"})
    metrics = (await gateway.http.get("/metrics")).text
    assert 'imoox_security_events_total{event="forbidden",reason="Account.email"}' in metrics
    assert 'imoox_security_events_total{event="token_refused",reason="invalid"}' in metrics


@pytest.mark.parametrize(
    ("document", "cost"),
    [
        ("{ me { id displayName } }", 3),
        # A connection's `first` sizes its edges once: 1 + 1 · (1 + 50 · (1 + 1 · 2)).
        ("{ publicFeed(first: 50) { edges { node { id title } } } }", 1 + (1 + 50 * (1 + 2))),
        # A list that takes `first`, asked without it, counts the page it answers (20).
        ("{ me { devices { id } } }", 1 + (1 + 20 * 1)),
        ('{ content(id: "x") { comments { id } } }', 1 + (1 + 20 * 1)),
        # A list that takes no `first` counts as 10 rows: 20 cases, each 10 messages.
        ("{ supportCases { messages { text } } }", 1 + 20 * (1 + 10 * 1)),
        # A variable `first` counts as the largest page.
        ("query($n: Int) { publicFeed(first: $n) { edges { cursor } } }", 1 + (1 + 100)),
    ],
)
def test_query_cost_counts_what_the_server_would_produce(document: str, cost: int) -> None:
    graphql_schema = build_schema()._schema
    operation = parse(document).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    assert query_cost(operation, graphql_schema, {}, Limits()) == cost
