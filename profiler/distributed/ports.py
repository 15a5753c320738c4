"""Rendezvous endpoints: parse, pick a free loopback port, tell a port in use, wait for a host.

Every wait here is bounded by its caller's timeout.
"""

from __future__ import annotations

import errno
import socket
import time

LOOPBACK = "127.0.0.1"


class EndpointError(ValueError):
    """An endpoint that cannot be used; the message is one line for a user."""


def parse_endpoint(text: str, default_port: int = 29400) -> tuple[str, int]:
    """``"node0:29400" -> ("node0", 29400)``; ``"[::1]:29400"`` for IPv6; EndpointError otherwise."""
    text = text.strip()
    if not text:
        raise EndpointError("the rendezvous endpoint is empty; give HOST:PORT")
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
        if not sep:
            raise EndpointError(f"bad IPv6 endpoint {text!r}; write [ADDRESS]:PORT")
    else:
        host, _, port_text = text.rpartition(":") if ":" in text else (text, "", "")
    if not host:
        raise EndpointError(f"endpoint {text!r} has no host")
    if not port_text:
        return host, default_port
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise EndpointError(f"endpoint {text!r} has a bad port {port_text!r} (1-65535)")
    return host, int(port_text)


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port nothing listens on right now (the OS's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def check_port_free(host: str, port: int) -> None:
    """EndpointError when ``host:port`` cannot be bound (in use, or not an address of this machine)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise EndpointError(f"port {port} on {host} is in use; choose another with --port "
                                    "or stop what listens there") from None
            raise EndpointError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def is_local(host: str) -> bool:
    """True when ``host`` names this machine (it will host the rendezvous store)."""
    if host in ("localhost", LOOPBACK, "::1", socket.gethostname(), socket.getfqdn()):
        return True
    try:
        addresses = {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    except OSError:
        return False
    return any(a.startswith("127.") or a == "::1" for a in addresses)


def wait_reachable(host: str, port: int, timeout_s: float, poll_s: float = 1.0) -> None:
    """Return once ``host:port`` accepts a TCP connection; EndpointError after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    last = ""
    while True:
        remaining = deadline - time.monotonic()
        try:
            with socket.create_connection((host, port), timeout=max(0.1, min(2.0, remaining))):
                return
        except OSError as exc:
            last = exc.strerror or str(exc) or type(exc).__name__
        if time.monotonic() + poll_s > deadline:
            raise EndpointError(f"cannot reach the rendezvous at {host}:{port} within {timeout_s:g} s ({last}); "
                                "is the first node started, and does the firewall let the port through?")
        time.sleep(poll_s)
