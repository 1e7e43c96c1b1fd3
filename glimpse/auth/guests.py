"""Guest credentials: short-lived JWTs for a person without an account, valid for one room.

A guest token's audience is the access tokens' with `:guest` appended, so no route or check that
wants a user's access token accepts it. It names the room, the guest's id (which stays the same
across renewals) and the name the guest chose.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from glimpse.auth.identity import Identity
from glimpse.auth.tokens import AccessClaims, SignedTokens

GUEST_ID_PREFIX = "guest-"
"""Guest ids never look like user ids (uuid hex), in rosters, chat and TURN user names."""


@dataclass(frozen=True, slots=True)
class GuestClaims:
    guest_id: str
    room_id: str
    display_name: str
    expires_at: int
    """Unix time (s) after which the token is no longer accepted."""

    @property
    def identity(self) -> Identity:
        return Identity(self.guest_id, self.display_name, guest_room=self.room_id)


class GuestTokens(SignedTokens):
    def __init__(self, secret: str, issuer: str, audience: str, ttl_seconds: int) -> None:
        super().__init__(secret, issuer, f"{audience}:guest", ttl_seconds, kind="guest token")

    def issue(self, room_id: str, display_name: str) -> tuple[str, GuestClaims]:
        """A new guest of the room: its token, and what the token says."""
        return self._issue(f"{GUEST_ID_PREFIX}{uuid.uuid4().hex}", room_id, display_name)

    def renew(self, claims: GuestClaims) -> tuple[str, GuestClaims]:
        """A new token of the same guest, for the same room, valid for another TTL."""
        return self._issue(claims.guest_id, claims.room_id, claims.display_name)

    def _issue(self, guest_id: str, room_id: str, display_name: str) -> tuple[str, GuestClaims]:
        token = self._sign(guest_id, room=room_id, name=display_name)
        claims = self.verify(token)
        return token, claims

    def verify(self, token: str) -> GuestClaims:
        claims = self._verify(token, "room", "name")
        return GuestClaims(
            guest_id=str(claims["sub"]),
            room_id=str(claims["room"]),
            display_name=str(claims["name"]),
            expires_at=int(claims["exp"]),
        )


Credential = AccessClaims | GuestClaims
"""A verified token of either kind: a user's access token, or a guest's."""


def holder_id(credential: Credential) -> str:
    """The id of whom the token speaks for: the user's, or the guest's."""
    return credential.user_id if isinstance(credential, AccessClaims) else credential.guest_id
