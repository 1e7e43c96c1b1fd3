"""This instance's WebSockets by client address and by user.

The registry holds the socket caps: per client address (its `address_group`, as the HTTP limits
count it), for sockets not yet authenticated from one address and from all together (checked at
the handshake, refused with an HTTP status), and per user (checked when a socket authenticates).
It also closes the sockets of login sessions that ended (log-out, refresh-token reuse, password
change), here at once and on the other instances through the bus.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final, Protocol

from glimpse.auth.guests import Credential, holder_id
from glimpse.auth.revocation import Revocation
from glimpse.auth.tokens import AccessClaims
from glimpse.bus import Bus, BusUnavailable
from glimpse.edge.client_address import address_group
from glimpse.errors import GlimpseError
from glimpse.settings import Settings

log = logging.getLogger(__name__)

SESSION_ENDED: Final = 4403
"""Close code of a socket whose login session ended (docs/protocol.md)."""
TOO_MANY_FROM_ADDRESS: Final = (429, "Too many connections from your address.\n")
TOO_MANY_SIGNING_IN_FROM_ADDRESS: Final = (
    429,
    "Too many connections from your address are signing in; try again shortly.\n",
)
TOO_MANY_SIGNING_IN: Final = (503, "Too many connections are signing in; try again shortly.\n")


class Socket(Protocol):
    """A WebSocket session, as the registry sees it."""

    def close(self, code: int, reason: str) -> None:
        """Close the connection after what was sent before."""


class TooManySockets(GlimpseError):
    """The user already has as many sockets open as allowed."""

    code = "too_many_sockets"


@dataclass(slots=True)
class _Entry:
    address: str
    """The client address's group (`address_group`)."""
    claims: Credential | None = None
    """The token (a user's or a guest's) the socket authenticated (or last renewed) with; None
    before."""


class ConnectionRegistry:
    def __init__(self, bus: Bus, settings: Settings) -> None:
        self._bus = bus
        self._per_user = settings.max_sockets_per_user
        self._per_address = settings.max_sockets_per_address
        self._unauthenticated_cap = settings.max_unauthenticated_sockets
        self._unauthenticated_per_address = settings.max_unauthenticated_sockets_per_address
        self._entries: dict[Socket, _Entry] = {}
        self._by_address: dict[str, set[Socket]] = {}
        self._by_user: dict[str, set[Socket]] = {}
        """A login session's sockets are found among its user's (at most
        GLIMPSE_MAX_SOCKETS_PER_USER): no index of their own, which would cost each socket a set."""
        self._unauthenticated = 0
        self._unauthenticated_by_address: dict[str, int] = {}
        bus.on_revocation(self._on_revocation)

    def refusal(self, address: str) -> tuple[int, str] | None:
        """The HTTP status and text that refuse a new socket from this address now, if any."""
        group = address_group(address)
        if self._unauthenticated_by_address.get(group, 0) >= self._unauthenticated_per_address:
            return TOO_MANY_SIGNING_IN_FROM_ADDRESS
        if len(self._by_address.get(group, ())) >= self._per_address:
            return TOO_MANY_FROM_ADDRESS
        if self._unauthenticated >= self._unauthenticated_cap:
            return TOO_MANY_SIGNING_IN
        return None

    def add(self, socket: Socket, address: str) -> None:
        """A new socket, not authenticated yet."""
        entry = self._entries[socket] = _Entry(address_group(address))
        _index(self._by_address, entry.address, socket)
        self._count_unauthenticated(entry.address, 1)

    def authenticate(self, socket: Socket, claims: Credential) -> None:
        """File a socket under its token's user, or its guest (again, on a renewal).

        Raises TooManySockets for a user's (or guest's) socket beyond the cap.
        """
        entry = self._entries[socket]
        if entry.claims is None:
            if len(self._by_user.get(holder_id(claims), ())) >= self._per_user:
                raise TooManySockets(
                    f"you have {self._per_user} connections open already; close one first"
                )
            self._count_unauthenticated(entry.address, -1)
        else:
            _unindex(self._by_user, holder_id(entry.claims), socket)
        entry.claims = claims
        _index(self._by_user, holder_id(claims), socket)

    def remove(self, socket: Socket) -> None:
        """A socket that closed."""
        entry = self._entries.pop(socket)
        _unindex(self._by_address, entry.address, socket)
        if entry.claims is None:
            self._count_unauthenticated(entry.address, -1)
        else:
            _unindex(self._by_user, holder_id(entry.claims), socket)

    def _count_unauthenticated(self, group: str, change: int) -> None:
        self._unauthenticated += change
        count = self._unauthenticated_by_address.get(group, 0) + change
        if count:
            self._unauthenticated_by_address[group] = count
        else:
            del self._unauthenticated_by_address[group]

    async def end_sessions(self, revocation: Revocation) -> None:
        """Close the revoked sessions' sockets here, and have every other instance close theirs.

        Without the bus, the other instances' sockets close when their access token expires (a
        renewal checks the session), and none of them can join a room any more.
        """
        self._close(revocation)
        try:
            await self._bus.publish_revocation(revocation.encode())
        except BusUnavailable as error:
            log.warning("could not announce a revocation to the other instances (%s)", error)

    def _on_revocation(self, payload: bytes) -> None:
        self._close(Revocation.decode(payload))

    def _close(self, revocation: Revocation) -> None:
        for socket in list(self._by_user.get(revocation.user_id, ())):
            claims = self._entries[socket].claims
            if isinstance(claims, AccessClaims) and revocation.covers(
                claims.user_id, claims.session_id
            ):
                socket.close(SESSION_ENDED, "session ended")


def _index(index: dict[str, set[Socket]], key: str, socket: Socket) -> None:
    index.setdefault(key, set()).add(socket)


def _unindex(index: dict[str, set[Socket]], key: str, socket: Socket) -> None:
    members = index[key]
    members.discard(socket)
    if not members:
        del index[key]
