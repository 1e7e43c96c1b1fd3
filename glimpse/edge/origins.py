"""Which web pages may open a WebSocket to /ws (the handshake's Origin header)."""

from __future__ import annotations

import functools
from typing import Final

_DEFAULT_PORTS: Final = {"http": ":80", "https": ":443"}


@functools.cache
def _listed(allowed_origins: str) -> frozenset[str]:
    origins = (origin.strip().lower().rstrip("/") for origin in allowed_origins.split(","))
    return frozenset(origin for origin in origins if origin)


def origin_allowed(origin: str | None, host: str | None, allowed_origins: str) -> bool:
    """Whether a handshake with this Origin, sent to this Host, may open a WebSocket.

    Allowed: no Origin (not a browser: browsers always send one), the server's own origin
    (http or https, the Origin's host and port are the Host header's), an origin listed in
    GLIMPSE_ALLOWED_ORIGINS, or any origin when that lists `*`.
    """
    if origin is None:
        return True
    origin = origin.strip().lower()
    listed = _listed(allowed_origins)
    if "*" in listed or origin in listed:
        return True
    scheme, _, authority = origin.partition("://")
    default_port = _DEFAULT_PORTS.get(scheme)
    if default_port is None or host is None:
        return False
    return authority.removesuffix(default_port) == host.strip().lower().removesuffix(default_port)
