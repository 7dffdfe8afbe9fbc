"""A local durable spool for accounting while PostgreSQL is unreachable.

Records are appended to segment files (``<n>.spool``, n increasing) as frames — a 4-byte
marker, 4-byte length, 4-byte CRC-32 of length and body, and a JSON body (ASCII only, so the
marker's 0xA5 byte never occurs inside one) — and ``fsync``'d before their callbacks run, so
an Accounting-Response is only sent for a record on disk. Writes are grouped: everything
appended while one ``fsync`` runs goes into the next.

Nothing acknowledged is ever lost to a damaged byte:

* a write that fails half-way (disk full, I/O error) is cut back to the last whole frame
  before anything else is appended; if even that fails, the segment is sealed and the next
  write starts a new one;
* reading resynchronises past damage: a frame whose CRC fails is skipped up to the next
  marker, and every frame after it is still read (the format of the previous bridge version —
  length, CRC, body, no marker — is read the same way, scanning for the next valid frame);
* a segment with any unreadable byte or entry is not deleted after replay but moved to
  ``quarantine/`` beside a JSON report of what was skipped, with a loud log line and metric.

Replay reads the oldest segment and removes it only after its records are committed; a crash
in between replays it again, which the idempotent accounting path makes harmless. The
directory is locked (``flock``) so two processes never share one; its size is bounded.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import fcntl
import json
import os
import re
import struct
import zlib
from dataclasses import dataclass, field

MARKER = b"\xa5ZS2"
_HEAD = struct.Struct("!4sII")  # marker, length, crc32(length + body)
_V1 = struct.Struct("!II")  # the previous format: length, crc32(body)
MAX_ENTRY = 1 << 20  # far above any record (a RADIUS packet is at most 4 KiB)
SUFFIX = ".spool"
QUARANTINE = "quarantine"
_QUARANTINED = re.compile(r"\d+\.spool(\.\d+)?")  # a segment in quarantine (not a report)


class SpoolFull(Exception):
    """The spool reached its size bound: the record is not acknowledged."""


@dataclass
class Segment:
    """One segment as read back: its entries and what could not be read."""

    name: str
    size: int
    entries: list = field(default_factory=list)  # (offset, payload: decoded JSON)
    skipped: list = field(default_factory=list)  # (offset, length, why): bytes not read

    @property
    def damaged(self) -> bool:
        return bool(self.skipped)


def frame(payload) -> bytes:
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=True).encode()
    size = len(body).to_bytes(4, "big")
    return MARKER + size + zlib.crc32(body, zlib.crc32(size)).to_bytes(4, "big") + body


def parse_segment(name: str, data: bytes) -> Segment:
    """Every readable entry of a segment's bytes, and the ranges skipped (see module doc)."""
    seg = Segment(name, len(data))
    reader = _next_v2 if data.startswith(MARKER) or not data else _next_v1
    pos = 0
    while pos < len(data):
        found = reader(data, pos)
        if found is None:  # no whole frame from here on: a torn tail or damage to the end
            seg.skipped.append((pos, len(data) - pos, "unreadable"))
            break
        start, end, body = found
        if start > pos:
            seg.skipped.append((pos, start - pos, "unreadable"))
        try:
            seg.entries.append((start, json.loads(body)))
        except ValueError:
            seg.skipped.append((start, end - start, "not json"))
        pos = end
    return seg


def _next_v2(data: bytes, pos: int):
    """(start, end, body) of the first valid frame at or after ``pos``; None if none."""
    while True:
        if data.startswith(MARKER, pos) and pos + _HEAD.size <= len(data):
            _, length, crc = _HEAD.unpack_from(data, pos)
            end = pos + _HEAD.size + length
            if length <= MAX_ENTRY and end <= len(data):
                body = data[pos + _HEAD.size : end]
                if zlib.crc32(body, zlib.crc32(data[pos + 4 : pos + 8])) == crc:
                    return pos, end, body
        pos = data.find(MARKER, pos + 1)
        if pos < 0:
            return None


def _next_v1(data: bytes, pos: int):
    """The same for the previous format: try each offset whose body would start like JSON."""
    n = len(data)
    while pos + _V1.size < n:
        length, crc = _V1.unpack_from(data, pos)
        end = pos + _V1.size + length
        if 0 < length <= MAX_ENTRY and end <= n and data[pos + _V1.size] in b"[{":
            body = data[pos + _V1.size : end]
            if zlib.crc32(body) == crc:
                return pos, end, body
        pos += 1
    return None


class Spool:
    def __init__(self, path: str, max_bytes: int, segment_bytes: int = 4 << 20):
        self.path = path
        self.max_bytes = max_bytes
        self.segment_bytes = segment_bytes
        os.makedirs(path, mode=0o700, exist_ok=True)
        self._lock_fd = os.open(os.path.join(path, ".lock"), os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(self._lock_fd)
            raise RuntimeError(f"spool {path} is in use by another process") from exc
        # One thread does every write and fsync, in order.
        self._io = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="spool")
        self._fd: int | None = None
        self._current_size = 0
        self._pending: list[tuple[bytes, object]] = []
        self._flushing = False
        self.size = sum(
            os.path.getsize(os.path.join(path, name)) for name in self.segments_on_disk()
        )
        numbers = [int(n[: -len(SUFFIX)]) for n in self.segments_on_disk()]
        self._next = max(numbers, default=0) + 1
        self.entries = 0  # appended and synced by this process (metrics)
        self.write_errors = 0

    def segments_on_disk(self) -> list[str]:
        names = [n for n in os.listdir(self.path) if n.endswith(SUFFIX) and n[:-6].isdigit()]
        return sorted(names, key=lambda n: int(n[: -len(SUFFIX)]))

    def busy(self) -> bool:
        """Anything on disk or on its way there (not for the hot path: it lists the dir)."""
        return self.writing() or bool(self.segments_on_disk())

    def writing(self) -> bool:
        return bool(self._pending) or self._flushing

    # -- appending --------------------------------------------------------------------------
    def append(self, payload, done) -> None:
        """Queue ``payload`` (JSON-able); ``done(ok)`` runs once it is on disk (or failed)."""
        entry = frame(payload)
        if self.size + len(entry) > self.max_bytes:
            raise SpoolFull(self.path)
        self.size += len(entry)
        self._pending.append((entry, done))
        if not self._flushing:
            self._flushing = True
            asyncio.ensure_future(self._flush())

    async def _flush(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._pending:
                group, self._pending = self._pending, []
                blob = b"".join(entry for entry, _ in group)
                try:
                    await loop.run_in_executor(self._io, self._write, blob)
                except OSError:
                    self.size -= len(blob)
                    self.write_errors += 1
                    for _, done in group:
                        done(False)
                    continue
                self.entries += len(group)
                for _, done in group:
                    done(True)
        finally:
            self._flushing = False

    def _write(self, blob: bytes) -> None:  # in the spool thread
        if self._fd is None or self._current_size >= self.segment_bytes:
            self._open_segment()
        good = self._current_size  # the segment ends with a whole frame here
        try:
            view = memoryview(blob)
            while view:
                n = os.write(self._fd, view)
                view = view[n:]
            os.fsync(self._fd)
        except OSError:
            # Part of the blob may be on disk (a short write, then ENOSPC): torn bytes that
            # every later frame would sit behind. Cut them off; if even that fails, later
            # frames go to a new segment (and the reader resynchronises past the tear).
            try:
                os.ftruncate(self._fd, good)
                os.fsync(self._fd)
            except OSError:
                self._seal()
            raise
        self._current_size += len(blob)

    def _open_segment(self) -> None:
        self._seal()
        number = self._next
        self._next += 1
        name = os.path.join(self.path, f"{number:012d}{SUFFIX}")
        self._fd = os.open(name, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600)
        self._current_size = 0
        _fsync_dir(self.path)  # the new name itself must survive a crash

    def _seal(self) -> None:  # in the spool thread: later writes go to a new segment
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)

    # -- replaying --------------------------------------------------------------------------
    async def oldest(self) -> Segment | None:
        """The oldest segment, read; the one being written is sealed first.

        One job in the spool thread, so no write can slip into the segment being read.
        """
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._io, self._take_oldest)

    def _take_oldest(self) -> Segment | None:  # in the spool thread
        self._seal()
        names = self.segments_on_disk()
        if not names:
            return None
        with open(os.path.join(self.path, names[0]), "rb") as fh:
            return parse_segment(names[0], fh.read())

    async def remove(self, name: str) -> None:
        """The segment's records are committed: forget it."""
        loop = asyncio.get_running_loop()
        full = os.path.join(self.path, name)
        size = os.path.getsize(full)
        await loop.run_in_executor(self._io, _unlink, full, self.path)
        self.size = max(0, self.size - size)

    async def quarantine(self, name: str, report: dict) -> str:
        """Move a segment that could not be replayed whole to ``quarantine/``, with a JSON
        report beside it; returns its new path. Its bytes are kept for an operator."""
        loop = asyncio.get_running_loop()
        size = os.path.getsize(os.path.join(self.path, name))
        target = await loop.run_in_executor(self._io, self._quarantine, name, report)
        self.size = max(0, self.size - size)
        return target

    def _quarantine(self, name: str, report: dict) -> str:  # in the spool thread
        folder = os.path.join(self.path, QUARANTINE)
        os.makedirs(folder, mode=0o700, exist_ok=True)
        base = os.path.join(folder, name)
        n = 0
        while os.path.exists(base + (f".{n}" if n else "")):
            n += 1
        target = base + (f".{n}" if n else "")
        write_atomic(target + ".report.json", json.dumps(report, indent=1).encode())
        os.rename(os.path.join(self.path, name), target)
        _fsync_dir(folder)
        _fsync_dir(self.path)
        return target

    def close(self) -> None:
        self._io.submit(self._seal).result()
        self._io.shutdown(wait=True)
        os.close(self._lock_fd)


def requeue_quarantine(path: str) -> list[tuple[str, str]]:
    """Put the quarantined segments of the spool directory ``path`` (one worker's) back in
    line, after every segment waiting there, for the next start to replay through the
    same idempotent path: records already stored change nothing, records the database
    refused are tried again (say, after a fix), unreadable bytes stay unreadable (a segment
    with any is quarantined again, with a new report). Each report is kept beside, renamed
    ``….requeued-<n>``. Refuses while a bridge holds the spool. Returns (from, to) pairs."""
    folder = os.path.join(path, QUARANTINE)
    if not os.path.isdir(folder):
        return []
    lock_fd = os.open(os.path.join(path, ".lock"), os.O_CREAT | os.O_RDWR, 0o600)
    try:
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise RuntimeError(f"spool {path} is in use: stop the bridge first") from exc
        waiting = [int(n[: -len(SUFFIX)]) for n in os.listdir(path)
                   if n.endswith(SUFFIX) and n[: -len(SUFFIX)].isdigit()]  # fmt: skip
        number = max(waiting, default=0)
        quarantined = sorted(n for n in os.listdir(folder) if _QUARANTINED.fullmatch(n))
        moved = []
        for name in quarantined:
            number += 1
            target = os.path.join(path, f"{number:012d}{SUFFIX}")
            os.rename(os.path.join(folder, name), target)
            report = os.path.join(folder, name + ".report.json")
            if os.path.exists(report):
                n = 1
                while os.path.exists(f"{report}.requeued-{n}"):
                    n += 1
                os.rename(report, f"{report}.requeued-{n}")
            moved.append((name, os.path.basename(target)))
        _fsync_dir(folder)
        _fsync_dir(path)
        return moved
    finally:
        os.close(lock_fd)


def write_atomic(path: str, data: bytes, mode: int = 0o600) -> None:
    """Write a file so that a crash leaves the old one or the new one, never half of it."""
    tmp = f"{path}.tmp.{os.getpid()}"
    fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    _fsync_dir(os.path.dirname(path) or ".")


def _unlink(full: str, directory: str) -> None:
    os.unlink(full)
    _fsync_dir(directory)


def _fsync_dir(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
