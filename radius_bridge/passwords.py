"""Imported crypt(3) hashes (PAP only), checked in worker processes, never on the loop.

A SHA-512 crypt takes tens of milliseconds by design; on the event loop it would stall
every NAS — and so would a thread: the C library call behind Python's ``crypt`` module holds
the GIL. So checks run in a small pool of processes (started on first use: most sites
have no imported hashes). passlib identifies the scheme ($6$, $5$, $1$, DES) and uses the C
library when Python still has the ``crypt`` module, its own pure implementation otherwise
(the module is gone in Python 3.13). Checks waiting are bounded: beyond ``max_pending`` the
request is dropped, so a burst of logins for imported accounts cannot queue without limit.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from passlib.context import CryptContext

_CONTEXT = CryptContext(schemes=["sha512_crypt", "sha256_crypt", "md5_crypt", "des_crypt"])


def verify(password: bytes, hashed: str) -> bool:
    """True when ``password`` matches the crypt(3) string ``hashed`` (unknown scheme: False)."""
    try:
        text = password.decode()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return bool(_CONTEXT.verify(text, hashed))
    except (ValueError, TypeError, UnicodeDecodeError):
        return False


class CryptChecker:
    def __init__(self, workers: int, max_pending: int):
        self.max_pending = max_pending
        self.pending = 0
        self._pool = concurrent.futures.ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("spawn")
        )

    def check(self, password: bytes, hashed: str) -> asyncio.Future | None:
        """A future of the result, or None when too many checks already wait."""
        if self.pending >= self.max_pending:
            return None
        self.pending += 1
        fut = asyncio.get_running_loop().run_in_executor(self._pool, verify, password, hashed)
        fut.add_done_callback(self._done)
        return fut

    def _done(self, _fut) -> None:
        self.pending -= 1

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
