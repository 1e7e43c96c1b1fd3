"""aiortc as the browser's side of the SFU connections: a publisher that sends a synthetic camera
(VP8) and microphone (Opus), and a subscriber that answers the server's `sfu-offer` and keeps the
tracks it receives."""

from __future__ import annotations

import asyncio
import contextlib
import math
import struct
from typing import Any

from aiortc import (
    MediaStreamTrack,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack
from av import AudioFrame

from tests.conftest import WsClient

FRAME_TIMEOUT = 15.0
TONE_HZ = 440


class Tone(AudioStreamTrack):
    """A loud tone (aiortc's own audio track is silent): someone talking."""

    async def recv(self) -> Any:
        frame = await super().recv()
        assert isinstance(frame, AudioFrame)
        start = frame.pts or 0
        samples = (
            int(20000 * math.sin(2 * math.pi * TONE_HZ * (start + i) / frame.sample_rate))
            for i in range(frame.samples)
        )
        frame.planes[0].update(b"".join(struct.pack("<h", s) for s in samples))
        return frame


class Publisher:
    """A sendonly camera publication (with a microphone that is silent, or `talking`), or a
    `screen` (video only)."""

    def __init__(self, *, talking: bool = False, screen: bool = False) -> None:
        self.pc = RTCPeerConnection()
        microphone = [] if screen else [Tone() if talking else AudioStreamTrack()]
        for track in (*microphone, VideoStreamTrack()):
            self.pc.addTransceiver(track, direction="sendonly")

    async def offer(self) -> str:
        await self.pc.setLocalDescription(await self.pc.createOffer())  # gathers its candidates
        sdp: str = self.pc.localDescription.sdp
        return sdp

    async def publish(self, client: WsClient, source: str = "camera") -> dict[str, Any]:
        """`sfu-publish` the offer and apply the `sfu-answer`; returns the answer message."""
        await client.send({"type": "sfu-publish", "source": source, "sdp": await self.offer()})
        answer = await expect_skipping(client, "sfu-answer")
        await self.pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
        return answer

    async def close(self) -> None:
        await self.pc.close()


class Subscriber:
    """The recvonly subscription: answers each `sfu-offer` it is handed."""

    def __init__(self) -> None:
        self.pc = RTCPeerConnection()
        self.tracks: list[MediaStreamTrack] = []
        self.pc.on("track", self.tracks.append)

    async def answer(self, client: WsClient, offer: dict[str, Any]) -> None:
        await self.pc.setRemoteDescription(RTCSessionDescription(offer["sdp"], "offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        await client.send(
            {"type": "sfu-subscribed", "version": offer["version"],
             "sdp": self.pc.localDescription.sdp, "ref": "sub"}
        )  # fmt: skip

    async def video_frame(self) -> Any:
        """The first decoded frame of a received video track."""
        async with asyncio.timeout(FRAME_TIMEOUT):
            while True:
                video = [track for track in self.tracks if track.kind == "video"]
                if video:
                    return await video[0].recv()
                await asyncio.sleep(0.05)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.pc.close()


async def expect_skipping(client: WsClient, type_: str, timeout: float = 10.0) -> dict[str, Any]:
    """The next message of this type, skipping others (roster changes, offers, speakers)."""
    async with asyncio.timeout(timeout):
        while True:
            message = await client.recv(timeout)
            if message["type"] == type_:
                return message
            assert message["type"] != "error", message


async def expect_error(client: WsClient) -> dict[str, Any]:
    """The next error, past everything else."""
    while True:
        message = await client.recv()
        if message["type"] == "error":
            return message
