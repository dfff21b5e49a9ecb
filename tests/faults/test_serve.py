"""Faults of a real `serve` process: its database killed under it (one process and N workers),
and the gateway itself killed mid-request (the next start on the same data serves)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from pymongo import MongoClient

from resolvers.collections import DISCLOSURES
from tests.faults.outages import DATABASE_TIMEOUT, READ_EMAIL, unavailable_or_answered
from tests.processes import embedded_pid, ended, run_cli, serving, watch

ENV = {"IMOOX_DATABASE_TIMEOUT_SECONDS": str(DATABASE_TIMEOUT)}


def _until(condition: Callable[[], bool], what: str, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, f"never {what}"
        time.sleep(0.1)


def _ready(base: str) -> bool:
    return httpx.get(f"{base}/readyz", timeout=30).status_code == 200


def _read_email(base: str, data_dir: Path, subject: str = "acct-alice") -> httpx.Response:
    token = run_cli("token", "--as", "dora", "--data-dir", str(data_dir)).stdout.strip()
    return httpx.post(
        f"{base}/graphql",
        json={"query": READ_EMAIL, "variables": {"id": subject}},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def _a_normal_request_succeeds(base: str, data_dir: Path) -> None:
    """dora reads alice's e-mail, and its record is in the database `serve` runs."""
    response = _read_email(base, data_dir)
    assert response.json() == {"data": {"account": {"email": "alice@uni-graz.example"}}}
    [port] = [
        c.laddr.port
        for c in psutil.Process(embedded_pid(data_dir)).net_connections(kind="tcp")
        if c.status == psutil.CONN_LISTEN
    ]
    client: MongoClient[dict[str, Any]] = MongoClient(f"mongodb://127.0.0.1:{port}/")
    try:
        assert client["imoox"][DISCLOSURES].find_one(
            {"principal_id": "acct-dora", "subjects": "acct-alice"}
        )
    finally:
        client.close()


def test_serve_restarts_its_killed_database_and_its_workers_serve_again(tmp_path: Path) -> None:
    """The parent owns the database and restarts it; the workers saw connection errors.
    (One process runs the same supervisor: tests/faults/test_database_killed.py.)"""
    with serving(tmp_path, "--workers", "2", env=ENV) as (process, base):
        _a_normal_request_succeeds(base, tmp_path)
        database = embedded_pid(tmp_path)
        os.kill(database, signal.SIGSTOP)  # stopped first: the outage is certain, then killed
        assert httpx.get(f"{base}/readyz", timeout=30).status_code == 503
        assert not unavailable_or_answered(_read_email(base, tmp_path, "acct-bob"))
        os.kill(database, signal.SIGKILL)
        _until(lambda: _ready(base), "ready again")
        assert embedded_pid(tmp_path) != database
        _a_normal_request_succeeds(base, tmp_path)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
    output = process.stdout.read() if process.stdout else ""
    said = [line for line in output.splitlines() if "embedded database" in line]
    assert [m for m in ("died", "restarted", "stopped") if any(m in line for line in said)] == [
        "died",
        "restarted",
        "stopped",
    ], said


def _accepted_a_connection(gateway: int, port: int) -> bool:
    return any(
        c.status == psutil.CONN_ESTABLISHED and c.laddr.port == port
        for c in psutil.Process(gateway).net_connections(kind="tcp")
    )


def test_a_gateway_killed_mid_request_leaves_data_the_next_start_serves(tmp_path: Path) -> None:
    with serving(tmp_path, env=ENV) as (process, base):
        database = embedded_pid(tmp_path)
        database_process = watch(database)
        os.kill(database, signal.SIGSTOP)  # holds the request in the gateway
        with ThreadPoolExecutor(1) as pool:
            in_flight = pool.submit(_read_email, base, tmp_path, "acct-bob")
            port = int(base.rsplit(":", 1)[1])
            _until(lambda: _accepted_a_connection(process.pid, port), "took the request")
            process.kill()
            process.wait()
            os.kill(database, signal.SIGCONT)  # it gets its parent-death SIGTERM now
            with pytest.raises(httpx.TransportError):
                in_flight.result()
        assert ended(database_process)
    with serving(tmp_path, env=ENV) as (_, base):
        _a_normal_request_succeeds(base, tmp_path)
