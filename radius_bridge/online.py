"""Who is online, per username, for session limits (B11) only.

``counts`` holds live sessions: read from ``session`` every few seconds and moved at once
when this bridge commits a Start or a Stop. ``pending`` holds the Access-Accepts this bridge
granted that no Accounting-Start has matched yet; each expires after ``pending_seconds``
(a NAS that never starts the session must not block the account for ever).

The in-memory figure only decides whether the database must be asked: when an account with
a limit is within one of it, the handler recounts its live sessions exactly and adds the
pending reservations. Decisions and reservations happen on the one event loop without an
``await`` in between, so two logins racing on one bridge cannot both take the last place.
Several bridges share only the ``session`` table: across them the limit stays approximate.
"""

from __future__ import annotations

import asyncio
import time

from .policy import port_ident
from .records import ACCT_OFF, ACCT_ON, START, STOP


class OnlineIndex:
    def __init__(self, pool, schema: str, pending_seconds: float = 60.0, exact_pool=None):
        self.pool = pool
        self.exact_pool = exact_pool or pool  # the recount a login waits for: the auth pool
        self.schema = schema
        self.pending_seconds = pending_seconds
        self.counts: dict[str, int] = {}
        # username → {where the login came from: deadline (monotonic)}; one reservation per
        # place, so a re-dial from the same MAC / port replaces its own.
        self.pending: dict[str, dict] = {}
        # Each local change bumps ``epoch``; a count read from the database while a change of
        # that username was being applied may predate it, so the local figure wins.
        self.epoch = 0
        self.changed: dict[str, int] = {}
        self._refreshing: asyncio.Future | None = None
        self._again = False
        self._sql_all = f"SELECT username, count(*) AS n FROM {schema}.session GROUP BY username"
        self._sql_many = (
            f"SELECT username, count(*) AS n FROM {schema}.session "
            "WHERE username = ANY($1::text[]) GROUP BY username"
        )
        self._exact_waiting: dict[str, asyncio.Future] = {}
        self._exact_scheduled = False

    def online(self, username: str, ident=None) -> int:
        """Live sessions plus pending accepts (but the one from ``ident``), as known here."""
        return self.counts.get(username, 0) + self.pending_count(username, ident)

    def pending_count(self, username: str, ident=None) -> int:
        places = self.pending.get(username)
        if not places:
            return 0
        now = time.monotonic()
        for place in [p for p, deadline in places.items() if deadline <= now]:
            del places[place]
        if not places:
            del self.pending[username]
            return 0
        return len(places) - (ident is not None and ident in places)

    def reserve(self, username: str, ident=None) -> None:
        """An Access-Accept for an account with a limit: count it until its Start arrives.
        Without a known place (no MAC, no port) each accept is a place of its own."""
        place = ident if ident is not None else ("accept", self.epoch, time.monotonic())
        self.pending.setdefault(username, {})[place] = time.monotonic() + self.pending_seconds

    def started(self, username: str, ident=None) -> None:
        """A committed Start: the session is live; it consumes its place's reservation (or
        the oldest)."""
        self._touch(username)
        self.counts[username] = self.counts.get(username, 0) + 1
        places = self.pending.get(username)
        if places:
            if ident in places:
                del places[ident]
            else:
                del places[min(places, key=places.get)]
            if not places:
                del self.pending[username]

    def stopped(self, username: str) -> None:
        n = self.counts.get(username)
        if n is None:
            return
        self._touch(username)
        if n <= 1:
            del self.counts[username]
        else:
            self.counts[username] = n - 1

    def committed(self, results) -> None:
        """(record, outcome) pairs of one accounting commit, before their replies go out."""
        reboot = False
        for rec, outcome in results:
            kind = rec.kind
            if (kind == START and outcome == "new") or outcome == "reopened":
                port = rec.port_id or (None if rec.nas_port is None else str(rec.nas_port))
                self.started(rec.username, port_ident(rec.nas_id, rec.calling, port))
            elif kind == STOP and outcome == "live":
                self.stopped(rec.username)
            elif kind in (ACCT_ON, ACCT_OFF):
                reboot = True
        if reboot:  # which sessions the NAS closed is known only to the database
            self.request_refresh()

    def request_refresh(self) -> None:
        """One full re-read at a time, however many NAS reboot meanwhile: a storm of
        Accounting-On must not start a storm of full scans."""
        if self._refreshing is not None and not self._refreshing.done():
            self._again = True
            return
        self._again = False
        self._refreshing = asyncio.ensure_future(self.refresh())
        self._refreshing.add_done_callback(self._refreshed)

    def _refreshed(self, task) -> None:
        if not task.cancelled():
            task.exception()  # retrieved: a failed refresh is retried by the 5 s loop
        if self._again:
            self.request_refresh()

    def _touch(self, username: str) -> None:
        self.epoch += 1
        self.changed[username] = self.epoch

    async def refresh(self) -> None:
        """Re-read every live session count (sessions of other bridges, the stale sweep)."""
        epoch = self.epoch
        rows = await self.pool.fetch(self._sql_all)
        counts = {row["username"]: row["n"] for row in rows}
        changed = {u: e for u, e in self.changed.items() if e > epoch}
        for username in changed:
            n = self.counts.get(username)
            if n is None:
                counts.pop(username, None)
            else:
                counts[username] = n
        self.counts, self.changed = counts, changed
        now = time.monotonic()
        for username in [u for u, d in self.pending.items() if max(d.values()) <= now]:
            del self.pending[username]

    async def exact(self, username: str) -> int:
        """Live sessions of ``username`` from the database, not racing a local commit.

        Recounts asked for while one query runs share the next one (a limit-1 account is
        recounted at every login: one query per login would queue on the auth pool).
        """
        fut = self._exact_waiting.get(username)
        if fut is None:
            fut = asyncio.get_running_loop().create_future()
            self._exact_waiting[username] = fut
            if not self._exact_scheduled:
                self._exact_scheduled = True
                asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(self._recount()))
        return await asyncio.shield(fut)

    async def _recount(self) -> None:
        self._exact_scheduled = False
        waiting, self._exact_waiting = self._exact_waiting, {}
        names = sorted(waiting)
        epochs = {name: self.changed.get(name, 0) for name in names}
        try:
            rows = await self.exact_pool.fetch(self._sql_many, names)
        except Exception as exc:
            for fut in waiting.values():
                if not fut.done():
                    fut.set_exception(exc)
                    fut.exception()  # retrieved: a waiter may have gone
            return
        found = {row["username"]: row["n"] for row in rows}
        for name in names:
            n = found.get(name, 0)
            if self.changed.get(name, 0) != epochs[name]:
                # A local Start / Stop committed while we counted: be conservative.
                n = max(n, self.counts.get(name, 0))
            if n:
                self.counts[name] = n
            else:
                self.counts.pop(name, None)
            if not waiting[name].done():
                waiting[name].set_result(n)
