"""Process model: one event loop per process; ``workers`` processes share the ports.

With ``[server] workers = N`` the kernel spreads datagrams over N sockets bound with
SO_REUSEPORT, by source address and port, so a NAS's retransmissions reach the same worker
(and its duplicate cache). Each worker has its own cache, pool and metrics port (port + i).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import signal

from . import log
from .config import load


def _event_loop_policy(use_uvloop: bool) -> str:
    if use_uvloop:
        try:
            import uvloop
        except ImportError:
            return "asyncio"
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
        return "uvloop"
    return "asyncio"


async def _serve(cfg, worker: int) -> None:
    from .server import RadiusServer

    if worker and cfg.metrics.port:
        cfg.metrics.port += worker
    server = RadiusServer(cfg, reuse_port=cfg.server.workers > 1, worker=worker)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # start() may wait a long time for the database: a SIGTERM meanwhile is a clean exit.
    starting = asyncio.ensure_future(server.start())
    stopping = asyncio.ensure_future(stop.wait())
    await asyncio.wait((starting, stopping), return_when=asyncio.FIRST_COMPLETED)
    if not starting.done():
        starting.cancel()
        await asyncio.gather(starting, return_exceptions=True)
        await server.stop()
        return
    starting.result()  # a contract mismatch or config fault ends the process here
    # Started without its database, the bridge may still be refused by it later (contract
    # mismatch): that ends the process too, with the same error.
    await asyncio.wait((stopping, server.failed), return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    await server.stop()
    if server.failed.done():
        server.failed.result()


def run_worker(path: str, worker: int) -> None:
    """Entry point of a spawned worker process."""
    cfg = load(path)
    log.setup(cfg.log.level, cfg.log.format)
    _event_loop_policy(cfg.server.use_uvloop)
    asyncio.run(_serve(cfg, worker))


def serve(path: str) -> int:
    cfg = load(path)
    log.setup(cfg.log.level, cfg.log.format)
    loop_kind = _event_loop_policy(cfg.server.use_uvloop)
    log.event(
        logging.getLogger("radius_bridge"),
        logging.INFO,
        "serve",
        workers=cfg.server.workers,
        loop=loop_kind,
    )
    children = []
    for worker in range(1, cfg.server.workers):
        proc = multiprocessing.get_context("spawn").Process(
            target=run_worker, args=(path, worker), daemon=True
        )
        proc.start()
        children.append(proc)
    try:
        asyncio.run(_serve(cfg, 0))
    finally:
        for proc in children:
            proc.terminate()
            proc.join(5)
    return 0
