"""The listening socket of `serve --workers N`: one per worker, in one SO_REUSEPORT group.

uvicorn's supervisor binds one socket and hands it to every worker; each worker's event loop then
accepts every connection waiting when it wakes, so one worker can take them all (measured: all 16
connections of a `wrk -c16` run on one of two workers). With a socket of its own per worker in the
port's SO_REUSEPORT group, the Linux kernel spreads connections over the workers by address hash.
A worker that dies drops the connections still queued on its socket; only processes of the same
user can join the group. The sockets are also made with protocol TCP, which asyncio needs to set
TCP_NODELAY on each connection (uvicorn's own socket lacks it: Kludex/uvicorn#3149).
"""

from __future__ import annotations

import socket
from collections.abc import Callable


class ReusePortSocket(socket.socket):
    """Pickled into a worker (uvicorn passes sockets to spawned workers by pickling), it becomes
    a new socket of that worker's on the same address; the parent's own only holds the port."""

    def __reduce__(self) -> tuple[Callable[[str, int], ReusePortSocket], tuple[str, int]]:
        host, port = self.getsockname()[:2]
        return reuse_port_socket, (host, port)


def reuse_port_socket(host: str, port: int) -> ReusePortSocket:
    """A TCP socket bound to `host:port` in its SO_REUSEPORT group (port 0: a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = ReusePortSocket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def reserve_port(host: str, port: int) -> ReusePortSocket:
    """The parent's socket for `host:port`, refused if anything already listens there.

    SO_REUSEPORT lets any socket of the same user with the option join the group; a plain bind
    first fails on a port held by anyone, so the gateway never shares its connections (and
    their bearer tokens) with another program that was there before it. (One that binds later
    with SO_REUSEPORT could still join: a same-user program, as able to read the gateway's
    memory where ptrace is allowed.)
    """
    return reuse_port_socket(host, free_port(host, port))


def free_port(host: str, port: int) -> int:
    """`port` (a free one for 0), or `OSError` if anything listens there."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP) as probe:
        # SO_REUSEADDR: a port left in TIME_WAIT by a previous run is free; a listening one not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        free: int = probe.getsockname()[1]
        return free
