"""The accounting writer's side of the spool: divert records to it while PostgreSQL is
unavailable, and replay it — in order, through the writer's own commit path — when the
database is back (also after a crash: ``run`` starts by replaying what a previous process
left). While anything is spooled, new records queue behind it on disk, so nothing overtakes
what came first (an Accounting-On after the Starts it closes, say).

The replay never dies and never blocks on one entry: it is supervised (any error is logged,
counted and retried with back-off), and an entry it cannot decode or the database refuses is
kept aside with its segment in ``quarantine/`` — loudly — while the rest is replayed.
"""

from __future__ import annotations

import asyncio
import logging

from .log import event
from .records import KIND_NAMES, Record
from .spool import SpoolFull

logger = logging.getLogger("radius_bridge.accounting")


class Unreachable(Exception):
    """The database cannot be reached (or cannot write): spool instead."""


class SpoolingMixin:
    """Needs ``spool``, ``spooling``, ``_replay``, ``metrics``, ``cfg`` and ``commit``."""

    def _to_spool(self, batch) -> None:
        for rec, done in batch:
            if self.spool is None:
                done(False)  # no spool configured: unanswered, the NAS retries
                continue
            try:
                self.spool.append(rec.to_spool(), done)
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
            self._replay = asyncio.ensure_future(self._supervise_replay())

    async def _supervise_replay(self) -> None:
        """Run the replay until the spool is empty, whatever it raises on the way."""
        delay = 0.2
        while True:
            try:
                await self._replay_spool()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.metrics.inc("spool_replay_errors_total")
                event(logger, logging.ERROR, "spool_replay_failed", error=repr(exc)[:300],
                      retry_in=delay)  # fmt: skip
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _replay_spool(self) -> None:
        delay = 0.2
        replayed = 0
        while True:
            segment = await self.spool.oldest()
            if segment is None:
                if self.spool.writing():
                    await asyncio.sleep(0.01)
                    continue
                self.spooling = False  # no await since the check: nothing slipped in
                event(logger, logging.WARNING, "accounting_spool_replayed", records=replayed)
                return
            records, bad = _decode(segment)
            try:
                for i in range(0, len(records), self.cfg.batch_max):
                    part = records[i : i + self.cfg.batch_max]
                    for (offset, rec), outcome in zip(
                        part, await self.commit([r for _, r in part]), strict=True
                    ):
                        if outcome is None:  # refused for its data: keep it, never drop it
                            bad.append({"offset": offset, "why": "refused by the database",
                                        "record": rec.to_spool()})  # fmt: skip
            except Unreachable:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            delay = 0.2
            replayed += len(records)
            self.metrics.inc("spool_replayed_total", "", len(records))
            if bad or segment.damaged:
                await self._quarantine(segment, bad)
            else:
                await self.spool.remove(segment.name)

    async def _quarantine(self, segment, bad: list) -> None:
        skipped = [{"offset": o, "length": n, "why": why} for o, n, why in segment.skipped]
        if skipped:
            self.metrics.inc("spool_dropped_total", "unreadable_range", len(skipped))
        for item in bad:
            self.metrics.inc("spool_dropped_total", item["why"].split()[0])
        report = {"segment": segment.name, "size": segment.size, "skipped": skipped,
                  "entries": bad}  # fmt: skip
        target = await self.spool.quarantine(segment.name, report)
        for offset, length, why in segment.skipped:  # every loss on its own line
            event(logger, logging.ERROR, "spool_bytes_unreadable", path=target, offset=offset,
                  length=length, why=why)  # fmt: skip
        for item in bad:
            event(logger, logging.ERROR, "spool_entry_dropped", path=target,
                  offset=item["offset"], why=item["why"])  # fmt: skip
        event(logger, logging.ERROR, "spool_segment_quarantined", path=target,
              unreadable_ranges=len(skipped),
              unreadable_bytes=sum(n for _, n, _ in segment.skipped),
              bad_entries=len(bad), replayed=len(segment.entries) - len(bad))  # fmt: skip


def _decode(segment) -> tuple[list, list]:
    """([(offset, record)], [bad entry reports]) of a segment's entries."""
    records, bad = [], []
    for offset, payload in segment.entries:
        try:
            records.append((offset, Record.from_spool(payload)))
        except (ValueError, TypeError) as exc:
            bad.append({"offset": offset, "why": "undecodable", "error": str(exc)[:200],
                        "payload": payload})  # fmt: skip
    return records, bad
