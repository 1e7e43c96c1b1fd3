"""Caps on this process's open connections, so that file descriptors never run out."""

from __future__ import annotations

import logging
import resource
import time
from typing import Final

from glimpse.settings import Settings

log = logging.getLogger(__name__)

REFUSAL_LOG_INTERVAL: Final = 10.0
"""Seconds between two log lines about refused connections (a flood writes one line per period)."""
HTTP_HEADROOM: Final = 16
"""Connections WebSockets always leave to HTTP (/healthz, log-in), or a tenth of the cap if more;
at most half of it."""


class ConnectionLimits:
    """The total cap on TCP connections (HTTP and WebSocket) and the cap on open WebSockets."""

    __slots__ = ("_logged_at", "_refused", "max_connections", "max_websockets", "websockets")

    def __init__(self, max_connections: int, max_websockets: int) -> None:
        self.max_connections = max_connections
        self.max_websockets = max_websockets
        self.websockets = 0
        """WebSockets open now."""
        self._refused = 0
        self._logged_at = float("-inf")

    @classmethod
    def from_settings(cls, settings: Settings) -> ConnectionLimits:
        """GLIMPSE_MAX_CONNECTIONS, lowered to leave GLIMPSE_FD_RESERVE descriptors free.

        Each connection holds one file descriptor; the reserve is for the database, files, the
        listening sockets and the connections accepted only to be refused. The soft open-file
        limit is raised first, as far as the hard one allows, to fit both.
        """
        soft = _raise_open_file_limit(settings.max_connections + settings.fd_reserve)
        cap = settings.max_connections
        if soft != resource.RLIM_INFINITY:
            if soft <= settings.fd_reserve:
                raise ValueError(
                    f"the open-file limit ({soft}) leaves nothing for connections beyond "
                    f"GLIMPSE_FD_RESERVE ({settings.fd_reserve}): raise it (ulimit -n) or lower "
                    "GLIMPSE_FD_RESERVE"
                )
            cap = min(cap, soft - settings.fd_reserve)
        websockets = min(settings.max_websockets, cap - _http_headroom(cap))
        log.info("at most %d connections, %d of them WebSockets", cap, websockets)
        return cls(cap, websockets)

    def open_websocket(self) -> bool:
        """Take a WebSocket slot; False when all are taken (the handshake is refused)."""
        if self.websockets >= self.max_websockets:
            self.refused("a WebSocket handshake")
            return False
        self.websockets += 1
        return True

    def close_websocket(self) -> None:
        self.websockets -= 1

    def refused(self, what: str) -> None:
        """Count a refused connection; log the count at most once per REFUSAL_LOG_INTERVAL."""
        self._refused += 1
        now = time.monotonic()
        if now - self._logged_at >= REFUSAL_LOG_INTERVAL:
            log.warning("refused %d connections over the cap (the last: %s)", self._refused, what)
            self._logged_at = now
            self._refused = 0


def _http_headroom(max_connections: int) -> int:
    """Connections kept from WebSockets, so that HTTP still answers when they are all taken."""
    return min(max(HTTP_HEADROOM, max_connections // 10), max_connections // 2)


def _raise_open_file_limit(wanted: int) -> int:
    """Raise the soft RLIMIT_NOFILE towards `wanted`, up to the hard limit; the soft limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return soft
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        log.info("raised the open-file limit from %d to %d", soft, target)
    return max(soft, target)
