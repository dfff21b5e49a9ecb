"""`/metrics` after requests: requests by status and code, authorization decisions by relation
and outcome, disclosure write latency; never an id or anything personal as a label."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.client import GatewayClient

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(gateway: GatewayClient) -> tuple[str, Samples]:
    text = (await gateway.http.get("/metrics")).text
    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    return text, samples


def changes(before: Samples, after: Samples, name: str) -> dict[frozenset[tuple[str, str]], float]:
    """What each labelled series of `name` gained between two scrapes."""
    return {
        labels: value - before.get((sample, labels), 0.0)
        for (sample, labels), value in after.items()
        if sample == name and value != before.get((sample, labels), 0.0)
    }


def labels(**pairs: str) -> frozenset[tuple[str, str]]:
    return frozenset(pairs.items())


async def test_requests_are_counted_by_status_and_code(gateway: GatewayClient) -> None:
    _, before = await scrape(gateway)
    assert (await gateway.post("{ __typename }")).status_code == 200
    refused = await gateway.post("{ __typename }", headers={"Authorization": "Bearer nonsense"})
    assert refused.status_code == 401
    denied = await gateway.query('{ account(id: "acct-bob") { email } }', as_="alice")
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    _, after = await scrape(gateway)
    assert changes(before, after, "imoox_requests_total") == {
        labels(status="200", code="OK"): 2.0,  # the anonymous request and the first scrape
        labels(status="401", code="UNAUTHENTICATED"): 1.0,
        labels(status="200", code="FORBIDDEN"): 1.0,
    }


async def test_decisions_are_counted_by_relation_and_outcome(gateway: GatewayClient) -> None:
    _, before = await scrape(gateway)
    await gateway.query("{ me { email } }", as_="alice")
    await gateway.query('{ account(id: "acct-bob") { email } }', as_="alice")
    _, after = await scrape(gateway)
    assert changes(before, after, "imoox_authz_decisions_total") == {
        # `me` and `account` are decided from the token alone (no relation to anyone)
        labels(relation="none", outcome="allowed"): 2.0,
        labels(relation="SELF", outcome="allowed"): 1.0,  # alice's own email
        labels(relation="none", outcome="denied"): 1.0,  # bob's
    }


async def test_disclosure_writes_are_timed(gateway: GatewayClient) -> None:
    _, before = await scrape(gateway)
    await gateway.query("{ me { email } }", as_="alice")  # her own: nothing to record
    body = await gateway.query('{ account(id: "acct-alice") { email } }', as_="dora")
    assert body["data"]["account"]["email"]
    _, after = await scrape(gateway)
    assert changes(before, after, "imoox_disclosure_write_seconds_count") == {labels(): 1.0}
    assert (
        changes(before, after, "imoox_authz_decisions_total")[
            labels(relation="DOMAIN_ADMIN", outcome="allowed")
        ]
        == 1.0
    )


async def test_no_label_carries_an_id(gateway: GatewayClient) -> None:
    for handle in ("alice", "dora", "flowershop", "police-graz"):
        await gateway.query('{ account(id: "acct-alice") { displayName email } }', as_=handle)
    _, samples = await scrape(gateway)
    values = {value for _, pairs in samples for _, value in pairs}
    for personal in ("acct-", "alice", "dora", "flowershop", "police", "uni-graz", "127.0.0.1"):
        assert not any(personal in value for value in values), personal
