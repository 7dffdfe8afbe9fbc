"""Duplicate detection (RFC 5080 §2.2.2): same NAS, id and authenticator → same answer.

A retransmission that arrives while the first copy is still being processed is dropped (the
reply to the first copy answers both); one that arrives later gets the cached reply bytes.
A request that ends without a reply is forgotten, so the NAS's next retry is processed anew.
"""

from __future__ import annotations

import time
from collections import deque

IN_PROGRESS = object()


class DuplicateCache:
    def __init__(self, ttl: float):
        self.ttl = ttl
        self._entries: dict[tuple, object] = {}
        self._expiry: deque[tuple[float, tuple]] = deque()

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, key: tuple):
        """None for a new request (now marked in progress), else IN_PROGRESS or reply bytes."""
        self._purge()
        found = self._entries.get(key)
        if found is None:
            self._entries[key] = IN_PROGRESS
        return found

    def finish(self, key: tuple, reply: bytes | None) -> None:
        if reply is None:
            self._entries.pop(key, None)
            return
        self._entries[key] = reply
        self._expiry.append((time.monotonic() + self.ttl, key))

    def _purge(self) -> None:
        expiry = self._expiry
        if not expiry:
            return
        now = time.monotonic()
        entries = self._entries
        while expiry and expiry[0][0] <= now:
            _, key = expiry.popleft()
            if entries.get(key) is not IN_PROGRESS:
                entries.pop(key, None)
