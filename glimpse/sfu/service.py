"""The SFU as a session sees it: its `sfu-*` requests carried out on the room's Janus for it,
checked as relayed signaling is, and its connections let go when it leaves.

Each participant's connections to Janus live on the instance of its socket (`SfuParticipant`);
they belong to one generation of the room's media path and are replaced when it changes (the
room moved to another Janus), dropped when the Janus room is destroyed (back to the mesh) or its
Janus is lost.
"""

from __future__ import annotations

import logging

from glimpse.errors import GlimpseError
from glimpse.realtime import protocol
from glimpse.realtime.hub import Hub
from glimpse.realtime.sdp import check_candidate, check_sdp, too_many_candidates
from glimpse.settings import Settings
from glimpse.sfu.background import Background
from glimpse.sfu.janus import JanusError, JanusGone, Json
from glimpse.sfu.media_path import MediaPaths, RoomMedia
from glimpse.sfu.participant import Send, SfuParticipant
from glimpse.sfu.registry import JanusRegistry, MediaServerUnavailable

log = logging.getLogger(__name__)


class Sfu:
    def __init__(
        self, paths: MediaPaths, registry: JanusRegistry | None, hub: Hub, settings: Settings
    ) -> None:
        self.paths = paths
        self._registry = registry
        self._hub = hub
        self._settings = settings
        self._participants: dict[str, SfuParticipant] = {}
        self._candidates: dict[tuple[str, protocol.SfuPeer], int] = {}
        """Candidates each participant sent per connection since its latest offer or answer."""
        self._background = Background()
        if registry is not None:
            registry.on_loss(self._janus_lost)

    async def handle(
        self,
        room_id: str,
        participant: protocol.Participant,
        request: protocol.SfuRequest,
        send: Send,
    ) -> protocol.ServerMessage | None:
        """Carry out a participant's SFU request; the answer to send it (None: none). Janus
        gone: `media_server_unavailable`; Janus refusing an offer or answer: `invalid_sdp`."""
        try:
            return await self._handle(room_id, participant, request, send)
        except JanusGone as error:
            raise MediaServerUnavailable("the room's media server cannot be reached") from error
        except JanusError as error:
            if isinstance(request, protocol.SfuPublish | protocol.SfuSubscribed):
                raise GlimpseError(
                    f"the SFU refused it: {error.reason}", code="invalid_sdp"
                ) from error
            raise MediaServerUnavailable(f"the SFU refused it: {error.reason}") from error

    async def _handle(
        self,
        room_id: str,
        participant: protocol.Participant,
        request: protocol.SfuRequest,
        send: Send,
    ) -> protocol.ServerMessage | None:
        path = await self.paths.current(room_id)
        if path.mode != "sfu":
            raise GlimpseError("this room's media goes browser to browser", code="not_sfu")
        kind: str = request.__struct_config__.tag  # type: ignore[assignment]
        pid, settings = participant.id, self._settings
        match request:
            case protocol.SfuPublish():
                self._candidates[pid, request.source] = self._check_sdp(
                    request.sdp, settings.max_sdp_bytes, settings.max_sdp_media_sections
                )
                link = self._link(room_id, pid, path, send)
                answer = await link.publish(request.source, request.sdp)
                return protocol.SfuAnswer(source=request.source, sdp=answer, ref=request.ref)
            case protocol.SfuUnpublish():
                await self._existing(pid, path).unpublish(request.source)
            case protocol.SfuCandidate():
                candidate = self._check_candidate(pid, request)
                link = self._existing(pid, path)
                if not link.has(request.pc):
                    raise GlimpseError(f"no {request.pc} connection", code="unknown_connection")
                await link.trickle(request.pc, candidate)
                return None
            case protocol.SfuSubscribed():
                link = self._existing(pid, path)
                self._candidates[pid, "subscriber"] = self._check_sdp(
                    request.sdp,
                    settings.max_subscription_sdp_bytes,
                    settings.max_subscription_sections,
                )
                await link.answer(request.version, request.sdp)
            case protocol.SfuResubscribe():
                if request.generation != path.generation:
                    raise GlimpseError(
                        "the room's media path has changed since", code="stale_media_path"
                    )
                await self._existing(pid, path).resubscribe(request.version)
            case protocol.SfuLayers():
                choices = {choice.participant_id: choice.layer for choice in request.choices}
                for other in choices:
                    if other == pid or not self._hub.is_in_room(room_id, other):
                        raise GlimpseError(
                            "no such participant in your room", code="unknown_participant"
                        )
                await self._existing(pid, path).choose_layers(choices)
        return protocol.Ack(request=kind, ref=request.ref)

    def release(self, participant_id: str) -> None:
        """The participant's socket went: its connections to Janus go (in the background, so a
        Janus slow to answer never holds up the leave)."""
        for peer in ("camera", "screen", "subscriber"):
            self._candidates.pop((participant_id, peer), None)
        link = self._participants.get(participant_id)
        if link is not None:
            self._background.spawn(link.close())

    def _link(self, room_id: str, pid: str, path: RoomMedia, send: Send) -> SfuParticipant:
        """The participant's connections for this generation, new ones if it has none."""
        link = self._participants.get(pid)
        if link is not None and link.path == path and link.alive:
            return link
        if link is not None:
            self._background.spawn(link.close())
        assert self._registry is not None  # a room has path `sfu` only with an SFU
        session = self._registry.session(path.janus)

        async def announce(message: protocol.ServerMessage) -> None:
            await self._hub.broadcast(room_id, protocol.encode(message))

        link = SfuParticipant(pid, path, session, send, announce, self._forget, self._background)
        self._participants[pid] = link
        self._background.spawn(self._registry.add_load(path.janus, 1))
        return link

    def _existing(self, pid: str, path: RoomMedia) -> SfuParticipant:
        link = self._participants.get(pid)
        if link is None or link.path != path or not link.alive:
            raise GlimpseError("publish to the SFU first", code="unknown_connection")
        return link

    def _forget(self, link: SfuParticipant) -> None:
        if self._participants.get(link.participant_id) is link:
            del self._participants[link.participant_id]
        if self._registry is not None:
            self._background.spawn(self._registry.add_load(link.path.janus, -1))

    def _check_sdp(self, sdp: str, max_bytes: int, max_sections: int) -> int:
        return check_sdp(
            sdp, max_bytes, max_sections, self._settings.max_candidates_per_negotiation
        )

    def _check_candidate(self, pid: str, request: protocol.SfuCandidate) -> Json | None:
        limit = self._settings.max_candidates_per_negotiation
        sent = self._candidates[pid, request.pc] = self._candidates.get((pid, request.pc), 0) + 1
        if sent > limit:
            raise too_many_candidates(limit)
        if request.candidate is None:
            return None
        check_candidate(
            request.candidate.candidate,
            request.candidate.usernameFragment,
            request.candidate.sdpMLineIndex,
            self._settings.max_subscription_sections,
        )
        candidate: Json = {"candidate": request.candidate.candidate}
        if request.candidate.sdpMid is not None:
            candidate["sdpMid"] = request.candidate.sdpMid
        if request.candidate.sdpMLineIndex is not None:
            candidate["sdpMLineIndex"] = request.candidate.sdpMLineIndex
        return candidate

    def _janus_lost(self, url: str) -> None:
        for link in list(self._participants.values()):
            if link.path.janus == url:
                self._background.spawn(link.close())

    async def stop(self) -> None:
        for link in list(self._participants.values()):
            await link.close()
        await self._background.wait()
