"""A local durable spool for accounting while PostgreSQL is unreachable.

Records are appended to segment files (``<n>.spool``, n increasing) as framed entries —
4-byte length, 4-byte CRC-32, JSON — and ``fsync``'d before their callbacks run, so an
Accounting-Response is only sent for a record on disk. Writes are grouped: everything
appended while one ``fsync`` runs goes into the next. Replay reads the oldest closed segment
and deletes it only after its records are committed; a crash in between replays it again,
which the idempotent accounting path makes harmless. A torn tail (a crash mid-write, never
acknowledged) fails its CRC and is skipped. The directory is locked (``flock``) so two
processes never share one; its total size is bounded.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import fcntl
import json
import os
import struct
import zlib

_FRAME = struct.Struct("!II")
SUFFIX = ".spool"


class SpoolFull(Exception):
    """The spool reached its size bound: the record is not acknowledged."""


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
        self._current: int | None = None
        self._current_size = 0
        self._pending: list[tuple[bytes, object]] = []
        self._flushing = False
        self.size = sum(
            os.path.getsize(os.path.join(path, name)) for name in self.segments_on_disk()
        )
        numbers = [int(n[: -len(SUFFIX)]) for n in self.segments_on_disk()]
        self._next = max(numbers, default=0) + 1
        self.entries = 0  # appended and synced by this process (metrics)

    def segments_on_disk(self) -> list[str]:
        names = [n for n in os.listdir(self.path) if n.endswith(SUFFIX)]
        return sorted(names, key=lambda n: int(n[: -len(SUFFIX)]))

    def busy(self) -> bool:
        """Anything on disk or on its way there (not for the hot path: it lists the dir)."""
        return bool(self._pending) or self._flushing or bool(self.segments_on_disk())

    # -- appending --------------------------------------------------------------------------
    def append(self, payload: list, done) -> None:
        """Queue ``payload`` (JSON-able); ``done(ok)`` runs once it is on disk (or failed)."""
        data = json.dumps(payload, separators=(",", ":")).encode()
        entry = _FRAME.pack(len(data), zlib.crc32(data)) + data
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
        view = memoryview(blob)
        while view:
            n = os.write(self._fd, view)
            view = view[n:]
        os.fsync(self._fd)
        self._current_size += len(blob)

    def _open_segment(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
        self._current = self._next
        self._next += 1
        name = os.path.join(self.path, f"{self._current:012d}{SUFFIX}")
        self._fd = os.open(name, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600)
        self._current_size = 0
        _fsync_dir(self.path)  # the new name itself must survive a crash

    def _seal(self) -> None:  # in the spool thread: later writes go to a new segment
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
            self._current = None

    # -- replaying --------------------------------------------------------------------------
    async def oldest(self) -> tuple[str, list] | None:
        """(segment name, payloads) of the oldest segment, sealing the one being written.

        One job in the spool thread, so no write can slip into the segment being read.
        """
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._io, self._take_oldest)

    def _take_oldest(self) -> tuple[str, list] | None:  # in the spool thread
        self._seal()
        names = self.segments_on_disk()
        if not names:
            return None
        return names[0], self._read(names[0])

    def _read(self, name: str) -> list:
        with open(os.path.join(self.path, name), "rb") as fh:
            data = fh.read()
        out, pos = [], 0
        while pos + _FRAME.size <= len(data):
            length, crc = _FRAME.unpack_from(data, pos)
            body = data[pos + _FRAME.size : pos + _FRAME.size + length]
            if len(body) < length or zlib.crc32(body) != crc:
                break  # a torn tail: never acknowledged
            try:
                out.append(json.loads(body))
            except ValueError:
                break
            pos += _FRAME.size + length
        return out

    async def remove(self, name: str) -> None:
        """The segment's records are committed: forget it."""
        loop = asyncio.get_running_loop()
        full = os.path.join(self.path, name)
        size = os.path.getsize(full)
        await loop.run_in_executor(self._io, _unlink, full, self.path)
        self.size = max(0, self.size - size)

    def close(self) -> None:
        self._io.submit(self._seal).result()
        self._io.shutdown(wait=True)
        os.close(self._lock_fd)


def _unlink(full: str, directory: str) -> None:
    os.unlink(full)
    _fsync_dir(directory)


def _fsync_dir(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
