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

import asyncpg

from .accounting import ACCT_OFF, ACCT_ON, START, STOP


class OnlineIndex:
    def __init__(self, pool: asyncpg.Pool, schema: str, pending_seconds: float = 60.0):
        self.pool = pool
        self.schema = schema
        self.pending_seconds = pending_seconds
        self.counts: dict[str, int] = {}
        self.pending: dict[str, list[float]] = {}  # username → deadlines (monotonic), oldest first
        # Each local change bumps ``epoch``; a count read from the database while a change of
        # that username was being applied may predate it, so the local figure wins.
        self.epoch = 0
        self.changed: dict[str, int] = {}
        self._sql_all = f"SELECT username, count(*) AS n FROM {schema}.session GROUP BY username"
        self._sql_one = f"SELECT count(*) FROM {schema}.session WHERE username = $1"

    def online(self, username: str) -> int:
        """Live sessions plus pending accepts, as this bridge knows them."""
        return self.counts.get(username, 0) + self.pending_count(username)

    def pending_count(self, username: str) -> int:
        deadlines = self.pending.get(username)
        if not deadlines:
            return 0
        now = time.monotonic()
        while deadlines and deadlines[0] <= now:
            deadlines.pop(0)
        if not deadlines:
            del self.pending[username]
            return 0
        return len(deadlines)

    def reserve(self, username: str) -> None:
        """An Access-Accept for an account with a limit: count it until its Start arrives."""
        self.pending.setdefault(username, []).append(time.monotonic() + self.pending_seconds)

    def started(self, username: str) -> None:
        """A committed Start: the session is live; it consumes the oldest reservation."""
        self._touch(username)
        self.counts[username] = self.counts.get(username, 0) + 1
        deadlines = self.pending.get(username)
        if deadlines:
            deadlines.pop(0)
            if not deadlines:
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

    def committed(self, records) -> None:
        """The records of one accounting commit, before their replies go out."""
        reboot = False
        for rec in records:
            kind = rec.kind
            if kind == START:
                self.started(rec.username)
            elif kind == STOP:
                self.stopped(rec.username)
            elif kind in (ACCT_ON, ACCT_OFF):
                reboot = True
        if reboot:  # which sessions the NAS closed is known only to the database
            task = asyncio.ensure_future(self.refresh())
            task.add_done_callback(lambda t: t.cancelled() or t.exception())

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
        for username in [u for u, d in self.pending.items() if d[-1] <= now]:
            del self.pending[username]

    async def exact(self, username: str) -> int:
        """Live sessions of ``username`` from the database, not racing a local commit."""
        for _ in range(3):
            epoch = self.changed.get(username, 0)
            n = await self.pool.fetchval(self._sql_one, username)
            if self.changed.get(username, 0) == epoch:
                break
        else:  # still changing under us: be conservative
            n = max(n, self.counts.get(username, 0))
        if n:
            self.counts[username] = n
        else:
            self.counts.pop(username, None)
        return n
