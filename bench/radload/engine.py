"""The closed-loop sender: K requests outstanding, a new one sent from each reply.

Everything happens in ``datagram_received`` and one periodic sweep, with no
coroutine or future per request, so one process can drive tens of thousands of
requests a second. Time and count are both bounded.
"""

import asyncio
import collections
import contextlib
import os
import random
import time
from array import array
from dataclasses import dataclass, field

from . import packets as p

# pap-limit1: PAP for the seed's limit-1 accounts lim1..lim<accounts>, every one in good
# standing, each always from its own MAC (the bridge's session limit / FreeRADIUS'
# Simultaneous-Use path, with a database count per login on both).
MODES = ("pap", "chap", "mschapv2", "acct", "pap-limit1")
_BUILDERS = {
    "pap": p.pap_request,
    "chap": p.chap_request,
    "mschapv2": p.mschapv2_request,
    "pap-limit1": p.pap_limit1_request,
}
_IDS_PER_SOCKET = 128  # half of the 8-bit ID space, so a timed-out ID rests before reuse


@dataclass
class LoadConfig:
    host: str = "127.0.0.1"
    port: int = 1812
    secret: str = "testing123"
    mode: str = "pap"
    outstanding: int = 32
    duration: float = 10.0
    count: int = 0  # new requests (an accounting Stop follows its Start regardless); 0: no bound
    timeout: float = 1.0
    retries: int = 0
    accounts: int = 1000
    include_bad: bool = False  # also users whose number is a multiple of 10
    user_offset: int = -1  # -1: a random start, so a warm-up does not pre-warm the run
    stride: int = 1  # a process's share of the user sequence (procs > 1)
    phase: int = 0
    nas_ip: str = "127.0.0.1"
    expect: str = "accept"  # accept | reject | any


@dataclass
class LoadStats:
    sent: int = 0
    retransmits: int = 0
    accepts: int = 0
    rejects: int = 0
    acct_ok: int = 0
    timeouts: int = 0
    bad: int = 0  # wrong authenticator, unknown ID, unexpected code
    unexpected: int = 0  # a valid reply, but not the one expected for this user
    elapsed: float = 0.0
    cpu_s: float = 0.0  # the generator's own CPU time
    latencies: array = field(default_factory=lambda: array("d"))


def good_user_count(accounts: int, include_bad: bool) -> int:
    if include_bad:
        return accounts
    return accounts // 10 * 9 + min(accounts % 10, 9)


def user_number(k: int, include_bad: bool) -> int:
    """The k-th (0-based) user number; without bad users, multiples of 10 are skipped."""
    return k + 1 if include_bad else (k // 9) * 10 + k % 9 + 1


class _Users:
    def __init__(self, cfg: LoadConfig):
        self.limit1 = cfg.mode == "pap-limit1"
        self.n = cfg.accounts if self.limit1 else good_user_count(cfg.accounts, cfg.include_bad)
        if self.n <= 0:
            raise ValueError("no users to cycle over")
        start = cfg.user_offset if cfg.user_offset >= 0 else random.randrange(self.n)
        self.k = (start + cfg.phase) % self.n
        self.stride = cfg.stride
        self.include_bad = cfg.include_bad

    def next(self) -> int:
        i = self.k + 1 if self.limit1 else user_number(self.k, self.include_bad)
        self.k = (self.k + self.stride) % self.n
        return i


class _Client(asyncio.DatagramProtocol):
    """One UDP socket, up to 128 requests in flight on it."""

    def __init__(self, run: "_Run", slots: int):
        self.run = run
        self.slots = slots
        ids = list(range(256))
        random.shuffle(ids)
        self.free = collections.deque(ids)
        self.inflight = {}  # id -> [sent_at, auth, packet, tries, follow, expected]
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def fill(self):
        run = self.run
        while len(self.inflight) < self.slots and run.may_send():
            self.send_new(None)

    def send_new(self, follow):
        run = self.run
        ident = self.free.popleft()
        if follow is None:
            pkt, auth, follow, expected = run.build(ident)
        else:
            pkt, auth, follow, expected = follow(ident)
        self.inflight[ident] = [time.perf_counter(), auth, pkt, 0, follow, expected]
        run.stats.sent += 1
        self.transport.sendto(pkt)

    def datagram_received(self, data, addr):
        now = time.perf_counter()
        run = self.run
        st = run.stats
        if len(data) < 20:
            st.bad += 1
            return
        entry = self.inflight.get(data[1])
        if entry is None or not p.check_reply(data, entry[1], run.secret):
            st.bad += 1  # late reply to a timed-out request, or forged
            return
        del self.inflight[data[1]]
        self.free.append(data[1])
        st.latencies.append(now - entry[0])
        code = data[0]
        if code == p.ACCESS_ACCEPT:
            st.accepts += 1
        elif code == p.ACCESS_REJECT:
            st.rejects += 1
        elif code == p.ACCOUNTING_RESPONSE:
            st.acct_ok += 1
        else:
            st.bad += 1
        if entry[5] is not None and code != entry[5]:
            st.unexpected += 1
        follow = entry[4]
        if follow is not None and code == p.ACCOUNTING_RESPONSE and now < run.deadline:
            # A started session is stopped even once the count is reached: pairs stay whole.
            self.send_new(follow)
        elif run.may_send():
            self.send_new(None)
        else:
            run.maybe_done()

    def sweep(self, now: float):
        run = self.run
        for ident, entry in list(self.inflight.items()):
            if now - entry[0] < run.timeout:
                continue
            if entry[3] < run.retries:
                entry[0], entry[3] = now, entry[3] + 1
                run.stats.retransmits += 1
                self.transport.sendto(entry[2])
                continue
            del self.inflight[ident]
            self.free.append(ident)
            run.stats.timeouts += 1
            if run.may_send():
                self.send_new(None)

    def error_received(self, exc):
        self.run.stats.bad += 1


class _Run:
    def __init__(self, cfg: LoadConfig):
        if cfg.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.cfg = cfg
        self.secret = cfg.secret.encode()
        self.nas = bytes(int(x) for x in cfg.nas_ip.split("."))
        self.timeout = cfg.timeout
        self.retries = cfg.retries
        self.users = _Users(cfg)
        self.stats = LoadStats()
        self.stopping = False
        self.clients = []
        self.done = None
        self.session_prefix = f"{os.getpid():x}{int(time.time() * 1000):x}-".encode()
        self.session_seq = 0
        self.build = self._build_acct if cfg.mode == "acct" else self._build_auth
        self._auth_builder = _BUILDERS.get(cfg.mode)
        self.expected_code = {"accept": p.ACCESS_ACCEPT, "reject": p.ACCESS_REJECT}.get(cfg.expect)

    def may_send(self) -> bool:
        if self.stopping:
            return False
        if self.cfg.count and self.stats.sent >= self.cfg.count:
            self.stopping = True
            return False
        return True

    def _build_auth(self, ident):
        i = self.users.next()
        expected = self.expected_code
        limit1 = self.cfg.mode == "pap-limit1"
        if expected is not None and self.cfg.include_bad and i % 10 == 0 and not limit1:
            expected = None  # a bad-standing user may get a reject or a restricted accept
        name = (b"lim%d" if self.cfg.mode == "pap-limit1" else b"user%d") % i
        pkt, auth = self._auth_builder(ident, name, b"pass%d" % i, self.secret, self.nas)
        return pkt, auth, None, expected

    def _build_acct(self, ident):
        i = self.users.next()
        self.session_seq += 1
        user = b"user%d" % i
        sid = self.session_prefix + b"%x" % self.session_seq
        port = self.session_seq & 0xFFFFFF
        pkt, auth = p.accounting_request(ident, user, sid, self.secret, self.nas, False, port)

        def stop(ident2):
            pkt2, auth2 = p.accounting_request(ident2, user, sid, self.secret, self.nas, True, port)
            return pkt2, auth2, None, p.ACCOUNTING_RESPONSE

        return pkt, auth, stop, p.ACCOUNTING_RESPONSE

    def maybe_done(self):
        idle = not any(c.inflight for c in self.clients)
        if self.stopping and idle and not self.done.done():
            self.done.set_result(None)

    def _tick(self, loop):
        now = time.perf_counter()
        if not self.stopping and now >= self.deadline:
            self.stopping = True
        for c in self.clients:
            c.sweep(now)
        self.maybe_done()
        if not self.done.done():
            loop.call_later(0.05, self._tick, loop)

    async def run(self) -> LoadStats:
        loop = asyncio.get_running_loop()
        self.done = loop.create_future()
        cfg = self.cfg
        remaining = cfg.outstanding
        while remaining > 0:
            slots = min(remaining, _IDS_PER_SOCKET)
            remaining -= slots
            _, client = await loop.create_datagram_endpoint(
                lambda s=slots: _Client(self, s), remote_addr=(cfg.host, cfg.port)
            )
            self.clients.append(client)
        start = time.perf_counter()
        cpu0 = time.process_time()
        self.deadline = start + cfg.duration
        for c in self.clients:
            c.fill()
        loop.call_later(0.05, self._tick, loop)
        # A hard stop even if replies keep a slot busy: duration + time to drain.
        hard = cfg.duration + cfg.timeout * (cfg.retries + 1) + 1.0
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self.done), hard)
        self.stats.elapsed = time.perf_counter() - start
        self.stats.cpu_s = time.process_time() - cpu0
        for c in self.clients:
            self.stats.timeouts += len(c.inflight)
            c.inflight.clear()
            c.transport.close()
        return self.stats


async def run_load_async(cfg: LoadConfig) -> LoadStats:
    """Run one load in the current event loop and return its raw statistics."""
    return await _Run(cfg).run()
