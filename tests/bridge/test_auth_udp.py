"""Access-Request over real UDP with two independent clients: pyrad and FreeRADIUS radclient."""

from __future__ import annotations

import hashlib
import subprocess
import time

import pytest
from pyrad import packet

from .bridgekit import (
    ACCT_PORT,
    AUTH_PORT,
    SECRET,
    access_request,
    pyrad_client,
    send_raw,
    sql,
    strip_message_authenticator,
)

# RFC 2759 §9.2 / RFC 3079 §3.5.3 sample values.
AUTH_CHALLENGE = bytes.fromhex("5B5D7C7D7B3F2F3E3C2C602132262628")
PEER_CHALLENGE = bytes.fromhex("21402324255E262A28295F2B3A337C7E")
NT_RESPONSE = bytes.fromhex("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF")
AUTH_RESPONSE = b"S=407A5589115FD0D6209F510FE9C04566932CDA56"
SEND_KEY = bytes.fromhex("8B7CDC149B993A1BA118CB153F56DCCB")
MS_RESPONSE = b"\x01\x00" + PEER_CHALLENGE + bytes(8) + NT_RESPONSE


@pytest.fixture(scope="module")
def rfc_user(bridge_db):
    """The RFC sample account: user "User", password "clientPass"."""
    sql(
        bridge_db,
        "INSERT INTO zm_radius.account (account_id, username, password_clear, state, "
        "expiry_at, first_dial_at, pool_normal) VALUES (5001, 'user', 'clientPass', 'active', "
        "now() + interval '10 days', now(), 'pool-a') ON CONFLICT DO NOTHING",
        fetch="execute",
    )


def radclient(lines: str, port: int = AUTH_PORT, kind: str = "auth", secret: str = SECRET):
    out = subprocess.run(
        ["radclient", "-x", "-r", "1", "-t", "2", f"127.0.0.1:{port}", kind, secret],
        input=lines,
        capture_output=True,
        text=True,
        timeout=10,
    )
    return out.stdout + out.stderr


def salt_decrypt(value: bytes, secret: bytes, authenticator: bytes) -> bytes:
    """RFC 2548 §2.4.2 decryption, written here independently of the server's code."""
    salt, cipher = value[:2], value[2:]
    plain, prev = b"", authenticator + salt
    for i in range(0, len(cipher), 16):
        key = hashlib.md5(secret + prev).digest()
        block = cipher[i : i + 16]
        plain += bytes(a ^ b for a, b in zip(block, key))
        prev = block
    return plain[1 : 1 + plain[0]]


def test_pap_accept_with_pyrad(bridge):
    """PAP with the right password is accepted with pool, timeouts, Class and MA first."""
    client = pyrad_client()
    req = access_request(client, "user1", "pass1")
    reply = client.SendPacket(req)
    assert reply.code == packet.AccessAccept
    assert reply["Framed-Pool"] == ["pool-normal"]
    assert reply["Acct-Interim-Interval"] == [300]
    assert 0 < reply["Session-Timeout"][0] <= 86400
    assert reply["Class"][0].startswith(b"zm:1:")
    assert reply.raw_packet[20] == 80, "Message-Authenticator must be the first attribute"
    assert reply.verify_message_authenticator(
        secret=SECRET.encode(), original_authenticator=req.authenticator, original_code=req.code
    )


def test_pap_wrong_password_rejected(bridge):
    """A wrong PAP password gets Access-Reject (signed), not silence."""
    client = pyrad_client()
    reply = client.SendPacket(access_request(client, "user2", "nope"))
    assert reply.code == packet.AccessReject
    assert reply["Reply-Message"] == ["Authentication failed"]  # the reason is in the log


def test_username_case_insensitive(bridge):
    """User-Name matches case-insensitively."""
    client = pyrad_client()
    assert client.SendPacket(access_request(client, "USER3", "pass3")).code == packet.AccessAccept


def test_chap_with_pyrad(bridge):
    """CHAP (RFC 1994) with a CHAP-Challenge attribute is checked against the cleartext."""
    client = pyrad_client()
    challenge = bytes(range(16))
    good = b"\x07" + hashlib.md5(b"\x07pass4" + challenge).digest()
    bad = b"\x07" + hashlib.md5(b"\x07pass5" + challenge).digest()
    for value, code in ((good, packet.AccessAccept), (bad, packet.AccessReject)):
        req = access_request(client, "user4", CHAP_Password=value, CHAP_Challenge=challenge)
        assert client.SendPacket(req).code == code


def test_mschapv2_rfc_vectors_with_pyrad(bridge, rfc_user):
    """MS-CHAPv2 with the RFC 2759 sample: Success = S=407A…, MPPE send key = RFC 3079's."""
    client = pyrad_client()
    req = access_request(client, "User")
    req["MS-CHAP-Challenge"] = AUTH_CHALLENGE
    req["MS-CHAP2-Response"] = MS_RESPONSE
    reply = client.SendPacket(req)
    assert reply.code == packet.AccessAccept
    assert reply["MS-CHAP2-Success"] == [b"\x01" + AUTH_RESPONSE]
    send = salt_decrypt(reply["MS-MPPE-Send-Key"][0], SECRET.encode(), req.authenticator)
    assert send == SEND_KEY
    recv = salt_decrypt(reply["MS-MPPE-Recv-Key"][0], SECRET.encode(), req.authenticator)
    assert len(recv) == 16 and recv != send
    assert reply["Framed-Pool"] == ["pool-a"]


def test_mschapv2_wrong_response_rejected(bridge, rfc_user):
    """A wrong NT-Response is rejected with MS-CHAP-Error E=691."""
    client = pyrad_client()
    req = access_request(client, "User")
    req["MS-CHAP-Challenge"] = AUTH_CHALLENGE
    req["MS-CHAP2-Response"] = MS_RESPONSE[:-1] + b"\x00"
    reply = client.SendPacket(req)
    assert reply.code == packet.AccessReject
    assert reply["MS-CHAP-Error"][0].startswith(b"\x01E=691")


def test_radclient_pap_and_chap(bridge):
    """radclient (FreeRADIUS) gets Access-Accept for PAP and CHAP, with a verified MA."""
    for attr in ("User-Password", "CHAP-Password"):
        out = radclient(f'User-Name = "user6", {attr} = "pass6", Message-Authenticator = 0x00\n')
        assert "Received Access-Accept" in out, out
        received = out.split("Received Access-Accept", 1)[1].splitlines()
        assert received[1].strip().startswith("Message-Authenticator"), out
        assert 'Framed-Pool = "pool-normal"' in out


def test_radclient_reject(bridge):
    """radclient sees Access-Reject for a paused account (user10 is cancelled, user20 paused)."""
    out = radclient(
        'User-Name = "user20", User-Password = "pass20", Message-Authenticator = 0x00\n'
    )
    assert "Received Access-Reject" in out and "Authentication failed" in out, out


def test_radclient_mschapv2(bridge, rfc_user):
    """radclient carrying the RFC 2759 MS-CHAPv2 sample gets the RFC's MS-CHAP2-Success."""
    out = radclient(
        'User-Name = "User", Message-Authenticator = 0x00, '
        f"MS-CHAP-Challenge = 0x{AUTH_CHALLENGE.hex()}, MS-CHAP2-Response = 0x{MS_RESPONSE.hex()}\n"
    )
    assert "Received Access-Accept" in out, out
    assert "MS-CHAP2-Success = 0x01" + AUTH_RESPONSE.hex() in out, out
    assert "MS-MPPE-Send-Key" in out and "MS-MPPE-Recv-Key" in out


def test_nas_by_identifier(bridge):
    """A NAS without a fixed IP is recognised by NAS-Identifier and uses its own secret."""
    client = pyrad_client(secret="roam-secret", bind_ip="127.0.0.5")
    req = access_request(client, "user7", "pass7", NAS_Identifier="roaming-nas")
    assert client.SendPacket(req).code == packet.AccessAccept


def test_legacy_nas_without_message_authenticator(bridge):
    """The per-NAS switch lets an old device authenticate without Message-Authenticator."""
    client = pyrad_client(secret="legacy-secret", bind_ip="127.0.0.2")
    req = client.CreateAuthPacket(User_Name="user8")
    req["User-Password"] = req.PwCrypt("pass8")
    raw = strip_message_authenticator(req.RequestPacket())
    assert 80 not in req.CreateReply(packet=raw)  # really sent without one
    reply = send_raw(raw, src_ip="127.0.0.2", timeout=2)
    assert reply is not None and reply[0] == packet.AccessAccept
    assert reply[20] == 80


def test_realm_stripped_and_mikrotik_rate(bridge):
    """A NAS with strip_realm drops @realm; a MikroTik NAS gets Mikrotik-Rate-Limit."""
    client = pyrad_client(secret="mikrotik-secret", bind_ip="127.0.0.3")
    reply = client.SendPacket(access_request(client, "user11@isp.example", "pass11"))
    assert reply.code == packet.AccessAccept
    assert reply["Mikrotik-Rate-Limit"] == ["20480k/204800k"]
    assert reply["Mikrotik-Group"] == ["200M"]


def test_disabled_nas_is_unknown(bridge):
    """A disabled NAS is treated as an unknown client: no reply."""
    client = pyrad_client(secret="disabled-secret", bind_ip="127.0.0.4")
    before = bridge.metrics.get("dropped_total", "unknown_client")
    req = access_request(client, "user9", "pass9")
    assert send_raw(req.RequestPacket(), src_ip="127.0.0.4") is None
    assert bridge.metrics.get("dropped_total", "unknown_client") == before + 1


def test_auth_log_written(bridge, bridge_db):
    """Every login is logged (batched), without the password."""
    client = pyrad_client()
    client.SendPacket(access_request(client, "user12", "wrong-one"))
    deadline = time.monotonic() + 3
    rows = []
    while time.monotonic() < deadline and not rows:
        rows = sql(bridge_db, "SELECT * FROM zm_radius.auth_log WHERE username = 'user12'")
        time.sleep(0.1)
    assert rows and rows[0]["result"] == "reject" and rows[0]["method"] == "pap"
    assert "wrong-one" not in repr(dict(rows[0]))


def _wait_rows(dsn, query, *args, timeout=3.0):
    deadline = time.monotonic() + timeout
    while True:
        rows = sql(dsn, query, *args)
        if rows or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


def test_first_dial_recorded(bridge, bridge_db):
    """An account waiting for its first dial is accepted and the first-dial fact stored."""
    assert (
        sql(
            bridge_db,
            "SELECT state FROM zm_radius.account WHERE username = 'user30'",
            fetch="fetchval",
        )
        == "waiting"
    )
    client = pyrad_client()
    reply = client.SendPacket(
        access_request(client, "user30", "pass30", Calling_Station_Id="00-11-22-33-44-55")
    )
    assert reply.code == packet.AccessAccept
    rows = _wait_rows(bridge_db, "SELECT * FROM zm_radius.first_dial WHERE username = 'user30'")
    assert len(rows) == 1 and rows[0]["mac"] is None  # no auto-bind configured


def test_expired_account_into_restricted_pool(bridge, bridge_db):
    """Expired: rejected; once a restricted pool is configured, accepted into it."""
    client = pyrad_client()
    assert client.SendPacket(access_request(client, "user60", "pass60")).code == (
        packet.AccessReject
    )
    sql(
        bridge_db,
        "UPDATE zm_radius.account SET pool_expired = 'pool-expired' WHERE username = 'user60'",
        fetch="execute",
    )
    time.sleep(0.6)
    reply = client.SendPacket(access_request(client, "user60", "pass60"))
    assert reply.code == packet.AccessAccept
    assert reply["Framed-Pool"] == ["pool-expired"]
    assert reply["Class"][0].endswith(b":restricted")


def test_session_limit_over_udp(bridge, bridge_db):
    """With session_limit 1, a second login while a session is live is rejected; after the
    Stop the account may log in again."""
    sql(
        bridge_db,
        "UPDATE zm_radius.account SET session_limit = 1 WHERE username = 'user33'",
        fetch="execute",
    )
    acct = pyrad_client(port=ACCT_PORT)
    start = acct.CreateAcctPacket(
        User_Name="user33", Acct_Status_Type="Start", Acct_Session_Id="limit-1"
    )
    assert acct.SendPacket(start).code == packet.AccountingResponse
    bridge.run(bridge.server.online.refresh())
    time.sleep(0.6)  # the change feed evicts the edited account
    client = pyrad_client()
    reply = client.SendPacket(access_request(client, "user33", "pass33"))
    assert reply.code == packet.AccessReject
    stop = acct.CreateAcctPacket(
        User_Name="user33", Acct_Status_Type="Stop", Acct_Session_Id="limit-1"
    )
    assert acct.SendPacket(stop).code == packet.AccountingResponse
    assert client.SendPacket(access_request(client, "user33", "pass33")).code == (
        packet.AccessAccept
    )
