"""Run the real server on loopback in a background thread (the shape of aiosmtpd's Controller).

Tests stay synchronous and talk real UDP to it; ``run`` executes a coroutine on the server's
loop, e.g. to read its state or trigger a background job at once.
"""

from __future__ import annotations

import asyncio
import threading

from .server import RadiusServer


class Controller:
    def __init__(self, cfg):
        self.cfg = cfg
        self.server: RadiusServer | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def metrics(self):
        return self.server.metrics

    def start(self) -> Controller:
        self._thread = threading.Thread(target=self._main, name="radius-bridge", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error
        return self

    def _main(self) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.server = RadiusServer(self.cfg)
        try:
            self.loop.run_until_complete(self.server.start())
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            self.loop.run_until_complete(self.server.stop())
            self.loop.close()
            return
        self._ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self.server.stop())
        self.loop.close()

    def run(self, coro, timeout: float = 30):
        """Run ``coro`` on the server's loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        if self.loop is not None and self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(30)

    def __enter__(self) -> Controller:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
