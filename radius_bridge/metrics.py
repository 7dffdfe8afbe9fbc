"""Counters and a loopback Prometheus text endpoint (plain asyncio HTTP, no framework)."""

from __future__ import annotations

import asyncio
from collections import Counter

HELP = {
    "requests_total": "Datagrams received, by port kind.",
    "dropped_total": "Requests dropped without a reply, by reason.",
    "replies_total": "Replies sent, by code.",
    "duplicates_total": "Retransmissions answered from the duplicate cache or ignored.",
    "auth_total": "Access-Request decisions, by result.",
    "cache_total": "Account cache lookups, by outcome.",
    "accounting_total": "Accounting records committed, by status type.",
    "db_errors_total": "Database operations that failed, by operation.",
    "auth_log_dropped_total": "Auth-log rows lost because the buffer was full.",
}


class Metrics:
    """Labelled counters: ``inc("dropped_total", "bad_authenticator")``."""

    def __init__(self):
        self.counters: Counter = Counter()
        self.gauges: dict[str, float] = {}
        self.collectors: list = []  # callables filling ``gauges`` just before a scrape

    def inc(self, name: str, label: str = "", amount: int = 1) -> None:
        self.counters[name, label] += amount

    def get(self, name: str, label: str = "") -> int:
        return self.counters[name, label]

    def render(self) -> str:
        for collect in self.collectors:
            collect(self.gauges)
        lines = []
        seen = set()
        for (name, label), value in sorted(self.counters.items()):
            metric = "radius_bridge_" + name
            if name not in seen:
                seen.add(name)
                lines.append(f"# HELP {metric} {HELP.get(name, name)}")
                lines.append(f"# TYPE {metric} counter")
            labels = f'{{kind="{label}"}}' if label else ""
            lines.append(f"{metric}{labels} {value}")
        for name, value in sorted(self.gauges.items()):
            lines.append(f"# TYPE radius_bridge_{name} gauge")
            lines.append(f"radius_bridge_{name} {value}")
        return "\n".join(lines) + "\n"


async def start_http(metrics: Metrics, host: str, port: int) -> asyncio.AbstractServer:
    """Serve ``GET /metrics``; anything else is 404."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            path = request.split(b" ", 2)[1] if request.count(b" ") >= 2 else b""
            if path == b"/metrics":
                body, status = metrics.render().encode(), b"200 OK"
            else:
                body, status = b"not found\n", b"404 Not Found"
            writer.write(
                b"HTTP/1.1 " + status + b"\r\nContent-Type: text/plain; version=0.0.4\r\n"
                b"Content-Length: "
                + str(len(body)).encode()
                + b"\r\nConnection: close\r\n\r\n"
                + body
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, OSError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, host, port)
