"""The WebSocket server: /ws, one Session per connection."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket
from starlette.types import ASGIApp, Receive, Scope, Send

from glimpse.realtime.session import TRANSPORT_SCOPE_KEY, Session
from glimpse.services import Services

router = APIRouter()


@router.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket) -> None:
    services: Services = websocket.app.state.realtime
    await Session(websocket, services).run()


class ExposeTransport:
    """Put the connection's transport in the scope, so a session can abort a stalled client.

    ASGI has no abort, and a close frame never reaches a client that stopped reading. Under
    uvicorn the raw send callable is a method of the protocol object, which holds the transport;
    under other servers the key is simply absent and the session closes normally.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            transport = getattr(getattr(send, "__self__", None), "transport", None)
            if transport is not None:
                scope[TRANSPORT_SCOPE_KEY] = transport
        await self.app(scope, receive, send)
