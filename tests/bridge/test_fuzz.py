"""Random and mutated datagrams: no crash, no reply, and the server still answers after."""

from __future__ import annotations

import socket

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pyrad import packet

from radius_bridge import packets

from .bridgekit import ACCT_PORT, AUTH_PORT, access_request, pyrad_client

_client = pyrad_client()
VALID = access_request(_client, "user41", "pass41").RequestPacket()
_acct = _client.CreateAcctPacket(
    User_Name="user41", Acct_Status_Type="Start", Acct_Session_Id="fuzz"
)
VALID_ACCT = _acct.RequestPacket()


@settings(max_examples=1000, deadline=None)
@given(st.binary(max_size=5000))
def test_parser_only_raises_malformed(data):
    """The codec turns any byte string into a request or Malformed, nothing else."""
    try:
        req = packets.parse(data)
    except packets.Malformed:
        return
    assert 20 <= len(req.raw) <= 4096


def _mutate(base: bytes, pos: int, xor: int, cut: int) -> bytes:
    data = bytearray(base)
    data[pos % len(data)] ^= xor
    return bytes(data[: len(data) - cut])


mutations = st.builds(
    _mutate,
    st.sampled_from([VALID, VALID_ACCT]),
    st.integers(0, 4095),
    st.integers(1, 255),
    st.integers(0, 8),
)
datagrams = st.one_of(
    st.binary(max_size=600),
    st.binary(min_size=20, max_size=300).map(lambda b: b"\x01" + b[1:]),
    mutations,
)


def test_fuzzed_datagrams_get_no_reply(bridge):
    """Random bytes and mutated valid packets, sent to both ports, are never answered."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sent = []
    before = bridge.metrics.get("requests_total", "auth") + bridge.metrics.get(
        "requests_total", "acct"
    )

    @settings(
        max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(datagrams, st.sampled_from([AUTH_PORT, ACCT_PORT]))
    def run(data, port):
        if data in (VALID, VALID_ACCT):
            return
        sock.sendto(data, ("127.0.0.1", port))
        sent.append(data)

    try:
        run()
        sock.settimeout(0.5)
        try:
            reply = sock.recv(4096)
        except TimeoutError:
            reply = None
        assert reply is None, "a fuzzed datagram was answered"
        after = bridge.metrics.get("requests_total", "auth") + bridge.metrics.get(
            "requests_total", "acct"
        )
        assert after - before == len(sent)
    finally:
        sock.close()
    client = pyrad_client()
    assert client.SendPacket(access_request(client, "user41", "pass41")).code == (
        packet.AccessAccept
    )


def test_fuzz_stream_over_udp(bridge):
    """20,000 datagrams from bench.radius_fuzz (half broken, half well signed with NUL and
    invalid UTF-8 in every text attribute), valid logins interleaved: no reply to a broken
    one, every login answered, no handler error, and the bridge still serves."""
    from bench.radius_fuzz import run

    errors = bridge.metrics.get("dropped_total", "handler_error")
    # Accounts user600..user899 only, which no other test uses; no Accounting-On / Off (they
    # would close the other tests' sessions on this NAS).
    counts = run("127.0.0.1", AUTH_PORT, ACCT_PORT, "testing123", 20_000, seed=9, users=300,
                 probe_every=250, good_user=41, acct_kinds=(1, 2, 3, 15), first_user=600)  # fmt: skip
    assert counts["invalid"] > 9000 and counts["hostile"] > 9000
    assert counts["invalid_answered"] == 0
    assert counts["probes"] == counts["probes_answered"] and counts["probe_bad"] == 0
    assert bridge.metrics.get("dropped_total", "handler_error") == errors
    client = pyrad_client()
    assert client.SendPacket(access_request(client, "user41", "pass41")).code == (
        packet.AccessAccept
    )
