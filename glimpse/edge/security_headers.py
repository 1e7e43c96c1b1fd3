"""Security headers on every HTTP response: the web client's and the API's."""

from __future__ import annotations

import re
from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'{sockets}; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
"""No inline script or style; the page reaches only its own server (HTTP and WebSocket)."""
DOCS_CONTENT_SECURITY_POLICY: Final = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "img-src 'self' data: https://fastapi.tiangolo.com; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
"""/api/docs only: FastAPI's Swagger UI comes from a CDN, starts with an inline script, and
styles inline."""
DOCS_PATH: Final = "/api/docs"
HEADERS: Final = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"permissions-policy", b"camera=(self), microphone=(self), display-capture=(self)"),
    (b"x-frame-options", b"DENY"),
)
STRICT_TRANSPORT_SECURITY: Final = b"max-age=31536000"
"""Sent only over HTTPS (the scheme after trusted proxy headers): a year of HTTPS only."""
_HOST: Final = re.compile(rb"[A-Za-z0-9.:\[\]-]{1,255}")


class SecurityHeaders:
    """ASGI middleware adding the headers above to each HTTP response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = _policy(scope)
        https = scope["scheme"] == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["content-security-policy"] = policy
                for name, value in HEADERS:
                    headers.raw.append((name, value))
                if https:
                    headers.raw.append((b"strict-transport-security", STRICT_TRANSPORT_SECURITY))
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _policy(scope: Scope) -> str:
    if scope["path"] == DOCS_PATH:
        return DOCS_CONTENT_SECURITY_POLICY
    host = next((value for name, value in scope["headers"] if name == b"host"), b"")
    # 'self' covers ws:/wss: to the page's host only in CSP level 3 browsers: name them too.
    sockets = f" ws://{host.decode()} wss://{host.decode()}" if _HOST.fullmatch(host) else ""
    return CONTENT_SECURITY_POLICY.format(sockets=sockets)
