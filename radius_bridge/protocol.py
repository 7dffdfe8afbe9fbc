"""The UDP protocol: validate, identify the NAS, de-duplicate, dispatch, reply.

Nothing here blocks the loop: handlers answer at once or return an awaitable that gets its
own task. Invalid datagrams are dropped silently and counted, never answered.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time

from . import packets as P
from .dedup import IN_PROGRESS, DuplicateCache
from .handlers import status_reply
from .log import event

logger = logging.getLogger("radius_bridge.server")


class Protocol(asyncio.DatagramProtocol):
    def __init__(self, server, kind: str):
        self.server = server
        self.kind = kind
        self.transport = None
        self.dedup = DuplicateCache(server.cfg.server.dedup_seconds)

    def connection_made(self, transport):
        self.transport = transport

    def error_received(self, exc):  # ICMP errors from a NAS that went away
        self.server.metrics.inc("dropped_total", "socket_error")

    def datagram_received(self, data: bytes, addr) -> None:
        arrival = time.time()
        server = self.server
        metrics = server.metrics
        metrics.inc("requests_total", self.kind)
        try:
            req = P.parse(data)
        except P.Malformed:
            metrics.inc("dropped_total", "malformed")
            return
        directory = server.nas.directory
        source = addr[0]
        if source.startswith("::ffff:"):
            # A dual-stack socket (host "::") shows an IPv4 NAS as ::ffff:a.b.c.d; the NAS
            # directory (and every log) knows it as a.b.c.d. Replies still go to ``addr``.
            source = source[7:]
        nas = directory.by_ip.get(source)
        if nas is None:
            ident = req.get(P.NAS_IDENTIFIER)
            nas = directory.by_identifier.get(ident.decode("utf-8", "replace")) if ident else None
            if nas is None:
                metrics.inc("dropped_total", "unknown_client")
                return
        if not self._authentic(req, nas):
            return
        # RFC 5080 §2.2.2: source address *and port*, Identifier, Request Authenticator — a
        # second client reusing an Identifier and Authenticator from another port is a new
        # request, never answered with the first one's reply. The secret is part of the key:
        # a reply cached under an old secret must not answer a request verified with a new one.
        key = (nas.id, nas.secret, addr, req.ident, req.authenticator)
        found = self.dedup.lookup(key)
        if found is not None:
            metrics.inc("duplicates_total", self.kind)
            if found is not IN_PROGRESS:
                self.transport.sendto(found, addr)
            return
        try:
            result = self._dispatch(req, nas, arrival)
        except Exception as exc:  # a handler bug must not take the server down
            metrics.inc("dropped_total", "handler_error")
            event(logger, logging.ERROR, "handler_error", error=repr(exc))
            result = None
        if result is None or result.__class__ is bytes:
            self._reply(key, addr, result)
        elif asyncio.isfuture(result):
            result.add_done_callback(lambda f: self._future_done(f, key, addr))
        else:
            asyncio.ensure_future(self._finish(result, key, addr))

    def _authentic(self, req: P.Request, nas) -> bool:
        code = req.code
        metrics = self.server.metrics
        if code == P.STATUS_SERVER or (code == P.ACCESS_REQUEST and self.kind == "auth"):
            if req.ma_offset < 0:
                # The relaxed rule is for old devices at a fixed address only: a NAS known
                # by NAS-Identifier answers any source, so without Message-Authenticator it
                # would be a password oracle and a reflector. Proxy-State without it is the
                # BlastRADIUS shape: dropped whatever the NAS row says.
                if code == P.ACCESS_REQUEST and nas.ip is None:
                    metrics.inc("dropped_total", "missing_message_authenticator")
                    return False
                if P.PROXY_STATE in req.attrs:
                    metrics.inc("dropped_total", "proxy_state_without_ma")
                    return False
                if P.EAP_MESSAGE in req.attrs:
                    # RFC 3579 §3.2: an Access-Request with EAP-Message and without
                    # Message-Authenticator MUST be silently discarded, relaxed NAS or not.
                    metrics.inc("dropped_total", "eap_without_ma")
                    return False
                if code == P.ACCESS_REQUEST and not nas.require_ma:
                    return True
                metrics.inc("dropped_total", "missing_message_authenticator")
                return False
            if not P.verify_message_authenticator(req, nas.hmac):
                metrics.inc("dropped_total", "bad_authenticator")
                return False
            return True
        if code == P.ACCOUNTING_REQUEST and self.kind == "acct":
            if not P.verify_accounting_authenticator(req, nas.secret):
                metrics.inc("dropped_total", "bad_authenticator")
                return False
            # Optional here, but when present it must be right (as FreeRADIUS checks it).
            if req.ma_offset >= 0 and not P.verify_accounting_message_authenticator(req, nas.hmac):
                metrics.inc("dropped_total", "bad_authenticator")
                return False
            return True
        metrics.inc("dropped_total", "unexpected_code")
        return False

    def _dispatch(self, req: P.Request, nas, arrival: float):
        server = self.server
        if self.kind == "auth" and server.auth is None:
            # Started without its database: no account can be checked. No answer at all —
            # Status-Server included — so the NAS fails over to a server that can.
            server.metrics.inc("dropped_total", "db_unavailable")
            return None
        if req.code == P.STATUS_SERVER:
            code = P.ACCESS_ACCEPT if self.kind == "auth" else P.ACCOUNTING_RESPONSE
            return status_reply(req, nas, code)
        if req.code == P.ACCESS_REQUEST:
            return server.auth.access_request(req, nas)
        return server.acct.accounting_request(req, nas, arrival)

    async def _finish(self, awaitable, key, addr) -> None:
        try:
            reply = await awaitable
        except Exception as exc:
            self.server.metrics.inc("dropped_total", "handler_error")
            event(logger, logging.ERROR, "handler_error", error=repr(exc))
            reply = None
        self._reply(key, addr, reply)

    def _future_done(self, fut, key, addr) -> None:
        if fut.cancelled() or fut.exception() is not None:
            self.server.metrics.inc("dropped_total", "handler_error")
            if not fut.cancelled():
                event(logger, logging.ERROR, "handler_error", error=repr(fut.exception()))
            self._reply(key, addr, None)
            return
        self._reply(key, addr, fut.result())

    def _reply(self, key, addr, reply: bytes | None) -> None:
        self.dedup.finish(key, reply)
        if reply is None:
            return
        self.server.metrics.inc("replies_total", str(reply[0]))
        self.transport.sendto(reply, addr)


def udp_socket(host: str, port: int, reuse_port: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    if family == socket.AF_INET6 and host == "::":
        # "::" means every address, IPv4 included, whatever net.ipv6.bindv6only says.
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock
