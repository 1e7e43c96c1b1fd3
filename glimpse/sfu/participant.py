"""One participant's connections to its room's Janus, held by the instance its socket is on.

Up to three handles on this instance's session to that Janus: the camera publication (which also
hears the room: publishers coming and going, who is talking), the screen publication, and one
multistream subscriber to everyone else's publications. Publishers are named by `display`: the
Glimpse participant id, with `:screen` for a screen. One task does all Janus work for the
participant in order (its requests and the room's events alike), so the subscription is changed
one step at a time; each change is offered to the browser as `sfu-offer` with a new version.

A browser's connection that failed is replaced by a new one, and so is its handle: a handle's
PeerConnection keeps its DTLS session, and the browser's new connection comes with a new
certificate. A publication offered from a new connection (another DTLS fingerprint) gets a new
handle; `sfu-resubscribe` gets a new subscriber handle, whose first offer is `fresh`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final, Literal

from glimpse.errors import GlimpseError
from glimpse.realtime import protocol
from glimpse.realtime.sdp import fingerprint_of
from glimpse.sfu.background import Background
from glimpse.sfu.janus import JanusError, JanusEvent, JanusHandle, JanusSession, Json
from glimpse.sfu.media_path import RoomMedia
from glimpse.sfu.registry import VIDEOROOM, MediaServerUnavailable

log = logging.getLogger(__name__)

SCREEN_SUFFIX: Final = ":screen"
Send = Callable[[protocol.ServerMessage], None]
"""Sends a message to this participant's socket."""
Announce = Callable[[protocol.ServerMessage], Awaitable[None]]
"""Sends a message to the whole room."""


def display_of(participant_id: str, source: protocol.MediaSource) -> str:
    return participant_id + (SCREEN_SUFFIX if source == "screen" else "")


def feed_owner(display: str) -> tuple[str, protocol.MediaSource]:
    """Whose publication a Janus `display` is, and which."""
    if display.endswith(SCREEN_SUFFIX):
        return display.removesuffix(SCREEN_SUFFIX), "screen"
    return display, "camera"


@dataclass(slots=True)
class Publication:
    handle: JanusHandle
    feed: int
    private_id: int
    published: bool = False
    fingerprint: str | None = None
    """The DTLS fingerprint of the browser's connection published on the handle."""


class SfuParticipant:
    def __init__(
        self,
        participant_id: str,
        path: RoomMedia,
        session: JanusSession,
        send: Send,
        announce: Announce,
        on_gone: Callable[[SfuParticipant], None],
        background: Background,
    ) -> None:
        self.participant_id = participant_id
        self.path = path
        self._session = session
        self._send = send
        self._announce = announce
        self._on_gone = on_gone
        self._background = background
        self._publications: dict[protocol.MediaSource, Publication] = {}
        self._subscriber: JanusHandle | None = None
        self._feeds: dict[int, str] = {}
        """Other publishers' feeds in the room: feed id -> display."""
        self._subscribed: set[int] = set()
        self._streams: list[protocol.SubscribedStream] = []
        self._layers: dict[str, protocol.Layer | None] = {}
        """The camera layer chosen for each participant (`sfu-layers`)."""
        self._talking = False
        """Whether Janus last said this participant talks (it says so on changes only)."""
        self.version = 0
        """The version of the latest `sfu-offer` sent."""
        self.closed = False
        self._jobs: asyncio.Queue[Callable[[], Awaitable[Any]]] = asyncio.Queue()
        self._waiting: set[asyncio.Future[Any]] = set()
        """The answers requests wait for: failed should the connections go first."""
        self._worker = asyncio.get_running_loop().create_task(self._work())

    @property
    def alive(self) -> bool:
        return not self.closed and self._session.alive

    # Requests of the participant's socket: run in order with the room's events.

    async def publish(self, source: protocol.MediaSource, sdp: str) -> str:
        """Publish (or renegotiate) a source with the browser's offer; Janus's answer."""
        return str(await self._run(lambda: self._publish(source, sdp)))

    async def unpublish(self, source: protocol.MediaSource) -> None:
        await self._run(lambda: self._unpublish(source))

    async def answer(self, version: int, sdp: str) -> None:
        """The browser's answer to the `sfu-offer` of `version`."""
        await self._run(lambda: self._start(version, sdp))

    async def resubscribe(self, version: int) -> None:
        """The browser gave up the subscription of `version` (its connection failed): a new one
        is offered."""
        await self._run(lambda: self._renew_subscription(version))

    async def trickle(self, peer: protocol.SfuPeer, candidate: Json | None) -> None:
        await self._run(lambda: self._handle_of(peer).trickle(candidate))

    async def choose_layers(self, choices: dict[str, protocol.Layer | None]) -> None:
        await self._run(lambda: self._configure_layers(choices))

    def has(self, peer: protocol.SfuPeer) -> bool:
        if peer == "subscriber":
            return self._subscriber is not None
        return peer in self._publications

    async def close(self) -> None:
        """Detach every handle (Janus drops the publications; the others' subscriptions lose
        them) and stop."""
        if self.closed:
            return
        self.closed = True
        for waiting in self._waiting:
            if not waiting.done():
                waiting.set_exception(MediaServerUnavailable("the connections to the SFU closed"))
        self._worker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._worker
        handles = [p.handle for p in self._publications.values()]
        if self._subscriber is not None:
            handles.append(self._subscriber)
        self._publications.clear()
        self._subscriber = None
        for handle in handles:
            await handle.detach()
        self._on_gone(self)

    # The worker

    async def _run(self, job: Callable[[], Awaitable[Any]]) -> Any:
        if not self.alive:
            raise MediaServerUnavailable("the room's media server cannot be reached")
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        async def run() -> None:
            try:
                done.set_result(await job())
            except BaseException as error:
                if not done.done():
                    done.set_exception(error)
                if not isinstance(error, Exception):
                    raise

        self._jobs.put_nowait(run)
        self._waiting.add(done)
        try:
            return await done
        finally:
            self._waiting.discard(done)

    def _queue(self, job: Callable[[], Awaitable[Any]]) -> None:
        """Room events' work, after what is queued already; failures are logged."""

        async def run() -> None:
            try:
                await job()
            except JanusError as error:
                log.info("Janus refused a subscription change: %s", error)

        self._jobs.put_nowait(run)

    async def _work(self) -> None:
        while True:
            job = await self._jobs.get()
            try:
                await job()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("SFU work for participant %s failed", self.participant_id)

    # Publications

    async def _publish(self, source: protocol.MediaSource, sdp: str) -> str:
        fingerprint = fingerprint_of(sdp)
        publication = self._publications.get(source)
        if publication is not None and publication.fingerprint not in (None, fingerprint):
            await self._drop_publication(source)
            publication = None
        if publication is None:
            publication = await self._join(source)
        # The camera's simulcast encodings go lowest first (`q`, `h`, `f`); Janus takes them highest
        # first unless told, which would turn substream 2 into the quarter resolution.
        offer = {"type": "offer", "sdp": sdp, "rid_order": "lmh"}
        body: Json = {"request": "configure" if publication.published else "publish"}
        reply = await publication.handle.request(body, offer)
        if reply.jsep is None or "sdp" not in reply.jsep:
            raise GlimpseError("the media server sent no answer", code="invalid_sdp")
        publication.published = True
        publication.fingerprint = fingerprint
        return str(reply.jsep["sdp"])

    async def _drop_publication(self, source: protocol.MediaSource) -> None:
        """The source comes from a new connection: the old one's handle goes (the others'
        subscriptions lose it, then gain the new one). The camera's took the room's events and
        gave the subscription its private id: the subscription goes too, and is offered anew
        once the new handle has joined."""
        publication = self._publications.pop(source)
        await publication.handle.detach()
        if source == "camera":
            self._feeds.clear()
            await self._drop_subscription()

    async def _join(self, source: protocol.MediaSource) -> Publication:
        on_event = self._on_room_event if source == "camera" else None
        handle = await self._session.attach(VIDEOROOM, on_event)
        try:
            joined = await handle.request(
                {
                    "request": "join",
                    "ptype": "publisher",
                    "room": self.path.room,
                    "pin": self.path.pin,
                    "display": display_of(self.participant_id, source),
                }
            )
        except BaseException:
            await handle.detach()
            raise
        publication = Publication(handle, int(joined.data["id"]), int(joined.data["private_id"]))
        self._publications[source] = publication
        if source == "camera":
            self._learn_publishers(joined.data.get("publishers", []))
            self._queue(self._resubscribe)
        return publication

    async def _unpublish(self, source: protocol.MediaSource) -> None:
        publication = self._publications.get(source)
        if publication is None:
            raise GlimpseError("nothing is published from that source", code="unknown_connection")
        if source == "screen":
            del self._publications[source]
            await publication.handle.detach()
        elif publication.published:
            await publication.handle.request({"request": "unpublish"})
            publication.published = False

    def _handle_of(self, peer: protocol.SfuPeer) -> JanusHandle:
        if peer == "subscriber":
            if self._subscriber is None:
                raise GlimpseError("no subscription yet", code="unknown_connection")
            return self._subscriber
        publication = self._publications.get(peer)
        if publication is None:
            raise GlimpseError(f"no {peer} publication", code="unknown_connection")
        return publication.handle

    # The room, as the camera publication hears it

    def _on_room_event(self, event: JanusEvent) -> None:
        data = event.data
        if event.kind == "event" and data.get("videoroom") == "destroyed":
            self._gone()
            return
        if event.kind != "event":
            return
        if data.get("videoroom") in ("talking", "stopped-talking"):
            camera = self._publications.get("camera")
            if camera is not None and data.get("id") == camera.feed:
                self._talking = data["videoroom"] == "talking"
                self._announce_talking()
            return
        if "publishers" in data:
            self._learn_publishers(data["publishers"])
            self._queue(self._resubscribe)
            if self._talking:  # a newcomer publishes: it was not there when Janus said so
                self._announce_talking()
        for key in ("unpublished", "leaving"):
            feed = data.get(key)
            if isinstance(feed, int) and self._feeds.pop(feed, None) is not None:
                self._queue(self._resubscribe)

    def _announce_talking(self) -> None:
        message = protocol.ActiveSpeaker(
            generation=self.path.generation,
            participant_id=self.participant_id,
            talking=self._talking,
        )
        self._queue(lambda: self._announce(message))

    def _learn_publishers(self, publishers: list[Json]) -> None:
        for publisher in publishers:
            display = str(publisher.get("display", ""))
            if feed_owner(display)[0] != self.participant_id:
                self._feeds[int(publisher["id"])] = display

    def _gone(self) -> None:
        """The Janus room was destroyed (the room went back to the mesh, or moved)."""
        if not self.closed:
            self._background.spawn(self.close())

    # The subscription

    async def _resubscribe(self) -> None:
        """Bring the subscription in line with the feeds known, and offer the result."""
        wanted = set(self._feeds)
        added, removed = wanted - self._subscribed, self._subscribed - wanted
        if not added and not removed:
            return
        camera = self._publications.get("camera")
        if camera is None:
            return
        reply: JanusEvent | None = None
        subscriber = self._subscriber
        fresh = subscriber is None
        if subscriber is None:
            subscriber = await self._session.attach(VIDEOROOM, self._on_subscriber_event)
            self._subscriber = subscriber
            reply = await subscriber.request(
                {
                    "request": "join",
                    "ptype": "subscriber",
                    "room": self.path.room,
                    "pin": self.path.pin,
                    "private_id": camera.private_id,
                    "streams": [{"feed": feed} for feed in sorted(added)],
                }
            )
        else:
            if removed:
                reply = await subscriber.request(
                    {"request": "unsubscribe", "streams": [{"feed": f} for f in sorted(removed)]}
                )
            if added:
                reply = await subscriber.request(
                    {"request": "subscribe", "streams": [{"feed": f} for f in sorted(added)]}
                )
        self._subscribed = wanted
        if reply is not None:
            self._offer(reply, fresh=fresh)

    async def _renew_subscription(self, version: int) -> None:
        if self._subscriber is None:
            raise GlimpseError("no subscription yet", code="unknown_connection")
        if version != self.version:
            raise GlimpseError("that is not the latest offer", code="stale_offer")
        await self._drop_subscription()
        await self._resubscribe()

    async def _drop_subscription(self) -> None:
        subscriber, self._subscriber = self._subscriber, None
        self._subscribed = set()
        self._streams = []
        if subscriber is not None:
            await subscriber.detach()

    def _on_subscriber_event(self, event: JanusEvent) -> None:
        if event.kind == "event" and event.jsep is not None:
            self._offer(event)

    def _offer(self, reply: JanusEvent, *, fresh: bool = False) -> None:
        """Janus's (re)offer of the subscription: to the browser, with whose streams are where;
        `fresh` for a new subscriber handle's first."""
        if reply.jsep is None or reply.jsep.get("type") != "offer":
            return
        self._streams = self._streams_of(reply.data.get("streams", []))
        self.version += 1
        self._send(
            protocol.SfuOffer(
                generation=self.path.generation,
                version=self.version,
                sdp=reply.jsep["sdp"],
                streams=self._streams,
                fresh=fresh,
            )
        )

    @staticmethod
    def _streams_of(streams: list[Json]) -> list[protocol.SubscribedStream]:
        named = []
        for stream in streams:
            kind = stream.get("type")
            if kind not in ("audio", "video") or not stream.get("active", True):
                continue
            if "feed_display" not in stream:
                continue
            participant_id, source = feed_owner(str(stream["feed_display"]))
            media: Literal["audio", "video"] = "audio" if kind == "audio" else "video"
            named.append(
                protocol.SubscribedStream(str(stream["mid"]), participant_id, source, media)
            )
        return named

    async def _start(self, version: int, sdp: str) -> None:
        if self._subscriber is None:
            raise GlimpseError("no subscription yet", code="unknown_connection")
        if version != self.version:
            raise GlimpseError("a newer offer is on its way", code="stale_offer")
        await self._subscriber.request({"request": "start"}, {"type": "answer", "sdp": sdp})
        with contextlib.suppress(JanusError):  # the answer stands; choices apply at the next one
            await self._configure_layers({})  # the choices made so far, for the streams now there

    async def _configure_layers(self, choices: dict[str, protocol.Layer | None]) -> None:
        """Remember the layer chosen for each participant (kept across re-offers) and apply the
        choices to the camera streams the subscription has."""
        self._layers.update(choices)
        if self._subscriber is None:
            return  # nothing received yet: applied once there is
        streams: list[Json] = []
        for stream in self._streams:
            if stream.kind != "video" or stream.source != "camera":
                continue
            if stream.participant_id not in self._layers:
                continue
            layer = self._layers[stream.participant_id]
            if layer is None:
                streams.append({"mid": stream.mid, "send": False})
            else:
                streams.append({"mid": stream.mid, "send": True, "substream": layer})
        if streams:
            await self._subscriber.request({"request": "configure", "streams": streams})
