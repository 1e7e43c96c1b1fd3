"""Publishing to and subscribing from Janus through Glimpse's socket, with aiortc as the browser."""

from __future__ import annotations

import pytest

from tests.sfu.conftest import SfuServerFactory, sfu_room
from tests.sfu.peers import Publisher, Subscriber, expect_skipping

pytestmark = pytest.mark.timeout(60)


async def test_media_flows_from_a_publisher_through_janus_to_a_subscriber(
    start_sfu_server: SfuServerFactory,
) -> None:
    server = await start_sfu_server()
    ann, bob = await server.register("Ann"), await server.register("Bob")
    room = await sfu_room(server, ann)
    a, b = await server.connect(ann), await server.connect(bob)
    joined = await a.join(room["code"], media={"audio": True, "video": True})
    assert joined["media_path"] == {"mode": "sfu", "generation": 1}
    ann_id = joined["participant_id"]
    bob_id = (await b.join(room["code"], media={"audio": True, "video": True}))["participant_id"]
    assert (await a.expect("media-path"))["media_path"] == joined["media_path"]  # its own join's
    assert (await a.expect("participant-joined"))["participant"]["id"] == bob_id

    ann_camera, bob_camera, bob_subscription = Publisher(), Publisher(), Subscriber()
    try:
        answer = await ann_camera.publish(a)
        assert answer["source"] == "camera" and "a=recvonly" in answer["sdp"]
        await bob_camera.publish(b)
        offer = await expect_skipping(b, "sfu-offer")
        assert offer["version"] == 1
        assert sorted((s["participant_id"], s["source"], s["kind"]) for s in offer["streams"]) == [
            (ann_id, "camera", "audio"), (ann_id, "camera", "video"),
        ]  # fmt: skip
        await bob_subscription.answer(b, offer)
        assert (await expect_skipping(b, "ack"))["request"] == "sfu-subscribed"

        frame = await bob_subscription.video_frame()
        assert frame.width > 0 and frame.height > 0

        ann_offer = await expect_skipping(a, "sfu-offer")  # Ann subscribes to Bob's camera
        assert {s["participant_id"] for s in ann_offer["streams"]} == {bob_id}
    finally:
        for peer in (ann_camera, bob_camera, bob_subscription):
            await peer.close()
