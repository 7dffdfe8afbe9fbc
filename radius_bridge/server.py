"""The UDP protocol: validate, identify the NAS, de-duplicate, dispatch, reply.

Nothing here blocks the loop: handlers answer at once or return an awaitable that gets its
own task. Invalid datagrams are dropped silently and counted, never answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import socket
import time
from datetime import timedelta

from . import db, policy
from . import packets as P
from .accounting import AccountingWriter
from .authlog import AuthLog
from .dedup import IN_PROGRESS, DuplicateCache
from .handlers import AcctHandler, AuthHandler, status_reply
from .log import event
from .metrics import Metrics, start_http
from .online import OnlineIndex

logger = logging.getLogger("radius_bridge.server")


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, server: RadiusServer, kind: str):
        self.server = server
        self.kind = kind
        self.transport = None
        self.dedup = DuplicateCache(server.cfg.server.dedup_seconds)

    def connection_made(self, transport):
        self.transport = transport

    def error_received(self, exc):  # ICMP errors from a NAS that went away
        self.server.metrics.inc("dropped_total", "socket_error")

    def datagram_received(self, data: bytes, addr) -> None:
        server = self.server
        metrics = server.metrics
        metrics.inc("requests_total", self.kind)
        try:
            req = P.parse(data)
        except P.Malformed:
            metrics.inc("dropped_total", "malformed")
            return
        directory = server.nas.directory
        nas = directory.by_ip.get(addr[0])
        if nas is None:
            ident = req.get(P.NAS_IDENTIFIER)
            nas = directory.by_identifier.get(ident.decode("utf-8", "replace")) if ident else None
            if nas is None:
                metrics.inc("dropped_total", "unknown_client")
                return
        if not self._authentic(req, nas):
            return
        # The secret is part of the key: after a secret change, a reply cached under the old
        # one (signed with it) must not answer a request that verified with the new one.
        key = (nas.id, nas.secret, req.ident, req.authenticator)
        found = self.dedup.lookup(key)
        if found is not None:
            metrics.inc("duplicates_total", self.kind)
            if found is not IN_PROGRESS:
                self.transport.sendto(found, addr)
            return
        try:
            result = self._dispatch(req, nas)
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
            return True
        metrics.inc("dropped_total", "unexpected_code")
        return False

    def _dispatch(self, req: P.Request, nas):
        server = self.server
        if req.code == P.STATUS_SERVER:
            code = P.ACCESS_ACCEPT if self.kind == "auth" else P.ACCOUNTING_RESPONSE
            return status_reply(req, nas, code)
        if req.code == P.ACCESS_REQUEST:
            return server.auth.access_request(req, nas)
        return server.acct.accounting_request(req, nas)

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


class RadiusServer:
    """The bridge in one process: sockets, storage and background loops."""

    def __init__(self, cfg, metrics: Metrics | None = None, reuse_port: bool = False):
        self.cfg = cfg
        self.metrics = metrics or Metrics()
        self.reuse_port = reuse_port
        self.nas = db.NasTable()
        self.pool = None
        self.cache = None
        self.writer = None
        self.auth = None
        self.acct = None
        self.transports = []
        self.tasks: list[asyncio.Task] = []
        self.http = None
        self.online = None
        self.authlog = None
        self._nas_loaded_at = 0.0

    @property
    def schema(self) -> str:
        return self.cfg.database.schema

    async def start(self) -> None:
        cfg = self.cfg
        # Started before its database (boot order, failover): wait, bind no socket meanwhile.
        self.pool = await db.open_pool(cfg.database)
        await self.nas.refresh(self.pool, self.schema)
        self._nas_loaded_at = time.monotonic()
        self.cache = db.AccountCache(
            self.pool, self.schema, cfg.cache.max_accounts, self.metrics, cfg.database.pool_size
        )
        await self.cache.start_feed()
        self.online = OnlineIndex(self.pool, self.schema, cfg.policy.pending_accept_seconds)
        await self.online.refresh()
        self.authlog = AuthLog(self.pool, self.schema, self.metrics, cfg.auth_log.max_buffer)
        self.writer = AccountingWriter(
            self.pool,
            self.schema,
            self.metrics,
            cfg.accounting.batch_max,
            cfg.accounting.interim_interval,
            cfg.accounting.writers,
        )
        self.writer.on_commit = self.online.committed
        settings = policy.Settings(
            interim_interval=cfg.accounting.interim_interval,
            expiring_window=timedelta(days=cfg.policy.expiring_days),
            max_session_timeout=cfg.policy.max_session_timeout,
            expired_filter_id=cfg.policy.expired_filter_id,
        )
        self.auth = AuthHandler(self.cache, self.online, self.authlog, self.metrics, settings)
        self.acct = AcctHandler(self.writer, self.metrics, cfg.accounting.max_backlog)
        loop = asyncio.get_running_loop()
        for kind, port in (("auth", cfg.server.auth_port), ("acct", cfg.server.acct_port)):
            transport, _ = await loop.create_datagram_endpoint(
                lambda kind=kind: _Protocol(self, kind),
                sock=_udp_socket(cfg.server.host, port, self.reuse_port),
            )
            self.transports.append(transport)
        self.tasks = [
            asyncio.ensure_future(self.writer.run()),
            self._every(cfg.database.change_poll_seconds, self.cache.poll_changes, "change_feed"),
            self._every(cfg.database.nas_poll_seconds, self._refresh_nas, "nas_reload"),
            self._every(5.0, self.online.refresh, "online_refresh"),
            self._every(cfg.auth_log.flush_seconds, self.authlog.flush, "auth_log"),
            self._every(cfg.accounting.stale_sweep_seconds, self.writer.sweep_stale, "stale"),
            self._every(30.0, _freeze_heap, "gc_freeze"),
        ]
        await _freeze_heap()
        self.metrics.collectors.append(self._gauges)
        if cfg.metrics.port:
            self.http = await start_http(self.metrics, cfg.metrics.host, cfg.metrics.port)
        event(
            logger,
            logging.INFO,
            "started",
            host=cfg.server.host,
            auth_port=cfg.server.auth_port,
            acct_port=cfg.server.acct_port,
            nas=len(self.nas.directory),
        )

    def _gauges(self, gauges: dict) -> None:
        gauges["cached_accounts"] = len(self.cache.rows)
        gauges["accounting_backlog"] = self.writer.backlog()
        gauges["auth_log_backlog"] = len(self.authlog.rows)
        gauges["nas"] = len(self.nas.directory)
        gauges["online_sessions"] = sum(self.online.counts.values())
        for transport in self.transports:
            proto = transport.get_protocol()
            gauges[f"dedup_entries_{proto.kind}"] = len(proto.dedup)

    async def _refresh_nas(self) -> None:
        """Swap in a new NAS directory when the relation changed; keep the old one on error."""
        now = time.monotonic()
        force = now - self._nas_loaded_at >= self.cfg.database.nas_reload_seconds
        if await self.nas.refresh(self.pool, self.schema, force=force):
            self._nas_loaded_at = now
            self.metrics.inc("nas_reloads_total", "forced" if force else "changed")
            event(logger, logging.INFO, "nas_reloaded", nas=len(self.nas.directory))

    def _every(self, seconds: float, job, name: str) -> asyncio.Task:
        async def loop():
            while True:
                await asyncio.sleep(seconds)
                try:
                    await job()
                except Exception as exc:
                    self.metrics.inc("db_errors_total", name)
                    event(
                        logger,
                        logging.WARNING,
                        "background_job_failed",
                        job=name,
                        error=type(exc).__name__,
                    )

        return asyncio.ensure_future(loop())

    async def stop(self) -> None:
        for transport in self.transports:
            transport.close()
        if self.http is not None:
            self.http.close()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.authlog is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.authlog.flush(), 5)
        if self.pool is not None:
            self.pool.terminate()
        event(logger, logging.INFO, "stopped")


async def _freeze_heap() -> None:
    """Keep long-lived objects (the account cache) out of the cyclic GC's full scans.

    A full collection over a million cached rows stalls the loop for a long time, which
    shows as p99 latency; cached rows hold no reference cycles, so freezing them is safe.
    """
    gc.collect(1)
    gc.freeze()


def _udp_socket(host: str, port: int, reuse_port: bool) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
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
