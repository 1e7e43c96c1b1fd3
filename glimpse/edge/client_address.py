"""The client's address: the peer's, or the one a trusted proxy forwarded (X-Forwarded-For).

uvicorn decides it for HTTP requests (`forwarded_allow_ips`, set from GLIMPSE_TRUSTED_PROXIES in
glimpse/cli.py); WebSockets bypass its middleware, so they use its rule through this function.
Per-address limits, over HTTP and on WebSockets alike, count clients by `address_group`.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Sequence
from typing import Final

from uvicorn.middleware.proxy_headers import _TrustedHosts

IPV6_CLIENT_PREFIX: Final = 64
"""An IPv6 client is counted by its /64: one host commonly holds a whole /64."""


@functools.cache
def trusted_hosts(trusted_proxies: str) -> _TrustedHosts:
    """uvicorn's parsed form of GLIMPSE_TRUSTED_PROXIES (addresses, networks, `*`)."""
    return _TrustedHosts(trusted_proxies)


def client_address(peer: str, forwarded_for: Sequence[str], trusted_proxies: str) -> str:
    """The peer's address, unless the peer is a trusted proxy that forwarded the client's.

    Like uvicorn's ProxyHeadersMiddleware: from the right of X-Forwarded-For, the first address
    that is not a trusted proxy.
    """
    trusted = trusted_hosts(trusted_proxies)
    if not forwarded_for or peer not in trusted:
        return peer
    host, _ = trusted.get_trusted_client_address(", ".join(forwarded_for))
    return host or peer


def address_group(address: str) -> str:
    """Whom per-address limits count: an IPv4 address (an IPv4-mapped IPv6 one too), an IPv6
    address's /64, or the text as it is when it is no IP address (a Unix socket)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if not isinstance(parsed, ipaddress.IPv6Address):
        return str(parsed)
    if parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(ipaddress.IPv6Network((parsed, IPV6_CLIENT_PREFIX), strict=False))
