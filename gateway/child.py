"""Runs a command as a child that dies with its gateway: `python -m gateway.child PARENT CMD..`.

It asks Linux for the parent-death signal, checks that its parent is still the gateway (pid
PARENT), then becomes the command (`exec`: same process, and the signal setting survives it).
It replaces `preexec_fn`, which runs Python's after-fork hooks in the forked child before the
exec: once the gateway has async MongoDB clients (a restart by `gateway.supervisor`), pymongo's
hook fails there with a traceback on the gateway's stderr, and could wait on a lock that
another thread of the gateway held when it forked.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys


def die_with_parent(parent: int | None = None) -> None:
    """In a child (the database, a worker): ask Linux to send SIGTERM when the gateway dies, so
    none is orphaned. Given the gateway's pid, a child whose gateway died before it asked (no
    signal will come) exits at once."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            pr_set_pdeathsig = 1
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    if parent is not None and os.getppid() != parent:
        os._exit(1)


def command(parent: int, argv: list[str]) -> list[str]:
    """`argv` run through this module on behalf of the gateway `parent`."""
    return [sys.executable, "-m", "gateway.child", str(parent), *argv]


if __name__ == "__main__":
    die_with_parent(int(sys.argv[1]))
    os.execv(sys.argv[2], sys.argv[2:])
