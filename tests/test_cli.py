"""The `imoox-gateway` command line, run as a real process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import MongoClient

from authz.keys import KeySet, development_keys
from authz.principals import PrincipalKind
from authz.tokens import TokenVerifier
from gateway.settings import Settings
from resolvers.collections import ALL
from tests.test_embedded import _wait_gone

# The console script installed beside the interpreter running the tests.
CLI = str(Path(sys.executable).parent / "imoox-gateway")


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "MONGODB_URI"} | (env or {})
    return subprocess.run(
        [CLI, *args], capture_output=True, text=True, env=environment, timeout=120, check=False
    )


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


def _snapshot(client: MongoClient[dict[str, Any]], database: str) -> dict[str, list[Any]]:
    return {name: list(client[database][name].find().sort("_id")) for name in ALL}


def test_seed_is_idempotent(mongo_uri: str) -> None:
    database = f"test_seed_{uuid.uuid4().hex[:8]}"
    env = {"MONGODB_URI": mongo_uri, "IMOOX_DATABASE": database}
    with MongoClient(mongo_uri) as client:
        try:
            first = run_cli("seed", "--demo", env=env)
            assert first.returncode == 0, first.stderr
            before = _snapshot(client, database)
            assert len(before["accounts"]) >= 45
            second = run_cli("seed", "--demo", env=env)
            assert second.returncode == 0, second.stderr
            assert "0 documents inserted" in second.stderr
            assert _snapshot(client, database) == before
        finally:
            client.drop_database(database)


def test_seed_needs_the_demo_flag() -> None:
    result = run_cli("seed")
    assert result.returncode == 1
    assert "pass --demo" in result.stderr


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str, Path]]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "MONGODB_URI"}
    process = subprocess.Popen(
        [CLI, "serve", "--demo", "--port", str(port), "--data-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    else:
        process.kill()
        pytest.fail(f"serve did not become ready: {process.communicate()[0]}")
    yield process, base, tmp_path
    if process.poll() is None:
        process.kill()
        process.wait()


def _embedded_pid(data_dir: Path) -> int:
    output = subprocess.run(
        ["pgrep", "-f", f"secantus.*{data_dir}"], capture_output=True, text=True, check=False
    ).stdout.split()
    assert len(output) == 1, output
    return int(output[0])


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

    database_pid = _embedded_pid(data_dir)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 0
    assert _wait_gone(database_pid)
    assert "embedded database stopped" in (process.stdout.read() if process.stdout else "")


def test_second_serve_on_the_same_data_dir_fails_clearly(
    served: tuple[subprocess.Popen[str], str, Path],
) -> None:
    _, _, data_dir = served
    result = run_cli("serve", "--port", str(_free_port()), "--data-dir", str(data_dir))
    assert result.returncode == 1
    assert "is in use by another process" in result.stderr
    assert "Traceback" not in result.stderr
