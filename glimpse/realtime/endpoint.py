"""The WebSocket server: /ws, one Session per connection."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from glimpse.realtime.session import Services, Session

router = APIRouter()


@router.websocket("/ws")
async def websocket_endpoint(websocket: WebSocket) -> None:
    services: Services = websocket.app.state.realtime
    await Session(websocket, services).run()
