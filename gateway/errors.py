"""The error every start-up check raises for a setting that cannot work (`gateway.cli` prints
its message as one line)."""

from __future__ import annotations


class ConfigurationError(RuntimeError):
    """The settings cannot make a working gateway; the message says what to set."""
