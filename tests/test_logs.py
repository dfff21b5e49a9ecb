"""The log lines `serve` writes: JSON lines for machines, or one readable line a record for a
person at a terminal; either with the request's id and any `extra` fields."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
from collections.abc import Callable, Iterator

import pytest

from gateway.logs import configure_logging
from gateway.settings import LogFormat, Settings
from schema.protections.security import REQUEST_ID

Configure = Callable[..., io.StringIO]
_TOGGLES = ("_srcfile", "logThreads", "logProcesses", "logMultiprocessing")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class _Terminal(io.StringIO):
    """What a terminal is to `configure_logging`: a stream whose `isatty()` is true."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch) -> Iterator[Configure]:
    """`configure_logging` as `serve` calls it, with stderr a terminal or not; returns what it
    writes. Undone afterwards, since it configures the process."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    toggles = {name: getattr(logging, name) for name in _TOGGLES}
    monkeypatch.delenv("NO_COLOR", raising=False)

    def configure(log_format: LogFormat = LogFormat.AUTO, *, terminal: bool) -> io.StringIO:
        stream = _Terminal() if terminal else io.StringIO()
        monkeypatch.setattr(sys, "stderr", stream)
        configure_logging(log_format)
        return stream

    try:
        yield configure
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, value in toggles.items():
            setattr(logging, name, value)


def _log_a_request() -> None:
    token = REQUEST_ID.set("trace-9")
    try:
        # Shaped as uvicorn's access line; a logger of its own, since other tests' uvicorn
        # servers configure `uvicorn.access` (serve passes no log config, so it propagates).
        logging.getLogger("imoox.test.access").info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5555", "POST", "/graphql", "1.1", 200
        )
        logging.getLogger("imoox.test").warning(
            "refused", extra={"reason": "body_size", "detail": "over 256 KiB", "limit": 262144}
        )
    finally:
        REQUEST_ID.reset(token)


def _assert_json(written: str) -> None:
    access, refused = (json.loads(line) for line in written.splitlines())
    assert set(access) == {"time", "level", "logger", "message", "request_id"}
    assert access["message"] == '127.0.0.1:5555 - "POST /graphql HTTP/1.1" 200'
    assert (access["level"], access["logger"], access["request_id"]) == (
        "info",
        "imoox.test.access",
        "trace-9",
    )
    assert (refused["reason"], refused["detail"], refused["limit"]) == (
        "body_size",
        "over 256 KiB",
        262144,
    )
    assert refused["level"] == "warning"


def _assert_console(written: str) -> None:
    """Time, level, logger, message, then the request id and the extra fields as key=value
    (quoted where a value has spaces)."""
    access, refused = written.splitlines()
    assert re.fullmatch(
        r'\d\d:\d\d:\d\d\.\d{3} INFO +imoox\.test\.access +127\.0\.0\.1:5555 - "POST /graphql'
        r' HTTP/1\.1" 200 request_id=trace-9',
        access,
    )
    assert re.fullmatch(
        r"\d\d:\d\d:\d\d\.\d{3} WARNING +imoox\.test +refused request_id=trace-9 reason=body_size"
        r' detail="over 256 KiB" limit=262144',
        refused,
    )


def test_lines_are_json_when_stderr_is_not_a_terminal(configure: Configure) -> None:
    written = configure(terminal=False)
    _log_a_request()
    _assert_json(written.getvalue())


def test_lines_are_coloured_and_readable_on_a_terminal(configure: Configure) -> None:
    written = configure(terminal=True)
    _log_a_request()
    coloured = written.getvalue()
    assert "\x1b[32mINFO" in coloured  # green
    assert "\x1b[33mWARNING" in coloured  # yellow
    _assert_console(_ANSI.sub("", coloured))


def test_no_color_leaves_out_every_colour_code(
    configure: Configure, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    written = configure(terminal=True)
    _log_a_request()
    assert "\x1b" not in written.getvalue()
    _assert_console(written.getvalue())


def test_console_can_be_forced_where_stderr_is_not_a_terminal(configure: Configure) -> None:
    """E.g. `make run 2>&1 | tee run.log`: readable, and no colour codes in the file."""
    written = configure(LogFormat.CONSOLE, terminal=False)
    _log_a_request()
    assert "\x1b" not in written.getvalue()
    _assert_console(written.getvalue())


def test_json_can_be_forced_on_a_terminal(configure: Configure) -> None:
    written = configure(LogFormat.JSON, terminal=True)
    _log_a_request()
    _assert_json(written.getvalue())


def test_an_exception_is_a_readable_traceback_in_console_lines(
    configure: Configure, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    written = configure(terminal=True)
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("imoox.test").exception("resolver failed", extra={"field": "me"})
    first, *traceback = written.getvalue().splitlines()
    assert re.fullmatch(
        r"\d\d:\d\d:\d\d\.\d{3} ERROR +imoox\.test +resolver failed field=me", first
    )
    assert traceback[0] == "Traceback (most recent call last):"
    assert any(line.strip() == 'raise ValueError("boom")' for line in traceback)
    assert traceback[-1] == "ValueError: boom"


def test_the_format_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMOOX_LOG_FORMAT", raising=False)
    assert Settings().log_format == LogFormat.AUTO
    monkeypatch.setenv("IMOOX_LOG_FORMAT", "console")
    assert Settings().log_format == LogFormat.CONSOLE
    monkeypatch.setenv("IMOOX_LOG_FORMAT", "colour")
    with pytest.raises(ValueError, match="log_format"):
        Settings()


def test_control_characters_from_a_request_cannot_reach_the_terminal(
    configure: Configure,
) -> None:
    """A terminal obeys escape sequences (clear the screen, retitle it, forge colours), and a
    line break would forge a second record: text a client chose shows them as escapes."""
    written = configure(terminal=True)
    chosen = "x\x1b[2J\x9b31m\nFORGED"
    try:
        raise ValueError(chosen)
    except ValueError:
        logging.getLogger("imoox.test").exception(chosen, extra={"operation": chosen})
    output = written.getvalue()
    assert "\x1b[2J" not in output
    assert "\x9b" not in output
    first, *traceback = _ANSI.sub("", output).splitlines()
    assert first.endswith(
        r" ERROR    imoox.test      x\x1b[2J\x9b31m\nFORGED"
        r' operation="x\u001b[2J\x9b31m\nFORGED"'
    )
    # A traceback keeps its lines (an exception's message may have several, as Python prints).
    assert traceback[-2:] == [r"ValueError: x\x1b[2J\x9b31m", "FORGED"]
