"""A c10d rendezvous whose stores listen only on the address they are given.

torch's ``c10d`` rendezvous hosts two ``TCPStore`` servers in the elastic agent of the first
node: the rendezvous store on the endpoint's port, and the store the ranks meet at
(``MASTER_PORT``). ``TCPStore`` binds every interface (``0.0.0.0`` and ``::``) whatever host
it is given, with no authentication, and the dynamic rendezvous unpickles what it reads from
that store. ``TCPStore`` also takes ``master_listen_fd``, a socket that is already bound and
listening; this module binds that socket to the endpoint's host (the rendezvous store) and to
this node's address (the ranks' store), so a single-node run on ``127.0.0.1`` listens on
loopback only, and a multi-node run listens on the address the user named, nowhere else.

``BACKEND`` (``horsepower-c10d``) is registered by ``register()`` in the agent process and is
otherwise torch's ``c10d`` rendezvous: same state, same protocol, same options.
"""

from __future__ import annotations

import errno
import logging
import socket
from datetime import timedelta
from typing import Any

log = logging.getLogger(__name__)

BACKEND = "horsepower-c10d"
DEFAULT_PORT = 29400
LISTEN_BACKLOG = 512


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (``port`` 0: any free one) and listening.

    ``host`` is resolved to its first address; OSError when it cannot be bound."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
        sock.listen(LISTEN_BACKLOG)
    except OSError:
        sock.close()
        raise
    return sock


def bound_store(host: str, port: int, timeout_s: float, multi_tenant: bool = True) -> Any:
    """A ``TCPStore`` server listening on ``host:port`` only (``port`` 0: a free one)."""
    from torch.distributed import TCPStore

    sock = listening_socket(host, port)
    bound_port = int(sock.getsockname()[1])
    fd = sock.detach()  # the store owns the socket from here
    return TCPStore(host, bound_port, is_master=True, multi_tenant=multi_tenant,
                    timeout=timedelta(seconds=timeout_s), master_listen_fd=fd)


def _rendezvous_store(params: Any) -> Any:
    """The rendezvous store: hosted here (bound to the endpoint's host) or joined as a client."""
    from torch.distributed import TCPStore
    from torch.distributed.elastic.rendezvous import RendezvousConnectionError
    from torch.distributed.elastic.rendezvous.utils import _matches_machine_hostname, parse_rendezvous_endpoint

    host, port = parse_rendezvous_endpoint(params.endpoint, default_port=DEFAULT_PORT)
    timeout_s = float(params.get_as_int("read_timeout", 60) or 60)
    is_host = params.get_as_bool("is_host")
    if is_host is None:
        is_host = _matches_machine_hostname(host)
    if is_host:
        try:
            return bound_store(host, port, timeout_s)
        except OSError as exc:  # another agent on this machine hosts it: join that one
            if exc.errno != errno.EADDRINUSE or params.get_as_bool("is_host") is not None:
                raise RendezvousConnectionError(f"cannot host the rendezvous store on {host}:{port}: {exc}") from exc
            log.info("the rendezvous store on %s:%d is hosted by another agent; joining it", host, port)
    try:
        return TCPStore(host, port, is_master=False, multi_tenant=True, timeout=timedelta(seconds=timeout_s))
    except (ValueError, RuntimeError, TimeoutError) as exc:
        raise RendezvousConnectionError(f"cannot reach the rendezvous store at {host}:{port}") from exc


def create_handler(params: Any) -> Any:
    """torch's dynamic rendezvous handler over stores that listen only where they are told."""
    from torch.distributed.elastic.rendezvous.c10d_rendezvous_backend import C10dRendezvousBackend
    from torch.distributed.elastic.rendezvous.dynamic_rendezvous import create_handler as torch_create_handler

    class _Backend(C10dRendezvousBackend):
        @property
        def name(self) -> str:
            return BACKEND

    store = _rendezvous_store(params)
    handler = torch_create_handler(store, _Backend(store, params.run_id), params)
    timeout_s = float(params.get_as_int("read_timeout", 60) or 60)

    def ranks_store(master_addr: str, master_port: int) -> Any:  # torch's hook for the shared store
        return bound_store(master_addr, master_port, timeout_s)

    handler._create_tcp_store_server = ranks_store  # type: ignore[method-assign]  # no public hook for the address
    return handler


def register() -> None:
    """Make ``--rdzv-backend horsepower-c10d`` available in this process (idempotent)."""
    from torch.distributed.elastic.rendezvous import rendezvous_handler_registry

    rendezvous_handler_registry.register(BACKEND, create_handler)
