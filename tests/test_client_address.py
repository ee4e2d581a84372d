"""Reading the client address for rate limits: only what the front end appended, reduced to what an abuser can't vary."""

import pytest

from shared.limits.client_address import client_from_forwarded_for, normalize_address


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("203.0.113.9:52311", "203.0.113.9"),
        ("[2001:db8:1:2::7]:443", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"),
        ("[::ffff:198.51.100.4]:80", "198.51.100.4"),
        ("fe80::1%eth0", "fe80::/64"),
        ("unknown", ""),
        ("evil; DROP TABLE", ""),
        ("999.1.1.1", ""),
        ("", ""),
    ],
)
def test_addresses_lose_their_ports_ipv6_is_grouped_by_64_and_garbage_is_dropped(raw, expected):
    assert normalize_address(raw) == expected


def test_two_addresses_in_one_ipv6_64_share_a_limit():
    assert normalize_address("2001:db8:0:1::1") == normalize_address("[2001:db8:0:1:ffff::9]:1234")
    assert normalize_address("2001:db8:0:1::1") != normalize_address("2001:db8:0:2::1")


@pytest.mark.parametrize(
    ("header", "hops", "expected"),
    [
        ("6.6.6.6, 203.0.113.9:52311", 1, "203.0.113.9"),  # the client's own 6.6.6.6 is ignored
        ("6.6.6.6, 203.0.113.9:52311, [fd00::5]:8080", 2, "203.0.113.9"),  # SWA front end, then the app's
        ("203.0.113.9:1", 3, "203.0.113.9"),  # fewer entries than hops: the leftmost was still appended
        ("not-an-address", 1, ""),
        ("", 1, ""),
        ("203.0.113.9", 0, ""),
    ],
)
def test_only_the_entry_the_trusted_proxies_appended_counts(header, hops, expected):
    assert client_from_forwarded_for(header, hops) == expected
