"""radload: a lean asyncio RADIUS load generator (PAP, CHAP, MS-CHAPv2, accounting)."""

from .engine import MODES, LoadConfig, LoadStats, run_load_async
from .report import run_load, summarize

__all__ = ["MODES", "LoadConfig", "LoadStats", "run_load", "run_load_async", "summarize"]
