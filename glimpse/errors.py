"""Typed errors: a stable code and an HTTP status, rendered as {"error": {code, message}}."""

from __future__ import annotations

import math


class GlimpseError(Exception):
    status = 400
    code = "bad_request"
    retry_after: int | None = None
    """Seconds after which a retry may succeed: sent as the Retry-After header when set."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class Unauthorized(GlimpseError):
    status = 401
    code = "unauthorized"


class Forbidden(GlimpseError):
    status = 403
    code = "forbidden"


class NotFound(GlimpseError):
    status = 404
    code = "not_found"


class Conflict(GlimpseError):
    status = 409
    code = "conflict"


class Unavailable(GlimpseError):
    status = 503
    code = "unavailable"


class RateLimited(GlimpseError):
    status = 429
    code = "rate_limited"

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(f"too many attempts; try again in {self.retry_after} s")


class ServerBusy(Unavailable):
    """Too much work at once (password hashing): try again after `retry_after` seconds."""

    code = "server_busy"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class WeakPassword(GlimpseError):
    status = 422
    code = "weak_password"
