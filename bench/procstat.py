"""CPU time of a process and its descendants, from Linux's /proc (no dependency needed).

A server's CPU time per request is what it costs the machine, whatever the load generator and
the other processes on the same cores do to its wall time; descendants are counted so that a
server with worker processes is measured whole.
"""

from __future__ import annotations

import os
from pathlib import Path

_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds of `pid` and every live descendant, so far."""
    return sum(_own_cpu_seconds(each) for each in _tree(pid))


def _tree(pid: int) -> list[int]:
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(_children(current))
    return found


def _children(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children.extend(int(child) for child in (task / "children").read_text().split())
        except OSError:
            continue
    return children


def _own_cpu_seconds(pid: int) -> float:
    """utime + stime, plus those of children already waited for (cutime + cstime)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    # Fields after the command name, which is in parentheses and may contain spaces.
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    return (utime + stime + cutime + cstime) / _TICKS_PER_SECOND
