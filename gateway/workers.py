"""`serve --workers N`: N uvicorn worker processes on one port, over one database.

uvicorn's own supervisor runs them (no new dependency; it restarts a worker that dies and stops
all of them on SIGINT/SIGTERM), each on a listening socket of its own (gateway/listeners.py).
Workers are spawned, not forked, so each builds its app from the environment the parent
prepared: the parent's settings, its database's URI included. What must exist once is done by
the parent before any worker starts: the embedded database, the demo seed, the development key
pair. Rate limits are shared through the database (`resolvers.rate_counts`), so every worker
applies the configured rates; `/metrics` adds up every worker's counters (prometheus_client's
multiprocess mode).
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import uvicorn
from pydantic import SecretStr
from starlette.applications import Starlette
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

from gateway.app import create_app
from gateway.child import die_with_parent
from gateway.heap import settle_heap
from gateway.listeners import free_port, reserve_port
from gateway.logs import configure_logging
from gateway.metrics import MULTIPROCESS_DIR
from gateway.settings import Settings

log = logging.getLogger(__name__)


class WorkerStartupError(RuntimeError):
    """A worker could not start (each would fail alike): serve stops and fails."""


#: How long the supervisor waits for a worker to answer before killing it as hung. uvicorn's
#: 5 s kills workers still importing on a busy machine (Kludex/uvicorn#2506).
WORKER_HEALTHCHECK_SECONDS = 30


def server_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options, alike for one process and for each worker."""
    return {
        "host": settings.host,
        "port": settings.port,
        "log_config": None,
        "access_log": settings.access_log,
        "lifespan": "on",
        # The caller's address is the peer's, or what `trusted_proxy_header` names when
        # configured (`Authenticator.client`): uvicorn's own default trusts `X-Forwarded-*`
        # from 127.0.0.1, which let a local caller choose its address.
        "proxy_headers": False,
        # SIGTERM: stop accepting, let in-flight requests finish (at most this long), then
        # the app's shutdown (pending disclosure records), then the database.
        "timeout_graceful_shutdown": settings.shutdown_grace_seconds,
    }


def serve(settings: Settings) -> None:
    """Serve until SIGINT/SIGTERM with `settings.workers` processes; returns once all exited."""
    options = server_options(settings)
    if settings.workers == 1:
        app = create_app(settings)
        settle_heap()
        uvicorn.run(app, **options)
        return
    # Built once here and dropped: a configuration no worker could start with fails here, once
    # (uvicorn would restart such workers forever), and the development key pair exists before
    # N workers race to create it.
    create_app(settings)
    config = uvicorn.Config(
        "gateway.workers:worker_app",
        factory=True,
        workers=settings.workers,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
        **options,
    )
    try:
        reserved = reserve_port(settings.host, settings.port)
    except OSError as error:
        raise _cannot_listen(settings, error) from None
    with reserved, tempfile.TemporaryDirectory(prefix="imoox-metrics-") as metrics_dir:
        os.environ.update(worker_environment(settings) | {MULTIPROCESS_DIR: metrics_dir})
        host, port = reserved.getsockname()[:2]
        log.info("listening", extra={"url": f"http://{host}:{port}", "workers": settings.workers})
        # As `uvicorn.run` does, but with a socket of each worker's own, and keeping the
        # supervisor to learn whether a worker failed.
        supervisor = Multiprocess(config, sockets=[reserved])
        supervisor.run()
    if any(worker.exitcode == STARTUP_FAILURE for worker in supervisor.processes):
        raise WorkerStartupError("A worker failed to start; its error is logged above.")


def check_port(settings: Settings) -> None:
    """Fail now, before a database is started, if the port is taken (`WorkerStartupError`)."""
    try:
        free_port(settings.host, settings.port)
    except OSError as error:
        raise _cannot_listen(settings, error) from None


def _cannot_listen(settings: Settings, error: OSError) -> WorkerStartupError:
    return WorkerStartupError(
        f"Cannot listen on {settings.host}:{settings.port}: {error.strerror}."
    )


def worker_app() -> Starlette:
    """uvicorn's factory, called in each worker process."""
    die_with_parent()
    settings = Settings()
    configure_logging(settings.log_format)
    app = create_app(settings)
    settle_heap()
    return app


def worker_environment(settings: Settings) -> dict[str, str]:
    """The environment in which `Settings()` reads exactly `settings`."""
    return {
        env_name(name): _env_value(value)
        for name in Settings.model_fields
        if (value := getattr(settings, name)) is not None
    }


def env_name(name: str) -> str:
    return "MONGODB_URI" if name == "mongodb_uri" else f"IMOOX_{name.upper()}"


def _env_value(value: object) -> str:
    """As pydantic-settings parses it: strings as they are, anything else as JSON."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, str | Path | date):
        return str(value)
    return json.dumps(value)
