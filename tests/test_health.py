"""Liveness, readiness and metrics endpoints."""

from __future__ import annotations

from pathlib import Path

from gateway.embedded import EmbeddedServer
from gateway.settings import Settings
from tests.client import GatewayClient, running


async def test_health_and_readiness(gateway: GatewayClient) -> None:
    assert (await gateway.http.get("/healthz")).json() == {"status": "ok"}
    ready = await gateway.http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "database": "ok"}


async def test_metrics_are_prometheus_text(gateway: GatewayClient) -> None:
    response = await gateway.http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "python_info" in response.text


async def test_not_ready_when_the_database_goes_away(tmp_path: Path) -> None:
    server = EmbeddedServer(tmp_path)
    uri = server.start()
    try:
        async with running(Settings(mongodb_uri=uri, data_dir=tmp_path)) as gateway:
            assert (await gateway.http.get("/readyz")).status_code == 200
            server.stop()
            response = await gateway.http.get("/readyz")
            assert response.status_code == 503
            assert response.json()["status"] == "unavailable"
            assert (await gateway.http.get("/healthz")).status_code == 200
    finally:
        server.stop()
