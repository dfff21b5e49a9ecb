"""The `imoox-gateway` command line, run as a real process."""

from __future__ import annotations

import http.client
import json
import signal
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from pymongo import MongoClient

from authz.keys import KeySet, development_keys
from authz.principals import PrincipalKind
from authz.tokens import TokenVerifier
from gateway.settings import Settings
from tests.processes import embedded_pid, free_port, run_cli, serving, snapshot, wait_gone


def test_help_lists_every_command() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("serve", "seed", "token"):
        assert command in result.stdout


def test_token_prints_one_verifiable_line(tmp_path: Path) -> None:
    result = run_cli("token", "--as", "dora", "--data-dir", str(tmp_path), "--ttl", "120")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1 and result.stdout.endswith("\n")
    settings = Settings(data_dir=tmp_path)
    verifier = TokenVerifier(
        KeySet(development_keys(settings.keys_dir)[1]), settings.jwt_issuer, settings.jwt_audience
    )
    principal = verifier.verify(result.stdout.strip())
    assert principal.kind is PrincipalKind.DOMAIN_ADMIN
    assert principal.id == "acct-dora"
    assert principal.domains == {"uni-graz"}


def test_token_refuses_unknown_handles_and_production(tmp_path: Path) -> None:
    unknown = run_cli("token", "--as", "mallory", "--data-dir", str(tmp_path))
    assert unknown.returncode == 1 and unknown.stdout == ""
    assert "Unknown demo principal 'mallory'" in unknown.stderr
    production = run_cli(
        "token", "--as", "alice", "--data-dir", str(tmp_path), env={"IMOOX_ENV": "production"}
    )
    assert production.returncode == 1 and production.stdout == ""
    assert "disabled in production" in production.stderr


def test_seed_is_idempotent(mongo_uri: str) -> None:
    database = f"test_seed_{uuid.uuid4().hex[:8]}"
    env = {"MONGODB_URI": mongo_uri, "IMOOX_DATABASE": database}
    with MongoClient(mongo_uri) as client:
        try:
            first = run_cli("seed", "--demo", env=env)
            assert first.returncode == 0, first.stderr
            before = snapshot(client, database)
            assert len(before["accounts"]) >= 45
            second = run_cli("seed", "--demo", env=env)
            assert second.returncode == 0, second.stderr
            assert "0 documents inserted" in second.stderr
            assert snapshot(client, database) == before
        finally:
            client.drop_database(database)


def test_seed_needs_the_demo_flag() -> None:
    result = run_cli("seed")
    assert result.returncode == 1
    assert "pass --demo" in result.stderr


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str, Path]]:
    with serving(tmp_path) as (process, base):
        yield process, base, tmp_path


def test_serve_demo_end_to_end_and_ctrl_c_leaves_nothing_behind(
    served: tuple[subprocess.Popen[str], str, Path],
) -> None:
    process, base, data_dir = served
    feed = httpx.post(
        f"{base}/graphql",
        json={"query": "{ publicFeed(first: 5) { edges { node { id title } } } }"},
    ).json()
    assert len(feed["data"]["publicFeed"]["edges"]) == 5

    token = run_cli("token", "--as", "alice", "--data-dir", str(data_dir)).stdout.strip()
    me = httpx.post(
        f"{base}/graphql",
        json={"query": "{ me { id displayName } }"},
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert me == {"data": {"me": {"id": "acct-alice", "displayName": "Alice Amsel"}}}

    assert httpx.get(f"{base}/graphql", headers={"Accept": "text/html"}).text.count("graphiql")

    database_pid = embedded_pid(data_dir)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    assert wait_gone(database_pid)
    assert "embedded database stopped" in (process.stdout.read() if process.stdout else "")


def test_second_serve_on_the_same_data_dir_fails_clearly(
    served: tuple[subprocess.Popen[str], str, Path],
) -> None:
    _, _, data_dir = served
    result = run_cli("serve", "--port", str(free_port()), "--data-dir", str(data_dir))
    assert result.returncode == 1
    assert "is in use by another process" in result.stderr
    assert "Traceback" not in result.stderr


FEED = {"query": "{ publicFeed(first: 5) { edges { node { id title } } } }"}


def _worker_of(connection: http.client.HTTPConnection, parent: psutil.Process) -> int:
    """The pid of the parent's child process holding the server end of `connection`."""
    assert connection.sock is not None
    client_port = connection.sock.getsockname()[1]
    for child in parent.children():
        for socket_ in child.net_connections(kind="tcp"):
            if socket_.raddr and socket_.raddr.port == client_port:
                return child.pid
    raise AssertionError(f"no child of {parent.pid} serves port {client_port}")


def _post(connection: http.client.HTTPConnection, body: dict[str, Any]) -> tuple[int, Any]:
    connection.request("POST", "/graphql", json.dumps(body), {"Content-Type": "application/json"})
    response = connection.getresponse()
    return response.status, json.loads(response.read())


def _one_connection_per_worker(
    base: str, parent: psutil.Process
) -> dict[int, http.client.HTTPConnection]:
    """Open connections until two distinct workers hold one each (the kernel picks the worker)."""
    address = httpx.URL(base)
    held: dict[int, http.client.HTTPConnection] = {}
    for _ in range(50):
        connection = http.client.HTTPConnection(address.host, address.port, timeout=30)
        connection.request("GET", "/healthz")
        connection.getresponse().read()
        pid = _worker_of(connection, parent)
        if pid in held:
            connection.close()
        else:
            held[pid] = connection
        if len(held) == 2:
            break
    return held


def test_two_workers_share_one_database_their_limits_and_their_metrics(tmp_path: Path) -> None:
    """`serve --workers 2`: one embedded database, two worker processes answering from it; the
    address limit (4 a minute) holds across both, within the bound of shared counts (4 + 2 *
    (2 - 1) * 1 with a batch of 1: README "Several replicas"), and /metrics counts both
    workers' hits."""
    rate = {"IMOOX_RATE_PER_ADDRESS_PER_MINUTE": "4", "IMOOX_RATE_BATCH": "1"}
    with serving(tmp_path, "--workers", "2", env=rate) as (process, base):
        parent = psutil.Process(process.pid)
        databases = [p for p in parent.children() if "secantus" in " ".join(p.cmdline())]
        assert len(databases) == 1
        workers = _one_connection_per_worker(base, parent)
        assert len(workers) == 2 and process.pid not in workers
        admitted = 0
        for connection in workers.values():
            while (answer := _post(connection, FEED))[0] == 200:
                assert len(answer[1]["data"]["publicFeed"]["edges"]) == 5
                admitted += 1
            assert answer[0] == 429
        assert 4 <= admitted <= 6
        scraped = httpx.get(f"{base}/metrics").text
        assert 'imoox_security_events_total{event="rate_limited",reason="api"} 2.0' in scraped
        for connection in workers.values():
            connection.close()


def test_sigterm_stops_every_worker_then_the_database(tmp_path: Path) -> None:
    with serving(tmp_path, "--workers", "2") as (process, _):
        descendants = psutil.Process(process.pid).children(recursive=True)
        assert len(descendants) >= 3  # two workers and the database (and multiprocessing's helper)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        _, still_running = psutil.wait_procs(descendants, timeout=30)
        assert still_running == []
        output = process.stdout.read() if process.stdout else ""
        assert output.index("Stopping parent process") < output.index("embedded database stopped")


def test_a_worker_that_cannot_start_stops_serve_with_a_failure(
    tmp_path: Path, mongo_uri: str
) -> None:
    """A database name MongoDB refuses passes the parent's checks (it pings the server, which
    answers) and fails each worker's start-up."""
    result = run_cli(
        "serve",
        "--workers",
        "2",
        "--port",
        str(free_port()),
        "--data-dir",
        str(tmp_path),
        env={"MONGODB_URI": mongo_uri, "IMOOX_DATABASE": "no.dots.allowed"},
    )
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == "A worker failed to start; its error is logged above."


def test_a_configuration_no_worker_can_start_with_fails_once_in_the_parent(tmp_path: Path) -> None:
    persisted = tmp_path / "persisted.json"
    persisted.write_text("not json")
    result = run_cli(
        "serve",
        "--workers",
        "2",
        "--port",
        str(free_port()),
        "--data-dir",
        str(tmp_path),
        env={"IMOOX_PERSISTED_QUERIES_FILE": str(persisted)},
    )
    assert result.returncode != 0
    assert "Started server process" not in result.stderr
    assert "embedded database stopped" in result.stderr


def test_workers_on_a_port_in_use_fail_with_one_sentence(tmp_path: Path, mongo_uri: str) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = str(taken.getsockname()[1])
        result = run_cli(
            "serve",
            "--workers",
            "2",
            "--port",
            port,
            "--data-dir",
            str(tmp_path),
            env={"MONGODB_URI": mongo_uri},
        )
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        f"Cannot listen on 127.0.0.1:{port}: Address already in use."
    )
