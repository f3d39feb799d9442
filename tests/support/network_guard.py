"""Keeps the tests off the network: only loopback and Unix sockets may be reached.

refusing_network() patches, for as long as it is entered:

- socket.socket.connect and connect_ex: any address outside 127.0.0.0/8 and ::1 (and not a
  Unix socket) raises NetworkRefused before the real call, so not one packet leaves;
- socket.getaddrinfo: host names other than `localhost` are refused before any DNS query.
  socket.create_connection and urllib3 (requests) go through both.

NetworkRefused is not an OSError on purpose: code under test that copes with network failures
(retries, "Gagal Tayang") must not take it for one and carry on.

It covers this Python process only; programs started by tests are not guarded.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from collections.abc import Iterator

import pytest


class NetworkRefused(RuntimeError):
    pass


def _literal_ip(host: object) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return None
    try:
        return ipaddress.ip_address(host.split("%")[0])  # drops an IPv6 scope ("fe80::1%eth0")
    except ValueError:
        return None


def _is_loopback(host: object) -> bool:
    if host == "localhost":
        return True
    ip = _literal_ip(host)
    if ip is None:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)  # ::ffff:127.0.0.1
    return ip.is_loopback or (mapped is not None and mapped.is_loopback)


def _check_connect(sock: socket.socket, address: object) -> None:
    if sock.family == socket.AF_UNIX:
        return
    host = address[0] if isinstance(address, tuple) and address else address
    if sock.family in (socket.AF_INET, socket.AF_INET6) and _is_loopback(host):
        return
    # Callers close their socket on OSError only (socket.create_connection, urllib3).
    sock.close()
    raise NetworkRefused(
        f"tests must not touch the network: connection to {address!r} refused "
        "(only 127.0.0.0/8, ::1 and Unix sockets)"
    )


@contextlib.contextmanager
def refusing_network() -> Iterator[None]:
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: object) -> None:
        _check_connect(self, address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: object) -> int:
        _check_connect(self, address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: object, *args: object, **kwargs: object) -> list:
        # No host (binding), a literal address or localhost: answered without a DNS query.
        if host not in (None, "", b"") and host != "localhost" and _literal_ip(host) is None:
            raise NetworkRefused(f"tests must not touch the network: lookup of {host!r} refused")
        return real_getaddrinfo(host, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", connect)
        patch.setattr(socket.socket, "connect_ex", connect_ex)
        patch.setattr(socket, "getaddrinfo", getaddrinfo)
        yield
