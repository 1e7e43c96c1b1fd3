"""aiortc as the browser's side of the SFU connections: a publisher that sends a synthetic camera
(VP8) and microphone (Opus), and a subscriber that answers the server's `sfu-offer` and keeps the
tracks it receives."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiortc import (  # type: ignore[import-untyped]
    MediaStreamTrack,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack  # type: ignore[import-untyped]

from tests.conftest import WsClient

FRAME_TIMEOUT = 15.0


class Publisher:
    """A sendonly camera publication."""

    def __init__(self) -> None:
        self.pc = RTCPeerConnection()
        for track in (AudioStreamTrack(), VideoStreamTrack()):
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
