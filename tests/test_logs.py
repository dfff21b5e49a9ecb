"""The log lines `serve` writes: one JSON object per line, with the request's id."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from gateway.logs import configure_logging
from schema.security import REQUEST_ID


@pytest.fixture
def written() -> Iterator[io.StringIO]:
    """What `configure_logging`, as `serve` calls it, writes (its handler's stream replaced);
    undone afterwards, since it configures the process."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    toggles = {name: getattr(logging, name) for name in _TOGGLES}
    configure_logging()
    stream = io.StringIO()
    (handler,) = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    try:
        yield stream
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, value in toggles.items():
            setattr(logging, name, value)


_TOGGLES = ("_srcfile", "logThreads", "logProcesses", "logMultiprocessing")


def test_an_access_line_is_json_with_the_request_id(written: io.StringIO) -> None:
    token = REQUEST_ID.set("trace-9")
    try:
        # Shaped as uvicorn's access line; a logger of its own, since other tests' uvicorn
        # servers configure `uvicorn.access` (serve passes no log config, so it propagates).
        logging.getLogger("imoox.test.access").info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5555", "POST", "/graphql", "1.1", 200
        )
        logging.getLogger("imoox.test").warning("refused", extra={"reason": "body_size"})
    finally:
        REQUEST_ID.reset(token)
    access, refused = (json.loads(line) for line in written.getvalue().splitlines())
    assert set(access) == {"time", "level", "logger", "message", "request_id"}
    assert access["message"] == '127.0.0.1:5555 - "POST /graphql HTTP/1.1" 200'
    assert (access["level"], access["logger"], access["request_id"]) == (
        "info",
        "imoox.test.access",
        "trace-9",
    )
    assert refused["reason"] == "body_size"
    assert refused["level"] == "warning"
