"""WebRTC signaling: offers, answers and ICE candidates relayed to one participant of the room,
and `handed-over` (after a switch, the sender receives the addressee through the new media path).

What is relayed is checked first (glimpse/realtime/sdp.py), and the candidates a participant
sends to another are capped per negotiation.
"""

from __future__ import annotations

from glimpse.errors import GlimpseError
from glimpse.observability import audit
from glimpse.realtime import protocol
from glimpse.realtime.hub import Hub
from glimpse.realtime.sdp import check_candidate, check_sdp, too_many_candidates
from glimpse.settings import Settings


class CandidateCounts:
    """The candidates one participant has sent to each other one since its own latest offer or
    answer to them: a browser gathers its candidates after it sets that description."""

    __slots__ = ("_sent",)

    def __init__(self) -> None:
        self._sent: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._sent)

    def restart(self, recipient: str, candidates: int) -> None:
        """A new offer or answer to `recipient`, carrying this many candidates itself."""
        self._sent[recipient] = candidates

    def add(self, recipient: str) -> int:
        """One more candidate to `recipient`; how many there are now."""
        count = self._sent[recipient] = self._sent.get(recipient, 0) + 1
        return count

    def forget_gone(self, hub: Hub, room_id: str) -> None:
        """Drop the counts for participants no longer in the room."""
        self._sent = {p: n for p, n in self._sent.items() if hub.is_in_room(room_id, p)}


async def relay_signal(
    hub: Hub,
    settings: Settings,
    room_id: str,
    sender_id: str,
    sent: CandidateCounts,
    request: protocol.Signal,
) -> None:
    """Relay to the addressee with the sender's participant id; only inside the sender's room,
    only what passes the checks."""
    _check_fields(request)
    if request.to == sender_id or not hub.is_in_room(room_id, request.to):
        audit.refused_signal(request.to)
        raise GlimpseError("no such participant in your room", code="unknown_participant")
    if len(sent) >= settings.max_room_participants:  # some of them have left
        sent.forget_gone(hub, room_id)
    limit = settings.max_candidates_per_negotiation
    if request.sdp is not None:
        candidates = check_sdp(
            request.sdp, settings.max_sdp_bytes, settings.max_sdp_media_sections, limit
        )
        sent.restart(request.to, candidates)
    elif request.kind == "candidate":  # a handed-over is no part of a negotiation: not counted
        if request.candidate is not None:
            check_candidate(
                request.candidate.candidate,
                request.candidate.usernameFragment,
                request.candidate.sdpMLineIndex,
                settings.max_sdp_media_sections,
            )
        if sent.add(request.to) > limit:
            raise too_many_candidates(limit)
    event = protocol.encode(
        protocol.SignalRelay(
            sender=sender_id,
            kind=request.kind,
            sdp=request.sdp,
            candidate=request.candidate,
            generation=request.generation,
        )
    )
    await hub.send_to(room_id, request.to, event)


def _check_fields(request: protocol.Signal) -> None:
    """Each kind carries its own field: `sdp` for an offer or answer, `candidate` (or none, the
    end of candidates) for a candidate, `generation` (alone) for `handed-over`."""
    if request.kind != "handed-over" and request.generation is not None:
        raise GlimpseError(
            f"`generation` is for handed-over, not {request.kind}", code="invalid_message"
        )
    match request.kind:
        case "offer" | "answer":
            if not request.sdp:
                raise GlimpseError(f"an {request.kind} needs its sdp", code="invalid_message")
            if request.candidate is not None:
                raise GlimpseError(
                    f"an {request.kind} carries `sdp`, not `candidate`", code="invalid_message"
                )
        case "candidate":
            if request.sdp is not None:
                raise GlimpseError(
                    "a candidate carries `candidate`, not `sdp`", code="invalid_message"
                )
        case "handed-over":
            if request.sdp is not None or request.candidate is not None:
                raise GlimpseError(
                    "handed-over carries neither `sdp` nor `candidate`", code="invalid_message"
                )
            if request.generation is None:
                raise GlimpseError("handed-over needs its `generation`", code="invalid_message")
