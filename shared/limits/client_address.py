"""Who a request came from, for rate limits and sign-in throttling: read only what the platform's
front end wrote, and reduce it to the unit an abuser can't cheaply change."""

from __future__ import annotations

import ipaddress

# An IPv6 client controls a whole /64 (one home or phone network): limit it as one address.
IPV6_GROUP_PREFIX = 64


def client_from_forwarded_for(forwarded_for: str, trusted_hops: int) -> str:
    """The client address from X-Forwarded-For, counting `trusted_hops` entries from the right.

    Each trusted proxy appends the address it saw (App Service appends `ip:port`, IPv6 as
    `[addr]:port`); entries further left are the client's own claims and are ignored. Returns ""
    when the chosen entry is not an address (nothing else is trusted in its place).
    """
    entries = [part.strip() for part in forwarded_for.split(",") if part.strip()]
    if not entries or trusted_hops <= 0:
        return ""
    return normalize_address(entries[-min(trusted_hops, len(entries))])


def normalize_address(raw: str) -> str:
    """An address without its port; IPv6 as its /64 network; "" for anything that isn't an address."""
    value = raw.strip()
    if value.startswith("["):  # [2001:db8::1]:443
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:  # 203.0.113.9:52311
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value.split("%", 1)[0])
    except ValueError:
        return ""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/{IPV6_GROUP_PREFIX}", strict=False))
    return str(address)
