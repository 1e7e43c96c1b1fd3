"""Access tokens (JWT, HS256 pinned) and opaque refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt

from glimpse.errors import Unauthorized

ALGORITHM = "HS256"
STANDARD_CLAIMS = ("exp", "iat", "iss", "aud", "sub")


class SignedTokens:
    """JWTs of one kind: HS256 pinned, with an expiry, issuer and audience that are checked.

    Each kind of token has its own audience, so that no kind is accepted in place of another."""

    def __init__(
        self, secret: str, issuer: str, audience: str, ttl_seconds: int, *, kind: str
    ) -> None:
        self._secret = secret
        self._issuer = issuer
        self._audience = audience
        self.ttl_seconds = ttl_seconds
        self._kind = kind
        """What the token is, for error messages ("access token")."""

    def _sign(self, subject: str, **claims: str) -> str:
        now = int(time.time())
        standard = {
            "sub": subject,
            "iat": now,
            "exp": now + self.ttl_seconds,
            "iss": self._issuer,
            "aud": self._audience,
        }
        return jwt.encode({**claims, **standard}, self._secret, algorithm=ALGORITHM)

    def _verify(self, token: str, *required: str) -> dict[str, Any]:
        """The token's claims, which include `required`; Unauthorized when it is not valid."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                options={"require": [*STANDARD_CLAIMS, *required]},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized(f"{self._kind} expired", code="token_expired") from None
        except jwt.InvalidTokenError as error:
            raise Unauthorized(f"invalid {self._kind}: {error}", code="invalid_token") from None
        return claims

    def holds(self, token: str) -> bool:
        """Whether the token claims to be of this kind (its audience, unverified): which kind to
        verify it as, when more than one is accepted."""
        try:
            audience = jwt.decode(token, options={"verify_signature": False}).get("aud")
        except jwt.InvalidTokenError:
            return False
        return bool(audience == self._audience)


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: str
    session_id: str
    expires_at: int
    """Unix time (s) after which the token is no longer accepted."""


class AccessTokens(SignedTokens):
    """A user's access tokens, each of one login session (`sid`)."""

    def __init__(self, secret: str, issuer: str, audience: str, ttl_seconds: int) -> None:
        super().__init__(secret, issuer, audience, ttl_seconds, kind="access token")

    def issue(self, user_id: str, session_id: str) -> str:
        return self._sign(user_id, sid=session_id)

    def verify(self, token: str) -> AccessClaims:
        claims = self._verify(token, "sid")
        return AccessClaims(
            user_id=str(claims["sub"]), session_id=str(claims["sid"]), expires_at=int(claims["exp"])
        )


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def refresh_token_hash(token: str) -> str:
    """Refresh tokens are stored only as this hash."""
    return hashlib.sha256(token.encode()).hexdigest()
