"""Log lines: one JSON object a line for machines, or one readable, coloured line a record for a
person at a terminal; both with the request id and any `extra` fields."""

from __future__ import annotations

import logging
import os
import re
import sys
import time
from datetime import UTC, datetime
from typing import Any, TextIO, assert_never

import msgspec

from gateway.settings import LogFormat
from schema.protections.security import REQUEST_ID

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}
_ENCODER = msgspec.json.Encoder(enc_hook=str)


def _add_fields(record: logging.LogRecord, entry: dict[str, Any]) -> dict[str, Any]:
    """`entry` with the request id and the caller's `extra` fields."""
    if request_id := REQUEST_ID.get():
        entry["request_id"] = request_id
    entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
    return entry


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        _add_fields(record, entry)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return _ENCODER.encode(entry).decode()


# SGR codes (ECMA-48): what every terminal understands, so no library is needed to colour.
_RESET, _DIM, _KEY = "\x1b[0m", "\x1b[2m", "\x1b[36m"
_LEVEL_COLOURS = {
    logging.DEBUG: "\x1b[34m",
    logging.INFO: "\x1b[32m",
    logging.WARNING: "\x1b[33m",
    logging.ERROR: "\x1b[31m",
    logging.CRITICAL: "\x1b[1;31m",
}
# A field's value shown as it is after `key=`; any other (spaces, quotes, not a string) as JSON.
_BARE = re.compile(r"[^\s\"'=\\]+")


def _printable(text: str) -> str:
    """`text` with each character a terminal acts on (escape sequences, line breaks) written as
    its escape: messages and fields can hold what a client sent."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


def _value(value: object) -> str:
    if isinstance(value, str) and _BARE.fullmatch(value) and value.isprintable():
        return value
    return _printable(_ENCODER.encode(value).decode())


class ConsoleFormatter(logging.Formatter):
    """Local time, level, logger, message, then the request id and `extra` fields as key=value;
    a traceback on the lines below, as Python prints it. Colours only where `colour`."""

    def __init__(self, colour: bool) -> None:
        super().__init__()
        self._colour = colour

    def _paint(self, code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if self._colour else text

    def format(self, record: logging.LogRecord) -> str:
        clock = time.strftime("%H:%M:%S", time.localtime(record.created))
        level = self._paint(_LEVEL_COLOURS.get(record.levelno, ""), f"{record.levelname:<8}")
        fields = "".join(
            f" {self._paint(_KEY, key)}={_value(value)}"
            for key, value in _add_fields(record, {}).items()
        )
        line = (
            f"{self._paint(_DIM, f'{clock}.{int(record.msecs):03d}')} {level}"
            f" {self._paint(_DIM, f'{record.name:<15}')} {_printable(record.getMessage())}{fields}"
        )
        if record.exc_info:
            traceback = self.formatException(record.exc_info).splitlines()
            line += "".join(f"\n{_printable(text)}" for text in traceback)
        return line


def _formatter(log_format: LogFormat, stream: TextIO) -> logging.Formatter:
    terminal = stream.isatty()
    match log_format:
        case LogFormat.JSON:
            return JsonFormatter()
        case LogFormat.CONSOLE:
            # https://no-color.org: set and not empty turns colours off.
            return ConsoleFormatter(colour=terminal and not os.environ.get("NO_COLOR"))
        case LogFormat.AUTO:
            return _formatter(LogFormat.CONSOLE if terminal else LogFormat.JSON, stream)
        case _:
            assert_never(log_format)


def configure_logging(log_format: LogFormat, level: str = "INFO") -> None:
    """Lines on stderr, in `log_format`. Records skip what no line shows (the caller's frame,
    thread and process names: the logging HOWTO's "Optimization"): every request logs an
    access line."""
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_formatter(log_format, sys.stderr))
    logging.basicConfig(level=level, handlers=[handler], force=True)
