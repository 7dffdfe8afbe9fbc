"""The statements of the accounting writer, for a schema; rows travel as parallel arrays.

A batch part costs two statements (plus BEGIN / COMMIT): the *gate* locks the keys' live
rows, inserts a live row for every key that has none and reads the keys' recent history;
the *write* applies what :mod:`sessions` decided and, in the same round trip, re-reads the
history of the keys the gate inserted (see ``write``). Round trips, not rows, are what a
batch costs on a busy two-core machine.

Times cross as epoch seconds (``float8``), so rows read back compare equal to the rows
:mod:`sessions` computes; identity times (start, stop) are whole seconds, exact in a float.

Every keyed read probes the key index once per key, whatever the planner believes about the
table: the live-session table churns faster than its statistics (a Start inserts, a Stop
deletes), and a join planned on "tiny table" scans it whole for every batch. A LATERAL
subquery with FOR UPDATE / OFFSET 0 is never flattened into such a join.
"""

from __future__ import annotations

from zm_rules.contract import NOBODY

from .sessions import HISTORY_COLUMNS, LIVE_COLUMNS

_KEY = "x.nas_id = k.nas_id AND x.acct_session_id = k.acct_session_id AND x.username = k.username AND x.nas_port_id = k.nas_port_id"
_TIMES = ("started_at", "updated_at", "last_seen_at", "stopped_at")
_TYPES = {
    "nas_id": "int",
    "acct_session_id": "text",
    "username": "text",
    "nas_port_id": "text",
    "session_time": "bigint",
    "input_bytes": "bigint",
    "output_bytes": "bigint",
    "framed_ip": "text",
    "calling_station_id": "text",
    "called_station_id": "text",
    "nas_port": "bigint",
    "class": "text",
    "interim_interval": "int",
    "terminate_cause": "text",
    "closed_by": "text",
    "account_id": "bigint",
}
N_LIVE = len(LIVE_COLUMNS)
N_HISTORY = len(HISTORY_COLUMNS)


def _q(column: str) -> str:
    return f'"{column}"' if column == "class" else column


def _quote(columns) -> str:
    return ", ".join(_q(c) for c in columns)


def _select_list(columns, alias: str = "x") -> str:
    out = []
    for c in columns:
        if c in _TIMES:
            out.append(f"extract(epoch FROM {alias}.{c})::float8 AS {c}")
        elif c == "framed_ip":
            out.append(f"host({alias}.framed_ip) AS framed_ip")
        else:
            out.append(f"{alias}.{_q(c)}")
    return ", ".join(out)


def _unnest(columns, first: int, alias: str) -> str:
    """``unnest($first.., ...) AS alias(columns)`` with each array's type."""
    arrays = [
        f"${i}::{'float8' if c in _TIMES else _TYPES[c]}[]" for i, c in enumerate(columns, first)
    ]
    return f"unnest({', '.join(arrays)}) AS {alias}({_quote(columns)})"


def _values(columns, alias: str) -> str:
    """The array elements of ``alias`` converted to the columns' types."""
    out = []
    for c in columns:
        if c in _TIMES:
            out.append(f"to_timestamp({alias}.{c})")
        elif c == "framed_ip":
            out.append(f"{alias}.framed_ip::inet")
        else:
            out.append(f"{alias}.{_q(c)}")
    return ", ".join(out)


def gate(s: str) -> str:
    """$1..$N (N = len(LIVE_COLUMNS)): the live row each record would start; $N+1: history
    since (epoch); $N+2: the records' user names.

    Returns rows tagged ``src``: 'L' a live row now locked by us, 'I' a row we inserted (the
    key had no live session), 'H' a closed session of the key, 'A' the usage-period fields of
    an account (``a_*``). A key in neither 'L' nor 'I' lost an insert race: the caller runs
    the gate again for it, which waits for the winner.
    """
    hist = _select_list(HISTORY_COLUMNS)
    live = _select_list(LIVE_COLUMNS)
    pad = "NULL::float8 AS stopped_at, NULL::text AS terminate_cause, NULL::text AS closed_by"
    no_account = (
        "NULL::text AS a_time_zone, NULL::text AS a_quota_period, "
        "NULL::timestamptz AS a_period_start, NULL::bigint AS a_account_id"
    )
    nulls = ", ".join(
        f"NULL::{'float8' if c in _TIMES else _TYPES[c]}"
        for c in HISTORY_COLUMNS
        if c != "username"
    )
    before_user = HISTORY_COLUMNS.index("username")
    head, tail = nulls.split(", ")[:before_user], nulls.split(", ")[before_user:]
    # a new live row takes its account's id: given (a name an earlier part of the batch
    # read) or read here, in ``a``
    values = _values(LIVE_COLUMNS, "k").replace(
        "k.account_id",
        "COALESCE(k.account_id, (SELECT a.account_id FROM a WHERE a.username = k.username), "
        f"{NOBODY})",
    )
    return (
        f"WITH k AS (SELECT * FROM {_unnest(LIVE_COLUMNS, 1, 'r')}), "
        f"a AS (SELECT x.* FROM unnest(${N_LIVE + 2}::text[]) AS n(u) CROSS JOIN LATERAL (SELECT "
        f"username, time_zone, quota_period, period_start, account_id FROM {s}.account "
        "WHERE username = n.u OFFSET 0) x), "
        f"locked AS (SELECT x.* FROM k CROSS JOIN LATERAL (SELECT x.ctid, {live} "
        f"FROM {s}.session x WHERE {_KEY} FOR UPDATE) x), "
        f"ins AS (INSERT INTO {s}.session ({_quote(LIVE_COLUMNS)}) "
        f"SELECT {values} FROM k WHERE NOT EXISTS (SELECT 1 FROM locked x "
        f"WHERE {_KEY}) ORDER BY 1, 2, 3, 4 "
        "ON CONFLICT (nas_id, acct_session_id, username, nas_port_id) DO NOTHING "
        f"RETURNING ctid, {_quote(LIVE_COLUMNS)}), "
        f"h AS (SELECT x.* FROM k CROSS JOIN LATERAL (SELECT {hist} FROM {s}.session_history x "
        f"WHERE {_KEY} AND x.stopped_at >= to_timestamp(${N_LIVE + 1}::float8) OFFSET 0) x) "
        f"SELECT 'L' AS src, ctid, {_quote(LIVE_COLUMNS)}, {pad}, {no_account} FROM locked "
        f"UNION ALL SELECT 'I', ctid, {_select_list(LIVE_COLUMNS, 'ins')}, {pad}, {no_account} "
        f"FROM ins UNION ALL SELECT 'H', NULL::tid, {_quote(HISTORY_COLUMNS)}, {no_account} "
        f"FROM h UNION ALL SELECT 'A', NULL::tid, {', '.join(head)}, username, "
        f"{', '.join(tail)}, time_zone, quota_period, period_start, account_id FROM a"
    )


def write(s: str) -> str:
    """Apply a part's decisions in one statement, and re-read history for some keys.

    $1 live rows to delete (row addresses, locked); then, one array per column, the live
    rows to upsert (``LIVE_COLUMNS``), the history rows to insert (``HISTORY_COLUMNS``), the
    usage to add (five), the keys (four; the gate inserted their live rows) whose history is
    read again, and the time since which (one): the gate's own read shares its
    statement's snapshot, which predates a writer it may have waited for. Anything new here
    means the caller must run the part again. The live rows deleted and upserted are never
    the same row, nor is a history row both inserted here and deleted earlier.
    """
    up = _unnest(LIVE_COLUMNS, 2, "r")
    sets = ", ".join(f"{_q(c)} = EXCLUDED.{_q(c)}" for c in LIVE_COLUMNS[4:])
    hist_rows = _unnest(HISTORY_COLUMNS, 2 + N_LIVE, "r")
    u = 2 + N_LIVE + N_HISTORY
    k = u + 5
    return (
        f"WITH d AS (DELETE FROM {s}.session WHERE ctid = ANY($1::tid[])), "
        f"u AS (INSERT INTO {s}.session ({_quote(LIVE_COLUMNS)}) "
        f"SELECT {_values(LIVE_COLUMNS, 'r')} FROM {up} ORDER BY 1, 2, 3, 4 "
        "ON CONFLICT (nas_id, acct_session_id, username, nas_port_id) "
        f"DO UPDATE SET {sets}), "
        f"hi AS (INSERT INTO {s}.session_history ({_quote(HISTORY_COLUMNS)}) "
        f"SELECT {_values(HISTORY_COLUMNS, 'r')} FROM {hist_rows}), "
        # ORDER BY: concurrent writers lock usage rows in one order, so they cannot deadlock.
        f"us AS (INSERT INTO {s}.usage_counter AS c "
        "(username, period_start, session_time, input_bytes, output_bytes) "
        f"SELECT * FROM unnest(${u}::text[], ${u + 1}::timestamptz[], ${u + 2}::bigint[], "
        f"${u + 3}::bigint[], ${u + 4}::bigint[]) ORDER BY 1, 2 "
        "ON CONFLICT (username, period_start) DO UPDATE SET "
        "session_time = c.session_time + EXCLUDED.session_time, "
        "input_bytes = c.input_bytes + EXCLUDED.input_bytes, "
        "output_bytes = c.output_bytes + EXCLUDED.output_bytes, updated_at = now()), "
        f"k AS (SELECT * FROM unnest(${k}::int[], ${k + 1}::text[], ${k + 2}::text[], "
        f"${k + 3}::text[]) AS k(nas_id, acct_session_id, username, nas_port_id)) "
        f"SELECT x.* FROM k CROSS JOIN LATERAL (SELECT {_select_list(HISTORY_COLUMNS)} "
        f"FROM {s}.session_history x WHERE {_KEY} "
        f"AND x.stopped_at >= to_timestamp(${k + 4}::float8) OFFSET 0) x"
    )


def delete_history(s: str) -> str:
    """One closed session by identity (rare: corrections only), for executemany."""
    return (
        f"DELETE FROM {s}.session_history WHERE nas_id = $1 AND acct_session_id = $2 "
        "AND username = $3 AND nas_port_id = $4 AND started_at = to_timestamp($5::float8) "
        "AND stopped_at = to_timestamp($6::float8)"
    )


def close_where(s: str, where: str, stopped: str, cause: str, closed_by: str) -> str:
    """Move live sessions matching ``where`` to history (NAS reboot, stale sweep); their usage
    was counted as their records came, so closing adds none. Returns the closed count."""
    cols = _quote(LIVE_COLUMNS)
    return (
        f"WITH gone AS (DELETE FROM {s}.session WHERE {where} RETURNING *), "
        f"ins AS (INSERT INTO {s}.session_history ({cols}, stopped_at, terminate_cause, "
        f"closed_by) SELECT {cols}, {stopped}, {cause}, '{closed_by}' FROM gone RETURNING 1) "
        "SELECT count(*) FROM ins"
    )


def columns(rows: list[dict], names) -> list[list]:
    return [[row[c] for row in rows] for c in names]
