"""MS-CHAPv2 and MPPE against the published test vectors (RFC 2759, 3079); PAP, crypt.

MD4 itself is zm_rules.md4, tested against RFC 1320 in tests/rules.
"""

from __future__ import annotations

import hashlib

from radius_bridge import auth, packets, passwords
from zm_rules.md4 import md4, nt_hash

AUTH_CHALLENGE = bytes.fromhex("5B5D7C7D7B3F2F3E3C2C602132262628")
PEER_CHALLENGE = bytes.fromhex("21402324255E262A28295F2B3A337C7E")
NT_RESPONSE = bytes.fromhex("82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF")


def test_mschapv2_rfc2759_section_9_2():
    """Every intermediate value of RFC 2759 §9.2's example."""
    pw_hash = nt_hash("clientPass")
    assert pw_hash.hex().upper() == "44EBBA8D5312B8D611474411F56989AE"
    assert md4(pw_hash).hex().upper() == "41C00C584BD2D91C4017A2A12FA59F3F"
    challenge = auth.challenge_hash(PEER_CHALLENGE, AUTH_CHALLENGE, b"User")
    assert challenge.hex().upper() == "D02E4386BCE91226"
    assert auth.challenge_response(challenge, pw_hash) == NT_RESPONSE
    assert (
        auth.authenticator_response(pw_hash, NT_RESPONSE, PEER_CHALLENGE, AUTH_CHALLENGE, b"User")
        == b"S=407A5589115FD0D6209F510FE9C04566932CDA56"
    )


def test_mppe_rfc3079_section_3_5_3():
    """The 128-bit master key and send start key of RFC 3079 §3.5.3."""
    pw_hash = nt_hash("clientPass")
    master = hashlib.sha1(md4(pw_hash) + NT_RESPONSE + b"This is the MPPE Master Key").digest()
    assert master[:16].hex().upper() == "FDECE3717A8C838CB388E527AE3CDD31"
    send, recv = auth.mppe_keys(pw_hash, NT_RESPONSE)
    assert send.hex().upper() == "8B7CDC149B993A1BA118CB153F56DCCB"
    assert len(recv) == 16 and recv != send


def test_check_mschap2_accepts_sample_and_rejects_wrong_password():
    """The verifier accepts the RFC sample with the right password only; a domain prefix on
    the user name is ignored (RFC 2759 §8.2)."""
    response = b"\x05\x00" + PEER_CHALLENGE + bytes(8) + NT_RESPONSE
    ok = auth.check_mschap2(
        auth.Account("clientPass", None, None), AUTH_CHALLENGE, response, b"DOMAIN\\User"
    )
    assert ok.ok and ok.success.startswith(b"\x05S=407A")
    by_hash = auth.Account(None, nt_hash("clientPass").hex(), None)
    assert auth.check_mschap2(by_hash, AUTH_CHALLENGE, response, b"User").ok
    assert not auth.check_mschap2(
        auth.Account("other", None, None), AUTH_CHALLENGE, response, b"User"
    ).ok
    assert not auth.check_mschap2(
        auth.Account("clientPass", None, None), AUTH_CHALLENGE, response[:-1], b"User"
    ).ok


def test_pap_and_crypt():
    """PAP compares the cleartext; an imported crypt hash allows PAP (checked by passlib, no
    ``crypt`` module needed); nothing else does."""
    assert auth.check_pap(auth.Account("secret", None, None), b"secret")
    assert not auth.check_pap(auth.Account("secret", None, None), b"Secret")
    # `openssl passwd -1 / -6 -salt saltsalt secret`
    for hashed in (
        "$1$saltsalt$9xy1btjgzLYfb7hivXtC//",
        "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN"
        ".Pq.H91p5hVO1",
    ):
        assert auth.needs_crypt(auth.Account(None, None, hashed))
        assert passwords.verify(b"secret", hashed)
        assert not passwords.verify(b"nope", hashed)
        assert not passwords.verify(b"\xff\x00", hashed)
        assert not auth.check_pap(auth.Account(None, None, hashed), b"secret")
    assert not auth.check_chap(auth.Account(None, None, hashed), b"\x01" + bytes(16), bytes(16))


def test_user_password_round_trip_with_pyrad_encryption():
    """The server decrypts what pyrad (an independent implementation) encrypted."""
    from .bridgekit import pyrad_client

    client = pyrad_client()
    for password in ("a", "exactly16bytes!!", "x" * 40):
        pkt = client.CreateAuthPacket(User_Name="u")
        encrypted = pkt.PwCrypt(password)
        plain = packets.decrypt_user_password(encrypted, b"testing123", pkt.authenticator)
        assert plain == password.encode()
    assert packets.decrypt_user_password(b"short", b"s", bytes(16)) is None
