"""What `serve --workers N` hands each worker: the parent's settings."""

from __future__ import annotations

import os
import socket
from datetime import date
from multiprocessing.reduction import ForkingPickler
from pathlib import Path

import pytest

from gateway.listeners import reuse_port_socket
from gateway.settings import Environment, LogFormat, Settings
from gateway.workers import worker_environment


def test_a_worker_reads_exactly_the_parents_settings_from_its_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    parent = Settings(
        env=Environment.PRODUCTION,
        mongodb_uri="mongodb://127.0.0.1:27999/?directConnection=true",
        data_dir=tmp_path,
        port=8123,
        cursor_secret="s" * 40,  # type: ignore[arg-type]
        cors_origins=["https://a.example", "https://b.example"],
        execution_timeout_seconds=2.5,
        persisted_queries_only=True,
        signing_key_file=tmp_path / "key.pem",
        trusted_proxy_header="X-Forwarded-For",
        log_format=LogFormat.CONSOLE,
        public_base_url="https://imoox.example",
        sitemap_since=date(2025, 6, 1),
    )
    for name in list(os.environ):
        if name.upper().startswith("IMOOX_") or name.upper() == "MONGODB_URI":
            monkeypatch.delenv(name)
    for name, value in worker_environment(parent).items():
        monkeypatch.setenv(name, value)
    assert Settings() == parent


def test_each_worker_binds_its_own_socket_in_the_ports_group() -> None:
    """What a worker unpickles is a new listening socket on the parent's port, so the kernel
    spreads connections over the workers; the parent's own socket only holds the port."""
    with (
        reuse_port_socket("127.0.0.1", 0) as reserved,
        ForkingPickler.loads(ForkingPickler.dumps(reserved)) as own,
    ):
        assert own.fileno() != reserved.fileno()
        assert own.getsockname() == reserved.getsockname()
        assert own.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
        # What asyncio looks at to set TCP_NODELAY on each connection (Kludex/uvicorn#3149).
        assert own.proto == socket.IPPROTO_TCP
        own.listen()
        for _ in range(20):  # none goes to the parent's socket, which does not listen
            with socket.create_connection(own.getsockname(), timeout=5):
                own.accept()[0].close()


def test_a_port_held_by_another_program_is_refused_in_the_parent() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken, pytest.raises(OSError):
        reuse_port_socket(*taken.getsockname())
