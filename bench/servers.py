"""Start, probe, measure and stop the two RADIUS servers under test."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench.freeradius import make_raddb
from bench.radload import LoadConfig, run_load

REPO = Path(__file__).resolve().parent.parent
_TICK = os.sysconf("SC_CLK_TCK")


class Server:
    """A server process we started; ``stop`` ends exactly that process."""

    def __init__(self, name: str, cmd: list, workdir: Path, auth_port: int, acct_port: int):
        self.name = name
        self.cmd = cmd
        self.workdir = workdir
        self.auth_port = auth_port
        self.acct_port = acct_port
        self.proc = None
        self.log_path = workdir / f"{name}.out"

    def start(self):
        for port in (self.auth_port, self.acct_port):
            ensure_port_free(port)
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - open for the server's lifetime
        self.proc = subprocess.Popen(
            self.cmd, cwd=REPO, stdout=self._log, stderr=subprocess.STDOUT, env=dict(os.environ)
        )

    def wait_ready(self, secret: str, accounts: int, limit: float = 60.0):
        """Wait until a PAP request for a good user is accepted (bounded by ``limit``)."""
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited: see {self.log_path}")
            probe = LoadConfig(
                port=self.auth_port, secret=secret, mode="pap", outstanding=1, count=1,
                duration=1.0, timeout=0.5, accounts=min(accounts, 9), user_offset=0,
            )  # fmt: skip
            if run_load(probe)["accepts"] == 1:
                return
            time.sleep(0.5)
        raise RuntimeError(f"{self.name} not answering after {limit:.0f} s: see {self.log_path}")

    def check_alive(self):
        if self.proc is None or self.proc.poll() is not None:
            raise RuntimeError(f"{self.name} is not running: see {self.log_path}")

    def cpu_seconds(self) -> float:
        """User+system CPU of the server process and its children still running."""
        return _tree_cpu(self.proc.pid) if self.proc else 0.0

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc:
            self._log.close()


def ensure_port_free(port: int, host: str = "127.0.0.1"):
    """Fail early when a UDP port is taken: a probe would otherwise measure someone else."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise RuntimeError(f"UDP port {host}:{port} is in use ({exc.strerror})") from exc


def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK


def _children(pid: int) -> list:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        kids = task / "children"
        if kids.exists():
            out += [int(x) for x in kids.read_text().split()]
    return out


def _tree_cpu(pid: int) -> float:
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        total += _proc_cpu(p)
        todo += _children(p)
    return total


def postgres_cpu(db_name: str) -> dict:
    """CPU seconds per PostgreSQL process serving ``db_name``, and of the shared ones.

    Backends show ``postgres: 15/main: USER DB HOST(PORT) STATE`` as their command line;
    other databases' backends (other work on the same server) are left out, the WAL writer,
    checkpointer and background writer are counted.
    """
    out = {}
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() != "postgres":
                continue
            title = (comm.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (FileNotFoundError, ProcessLookupError, ValueError):
            continue
        words = title.split()
        is_backend = len(words) > 4 and ("(" in words[4] or words[4] == "[local]")
        if not is_backend or words[3] == db_name:
            out[int(comm.parent.name)] = _proc_cpu(int(comm.parent.name))
    return out


def postgres_cpu_since(db_name: str, before: dict) -> float:
    """CPU PostgreSQL used since ``before``; a backend that exited meanwhile is not counted."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in postgres_cpu(db_name).items())


def freeradius(
    workdir: Path, db_name: str, db_user: str, secret: str, auth_port: int, acct_port: int,
    sql_pool_max: int | None = None, name: str = "freeradius",
) -> Server:  # fmt: skip
    """A stock FreeRADIUS 3.2 with rlm_sql PostgreSQL, in its own scratch directory."""
    binary = shutil.which("freeradius") or shutil.which("radiusd")
    if not binary:
        raise RuntimeError(
            "FreeRADIUS is not installed (apt-get install freeradius freeradius-postgresql)"
        )
    frdir = workdir / name
    raddb = make_raddb.build(
        frdir, auth_port=auth_port, acct_port=acct_port, secret=secret, db_name=db_name,
        db_user=db_user, sql_pool_max=sql_pool_max,
    )  # fmt: skip
    return Server(name, [binary, "-f", "-d", str(raddb)], workdir, auth_port, acct_port)


def bridge(
    workdir: Path, dsn: str, auth_port: int, acct_port: int, workers: int = 0, name: str = "bridge",
    metrics_port: int = 0,
) -> Server:  # fmt: skip
    """Our radius_bridge, configured by a small TOML file (its defaults for everything else)."""
    conf = workdir / f"{name}.toml"
    conf.write_text(
        "[server]\n"
        'host = "127.0.0.1"\n'
        f"auth_port = {auth_port}\n"
        f"acct_port = {acct_port}\n" + (f"workers = {workers}\n" if workers else "") + "\n"
        "[database]\n"
        f'dsn = "{dsn}"\n'
        "[spool]\n"
        f'path = "{workdir / (name + "-spool")}"\n'
        + (f"[metrics]\nport = {metrics_port}\n" if metrics_port else "")
    )
    cmd = [sys.executable, "-m", "radius_bridge", "serve", "--config", str(conf)]
    srv = Server(name, cmd, workdir, auth_port, acct_port)
    srv.metrics_port = metrics_port
    return srv
