"""`serve --workers N` never shares its port with a program that was listening there first."""

from __future__ import annotations

import socket

import pytest

from gateway.listeners import reserve_port


def test_a_port_another_program_listens_on_with_so_reuseport_is_refused_in_the_parent() -> None:
    """Another program (a second `serve --workers 2` over another data dir, anything) listening
    with SO_REUSEPORT would otherwise share the port: the kernel would split connections,
    bearer tokens included, between the gateway and it."""
    other = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    other.bind(("127.0.0.1", 0))
    other.listen()
    try:
        with pytest.raises(OSError):
            reserve_port(*other.getsockname()).close()
    finally:
        other.close()
