"""The largest `sfu-subscribed` a full room gives is read, though over the cap every other message
keeps (GLIMPSE_MAX_FRAME_BYTES), with real Janus feeds and aiortc as the browsers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiortc import RTCSessionDescription

from tests.conftest import WsClient
from tests.sfu.conftest import SfuServerFactory, sfu_room
from tests.sfu.peers import Publisher, Subscriber, expect_error, expect_skipping

pytestmark = pytest.mark.timeout(30)

ROOM = 3
"""GLIMPSE_SFU_MAX_PARTICIPANTS here: a subscription holds up to 3 x 2 others' sections."""
SETTINGS = {
    "sfu_max_participants": str(ROOM),
    "max_sdp_bytes": "4096",
    "max_sdp_media_sections": "2",
    "max_frame_bytes": "5120",
}
"""Room for 9 sections of 1 KiB in an `sfu-subscribed` (a 10 KiB message), 5 KiB for the others."""
SUBSCRIPTION_SDP_BYTES = 9 * 1024


async def test_a_full_room_s_subscription_answer_is_read_and_other_messages_keep_their_cap(
    start_sfu_server: SfuServerFactory,
) -> None:
    server = await start_sfu_server(**SETTINGS)
    owner = await server.register("Ann")
    code = (await sfu_room(server, owner))["code"]
    ann = await server.connect(owner)
    others = [await server.connect(await server.register(name)) for name in ("Bob", "Cid")]
    media = {"audio": True, "video": True, "screen": True}
    peers: list[Publisher | Subscriber] = []
    try:
        for other in others:  # each publishes a camera and a screen
            await other.join(code, media=media)
            for source, publisher in (("camera", Publisher()), ("screen", Publisher(screen=True))):
                peers.append(publisher)
                await publisher.publish(other, source)
        await ann.join(code, media=media)
        camera, subscription = Publisher(), Subscriber()
        peers += [camera, subscription]
        await camera.publish(ann)
        offer, answer = await full_subscription(ann, subscription)

        message = {"type": "sfu-subscribed", "version": offer["version"], "ref": "sub"}
        padded = answer + "a=x-padding:" + "x" * (SUBSCRIPTION_SDP_BYTES - len(answer)) + "\r\n"
        await ann.send({**message, "sdp": padded})
        refused = await expect_error(ann)
        assert refused["code"] == "invalid_sdp" and refused["request"] == "sfu-subscribed"
        assert f"at most {SUBSCRIPTION_SDP_BYTES} bytes" in refused["message"]

        frame = json.dumps({**message, "sdp": answer})
        assert 5120 < len(frame.encode()) <= SUBSCRIPTION_SDP_BYTES, len(frame)
        await ann.send_raw(frame)
        assert (await expect_skipping(ann, "ack"))["request"] == "sfu-subscribed"
        assert (await subscription.video_frame()).width > 0

        await ann.send({"type": "chat", "client_id": "big", "text": "x" * 6000, "ref": "c"})
        too_big = await expect_error(ann)
        assert (too_big["code"], too_big["request"], too_big["ref"]) == (
            "message_too_big", "chat", "c",
        )  # fmt: skip
        await ann.send({"type": "chat", "client_id": "long", "text": "x" * 4001})
        assert (await expect_error(ann))["code"] == "text_too_long"
        assert (await ann.chat("still here"))["text"] == "still here"
        for other in others:
            assert (await expect_skipping(other, "chat"))["message"]["text"] == "still here"
    finally:
        for peer in peers:
            await peer.close()


async def full_subscription(
    client: WsClient, subscription: Subscriber
) -> tuple[dict[str, Any], str]:
    """The offer of everyone else's cameras and screens, and the subscriber's answer (not sent);
    earlier offers (while the others' feeds came up on Janus) are answered."""
    while True:
        offer = await client.recv()
        if offer["type"] != "sfu-offer":
            assert offer["type"] != "error" or offer["code"] == "stale_offer", offer
            continue
        if len(offer["streams"]) == 3 * (ROOM - 1):
            break
        await subscription.answer(client, offer)
    pc = subscription.pc
    await pc.setRemoteDescription(RTCSessionDescription(offer["sdp"], "offer"))
    await pc.setLocalDescription(await pc.createAnswer())
    sdp: str = pc.localDescription.sdp
    return offer, sdp
