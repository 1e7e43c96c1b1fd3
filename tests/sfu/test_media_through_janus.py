"""Publishing to and subscribing from Janus through Glimpse's socket, with aiortc as the browser."""

from __future__ import annotations

from typing import Any

import pytest

from tests.sfu.conftest import SfuServerFactory, ann_and_bob
from tests.sfu.peers import Publisher, Subscriber, expect_error, expect_skipping

pytestmark = pytest.mark.timeout(60)


async def test_media_flows_from_a_publisher_through_janus_to_a_subscriber(
    start_sfu_server: SfuServerFactory,
) -> None:
    server = await start_sfu_server()
    a, b, code = await ann_and_bob(server)
    joined = await a.join(code, media={"audio": True, "video": True})
    assert joined["media_path"] == {"mode": "sfu", "generation": 1}
    ann_id = joined["participant_id"]
    bob_id = (await b.join(code, media={"audio": True, "video": True}))["participant_id"]
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


async def test_a_leaver_s_streams_leave_the_others_subscriptions_and_a_talker_is_announced(
    start_sfu_server: SfuServerFactory,
) -> None:
    server = await start_sfu_server()
    a, b, code = await ann_and_bob(server)
    joined = await a.join(code, media={"audio": True, "video": True})
    ann_id, generation = joined["participant_id"], joined["media_path"]["generation"]
    ann_camera, bob_camera, bob_subscription = Publisher(talking=True), Publisher(), Subscriber()
    try:
        await ann_camera.publish(a)
        talking = {
            "type": "active-speaker", "generation": generation, "participant_id": ann_id,
            "talking": True,
        }  # fmt: skip
        assert await expect_skipping(a, "active-speaker") == talking
        # Bob comes after Janus said so (it says so on changes only): he is told all the same.
        await b.join(code, media={"audio": True, "video": True})
        await bob_camera.publish(b)
        offer = await expect_skipping(b, "sfu-offer")
        await bob_subscription.answer(b, offer)
        assert await expect_skipping(b, "active-speaker") == talking

        await a.send({"type": "leave"})
        again = await expect_skipping(b, "sfu-offer")
        assert again["version"] == offer["version"] + 1
        assert again["streams"] == []
    finally:
        for peer in (ann_camera, bob_camera, bob_subscription):
            await peer.close()


def kinds(offer: dict[str, Any]) -> list[tuple[str, str, str]]:
    return sorted((s["participant_id"], s["source"], s["kind"]) for s in offer["streams"])


async def test_a_screen_comes_and_goes_and_a_subscriber_chooses_layers(
    start_sfu_server: SfuServerFactory,
) -> None:
    server = await start_sfu_server()
    a, b, code = await ann_and_bob(server)
    ann_id = (await a.join(code))["participant_id"]
    await b.join(code)
    ann_camera, ann_screen, bob_camera, bob_sub = (
        Publisher(), Publisher(screen=True), Publisher(), Subscriber()
    )  # fmt: skip
    try:
        await b.send({"type": "sfu-candidate", "pc": "subscriber", "candidate": None})
        assert (await expect_error(b))["code"] == "unknown_connection"  # nothing published yet
        await bob_camera.publish(b)
        await ann_camera.publish(a)
        first = await expect_skipping(b, "sfu-offer")
        await bob_sub.answer(b, first)
        await expect_skipping(b, "ack")

        assert (await ann_screen.publish(a, "screen"))["source"] == "screen"
        second = await expect_skipping(b, "sfu-offer")
        assert second["version"] == first["version"] + 1
        assert kinds(second) == [
            (ann_id, "camera", "audio"), (ann_id, "camera", "video"), (ann_id, "screen", "video")
        ]  # fmt: skip
        stale = {"version": first["version"], "sdp": bob_sub.pc.localDescription.sdp}
        await b.send({"type": "sfu-subscribed", **stale})
        assert (await expect_error(b))["code"] == "stale_offer"
        await bob_sub.answer(b, second)
        await expect_skipping(b, "ack")

        candidate = {"candidate": "candidate:1 1 udp 2122260223 192.0.2.7 50000 typ host",
                     "sdpMid": "0", "sdpMLineIndex": 0}  # fmt: skip
        await b.send({"type": "sfu-candidate", "pc": "subscriber", "candidate": candidate})
        await b.send({"type": "sfu-candidate", "pc": "screen", "candidate": candidate})
        assert (await expect_error(b))["code"] == "unknown_connection"  # Bob shares no screen

        await b.send({"type": "sfu-layers", "ref": "l",
                      "choices": [{"participant_id": ann_id, "layer": 0}]})  # fmt: skip
        assert (await expect_skipping(b, "ack"))["ref"] == "l"
        await b.send({"type": "sfu-layers", "ref": "n",
                      "choices": [{"participant_id": ann_id, "layer": None}]})  # fmt: skip
        assert (await expect_skipping(b, "ack"))["ref"] == "n"
        await b.send({"type": "sfu-layers", "choices": [{"participant_id": "x" * 32, "layer": 1}]})
        assert (await expect_error(b))["code"] == "unknown_participant"

        await a.send({"type": "sfu-unpublish", "source": "screen", "ref": "u"})
        assert (await expect_skipping(a, "ack"))["ref"] == "u"
        third = await expect_skipping(b, "sfu-offer")
        assert kinds(third) == [(ann_id, "camera", "audio"), (ann_id, "camera", "video")]
    finally:
        for peer in (ann_camera, ann_screen, bob_camera, bob_sub):
            await peer.close()
