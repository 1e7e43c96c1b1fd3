"""WebRTC signaling: offers, answers and ICE candidates relayed to one participant of the room."""

from __future__ import annotations

from glimpse.errors import GlimpseError
from glimpse.observability import audit
from glimpse.realtime import protocol
from glimpse.realtime.hub import Hub


async def relay_signal(hub: Hub, room_id: str, sender_id: str, request: protocol.Signal) -> None:
    """Relay to the addressee with the sender's participant id; only inside the sender's room."""
    if request.kind in ("offer", "answer") and not request.sdp:
        raise GlimpseError(f"an {request.kind} needs its sdp", code="invalid_message")
    if request.kind == "candidate" and request.sdp is not None:
        raise GlimpseError("a candidate carries `candidate`, not `sdp`", code="invalid_message")
    if request.to == sender_id or not hub.is_in_room(room_id, request.to):
        audit.refused_signal(request.to)
        raise GlimpseError("no such participant in your room", code="unknown_participant")
    event = protocol.encode(
        protocol.SignalRelay(
            sender=sender_id, kind=request.kind, sdp=request.sdp, candidate=request.candidate
        )
    )
    await hub.send_to(room_id, request.to, event)
