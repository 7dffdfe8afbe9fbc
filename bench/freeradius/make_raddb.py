"""Build a FreeRADIUS 3.2 configuration for the benchmark from the stock one.

Copies the distribution's raddb (``/etc/freeradius/3.0``) into a scratch
directory and changes only what points it at our database, ports and files:

- ``radiusd.conf``: log, run and raddb directories in the scratch directory; no
  ``user``/``group`` switch (the scratch directory belongs to whoever runs it).
- ``sites-enabled/default``: the stock virtual server with its four ``listen``
  sections (any address, IPv4 and IPv6, ports 1812/1813) replaced by two loopback
  ones on our ports; ``inner-tunnel`` (EAP only, port 18120) is not enabled.
- ``clients.conf``: one client, 127.0.0.1, the bench secret,
  ``require_message_authenticator = yes``.
- ``mods-enabled/sql``: the stock ``mods-available/sql`` with dialect
  ``postgresql``, driver ``rlm_sql_postgresql`` and our connection settings; the
  stock queries (``mods-config/sql/main/postgresql/queries.conf``) and stock pool.
- ``mods-enabled/eap``: only when the stock EAP certificates were never generated
  (Debian builds them on first install); then ``eap`` is disabled, as EAP is not
  benchmarked.

Everything else (authorize/authenticate/accounting/post-auth sections, thread
pool, pap/chap/mschap modules) is the distribution's.
"""

import argparse
import os
import re
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
STOCK = Path("/etc/freeradius/3.0")


def _strip_listen_blocks(text: str) -> str:
    """Remove every top-level ``listen { ... }`` block of a virtual server file."""
    out, i = [], 0
    pattern = re.compile(r"^listen\s*\{", re.M)
    while True:
        m = pattern.search(text, i)
        if not m:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i : m.start()])
        depth, j = 0, m.end() - 1
        while True:
            ch = text[j]
            if ch == "#":  # braces inside comments do not count
                j = text.index("\n", j)
                continue
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        i = j + 1


def _fill(template: str, values: dict) -> str:
    for key, val in values.items():
        template = template.replace(f"@{key}@", str(val))
    return template


def build(
    dest: Path,
    *,
    auth_port: int,
    acct_port: int,
    secret: str,
    db_name: str,
    db_host: str = "127.0.0.1",
    db_port: int = 5432,
    db_user: str = "zm",
    db_password: str = "",
    sql_pool_max: int | None = None,
    stock: Path = STOCK,
) -> Path:
    """Create ``dest/raddb`` (and ``dest/log``, ``dest/run``); return the raddb path."""
    raddb = dest / "raddb"
    if raddb.exists():
        shutil.rmtree(raddb)
    shutil.copytree(stock, raddb, symlinks=True)
    for sub in ("log", "log/radacct", "run"):
        (dest / sub).mkdir(parents=True, exist_ok=True)

    conf = (raddb / "radiusd.conf").read_text()
    conf = re.sub(r"^logdir = .*$", f"logdir = {dest}/log", conf, flags=re.M)
    conf = re.sub(r"^raddbdir = .*$", f"raddbdir = {raddb}", conf, flags=re.M)
    conf = re.sub(r"^run_dir = .*$", f"run_dir = {dest}/run", conf, flags=re.M)
    conf = re.sub(r"^(\s*)(user|group) = freerad", r"\1#\2 = freerad", conf, flags=re.M)
    (raddb / "radiusd.conf").write_text(conf)

    values = {"AUTH_PORT": auth_port, "ACCT_PORT": acct_port, "SECRET": secret}
    (raddb / "clients.conf").write_text(_fill((HERE / "clients.conf").read_text(), values))

    enabled = raddb / "sites-enabled"
    for link in enabled.iterdir():
        link.unlink()
    site = _strip_listen_blocks((raddb / "sites-available" / "default").read_text())
    listen = _fill((HERE / "listen.conf").read_text(), values)
    site, n = re.subn(r"^server default \{\n", "server default {\n" + listen, site, flags=re.M)
    if n != 1:
        raise RuntimeError("stock sites-available/default has no 'server default {' line")
    # Simultaneous-Use checking by rlm_sql (stock: commented out in the session section);
    # only accounts with a Simultaneous-Use check item run its simul_count_query.
    site, n = re.subn(r"^(session \{\n(?:.*\n)*?)#\tsql\n", r"\1\tsql\n", site, count=1,
                      flags=re.M)  # fmt: skip
    if n != 1:
        raise RuntimeError("stock sites-available/default has no '#\tsql' in its session section")
    (enabled / "default").write_text(site)

    sql = (raddb / "mods-available" / "sql").read_text()
    sql = sql.replace('dialect = "sqlite"', 'dialect = "postgresql"')
    sql = sql.replace('\tdriver = "rlm_sql_null"\n', "")
    sql = sql.replace('#\tdriver = "rlm_sql_${dialect}"', '\tdriver = "rlm_sql_${dialect}"')
    settings = {
        "server": f'"{db_host}"',
        "port": db_port,
        "login": f'"{db_user}"',
        "password": f'"{db_password}"',
    }
    for key, val in settings.items():
        sql, n = re.subn(rf"^#\t{key} = .*$", f"\t{key} = {val}", sql, count=1, flags=re.M)
        if n != 1:
            raise RuntimeError(f"stock mods-available/sql has no commented '{key}' line")
    sql = sql.replace('radius_db = "radius"', f'radius_db = "{db_name}"', 1)
    if sql_pool_max:
        sql = re.sub(r"^\t\tstart = .*$", f"\t\tstart = {sql_pool_max}", sql, count=1, flags=re.M)
        sql = re.sub(r"^\t\tmax = .*$", f"\t\tmax = {sql_pool_max}", sql, count=1, flags=re.M)
    (raddb / "mods-enabled" / "sql").write_text(sql)

    if not (raddb / "certs" / "server.pem").exists():
        (raddb / "mods-enabled" / "eap").unlink(missing_ok=True)
        text = (enabled / "default").read_text()
        text = re.sub(r"^(\s*)eap(\s*(\{|$))", r"\1-eap\2", text, flags=re.M)
        (enabled / "default").write_text(text)
    return raddb


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dest", type=Path)
    ap.add_argument("--auth-port", type=int, default=21912)
    ap.add_argument("--acct-port", type=int, default=21913)
    ap.add_argument("--secret", default="benchsecret")
    ap.add_argument("--db-name", required=True)
    ap.add_argument("--db-user", default=os.environ.get("PGUSER", "zm"))
    ap.add_argument("--sql-pool-max", type=int)
    args = ap.parse_args(argv)
    raddb = build(
        args.dest,
        auth_port=args.auth_port,
        acct_port=args.acct_port,
        secret=args.secret,
        db_name=args.db_name,
        db_user=args.db_user,
        sql_pool_max=args.sql_pool_max,
    )
    print(raddb)


if __name__ == "__main__":
    main()
