"""A participant whose connection to Janus failed gets a new one without leaving the room: its
subscription given up (`sfu-resubscribe`) is offered afresh, a publication offered from a new
connection replaces the old one. aiortc is the browser; closing its peer connection is the
failure (nothing of what Janus sends reaches it any more)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import WsClient
from tests.sfu.conftest import SfuServerFactory, ann_and_bob
from tests.sfu.peers import Publisher, Subscriber, expect_error, expect_skipping

pytestmark = pytest.mark.timeout(60)

CAMERA = {"audio": True, "video": True}


def cameras(offer: dict[str, Any]) -> set[str]:
    """Whose camera video an `sfu-offer` carries."""
    return {
        s["participant_id"]
        for s in offer["streams"]
        if (s["source"], s["kind"]) == ("camera", "video")
    }


async def subscribe(
    client: WsClient, subscriber: Subscriber, offer: dict[str, Any]
) -> list[dict[str, Any]]:
    """Answer the offer and wait for the server's `ack`; the offers that came meanwhile (Janus
    offers the next change as soon as the last is answered)."""
    await subscriber.answer(client, offer)
    offers = []
    while True:
        message = await client.recv()
        assert message["type"] != "error", message
        if message["type"] == "sfu-offer":
            offers.append(message)
        elif message["type"] == "ack":
            assert message["request"] == "sfu-subscribed"
            return offers


async def test_a_subscription_given_up_is_offered_afresh_and_its_frames_decode_again(
    start_sfu_server: SfuServerFactory,
) -> None:
    server = await start_sfu_server()
    a, b, code = await ann_and_bob(server)
    joined = await a.join(code, media=CAMERA)
    generation, ann_id = joined["media_path"]["generation"], joined["participant_id"]
    await b.join(code, media=CAMERA)
    ann_camera, bob_camera, failed, renewed = Publisher(), Publisher(), Subscriber(), Subscriber()
    try:
        await b.send({"type": "sfu-resubscribe", "generation": generation, "version": 0})
        assert (await expect_error(b))["code"] == "unknown_connection"  # nothing to give up yet
        await ann_camera.publish(a)
        await bob_camera.publish(b)
        offer = await expect_skipping(b, "sfu-offer")
        assert offer["fresh"] is True and cameras(offer) == {ann_id}
        await subscribe(b, failed, offer)
        assert (await failed.video_frame()).width > 0

        await failed.close()
        give_up = {"type": "sfu-resubscribe", "generation": generation, "version": offer["version"]}
        await b.send({**give_up, "ref": "r1"})
        fresh = await expect_skipping(b, "sfu-offer")
        assert fresh["version"] == offer["version"] + 1 and fresh["fresh"] is True
        assert fresh["streams"] == offer["streams"]
        assert await expect_skipping(b, "ack") == {
            "type": "ack", "request": "sfu-resubscribe", "ref": "r1"
        }  # fmt: skip
        await subscribe(b, renewed, fresh)
        assert (await renewed.video_frame()).width > 0

        # What it gave up before is stale: refused, typed, and the socket carries on.
        await b.send({**give_up, "ref": "r2"})
        assert (await expect_error(b))["code"] == "stale_offer"
        stale_path = {**give_up, "generation": generation - 1, "version": fresh["version"]}
        await b.send({**stale_path, "ref": "r3"})
        refusal = await expect_error(b)
        assert (refusal["code"], refusal["request"], refusal["ref"]) == (
            "stale_media_path", "sfu-resubscribe", "r3"
        )  # fmt: skip
        await b.send({"type": "sfu-layers", "ref": "l",
                      "choices": [{"participant_id": ann_id, "layer": 0}]})  # fmt: skip
        assert (await expect_skipping(b, "ack"))["ref"] == "l"
        assert (await renewed.video_frame()).width > 0
    finally:
        for peer in (ann_camera, bob_camera, failed, renewed):
            await peer.close()


async def test_a_camera_published_again_from_a_new_connection_replaces_the_old_one(
    start_sfu_server: SfuServerFactory,
) -> None:
    server = await start_sfu_server()
    a, b, code = await ann_and_bob(server)
    joined = await a.join(code, media=CAMERA)
    generation, ann_id = joined["media_path"]["generation"], joined["participant_id"]
    bob_id = (await b.join(code, media=CAMERA))["participant_id"]
    ann_camera, bob_camera = Publisher(), Publisher()
    ann_sub, ann_sub_again, bob_sub, bob_sub_again = (
        Subscriber(), Subscriber(), Subscriber(), Subscriber()
    )  # fmt: skip
    new_camera = Publisher()
    try:
        await ann_camera.publish(a)
        await bob_camera.publish(b)
        await subscribe(b, bob_sub, await expect_skipping(b, "sfu-offer"))
        first = await expect_skipping(a, "sfu-offer")
        await subscribe(a, ann_sub, first)
        assert (await ann_sub.video_frame()).width > 0

        # Ann's camera connection failed: she publishes it from a new one.
        await ann_camera.close()
        await new_camera.publish(a)
        # Her subscription depended on the old camera's handle: it is offered afresh.
        renewed = await expect_skipping(a, "sfu-offer")
        assert renewed["fresh"] is True and cameras(renewed) == {bob_id}
        assert renewed["version"] > first["version"]
        await subscribe(a, ann_sub_again, renewed)
        assert (await ann_sub_again.video_frame()).width > 0

        # Bob's subscription loses Ann's old camera, then gains the new one: renegotiations.
        offer = await expect_skipping(b, "sfu-offer")
        while cameras(offer) != {ann_id}:
            assert "fresh" not in offer
            later = await subscribe(b, bob_sub, offer)
            offer = later[-1] if later else await expect_skipping(b, "sfu-offer")
        assert "fresh" not in offer
        await b.send(
            {"type": "sfu-resubscribe", "generation": generation, "version": offer["version"]}
        )
        fresh = await expect_skipping(b, "sfu-offer")
        assert fresh["fresh"] is True and cameras(fresh) == {ann_id}
        assert (await expect_skipping(b, "ack"))["request"] == "sfu-resubscribe"
        await subscribe(b, bob_sub_again, fresh)
        assert (await bob_sub_again.video_frame()).width > 0
    finally:
        for peer in (ann_camera, new_camera, bob_camera, ann_sub, ann_sub_again, bob_sub):
            await peer.close()
        await bob_sub_again.close()


async def test_a_screen_published_again_from_a_new_connection_leaves_the_rest_alone(
    start_sfu_server: SfuServerFactory,
) -> None:
    server = await start_sfu_server()
    a, b, code = await ann_and_bob(server)
    ann_id = (await a.join(code, media=CAMERA))["participant_id"]
    await b.join(code, media=CAMERA)
    ann_camera, screen, new_screen, bob_camera = (
        Publisher(), Publisher(screen=True), Publisher(screen=True), Publisher()
    )  # fmt: skip
    ann_sub, bob_sub = Subscriber(), Subscriber()
    try:
        await ann_camera.publish(a)
        await bob_camera.publish(b)
        await subscribe(a, ann_sub, await expect_skipping(a, "sfu-offer"))
        await screen.publish(a, "screen")
        offer = await expect_skipping(b, "sfu-offer")
        while screens(offer) != {ann_id}:
            later = await subscribe(b, bob_sub, offer)
            offer = later[-1] if later else await expect_skipping(b, "sfu-offer")
        await subscribe(b, bob_sub, offer)

        await screen.close()
        assert (await new_screen.publish(a, "screen"))["source"] == "screen"
        # Bob's subscription drops the old screen, then takes the new one: renegotiations.
        seen = []
        offer = await expect_skipping(b, "sfu-offer")
        while not (set() in seen and screens(offer) == {ann_id}):
            assert "fresh" not in offer
            seen.append(screens(offer))
            later = await subscribe(b, bob_sub, offer)
            offer = later[-1] if later else await expect_skipping(b, "sfu-offer")
        assert "fresh" not in offer
        # Ann's own subscription is not renewed: no offer reaches her.
        await a.send({"type": "sfu-layers", "ref": "l", "choices": []})
        while (message := await a.recv())["type"] != "ack":
            assert message["type"] not in ("sfu-offer", "error"), message
        assert (await ann_sub.video_frame()).width > 0
    finally:
        for peer in (ann_camera, screen, new_screen, bob_camera, ann_sub, bob_sub):
            await peer.close()


def screens(offer: dict[str, Any]) -> set[str]:
    """Whose screen an `sfu-offer` carries."""
    return {s["participant_id"] for s in offer["streams"] if s["source"] == "screen"}
