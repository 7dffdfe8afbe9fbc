"""Helpers shared by the bridge tests: config, SQL, pyrad and raw UDP clients."""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile

import asyncpg
from pyrad.client import Client
from pyrad.dictionary import Dictionary

from radius_bridge.config import from_dict

ADMIN_DSN = os.environ.get("ZM_BRIDGE_TEST_DSN", "postgresql://zm@127.0.0.1:5432/postgres")
SECRET = "testing123"
DICTIONARY = os.path.join(os.path.dirname(__file__), "dictionary")
AUTH_PORT, ACCT_PORT = 21830, 21831

# Extra NAS beside the seeded 127.0.0.1: a legacy one without Message-Authenticator, a
# roaming one known only by NAS-Identifier, a MikroTik that strips realms.
EXTRA_NAS = """
INSERT INTO zm_radius.nas (id, ip, nas_identifier, secret, vendor, strip_realm,
                           require_message_authenticator, enabled) VALUES
 (2, '127.0.0.2', NULL, 'legacy-secret', 'standard', false, false, true),
 (3, NULL, 'roaming-nas', 'roam-secret', 'standard', false, true, true),
 (4, '127.0.0.3', NULL, 'mikrotik-secret', 'mikrotik', true, true, true),
 (5, '127.0.0.4', NULL, 'disabled-secret', 'standard', false, true, false)
"""


def sql(dsn: str, query: str, *args, fetch: str = "fetch"):
    """Run one statement on a fresh connection (a separate session from the server's)."""

    async def go():
        conn = await asyncpg.connect(dsn, server_settings={"timezone": "UTC"})
        try:
            return await getattr(conn, fetch)(query, *args)
        finally:
            await conn.close()

    return asyncio.run(go())


def make_config(dsn: str, auth_port: int = AUTH_PORT, acct_port: int = ACCT_PORT, **sections):
    data = {
        "server": {
            "host": "127.0.0.1",
            "auth_port": auth_port,
            "acct_port": acct_port,
            "use_uvloop": False,
        },
        "database": {"dsn": dsn, "change_poll_seconds": 0.2, "command_timeout": 2.0},
        "accounting": {"stale_sweep_seconds": 3600.0},
        "auth_log": {"flush_seconds": 0.2},
        "spool": {"path": tempfile.mkdtemp(prefix="zm_spool_")},
        "log": {"level": os.environ.get("ZM_BRIDGE_TEST_LOG", "warning")},
    }
    for section, values in sections.items():
        data.setdefault(section, {}).update(values)
    return from_dict(data)


def pyrad_client(secret: str = SECRET, port: int = AUTH_PORT, bind_ip: str | None = None):
    client = Client(
        server="127.0.0.1",
        authport=port,
        acctport=port,
        secret=secret.encode(),
        dict=Dictionary(DICTIONARY),
    )
    client.timeout = 2
    client.retries = 1
    if bind_ip:
        client.bind((bind_ip, 0))
    return client


def send_raw(
    data: bytes, port: int = AUTH_PORT, src_ip: str = "127.0.0.1", timeout: float = 0.3
) -> bytes | None:
    """Send one datagram; the reply, or None when nothing arrives within ``timeout``."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((src_ip, 0))
        sock.settimeout(timeout)
        sock.sendto(data, ("127.0.0.1", port))
        try:
            return sock.recv(4096)
        except TimeoutError:
            return None


def access_request(client, user: str, password: str | None = None, **attrs):
    """An encoded Access-Request with Message-Authenticator, built by pyrad."""
    pkt = client.CreateAuthPacket(User_Name=user, **attrs)
    if password is not None:
        pkt["User-Password"] = pkt.PwCrypt(password)
    pkt.add_message_authenticator()
    return pkt


def strip_message_authenticator(data: bytes) -> bytes:
    """The same packet without Message-Authenticator (pyrad adds one by default)."""
    out, pos = bytearray(data[:20]), 20
    while pos < len(data):
        ln = data[pos + 1]
        if data[pos] != 80:
            out += data[pos : pos + ln]
        pos += ln
    out[2:4] = len(out).to_bytes(2, "big")
    return bytes(out)


class DbProxy:
    """A TCP forwarder to PostgreSQL that a test can cut (connections reset, port refused)."""

    def __init__(self, port: int, target=("127.0.0.1", 5432)):
        import threading

        self.port = port
        self.target = target
        self.loop = asyncio.new_event_loop()
        self.server = None
        self.writers: set = set()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def _call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    async def _pipe(self, reader, writer):
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _client(self, reader, writer):
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self.writers.update((writer, up_writer))
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _open(self):
        self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port)

    async def _close(self):
        self.server.close()
        for writer in self.writers:
            writer.transport.abort()
        self.writers.clear()
        await self.server.wait_closed()

    @property
    def dsn_host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def open(self):
        self._call(self._open())

    def close(self):
        self._call(self._close())

    def shutdown(self):
        if self.server is not None and self.server.is_serving():
            self.close()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


# -- raw packets: any bytes in any attribute (pyrad refuses some of what a NAS may send) ----
def attr(attr_type: int, value) -> bytes:
    if isinstance(value, int):
        value = value.to_bytes(4, "big")
    elif isinstance(value, str):
        value = value.encode()
    return bytes((attr_type, len(value) + 2)) + value


def acct_packet(attrs, secret: str = SECRET, ident: int | None = None) -> bytes:
    """An Accounting-Request (RFC 2866 authenticator) from (type, value) pairs."""
    import hashlib
    import random

    body = b"".join(attr(t, v) for t, v in attrs)
    ident = random.randrange(256) if ident is None else ident
    head = bytes((4, ident)) + (20 + len(body)).to_bytes(2, "big")
    auth = hashlib.md5(head + bytes(16) + body + secret.encode()).digest()
    return head + auth + body


def auth_packet(attrs, secret: str = SECRET, ident: int | None = None, authenticator=None,
                password: bytes | None = None, ma: bool = True) -> bytes:  # fmt: skip
    """An Access-Request with (optionally) User-Password hidden and Message-Authenticator."""
    import hashlib
    import hmac
    import os
    import random

    authenticator = authenticator or os.urandom(16)
    ident = random.randrange(256) if ident is None else ident
    body = b"".join(attr(t, v) for t, v in attrs)
    if password is not None:
        padded = password + bytes(-len(password) % 16 or (16 if not password else 0))
        out, prev = b"", authenticator
        for i in range(0, len(padded), 16):
            key = hashlib.md5(secret.encode() + prev).digest()
            prev = bytes(a ^ b for a, b in zip(padded[i : i + 16], key))
            out += prev
        body += attr(2, out)
    if ma:
        body = attr(80, bytes(16)) + body
    head = bytes((1, ident)) + (20 + len(body)).to_bytes(2, "big")
    packet = head + authenticator + body
    if ma:
        mac = hmac.new(secret.encode(), packet, hashlib.md5).digest()
        packet = packet[:22] + mac + packet[38:]
    return packet


def burst(packets, port: int, src_ip: str = "127.0.0.1", timeout: float = 5.0) -> dict:
    """Send every datagram from one socket at once; {index: reply} of those answered.
    The datagrams' Identifiers must differ (replies are matched by it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((src_ip, 0))
        sock.settimeout(timeout)
        index = {}
        for i, data in enumerate(packets):
            index[data[1]] = i
            sock.sendto(data, ("127.0.0.1", port))
        replies = {}
        try:
            while len(replies) < len(packets):
                reply = sock.recv(4096)
                replies[index[reply[1]]] = reply
        except TimeoutError:
            pass
        return replies


class TableLock:
    """Holds ACCESS EXCLUSIVE on ``table`` from another session until released, so the
    bridge's statements touching it wait (a deterministic way to make writers overlap)."""

    def __init__(self, dsn: str, table: str):
        import threading

        self.dsn = dsn
        self.table = table
        self.locked = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self._hold()), daemon=True)

    async def _hold(self):
        conn = await asyncpg.connect(self.dsn)
        async with conn.transaction():
            await conn.execute(f"LOCK TABLE {self.table} IN ACCESS EXCLUSIVE MODE")
            self.locked.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
        await conn.close()

    def waiting(self, n: int, timeout: float = 15.0) -> None:
        """Block until ``n`` other backends of this database wait on a lock."""
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            count = sql(
                self.dsn,
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'",
                fetch="fetchval",
            )
            if count >= n:
                return
            time.sleep(0.05)
        raise AssertionError(f"fewer than {n} sessions ever waited on a lock")

    def __enter__(self):
        self.thread.start()
        assert self.locked.wait(5)
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(5)
