"""OpenTelemetry traces with `IMOOX_OTEL=1`: a span per operation and per resolver, with the
authorization decisions and disclosure count as attributes, and nothing personal in them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pymongo.asynchronous.database import AsyncDatabase

from gateway.settings import Settings
from tests.client import GatewayClient, running


@pytest.fixture(scope="module")
def exporter() -> InMemorySpanExporter:
    """Spans kept in memory: the process's SDK provider gets one more processor (the global
    provider can be set only once per process)."""
    spans = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(spans))
    return spans


@pytest.fixture
def spans(exporter: InMemorySpanExporter) -> Iterator[InMemorySpanExporter]:
    exporter.clear()
    yield exporter
    exporter.clear()


@pytest.fixture
async def traced(
    settings: Settings, demo_db: AsyncDatabase[Any], spans: InMemorySpanExporter
) -> AsyncIterator[GatewayClient]:
    async with running(settings.model_copy(update={"otel": True})) as client:
        yield client


def operation(spans: InMemorySpanExporter) -> ReadableSpan:
    [span] = [s for s in spans.get_finished_spans() if s.kind is trace.SpanKind.SERVER]
    return span


def resolver(spans: InMemorySpanExporter, coordinate: str) -> ReadableSpan:
    [span] = [
        s
        for s in spans.get_finished_spans()
        if (s.attributes or {}).get("graphql.field") == coordinate
    ]
    return span


async def test_a_disclosing_read_is_traced_with_its_decisions(
    traced: GatewayClient, spans: InMemorySpanExporter
) -> None:
    body = await traced.query('query Member { account(id: "acct-alice") { email } }', as_="dora")
    assert body["data"]["account"]["email"]
    span = operation(spans)
    assert span.name == "GraphQL Member"
    assert dict(span.attributes or {}) == {
        "component": "graphql",
        "graphql.operation.name": "Member",
        "graphql.operation.type": "query",
        "imoox.principal.kind": "domain_admin",
        "imoox.authz.allowed": 2,  # the root field (from the token), the email (DOMAIN_ADMIN)
        "imoox.authz.denied": 0,
        "imoox.authz.relations": ("DOMAIN_ADMIN",),
        "imoox.disclosures": 1,
        "imoox.code": "OK",
    }
    account = resolver(spans, "Query.account")
    assert account.parent is not None and account.parent.span_id == span.context.span_id
    assert (account.attributes or {})["imoox.authz.outcome"] == "allowed"


async def test_a_denied_field_is_traced(traced: GatewayClient, spans: InMemorySpanExporter) -> None:
    await traced.query('{ account(id: "acct-bob") { email } }', as_="alice")
    attributes = dict(operation(spans).attributes or {})
    assert (attributes["imoox.authz.denied"], attributes["imoox.code"]) == (1, "FORBIDDEN")
    assert attributes["imoox.disclosures"] == 0
    assert attributes["imoox.authz.relations"] == ()


async def test_a_denied_root_field_marks_its_resolver_span(
    traced: GatewayClient, spans: InMemorySpanExporter
) -> None:
    await traced.query("{ me { id } }")
    assert (resolver(spans, "Query.me").attributes or {})["imoox.authz.outcome"] == "denied"
    assert (operation(spans).attributes or {})["imoox.code"] == "UNAUTHENTICATED"


async def test_spans_hold_no_query_text_argument_or_id(
    traced: GatewayClient, spans: InMemorySpanExporter
) -> None:
    await traced.query('query { account(id: "acct-alice") { displayName email } }', as_="dora")
    finished = spans.get_finished_spans()
    assert len(finished) >= 2
    for span in finished:
        for value in (span.attributes or {}).values():
            assert "acct-" not in str(value) and "alice" not in str(value), (span.name, value)
