"""Accounting over real UDP: idempotent upserts, durable before the reply, closing rules."""

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime

import pytest
from pyrad import packet
from pyrad.client import Timeout

from radius_bridge.testing import Controller

from .bridgekit import ACCT_PORT, SECRET, DbProxy, make_config, pyrad_client, send_raw, sql

T0 = int(time.time()) - 600


def acct(client, **attrs):
    pkt = client.CreateAcctPacket(**attrs)
    return client.SendPacket(pkt)


def send(status, sid, user="user21", client=None, **extra):
    client = client or pyrad_client(port=ACCT_PORT)
    attrs = {
        "User_Name": user,
        "Acct_Status_Type": status,
        "Acct_Session_Id": sid,
        "NAS_Port_Id": "eth0/1",
    }
    attrs.update(extra)
    reply = acct(client, **attrs)
    assert reply.code == packet.AccountingResponse
    return reply


def live(dsn, sid):
    return sql(dsn, "SELECT * FROM zm_radius.session WHERE acct_session_id = $1", sid)


def history(dsn, sid):
    return sql(dsn, "SELECT * FROM zm_radius.session_history WHERE acct_session_id = $1", sid)


def test_start_committed_when_response_arrives(bridge, bridge_db):
    """The session row is visible from another connection as soon as the response arrives."""
    send(
        "Start",
        "a-start",
        Event_Timestamp=T0,
        Framed_IP_Address="10.1.2.3",
        Calling_Station_Id="AA-BB-CC-00-11-22",
    )
    rows = live(bridge_db, "a-start")
    assert len(rows) == 1
    row = rows[0]
    assert row["username"] == "user21" and row["nas_port_id"] == "eth0/1"
    assert row["started_at"] == datetime.fromtimestamp(T0, UTC)
    assert str(row["framed_ip"]) == "10.1.2.3"
    assert row["interim_interval"] == 300


def test_radclient_start_and_status_server(bridge, bridge_db):
    """radclient (FreeRADIUS) gets Accounting-Response for a Start and for Status-Server."""
    for kind, lines in (
        ("acct", 'User-Name = "user23", Acct-Status-Type = Start, Acct-Session-Id = "a-rc"\n'),
        ("status", "Message-Authenticator = 0x00\n"),
    ):
        out = subprocess.run(
            ["radclient", "-x", "-r", "1", "-t", "2", f"127.0.0.1:{ACCT_PORT}", kind, SECRET],
            input=lines,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout
        assert "Received Accounting-Response" in out, out
    assert live(bridge_db, "a-rc")[0]["username"] == "user23"


def test_interim_gigawords_and_idempotent_resend(bridge, bridge_db):
    """Bytes = Octets + 2^32 × Gigawords; a resend with a new id changes nothing."""
    send("Start", "a-interim", Event_Timestamp=T0)
    extra = {
        "Event_Timestamp": T0 + 300,
        "Acct_Session_Time": 300,
        "Acct_Input_Octets": 5,
        "Acct_Input_Gigawords": 2,
        "Acct_Output_Octets": 7,
        "Acct_Output_Gigawords": 1,
    }
    send("Interim-Update", "a-interim", **extra)
    before = live(bridge_db, "a-interim")[0]
    assert before["input_bytes"] == 5 + 2 * 2**32
    assert before["output_bytes"] == 7 + 2**32
    assert before["updated_at"] == datetime.fromtimestamp(T0 + 300, UTC)
    send("Interim-Update", "a-interim", **extra)  # new packet id, same content
    send("Start", "a-interim", Event_Timestamp=T0)  # a late Start resend, too
    after = dict(live(bridge_db, "a-interim")[0])
    assert after.pop("last_seen_at") >= before["last_seen_at"]  # arrival moves, nothing else
    assert after == {k: v for k, v in dict(before).items() if k != "last_seen_at"}


def test_interim_without_start_creates_session(bridge, bridge_db):
    """An Interim-Update for an unknown session creates it, started at event − session time."""
    send("Interim-Update", "a-orphan", Event_Timestamp=T0 + 100, Acct_Session_Time=100)
    row = live(bridge_db, "a-orphan")[0]
    assert row["started_at"] == datetime.fromtimestamp(T0, UTC)


def test_stop_moves_to_history_once(bridge, bridge_db):
    """Stop moves the session to monthly-partitioned history and usage; a resend adds nothing."""
    user = "user22"
    send("Start", "a-stop", user=user, Event_Timestamp=T0)
    stop = {
        "Event_Timestamp": T0 + 60,
        "Acct_Session_Time": 60,
        "Acct_Input_Octets": 1000,
        "Acct_Output_Octets": 2000,
        "Acct_Terminate_Cause": 1,
    }
    send("Stop", "a-stop", user=user, **stop)
    assert live(bridge_db, "a-stop") == []
    rows = history(bridge_db, "a-stop")
    assert len(rows) == 1
    assert rows[0]["closed_by"] == "stop" and rows[0]["terminate_cause"] == "User-Request"
    assert rows[0]["stopped_at"] == datetime.fromtimestamp(T0 + 60, UTC)
    usage = sql(bridge_db, "SELECT * FROM zm_radius.usage_counter WHERE username = $1", user)
    assert [(u["session_time"], u["input_bytes"], u["output_bytes"]) for u in usage] == [
        (60, 1000, 2000)
    ]
    send("Stop", "a-stop", user=user, **stop)
    send("Interim-Update", "a-stop", user=user, Event_Timestamp=T0 + 30)  # late, reordered
    assert len(history(bridge_db, "a-stop")) == 1
    assert live(bridge_db, "a-stop") == []
    again = sql(bridge_db, "SELECT * FROM zm_radius.usage_counter WHERE username = $1", user)
    assert [dict(u) for u in again] == [dict(u) for u in usage]
    month = datetime.fromtimestamp(T0 + 60, UTC)
    part = f"session_history_y{month.year:04d}m{month.month:02d}"
    assert sql(bridge_db, "SELECT to_regclass($1)::text", f"zm_radius.{part}", fetch="fetchval")
    assert (
        sql(
            bridge_db,
            "SELECT tableoid::regclass::text FROM zm_radius.session_history "
            "WHERE acct_session_id = 'a-stop'",
            fetch="fetchval",
        )
        == f"zm_radius.{part}"
    )


def test_stop_without_start_creates_history(bridge, bridge_db):
    """A Stop for a session never started lands in history with its start derived."""
    send("Stop", "a-lonely", Event_Timestamp=T0 + 50, Acct_Session_Time=50)
    rows = history(bridge_db, "a-lonely")
    assert len(rows) == 1 and rows[0]["started_at"] == datetime.fromtimestamp(T0, UTC)


def test_record_without_status_type_dropped(bridge):
    """An Accounting-Request without Acct-Status-Type is malformed: no reply."""
    client = pyrad_client(port=ACCT_PORT)
    pkt = client.CreateAcctPacket(User_Name="user21", Acct_Session_Id="no-type")
    before = bridge.metrics.get("dropped_total", "malformed")
    assert send_raw(pkt.RequestPacket(), port=ACCT_PORT) is None
    assert bridge.metrics.get("dropped_total", "malformed") == before + 1


def test_time_from_delay_when_no_event_timestamp(bridge, bridge_db):
    """Without Event-Timestamp the time is arrival minus Acct-Delay-Time."""
    send("Start", "a-delay", Acct_Delay_Time=120)
    started = live(bridge_db, "a-delay")[0]["started_at"].timestamp()
    assert abs(started - (time.time() - 120)) < 3


def test_accounting_on_off_closes_that_nas_only(bridge, bridge_db):
    """Accounting-On / Off from a NAS closes its live sessions, not other NAS's."""
    roaming = pyrad_client(secret="roam-secret", port=ACCT_PORT, bind_ip="127.0.0.6")
    send("Start", "a-roam", client=roaming, NAS_Identifier="roaming-nas", Event_Timestamp=T0)
    send("Start", "a-keep", Event_Timestamp=T0)
    reply = acct(
        roaming,
        Acct_Status_Type="Accounting-On",
        NAS_Identifier="roaming-nas",
        Event_Timestamp=T0 + 10,
    )
    assert reply.code == packet.AccountingResponse
    assert live(bridge_db, "a-roam") == []
    assert history(bridge_db, "a-roam")[0]["closed_by"] == "nas_reboot"
    assert len(live(bridge_db, "a-keep")) == 1
    send("Start", "a-roam2", client=roaming, NAS_Identifier="roaming-nas", Event_Timestamp=T0 + 20)
    reply = acct(
        roaming,
        Acct_Status_Type="Accounting-Off",
        NAS_Identifier="roaming-nas",
        Event_Timestamp=T0 + 30,
    )
    assert reply.code == packet.AccountingResponse
    assert live(bridge_db, "a-roam2") == []
    assert history(bridge_db, "a-roam2")[0]["stopped_at"] == datetime.fromtimestamp(T0 + 30, UTC)


def test_stale_sessions_closed_after_three_intervals(bridge_db):
    """A session no record reached the bridge about for three interim intervals is closed
    as stale; one heard of since is not (judged on arrival, not the NAS's clock)."""
    cfg = make_config(bridge_db, 21832, 21833, accounting={"interim_interval": 1})
    with Controller(cfg) as ctl:
        client = pyrad_client(port=21833)
        now = int(time.time())
        send("Start", "a-stale", client=client, Event_Timestamp=now)
        time.sleep(3.2)
        send("Start", "a-fresh", client=client, Event_Timestamp=now - 3600)  # slow NAS clock
        closed = ctl.run(ctl.server.writer.sweep_stale())
    assert closed >= 1
    assert history(bridge_db, "a-stale")[0]["closed_by"] == "stale"
    assert len(live(bridge_db, "a-fresh")) == 1


@pytest.fixture
def proxy():
    p = DbProxy(21850)
    p.open()
    yield p
    p.shutdown()


def test_no_response_while_database_down_without_spool_room(bridge_db, proxy):
    """While PostgreSQL is unreachable and the spool is full, accounting gets no reply; once
    back, the retry is stored."""
    dsn = bridge_db.replace("127.0.0.1:5432", proxy.dsn_host)
    cfg = make_config(dsn, 21836, 21837)
    cfg.spool.max_bytes = 0  # no room: nothing can be acknowledged
    with Controller(cfg) as ctl:
        client = pyrad_client(port=21837)
        client.timeout = 1
        proxy.close()
        with pytest.raises(Timeout):
            send("Start", "a-down", client=client, Event_Timestamp=T0)
        assert ctl.metrics.get("dropped_total", "spool_full") >= 1
        assert live(bridge_db, "a-down") == []
        proxy.open()
        deadline = time.monotonic() + 10
        while ctl.server.writer.spooling and time.monotonic() < deadline:
            time.sleep(0.05)
        send("Start", "a-down", client=client, Event_Timestamp=T0)
    assert len(live(bridge_db, "a-down")) == 1
