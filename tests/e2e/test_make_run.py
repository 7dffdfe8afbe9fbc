"""``make run`` end to end: Odoo and the bridge together, as their users meet them.

``tools/run.sh`` (what ``make run`` runs) makes a demo database, installs every add-on,
creates the bridge's own database role and serves Odoo and the bridge side by side. Then
the demo's clerks and manager work in Odoo over its RPC (the calls the web client makes),
and FreeRADIUS' ``radclient`` - an independent client - asks the bridge, on the demo NAS
127.0.0.1 with the secret ``testing123``, after each step: every answer must be right
within one second of the step's commit. Accounting goes through to Odoo's online list and
session records, and a first dial starts a day card's period. Stopping ``run.sh`` stops
both servers.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import time
import urllib.request
import xmlrpc.client
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from pyrad.client import Client, Timeout
from pyrad.dictionary import Dictionary

ROOT = Path(__file__).resolve().parents[2]
DB = f"zm_e2e_{os.getpid()}"
SECRET = "testing123"
PG = os.environ.get("PGHOST", "127.0.0.1")
LATENCY = 1.0  # seconds from a committed change to the bridge's new answer


def free_port(kind=socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def udp_bound(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def dropdb():
    subprocess.run(
        ["dropdb", "-h", PG, "-U", "zm", "--if-exists", "--force", DB],
        check=False,
        capture_output=True,
    )


class Stack:
    def __init__(self):
        self.http = free_port()
        self.auth = free_port(socket.SOCK_DGRAM)
        self.acct_port = free_port(socket.SOCK_DGRAM)
        self.log = open(ROOT / "var" / f"e2e-{DB}.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                "bash",
                "tools/run.sh",
                "--db",
                DB,
                "--port",
                str(self.http),
                "--auth-port",
                str(self.auth),
                "--acct-port",
                str(self.acct_port),
            ],
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as a terminal would give it
        )
        self.url = f"http://127.0.0.1:{self.http}"
        self.uids: dict[str, int] = {}

    def wait_ready(self, timeout=900):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"run.sh stopped (exit {self.proc.returncode}):\n{self.tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/web/login", timeout=5) as r:
                    if r.status == 200 and "Access-Reject" in self.radius("nobody", "x"):
                        return
            except OSError:
                pass
            time.sleep(2)
        raise AssertionError(f"Odoo and the bridge not up after {timeout} s:\n{self.tail()}")

    def tail(self, lines=60):
        self.log.flush()
        text = (ROOT / "var" / f"e2e-{DB}.log").read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    # -- Odoo, over the RPC the clients use --------------------------------------------
    def call(self, login, model, method, *args, **kwargs):
        common = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/common")
        if login not in self.uids:
            uid = common.authenticate(DB, login, login if login != "admin" else "admin", {})
            assert uid, f"{login} cannot log in"
            self.uids[login] = uid
        models = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/object", allow_none=True)
        password = login if login != "admin" else "admin"
        return models.execute_kw(DB, self.uids[login], password, model, method, list(args), kwargs)

    def ref(self, xmlid):
        module, name = xmlid.split(".")
        rows = self.call(
            "admin",
            "ir.model.data",
            "search_read",
            [("module", "=", module), ("name", "=", name)],
            fields=["res_id"],
        )
        assert rows, xmlid
        return rows[0]["res_id"]

    # -- the NAS's side: radclient ------------------------------------------------------
    def radius(self, user, password, extra="", kind="auth", secret=SECRET, wait=1.0):
        lines = f'User-Name = "{user}"\nMessage-Authenticator = 0x00\n'
        if kind == "auth":
            # a NAS says where the subscriber dials from: a re-dial from the same place
            # replaces its own session-limit reservation
            lines += f'User-Password = "{password}"\nCalling-Station-Id = "AA-BB-CC-00-11-22"\n'
        out = subprocess.run(
            [
                "radclient",
                "-x",
                "-r",
                "1",
                "-t",
                str(wait),
                f"127.0.0.1:{self.auth if kind == 'auth' else self.acct_port}",
                kind,
                secret,
            ],
            input=lines + extra,
            capture_output=True,
            text=True,
            timeout=10,
        )
        return out.stdout + out.stderr

    def until(self, user, password, expect, extra="", limit=LATENCY):
        """Ask again and again until the answer matches; the time it took."""
        start = time.monotonic()
        while True:
            out = self.radius(user, password, extra)
            if re.search(expect, out):
                return time.monotonic() - start, out
            if time.monotonic() - start > limit:
                raise AssertionError(
                    f"no answer matching {expect!r} within {limit} s; last:\n{out}"
                )
            time.sleep(0.05)

    def accounting(self, user, lines):
        out = self.radius(user, "", lines, kind="acct")
        assert "Received Accounting-Response" in out, out
        return out

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)  # Ctrl-C on the terminal
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()


@pytest.fixture(scope="module")
def stack():
    dropdb()
    s = Stack()
    try:
        s.wait_ready()
        yield s
    finally:
        s.stop()
        dropdb()


def accept(out):
    return "Received Access-Accept" in out


def attr(out, name):
    m = re.search(rf"^\s*{re.escape(name)} = (.*)$", out, re.M)
    return m and m.group(1).strip().strip('"')


def test_operator_to_nas(stack):
    """Open, pause, resume, expire, renew, move, password: each answer right within 1 s."""
    east = stack.ref("zm_broadband.demo_area_east")
    west = stack.ref("zm_broadband.demo_area_west")
    month = stack.ref("zm_broadband.demo_package_month")
    rate = stack.call(
        "admin",
        "zm.rate.template",
        "read",
        [stack.ref("zm_broadband.demo_rate_100m")],
        ["up_kbps", "down_kbps"],
    )[0]

    # a clerk creates the account: not opened, nothing sold - the NAS is refused
    account = stack.call(
        "zm.east",
        "zm.subscriber",
        "create",
        {"name": "E2E-Li", "area_id": east, "package_id": month, "new_password": "s3cret-1"},
    )
    _, out = stack.until("e2e-li", "s3cret-1", "Access-Reject")
    assert "not opened" in out, out

    # the clerk opens it with cash: Accept with the pool and the package's rate
    stack.call("zm.east", "zm.subscriber", "action_open", [account], amount=100, journal_id="cash")
    took, out = stack.until("e2e-li", "s3cret-1", "Access-Accept")
    assert attr(out, "Framed-Pool") == "pool-normal", out
    assert attr(out, "WISPr-Bandwidth-Max-Up") == str(rate["up_kbps"] * 1000), out
    assert attr(out, "WISPr-Bandwidth-Max-Down") == str(rate["down_kbps"] * 1000), out
    assert attr(out, "Framed-IPv6-Pool") == "pool-v6", out
    assert int(attr(out, "Session-Timeout")) > 0
    timings = {"open": took}

    stack.call("zm.east", "zm.subscriber", "action_pause", [account])
    timings["pause"], out = stack.until("e2e-li", "s3cret-1", "Access-Reject")
    assert "paused" in out, out
    stack.call("zm.east", "zm.subscriber", "action_resume", [account])
    timings["resume"], out = stack.until("e2e-li", "s3cret-1", "Access-Accept")

    # time passes: the period is over (an administrator's migration write stands in for
    # the calendar); the expired pool is what lets the NAS show the renewal page
    past = (datetime.now(UTC) - timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M:%S")
    stack.call(
        "admin",
        "zm.subscriber",
        "write",
        [account],
        {"expiry_at": past},
        context={"zm_migration": True},
    )
    timings["expire"], out = stack.until("e2e-li", "s3cret-1", r"Framed-Pool = \"?pool-expired")
    assert "WISPr-Bandwidth" not in out, out
    stack.call("zm.east", "zm.subscriber", "action_topup", [account], amount=100, journal_id="cash")
    stack.call("zm.east", "zm.subscriber", "action_renew", [account])
    timings["renew"], out = stack.until("e2e-li", "s3cret-1", r"Framed-Pool = \"?pool-normal")
    expiry = stack.call("zm.east", "zm.subscriber", "read", [account], ["expiry_at"])[0]
    assert expiry["expiry_at"] > past

    # the manager moves it to the west: the west's own pool
    stack.call("zm.manager", "zm.subscriber", "action_move_area", [account], area_id=west)
    timings["move"], out = stack.until("e2e-li", "s3cret-1", r"Framed-Pool = \"?pool-west")

    # a new password: the old one is refused, the new one accepted
    stack.call("zm.manager", "zm.subscriber", "write", [account], {"new_password": "n3w-pass"})
    timings["password"], out = stack.until("e2e-li", "s3cret-1", "Access-Reject")
    assert "bad password" in out, out
    assert accept(stack.radius("e2e-li", "n3w-pass"))

    # a NAS edit: the manager changes the demo NAS's secret
    nas = stack.ref("zm_radius.demo_nas_local")
    stack.call("zm.manager", "zm.nas", "write", [nas], {"secret": "changed-secret"})
    start = time.monotonic()
    # a NAS with the wrong secret is not answered at all, and radclient waits a whole
    # second before it gives up: pyrad asks with a short wait instead
    client = Client(
        server="127.0.0.1",
        authport=stack.auth,
        secret=b"changed-secret",
        dict=Dictionary(str(ROOT / "tests" / "bridge" / "dictionary")),
    )
    client.timeout, client.retries = 0.05, 1
    while True:
        req = client.CreateAuthPacket(User_Name="e2e-li", Calling_Station_Id="AA-BB-CC-00-11-22")
        req["User-Password"] = req.PwCrypt("n3w-pass")
        req.add_message_authenticator()
        try:
            if client.SendPacket(req).code == 2:  # Access-Accept
                break
        except Timeout:
            pass
        assert time.monotonic() - start < LATENCY, "the NAS edit did not reach the bridge"
    timings["nas"] = time.monotonic() - start
    assert "Received" not in stack.radius("e2e-li", "n3w-pass"), "the old secret still answers"
    stack.call("zm.manager", "zm.nas", "write", [nas], {"secret": SECRET})
    stack.until("e2e-li", "n3w-pass", "Access-Accept", limit=3)  # radclient's 1 s waits

    for step, seconds in timings.items():
        assert seconds <= LATENCY, (step, seconds)
    print("seconds from commit to answer:", {k: round(v, 3) for k, v in timings.items()})

    # the login log says why, to whom may see it
    logs = stack.call(
        "zm.manager",
        "zm.auth.log",
        "search_read",
        [("username", "=", "e2e-li"), ("result", "=", "reject")],
        fields=["reason", "subscriber_id"],
    )
    reasons = {r["reason"] for r in logs}
    assert {"account not opened", "account paused", "bad password"} <= reasons, reasons
    assert all(r["subscriber_id"] and r["subscriber_id"][0] == account for r in logs)


def test_accounting_to_odoo(stack):
    """Start / Interim / Stop: the online list, then the session records, by area."""
    west = stack.ref("zm_broadband.demo_area_west_garden")
    month = stack.ref("zm_broadband.demo_package_month_cycle")
    account = stack.call(
        "zm.west",
        "zm.subscriber",
        "create",
        {"name": "e2e-acct", "area_id": west, "package_id": month, "new_password": "pw-acct"},
    )
    stack.call("zm.west", "zm.subscriber", "action_open", [account], amount=60, journal_id="cash")
    stack.until("e2e-acct", "pw-acct", "Access-Accept")
    base = (
        'Acct-Session-Id = "e2e-0001"\nNAS-Port-Id = "eth0/1"\n'
        'Framed-IP-Address = 100.64.0.10\nCalling-Station-Id = "AA-BB-CC-00-11-22"\n'
    )
    # the NAS's clock and ours agree: its session times fit the time that passed (a record
    # whose start differs by more than a minute would be another session)
    stack.accounting("e2e-acct", base + "Acct-Status-Type = Start\n")

    def online():
        return stack.call(
            "zm.west",
            "zm.session",
            "search_read",
            [("subscriber_id", "=", account)],
            fields=["framed_ip", "input_bytes", "output_bytes", "nas_id", "area_id"],
        )

    deadline = time.monotonic() + 5
    while not online():
        assert time.monotonic() < deadline, "the Start never reached the online list"
        time.sleep(0.1)
    row = online()[0]
    assert row["framed_ip"] == "100.64.0.10"
    assert row["area_id"][0] == west
    # the east's clerk does not see the west's subscribers online
    assert not stack.call(
        "zm.east", "zm.session", "search_count", [("subscriber_id", "=", account)]
    )

    stack.accounting(
        "e2e-acct",
        base + "Acct-Status-Type = Interim-Update\nAcct-Session-Time = 2\n"
        "Acct-Input-Octets = 1000\nAcct-Output-Octets = 5000\n",
    )
    deadline = time.monotonic() + 5
    while online()[0]["output_bytes"] != 5000:
        assert time.monotonic() < deadline, online()
        time.sleep(0.1)
    stack.accounting(
        "e2e-acct",
        base + "Acct-Status-Type = Stop\nAcct-Session-Time = 4\n"
        "Acct-Input-Octets = 2000\nAcct-Output-Octets = 9000\nAcct-Terminate-Cause = User-Request\n",
    )
    deadline = time.monotonic() + 5
    while online():
        assert time.monotonic() < deadline, "the Stop never closed the session"
        time.sleep(0.1)
    history = stack.call(
        "zm.west",
        "zm.session.history",
        "search_read",
        [("subscriber_id", "=", account)],
        fields=["session_time", "input_bytes", "output_bytes", "closed_by", "terminate_cause"],
    )
    assert len(history) == 1, history
    h = history[0]
    assert (h["session_time"], h["input_bytes"], h["output_bytes"]) == (4, 2000, 9000), h
    assert h["closed_by"] == "stop"
    assert not stack.call(
        "zm.east", "zm.session.history", "search_count", [("subscriber_id", "=", account)]
    )


def test_first_dial_starts_the_period(stack):
    """A day card waits for its first dial; the first dial starts it, once."""
    west = stack.ref("zm_broadband.demo_area_west")  # where the day card is sold
    day = stack.ref("zm_broadband.demo_package_day")
    account = stack.call(
        "zm.west",
        "zm.subscriber",
        "create",
        {"name": "e2e-day", "area_id": west, "package_id": day, "new_password": "pw-day"},
    )
    stack.call("zm.west", "zm.subscriber", "action_open", [account], amount=5, journal_id="cash")
    state = stack.call("zm.west", "zm.subscriber", "read", [account], ["state", "expiry_at"])[0]
    assert (state["state"], state["expiry_at"]) == ("waiting", False)
    before = datetime.now(UTC).replace(microsecond=0)
    stack.until("e2e-day", "pw-day", "Access-Accept")
    # the bridge writes the first-dial fact with its login log (batched, within 0.1 s);
    # Odoo's cron (every minute) starts the period from it - run here at once, and again
    cron = stack.ref("zm_radius.ir_cron_zm_first_dials")
    deadline = time.monotonic() + 5
    while True:
        stack.call("admin", "ir.cron", "method_direct_trigger", [cron])
        row = stack.call(
            "zm.west", "zm.subscriber", "read", [account], ["state", "expiry_at", "first_dial_at"]
        )[0]
        if row["state"] != "waiting":
            break
        assert time.monotonic() < deadline, row
        time.sleep(0.2)
    stack.call("admin", "ir.cron", "method_direct_trigger", [cron])  # a second run: no change
    assert row["state"] == "active", row
    again = stack.call("zm.west", "zm.subscriber", "read", [account], ["expiry_at"])[0]
    assert again["expiry_at"] == row["expiry_at"]
    dialled = datetime.strptime(row["first_dial_at"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    assert before - timedelta(seconds=1) <= dialled <= datetime.now(UTC), row
    assert row["expiry_at"] > row["first_dial_at"]
    orders = stack.call(
        "admin",
        "zm.order",
        "search_count",
        [("subscriber_id", "=", account), ("kind", "=", "first_dial")],
    )
    assert orders == 1
    # the account's answer now carries the period's end
    _, out = stack.until("e2e-day", "pw-day", "Access-Accept")
    assert int(attr(out, "Session-Timeout")) <= 86400


def test_bridge_role_sees_only_the_contract(stack):
    """The bridge's own role reads the contract's views, and nothing of Odoo's."""
    password = (ROOT / "var" / "bridge-password").read_text().strip()

    async def probe():
        conn = await asyncpg.connect(host=PG, user="zm_bridge", password=password, database=DB)
        try:
            assert await conn.fetchval("SELECT count(*) FROM zm_radius.account") > 0
            for table in ("res_users", "zm_subscriber", "account_move", "ir_config_parameter"):
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await conn.fetchval(f"SELECT count(*) FROM public.{table}")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("DELETE FROM zm_radius.contract_version")
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.execute("CREATE TABLE zm_radius.x (i int)")
        finally:
            await conn.close()

    asyncio.run(probe())


def test_stopping_stops_both(stack):
    """Ctrl-C on ``make run``: Odoo and the bridge both go, their ports free again."""
    stack.stop()
    assert stack.proc.returncode is not None
    deadline = time.monotonic() + 10
    while udp_bound(stack.auth) or udp_bound(stack.acct_port):
        assert time.monotonic() < deadline, "the bridge still holds its ports"
        time.sleep(0.2)
    with pytest.raises(OSError):
        urllib.request.urlopen(f"{stack.url}/web/login", timeout=2)
