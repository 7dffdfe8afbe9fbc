"""The accounting writer's side of the spool: divert records to it while PostgreSQL is
unreachable, and replay it — in order, through the writer's own commit path — when the
database is back (also after a crash: ``run`` starts by replaying what a previous process
left). While anything is spooled, new records queue behind it on disk, so nothing overtakes
what came first (an Accounting-On after the Starts it closes, say).
"""

from __future__ import annotations

import asyncio
import logging

from .log import event
from .records import KIND_NAMES, Record
from .spool import SpoolFull

logger = logging.getLogger("radius_bridge.accounting")


class Unreachable(Exception):
    """The database cannot be reached: spool instead."""


class SpoolingMixin:
    """Needs ``spool``, ``spooling``, ``_replay``, ``metrics``, ``cfg`` and ``commit``."""

    def _to_spool(self, batch) -> None:
        for rec, done in batch:
            if self.spool is None:
                done(False)  # no spool configured: unanswered, the NAS retries
                continue
            try:
                self.spool.append(rec.to_list(), done)
                self.metrics.inc("spooled_total", KIND_NAMES[rec.kind])
            except SpoolFull:
                self.metrics.inc("dropped_total", "spool_full")
                done(False)

    def _start_spooling(self) -> None:
        if self.spool is None:
            return
        if not self.spooling:
            event(logger, logging.WARNING, "accounting_spooling", path=self.spool.path)
        self.spooling = True
        if self._replay is None or self._replay.done():
            self._replay = asyncio.ensure_future(self._replay_spool())

    async def _replay_spool(self) -> None:
        delay = 0.2
        replayed = 0
        while True:
            item = await self.spool.oldest()
            if item is None:
                if self.spool._pending or self.spool._flushing:
                    await asyncio.sleep(0.01)
                    continue
                self.spooling = False  # no await since the check: nothing slipped in
                event(logger, logging.WARNING, "accounting_spool_replayed", records=replayed)
                return
            name, payloads = item
            records = [Record.from_list(p) for p in payloads]
            try:
                for i in range(0, len(records), self.cfg.batch_max):
                    await self.commit(records[i : i + self.cfg.batch_max])
            except Unreachable:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            delay = 0.2
            replayed += len(records)
            self.metrics.inc("spool_replayed_total", "", len(records))
            await self.spool.remove(name)
