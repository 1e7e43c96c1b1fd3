"""The audit log (`glimpse.audit`): one line per security event, for operators and their alerts.

Each line carries `audit` (what happened) and its details as fields, besides the connection's
client address, user, room and participant when it happens on one (log_context.py).
"""

from __future__ import annotations

import logging

log = logging.getLogger("glimpse.audit")


def _event(event: str, message: str, **details: str) -> None:
    log.warning(message, extra={"fields": {"audit": event, **details}})


def failed_login(email: str) -> None:
    _event("failed_login", "failed log-in", email=email)


def refresh_token_reused(user_id: str, session_id: str) -> None:
    _event(
        "refresh_token_reused",
        "refresh token reused: the session is revoked",
        user=user_id,
        session=session_id,
    )


def session_revoked(user_id: str, session_id: str, reason: str) -> None:
    """A log-in session ended before its time (`reason`: log-out, password change)."""
    _event("session_revoked", f"session revoked: {reason}", user=user_id, session=session_id)


def refused_signal(to: str) -> None:
    """A signal addressed to a participant outside the sender's room."""
    _event("refused_signal", "signal refused: no such participant in the sender's room", to=to)


def rate_limit_close() -> None:
    """A socket closed with 4429 for flooding."""
    _event("rate_limit_close", "socket closed: too many refused or rate-limited messages")
