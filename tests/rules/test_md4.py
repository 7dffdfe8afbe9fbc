"""MD4 and the NT hash match RFC 1320 and RFC 2759 test vectors."""

import pytest

from zm_rules.md4 import md4, nt_hash


@pytest.mark.parametrize(
    ("message", "digest"),
    [
        (b"", "31d6cfe0d16ae931b73c59d7e0c089c0"),
        (b"a", "bde52cb31de33e46245e05fbdbd6fb24"),
        (b"abc", "a448017aaf21d8525fc10ae87aa6729d"),
        (b"message digest", "d9130a8164549fe818874806e1c7014b"),
        (b"abcdefghijklmnopqrstuvwxyz", "d79e1c308aa5bbcdeea8ed63df412da9"),
        (
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            "043f8582f241db351ce627e153e7f0e4",
        ),
        (b"1234567890" * 8, "e33b4ddc9c38f2199c3e7b164fcc0536"),
    ],
)
def test_rfc1320_vectors(message, digest):
    """Every test vector of RFC 1320 §A.5, including multi-block messages."""
    assert md4(message).hex() == digest


def test_nt_hash_rfc2759_vector():
    """RFC 2759 §9.2: NtPasswordHash("clientPass")."""
    assert nt_hash("clientPass").hex() == "44ebba8d5312b8d611474411f56989ae"


def test_nt_hash_of_password():
    """The widely published NT hash of "password"."""
    assert nt_hash("password").hex() == "8846f7eaee8fb117ad06bdd830b7586c"
