"""A publisher for Janus without a browser: aiortc sending a synthetic camera (its green
`VideoStreamTrack`, VP8) and a tone (Opus) into a videoroom, through Glimpse's Janus
client."""

from __future__ import annotations

import array
import asyncio
import fractions
import math
from dataclasses import dataclass

from aiortc import (
    AudioStreamTrack,
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)
from av import AudioFrame
from av.frame import Frame

from glimpse.sfu.janus import JanusHandle, JanusSession

VIDEOROOM = "janus.plugin.videoroom"
SAMPLE_RATE = 48_000
SAMPLES_PER_FRAME = 960  # 20 ms


class Tone(AudioStreamTrack):
    """A sine wave, 20 ms a frame, paced in real time."""

    def __init__(self, frequency: float = 440.0) -> None:
        super().__init__()
        self._frequency = frequency
        self._sent = 0

    async def recv(self) -> AudioFrame:
        if self._sent == 0:
            self._start = asyncio.get_running_loop().time()
        wait = self._start + self._sent / SAMPLE_RATE - asyncio.get_running_loop().time()
        if wait > 0:
            await asyncio.sleep(wait)
        step = 2 * math.pi * self._frequency / SAMPLE_RATE
        samples = array.array(
            "h", (round(8000 * math.sin(step * (self._sent + i))) for i in range(SAMPLES_PER_FRAME))
        )
        frame = AudioFrame(format="s16", layout="mono", samples=SAMPLES_PER_FRAME)
        frame.planes[0].update(samples.tobytes())
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self._sent
        frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
        self._sent += SAMPLES_PER_FRAME
        return frame


class Silent(MediaStreamTrack):
    """A camera or microphone that never sends a frame."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    async def recv(self) -> Frame:
        never: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
        return await never


@dataclass
class Publisher:
    handle: JanusHandle
    peer: RTCPeerConnection

    async def close(self) -> None:
        await self.peer.close()
        await self.handle.detach()


async def publish(
    session: JanusSession, room: int, display: str, tone: float = 440.0, *, silent: bool = False
) -> Publisher:
    """Join `room` as a publisher and send a camera and a microphone (a `tone` Hz sine), or
    nothing at all when `silent`, until closed; returns once Janus reports the connection up
    (`webrtcup`)."""
    up = asyncio.Event()
    handle = await session.attach(
        VIDEOROOM, lambda event: up.set() if event.kind == "webrtcup" else None
    )
    peer = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    peer.addTrack(Silent("audio") if silent else Tone(tone))
    peer.addTrack(Silent("video") if silent else VideoStreamTrack())
    await peer.setLocalDescription(await peer.createOffer())  # every candidate gathered
    offer = {"type": "offer", "sdp": peer.localDescription.sdp}
    joined = await handle.request(
        {"request": "joinandconfigure", "ptype": "publisher", "room": room, "display": display,
         "audio": True, "video": True},
        jsep=offer,
    )  # fmt: skip
    assert joined.jsep is not None, joined
    await peer.setRemoteDescription(RTCSessionDescription(joined.jsep["sdp"], "answer"))
    await asyncio.wait_for(up.wait(), 15)
    return Publisher(handle, peer)
