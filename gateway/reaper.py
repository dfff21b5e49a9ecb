"""Kills the embedded database when its gateway has died and the database has not stopped.

When the gateway dies, however it dies, Linux sends the database SIGTERM (the parent-death
signal) and SecantusDB checkpoints and exits. But its shutdown can hang - SecantusDB 0.7.0b3
deadlocks in its SIGTERM handler when a second SIGTERM comes while it runs, and Linux re-sends the
death signal for each thread of a killed gateway that was the database's parent while dying - and
once the gateway is dead nothing is left to escalate. This process, started beside the database,
is: it waits until the gateway's end of a pipe closes - the kernel closes it when the gateway
dies - then gives the database `grace` seconds and SIGKILLs it. SIGKILL loses no acknowledged
write: the embedded server syncs each commit to its journal before the reply
(`--sync-on-commit`) and replays the journal when it next starts; SIGTERM stays the first
resort only for its clean checkpoint.

Run as `python -m gateway.reaper GRACE PIDFD` with the pipe as stdin and PIDFD a pidfd of the
database: a pid could name another process by the time it is used, a pidfd cannot.
"""

from __future__ import annotations

import contextlib
import select
import signal
import sys

_STDIN = 0


def main(grace: float, pidfd: int) -> None:
    """Return once the database has ended, killing it if it outlives the gateway by `grace` s."""
    # The gateway never writes, so stdin becomes readable only at its end of file.
    if pidfd in select.select([_STDIN, pidfd], [], [])[0]:
        return  # the database ended first (stopped by the gateway, or it failed)
    if select.select([pidfd], [], [], grace)[0]:
        return
    print(f"the embedded database did not stop within {grace:g} s of its gateway; killing it")
    with contextlib.suppress(ProcessLookupError):  # it ended just now after all
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)


if __name__ == "__main__":
    main(float(sys.argv[1]), int(sys.argv[2]))
