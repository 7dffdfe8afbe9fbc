"""The UDP protocol: validate, identify the NAS, de-duplicate, dispatch, reply.

Nothing here blocks the loop: handlers answer at once or return an awaitable that gets its
own task. Invalid datagrams are dropped silently and counted, never answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
from datetime import timedelta

from . import db, policy
from . import packets as P
from .accounting import AccountingWriter
from .authlog import AuthLog
from .cache import AccountCache
from .dedup import IN_PROGRESS, DuplicateCache
from .feed import ChangeFeed
from .handlers import AcctHandler, AuthHandler, status_reply
from .log import event
from .metrics import Metrics, start_http
from .online import OnlineIndex
from .passwords import CryptChecker
from .spool import Spool

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


class RadiusServer:
    """The bridge in one process: sockets, storage and background loops."""

    def __init__(self, cfg, metrics: Metrics | None = None, reuse_port: bool = False,
                 worker: int = 0):  # fmt: skip
        self.cfg = cfg
        self.metrics = metrics or Metrics()
        self.reuse_port = reuse_port
        self.worker = worker
        self.nas = db.NasTable()
        self.pool = None  # accounting, auth log, feed, background jobs
        self.auth_pool = None  # what an Access-Request waits for, only
        self.cache = None
        self.feed = None
        self.writer = None
        self.spool = None
        self.auth = None
        self.acct = None
        self.transports = []
        self.tasks: list[asyncio.Task] = []
        self.http = None
        self.online = None
        self.authlog = None
        self.crypt = None
        self._nas_loaded_at = 0.0

    @property
    def schema(self) -> str:
        return self.cfg.database.schema

    async def start(self) -> None:
        cfg = self.cfg
        # The spool first: records left by a run that was killed are replayed before
        # anything new, and a spool held by another process stops us before we bind.
        self.spool = Spool(
            os.path.join(cfg.spool.path, f"worker-{self.worker}"), cfg.spool.max_bytes
        )
        if self.worker == 0:
            _warn_orphan_spools(cfg.spool.path, cfg.server.workers)
        # Started before its database (boot order, failover): wait, bind no socket meanwhile.
        self.pool = await db.open_pool(cfg.database)
        self.auth_pool = await db.create_pool(
            cfg.database, cfg.database.auth_pool_size, "radius_bridge_auth"
        )
        await self.nas.refresh(self.pool, self.schema)
        self._nas_loaded_at = time.monotonic()
        self.cache = AccountCache(
            self.auth_pool, self.schema, cfg.cache, self.metrics, cfg.database.auth_pool_size
        )
        self.feed = ChangeFeed(self.pool, self.schema, self.cache, self.metrics, cfg.database.dsn)
        await self.feed.start()
        self.online = OnlineIndex(
            self.pool, self.schema, cfg.policy.pending_accept_seconds, self.auth_pool
        )
        await self.online.refresh()
        self.authlog = AuthLog(
            self.pool, self.schema, self.metrics, cfg.auth_log.max_buffer, self.cache
        )
        self.writer = AccountingWriter(
            self.pool, self.schema, self.metrics, cfg.accounting, self.spool
        )
        self.writer.on_commit = self.online.committed
        settings = policy.Settings(
            interim_interval=cfg.accounting.interim_interval,
            expiring_window=timedelta(days=cfg.policy.expiring_days),
            max_session_timeout=cfg.policy.max_session_timeout,
            expired_filter_id=cfg.policy.expired_filter_id,
        )
        self.crypt = CryptChecker(cfg.policy.crypt_workers, cfg.policy.max_crypt_pending)
        self.auth = AuthHandler(
            self.cache, self.online, self.authlog, self.metrics, settings, cfg.policy, self.crypt
        )
        self.acct = AcctHandler(
            self.writer,
            self.metrics,
            cfg.accounting.max_backlog,
            cfg.accounting.max_delay_seconds,
        )
        loop = asyncio.get_running_loop()
        for kind, port in (("auth", cfg.server.auth_port), ("acct", cfg.server.acct_port)):
            transport, _ = await loop.create_datagram_endpoint(
                lambda kind=kind: _Protocol(self, kind),
                sock=_udp_socket(cfg.server.host, port, self.reuse_port),
            )
            self.transports.append(transport)
        self.tasks = [
            asyncio.ensure_future(self.writer.run()),
            asyncio.ensure_future(self.feed.run(cfg.database.change_poll_seconds)),
            self._every(cfg.database.nas_poll_seconds, self._refresh_nas, "nas_reload"),
            self._every(5.0, self.online.refresh, "online_refresh"),
            self._every(cfg.auth_log.flush_seconds, self.authlog.flush, "auth_log"),
            self._every(cfg.accounting.stale_sweep_seconds, self.writer.sweep_stale, "stale"),
        ]
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
        gauges["cached_unknown"] = len(self.cache.unknown)
        gauges["spool_bytes"] = self.spool.size
        gauges["spooling"] = int(self.writer.spooling)
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
        if self.feed is not None:
            await self.feed.close()
        for pool in (self.pool, self.auth_pool):
            if pool is not None:
                pool.terminate()
        if self.crypt is not None:
            self.crypt.close()
        if self.spool is not None:
            self.spool.close()
        event(logger, logging.INFO, "stopped")


def _warn_orphan_spools(path: str, workers: int) -> None:
    """Spooled records of a worker that no longer exists (``workers`` lowered) are not
    replayed by anyone: say so loudly, once, at start-up."""
    try:
        names = os.listdir(path)
    except OSError:
        return
    for name in names:
        index = name.removeprefix("worker-")
        if not index.isdigit() or int(index) < workers:
            continue
        full = os.path.join(path, name)
        if any(n.endswith(".spool") for n in os.listdir(full)):
            event(logger, logging.ERROR, "orphan_spool", path=full,
                  hint=f"raise [server] workers above {index} until it is replayed")  # fmt: skip


def _udp_socket(host: str, port: int, reuse_port: bool) -> socket.socket:
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
