"""The statements of the accounting writer, for a schema; rows travel as parallel arrays.

Times cross as epoch seconds (``float8``), so rows read back compare equal to the rows
:mod:`sessions` computes; identity times (start, stop) are whole seconds, exact in a float.
"""

from __future__ import annotations

from .sessions import HISTORY_COLUMNS, LIVE_COLUMNS

_KEY = "x.nas_id = k.n AND x.acct_session_id = k.sid AND x.username = k.u AND x.nas_port_id = k.p"
_KEYS = "unnest($1::int[], $2::text[], $3::text[], $4::text[]) AS k(n, sid, u, p)"
_TIMES = ("started_at", "updated_at", "last_seen_at", "stopped_at")

# Array type and the SQL turning the array element ``r.<col>`` into the column's value.
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
}


def _select_list(columns) -> str:
    out = []
    for c in columns:
        if c in _TIMES:
            out.append(f"extract(epoch FROM x.{c})::float8 AS {c}")
        elif c == "framed_ip":
            out.append("host(x.framed_ip) AS framed_ip")
        else:
            out.append(f"x.{c}")
    return ", ".join(out)


def _rows(columns) -> tuple[str, str]:
    """(``unnest(...) AS r(...)``, the converted value list) for ``columns`` as $1..$n."""
    arrays, values = [], []
    for i, c in enumerate(columns, 1):
        arrays.append(f"${i}::{'float8' if c in _TIMES else _TYPES[c]}[]")
        if c in _TIMES:
            values.append(f"to_timestamp(r.{c})")
        elif c == "framed_ip":
            values.append("r.framed_ip::inet")
        else:
            values.append(f"r.{c}")
    alias = ", ".join(f'"{c}"' if c == "class" else c for c in columns)
    return f"unnest({', '.join(arrays)}) AS r({alias})", ", ".join(values)


def _quote(columns) -> str:
    return ", ".join(f'"{c}"' if c == "class" else c for c in columns)


def lock_live(s: str) -> str:
    """Lock (in key order, so writers cannot deadlock) and read the live rows of the keys."""
    return (
        f"SELECT {_select_list(LIVE_COLUMNS)} FROM {s}.session x JOIN {_KEYS} ON {_KEY} "
        "ORDER BY 1, 2, 3, 4 FOR UPDATE OF x"
    )


def insert_live(s: str) -> str:
    """Insert rows for keys with no live session; the keys that won the insert come back."""
    rows, values = _rows(LIVE_COLUMNS)
    return (
        f"INSERT INTO {s}.session ({_quote(LIVE_COLUMNS)}) SELECT {values} FROM {rows} "
        "ORDER BY 1, 2, 3, 4 ON CONFLICT (nas_id, acct_session_id, username, nas_port_id) "
        "DO NOTHING RETURNING nas_id, acct_session_id, username, nas_port_id"
    )


def upsert_live(s: str) -> str:
    rows, values = _rows(LIVE_COLUMNS)
    sets = ", ".join(f"{_quote([c])} = EXCLUDED.{_quote([c])}" for c in LIVE_COLUMNS[4:])
    return (
        f"INSERT INTO {s}.session ({_quote(LIVE_COLUMNS)}) SELECT {values} FROM {rows} "
        "ORDER BY 1, 2, 3, 4 ON CONFLICT (nas_id, acct_session_id, username, nas_port_id) "
        f"DO UPDATE SET {sets}"
    )


def delete_live(s: str) -> str:
    return f"DELETE FROM {s}.session x USING {_KEYS} WHERE {_KEY}"


def read_history(s: str) -> str:
    """Closed sessions of the keys since $5 (epoch): what a record may belong to."""
    return (
        f"SELECT {_select_list(HISTORY_COLUMNS)} FROM {s}.session_history x JOIN {_KEYS} "
        f"ON {_KEY} WHERE x.stopped_at >= to_timestamp($5::float8)"
    )


def delete_history(s: str) -> str:
    return (
        f"DELETE FROM {s}.session_history x USING unnest($1::int[], $2::text[], $3::text[], "
        "$4::text[], $5::float8[], $6::float8[]) AS k(n, sid, u, p, st, sp) "
        f"WHERE {_KEY} AND x.started_at = to_timestamp(k.st) AND x.stopped_at = to_timestamp(k.sp)"
    )


def insert_history(s: str) -> str:
    rows, values = _rows(HISTORY_COLUMNS)
    return (
        f"INSERT INTO {s}.session_history ({_quote(HISTORY_COLUMNS)}) SELECT {values} FROM {rows}"
    )


def add_usage(s: str) -> str:
    # ORDER BY: concurrent writers lock usage rows in the same order, so they cannot deadlock.
    return (
        f"INSERT INTO {s}.usage_counter AS u "
        "(username, period_start, session_time, input_bytes, output_bytes) "
        "SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::bigint[], $4::bigint[], "
        "$5::bigint[]) ORDER BY 1, 2 "
        "ON CONFLICT (username, period_start) DO UPDATE SET "
        "session_time = u.session_time + EXCLUDED.session_time, "
        "input_bytes = u.input_bytes + EXCLUDED.input_bytes, "
        "output_bytes = u.output_bytes + EXCLUDED.output_bytes, updated_at = now()"
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
