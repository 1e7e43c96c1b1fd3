"""Admission tickets: proof that a host let someone into a meeting (or that they were in it).

A ticket binds a room, an identity and a meeting, and expires; it is an expiry time and an
HMAC-SHA256 over all four, under a key derived from the server's secret (every instance of a
cluster shares it). A ticket lets its holder past the lobby and the lock, never past a removal.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time


class Tickets:
    def __init__(self, key: bytes, ttl: int) -> None:
        self._key = key
        self._ttl = ttl

    def issue(self, room_id: str, identity_id: str, meeting_id: str) -> str:
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
