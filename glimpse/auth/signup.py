"""Who may create an account (GLIMPSE_SIGNUP), and invites: stateless tokens for one e-mail.

An invite is a JWT signed with the server secret, for its own audience (it is never an access
token), naming the invited e-mail and an expiry. E-mails are unique, so it serves one account.
"""

from __future__ import annotations

import time
from typing import Literal
from urllib.parse import quote

import jwt

from glimpse.errors import Forbidden

ALGORITHM = "HS256"
SignupMode = Literal["open", "invite", "closed"]


class SignupPolicy:
    def __init__(self, mode: SignupMode, secret: str, audience: str, invite_ttl: int) -> None:
        self.mode = mode
        self._secret = secret
        self._audience = f"{audience}:invite"
        self.invite_ttl = invite_ttl

    def invite(self, email: str) -> str:
        """An invite for this e-mail; refused when sign-up is closed."""
        if self.mode == "closed":
            raise Forbidden("sign-up is closed on this server", code="signup_closed")
        now = int(time.time())
        claims = {
            "sub": email.strip().lower(),
            "iat": now,
            "exp": now + self.invite_ttl,
            "aud": self._audience,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def admit(self, email: str, invite: str | None) -> None:
        """Raise Forbidden unless this e-mail may sign up now (with this invite, if needed)."""
        if self.mode == "open":
            return
        if self.mode == "closed":
            raise Forbidden("sign-up is closed on this server", code="signup_closed")
        if not invite:
            raise Forbidden("sign-up needs an invite on this server", code="invite_required")
        try:
            claims = jwt.decode(
                invite,
                self._secret,
                algorithms=[ALGORITHM],
                audience=self._audience,
                options={"require": ["sub", "exp", "aud"]},
            )
        except jwt.ExpiredSignatureError:
            raise Forbidden("this invite has expired", code="invite_expired") from None
        except jwt.InvalidTokenError:
            raise Forbidden("this invite is not valid", code="invalid_invite") from None
        if claims["sub"] != email.strip().lower():
            raise Forbidden("this invite is for another e-mail address", code="invalid_invite")


def invite_path(invite: str) -> str:
    """The web client's sign-up page with this invite filled in."""
    return f"/signup?invite={quote(invite)}"
