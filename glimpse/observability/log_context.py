"""What a log line says about the connection it concerns: client address, user, room, participant.

A session keeps one `ConnectionFields` and sets it as the context of its task, so every line
logged while it handles its client carries them; a line about a connection logged from
elsewhere (a room broadcast that finds a client stalled) passes them with `about(fields)`. An
HTTP request's lines carry its client address (`ClientAddressMiddleware`).
"""

from __future__ import annotations

import logging
from contextvars import ContextVar
from dataclasses import asdict, dataclass

from starlette.types import ASGIApp, Receive, Scope, Send


@dataclass(slots=True)
class ConnectionFields:
    """Updated by the session as it goes: a line logged later shows the latest values."""

    client: str
    user: str | None = None
    room: str | None = None
    participant: str | None = None


current: ContextVar[ConnectionFields | None] = ContextVar("glimpse_connection", default=None)


def about(fields: ConnectionFields) -> dict[str, ConnectionFields]:
    """`extra=` for a line about this connection logged outside its session's task."""
    return {"connection": fields}


class ConnectionFilter(logging.Filter):
    """Put the connection's fields on each record as `record.fields` (a dict, maybe empty).

    Extra fields a line gives as `extra={"fields": {...}}` (the audit log's) are kept.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        connection = getattr(record, "connection", None) or current.get()
        fields = {} if connection is None else asdict(connection)
        fields.update(getattr(record, "fields", {}))
        record.fields = {key: value for key, value in fields.items() if value is not None}
        return True


class ClientAddressMiddleware:
    """Log lines written while an HTTP request is served carry its client's address."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] != "http" or client is None:
            await self.app(scope, receive, send)
            return
        token = current.set(ConnectionFields(client=client[0]))
        try:
            await self.app(scope, receive, send)
        finally:
            current.reset(token)
