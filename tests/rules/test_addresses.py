"""The fixed-IP rule Odoo and the bridge share."""

import ipaddress

import pytest

from zm_rules.addresses import host_ipv4


@pytest.mark.parametrize(
    "value",
    ["2001:db8::1", "255.255.255.255", "255.255.255.254", "0.0.0.0", "0.1.2.3", "127.0.0.1",
     "169.254.1.1", "224.0.0.1", "240.0.0.1"],
)  # fmt: skip
def test_not_a_host_address(value):
    assert host_ipv4(value) is None


def test_host_addresses_in_any_form():
    assert host_ipv4(" 10.9.9.9 ") == ipaddress.IPv4Address("10.9.9.9")
    assert host_ipv4(ipaddress.ip_interface("100.64.0.1/32")) == ipaddress.IPv4Address("100.64.0.1")
    with pytest.raises(ValueError):
        host_ipv4("10.0.0.300")
