"""Admission tickets: proof that a host let someone into a meeting (or that they were in it);
and resume tokens: proof that a participant id was the holder's.

A ticket binds a room, an identity and a meeting, and expires; it is an expiry time and an
HMAC-SHA256 over all four, under a key derived from the server's secret (every instance of a
cluster shares it). A ticket lets its holder past the lobby and the lock, never past a removal.
A resume token is the same mechanism over a room, an identity and a participant id, under a key
of its own: it lets a reconnecting client take its participant id back, and admits no one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Final

RESUME_TOKEN_TTL: Final = 12 * 3600
"""Seconds a resume token stays valid: longer than a call, so a reconnect finds it valid."""


class Tickets:
    def __init__(self, key: bytes, ttl: int) -> None:
        self._key = key
        self._ttl = ttl

    def issue(self, room_id: str, identity_id: str, meeting_id: str) -> str:
        """A ticket for one room, identity and meeting (or any third value it binds)."""
        expires = int(time.time()) + self._ttl
        return f"{expires}.{self._mac(room_id, identity_id, meeting_id, expires)}"

    def valid(self, ticket: str, room_id: str, identity_id: str, meeting_id: str) -> bool:
        expiry, _, mac = ticket.partition(".")
        if not expiry.isdigit() or int(expiry) < time.time():
            return False
        expected = self._mac(room_id, identity_id, meeting_id, int(expiry))
        return hmac.compare_digest(mac.encode(), expected.encode())

    def _mac(self, room_id: str, identity_id: str, meeting_id: str, expires: int) -> str:
        message = f"{room_id}\n{identity_id}\n{meeting_id}\n{expires}".encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class ResumeTokens:
    """`<participant id>.<ticket over room, identity and participant id>`."""

    def __init__(self, key: bytes, ttl: int = RESUME_TOKEN_TTL) -> None:
        self._tickets = Tickets(key, ttl)

    def issue(self, room_id: str, identity_id: str, participant_id: str) -> str:
        return f"{participant_id}.{self._tickets.issue(room_id, identity_id, participant_id)}"

    def participant(self, token: str, room_id: str, identity_id: str) -> str | None:
        """The participant id the token gives back to this identity in this room; None when it
        is forged, expired, or another identity's or room's."""
        participant_id, _, ticket = token.partition(".")
        if participant_id and self._tickets.valid(ticket, room_id, identity_id, participant_id):
            return participant_id
        return None
