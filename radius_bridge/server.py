"""The bridge in one process: spool, storage, sockets and background loops.

Started while its database is unreachable (boot order, failover, an outage during a restart)
the bridge still takes accounting: with the NAS directory it saved beside the spool at its
last reload it can verify packets, so it binds at once and spools every Accounting-Request
(acknowledged once fsync'd). Access-Requests are dropped unanswered meanwhile — there is no
account to check — and so is Status-Server on the auth port, so a NAS fails over to another
server for logins. Once the database answers, the rest starts and the spool is replayed.
Without a saved directory (first start ever) it binds nothing until the database answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from datetime import timedelta

from . import db, dberrors, policy
from .accounting import AccountingWriter
from .authlog import AuthLog
from .cache import AccountCache
from .feed import ChangeFeed
from .handlers import AcctHandler, AuthHandler
from .log import event
from .metrics import Metrics, start_http
from .online import OnlineIndex
from .passwords import CryptChecker
from .protocol import Protocol, udp_socket
from .spool import Spool

logger = logging.getLogger("radius_bridge.server")


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
        self._connecting: asyncio.Task | None = None
        # Set with the error when a database reached after start-up refuses us for good
        # (contract mismatch): the runner then ends the process.
        self.failed: asyncio.Future | None = None

    @property
    def schema(self) -> str:
        return self.cfg.database.schema

    async def start(self) -> None:
        cfg = self.cfg
        self.failed = asyncio.get_running_loop().create_future()
        # The spool first: records left by a run that was killed are replayed before
        # anything new, and a spool held by another process stops us before we bind.
        self.spool = Spool(
            os.path.join(cfg.spool.path, f"worker-{self.worker}"), cfg.spool.max_bytes
        )
        if self.worker == 0:
            _warn_orphan_spools(cfg.spool.path, cfg.server.workers)
        self.nas.save_path = os.path.join(cfg.spool.path, db.NAS_FILE)
        self.writer = AccountingWriter(None, self.schema, self.metrics, cfg.accounting, self.spool)
        self.acct = AcctHandler(
            self.writer, self.metrics, cfg.accounting.max_backlog, cfg.accounting.max_delay_seconds
        )
        self.metrics.collectors.append(self._gauges)
        pool = await db.open_pool(cfg.database, attempts=1)  # None: not there (yet)
        if pool is None and self.nas.load_saved():
            await self._bind()
            self.tasks.append(asyncio.ensure_future(self.writer.run()))
            self._connecting = asyncio.ensure_future(self._connect_later())
            event(logger, logging.WARNING, "started_without_database", nas=len(self.nas.directory),
                  auth="dropped until the database answers", accounting="spooled")  # fmt: skip
            return
        # No saved NAS directory: no packet could be verified. Wait, bind nothing meanwhile.
        await self._start_database(pool or await db.open_pool(cfg.database, after=1))
        await self._bind()
        self.tasks.append(asyncio.ensure_future(self.writer.run()))
        self._start_jobs()
        event(logger, logging.INFO, "started", host=cfg.server.host, auth_port=cfg.server.auth_port,
              acct_port=cfg.server.acct_port, nas=len(self.nas.directory))  # fmt: skip

    async def _connect_later(self) -> None:
        """Bound without a database: connect (backing off), then start the rest."""
        after = 1
        while True:
            try:
                await self._start_database(await db.open_pool(self.cfg.database, after=after))
                break
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not isinstance(exc, db.ContractMismatch) and (
                    dberrors.classify(exc) == dberrors.UNAVAILABLE
                ):  # it went away again while we started: start over
                    event(logger, logging.WARNING, "database_unavailable", error=type(exc).__name__)
                    await self._close_database()
                    after = 0
                    await asyncio.sleep(1.0)
                    continue
                # A contract mismatch or configuration fault: stop serving.
                event(logger, logging.ERROR, "database_refused", error=type(exc).__name__,
                      detail=str(exc)[:200])  # fmt: skip
                self.failed.set_exception(exc)
                return
        self._start_jobs()
        event(logger, logging.WARNING, "database_connected", nas=len(self.nas.directory))

    async def _close_database(self) -> None:
        self.writer.pool = None
        self.auth = None
        if self.feed is not None:
            with contextlib.suppress(Exception):
                await self.feed.close()
        for pool in (self.pool, self.auth_pool):
            if pool is not None:
                pool.terminate()
        self.pool = self.auth_pool = self.feed = None

    async def _start_database(self, pool) -> None:
        cfg = self.cfg
        self.pool = pool
        self.auth_pool = await db.create_pool(
            cfg.database, cfg.database.auth_pool_size, "radius_bridge_auth"
        )
        await self.nas.refresh(self.pool, self.schema, force=True)
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
        self.writer.on_commit = self.online.committed
        self.writer.pool = self.pool  # the spool's replay goes through from here on
        settings = policy.Settings(
            interim_interval=cfg.accounting.interim_interval,
            expiring_window=timedelta(days=cfg.policy.expiring_days),
            max_session_timeout=cfg.policy.max_session_timeout,
            first_dial_session_timeout=cfg.policy.first_dial_session_timeout,
            expired_filter_id=cfg.policy.expired_filter_id,
        )
        self.crypt = CryptChecker(cfg.policy.crypt_workers, cfg.policy.max_crypt_pending)
        self.auth = AuthHandler(
            self.cache, self.online, self.authlog, self.metrics, settings, cfg.policy, self.crypt
        )

    async def _bind(self) -> None:
        cfg = self.cfg
        loop = asyncio.get_running_loop()
        for kind, port in (("auth", cfg.server.auth_port), ("acct", cfg.server.acct_port)):
            transport, _ = await loop.create_datagram_endpoint(
                lambda kind=kind: Protocol(self, kind),
                sock=udp_socket(cfg.server.host, port, self.reuse_port),
            )
            self.transports.append(transport)
        if cfg.metrics.port:
            self.http = await start_http(self.metrics, cfg.metrics.host, cfg.metrics.port)

    def _start_jobs(self) -> None:
        cfg = self.cfg
        self.tasks += [
            asyncio.ensure_future(self.feed.run(cfg.database.change_poll_seconds)),
            self._every(cfg.database.nas_poll_seconds, self._refresh_nas, "nas_reload"),
            self._every(5.0, self.online.refresh, "online_refresh"),
            self._every(cfg.auth_log.flush_seconds, self.authlog.flush, "auth_log"),
            self._every(cfg.accounting.stale_sweep_seconds, self.writer.sweep_stale, "stale"),
        ]

    def _gauges(self, gauges: dict) -> None:
        gauges["database"] = int(self.auth is not None)
        gauges["spool_bytes"] = self.spool.size
        gauges["spooling"] = int(self.writer.spooling)
        gauges["accounting_backlog"] = self.writer.backlog()
        gauges["nas"] = len(self.nas.directory)
        if self.auth is not None:
            gauges["cached_accounts"] = len(self.cache.rows)
            gauges["cached_unknown"] = len(self.cache.unknown)
            gauges["auth_log_backlog"] = len(self.authlog.rows)
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
        if self._connecting is not None:
            self._connecting.cancel()
            await asyncio.gather(self._connecting, return_exceptions=True)
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
