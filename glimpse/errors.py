"""Typed errors: a stable code and an HTTP status, rendered as {"error": {code, message}}."""

from __future__ import annotations

import math


class GlimpseError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers the error's response carries."""
        return {}


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
        """Whole seconds until the same request would be allowed."""
        super().__init__(f"too many attempts; try again in {self.retry_after} s")

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}
