"""The client's address: the peer's, or the one a trusted proxy forwarded (X-Forwarded-For).

uvicorn decides it for HTTP requests (`forwarded_allow_ips`, set from GLIMPSE_TRUSTED_PROXIES in
glimpse/cli.py); WebSockets bypass its middleware, so they use its rule through this function.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from uvicorn.middleware.proxy_headers import _TrustedHosts


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
