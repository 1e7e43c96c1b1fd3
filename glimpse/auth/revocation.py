"""A revocation: login sessions that ended, announced to every instance to close their sockets."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import msgspec


class Revocation(msgspec.Struct, frozen=True, omit_defaults=True):
    """One login session of a user (`session_id`), or every one of them but `keep`."""

    user_id: str
    session_id: str | None = None
    keep: str | None = None

    def covers(self, user_id: str, session_id: str) -> bool:
        if user_id != self.user_id:
            return False
        if self.session_id is not None:
            return session_id == self.session_id
        return session_id != self.keep

    def encode(self) -> bytes:
        return msgspec.json.encode(self)

    @classmethod
    def decode(cls, payload: bytes) -> Revocation:
        return msgspec.json.decode(payload, type=cls)


SessionsEnded = Callable[[Revocation], Awaitable[None]]
"""Told of every revocation once it is stored (the connection registry closes the sockets)."""
