"""Rate limits that a fast but well-behaved client never meets as a strike, and a flood does.

The defaults allow chat at 5/s (bursts of 20) and typing at 2/s (bursts of 10). The tests that
take time run ten times faster against limits ten times higher: the same ratio of send rate to
limit as a person at the defaults."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import websockets

from tests.conftest import ServerFactory, WsClient

SPEED_UP = 10
"""Test time runs this much faster than a person's: rates multiplied, intervals divided."""


async def answers_until_quiet(client: WsClient) -> list[dict[str, Any]]:
    """Everything the server sends until it has been silent for a moment (or closes)."""
    answers = []
    with contextlib.suppress(websockets.ConnectionClosed, TimeoutError):
        while True:
            answers.append(await client.recv(timeout=1))
    return answers


async def test_someone_typing_and_sending_every_0_3_s_stays_and_every_message_arrives_once(
    start_server: ServerFactory,
) -> None:
    server = await start_server(
        chat_rate=5 * SPEED_UP, typing_rate=2 * SPEED_UP, join_history=100
    )  # the default bursts
    a, b, room = await server.ann_and_bob_in_a_room()
    for number in range(60):  # 3.3 chat and 3.3 typing a second: typing goes over its rate
        await a.send({"type": "typing", "active": True})
        await a.send({"type": "chat", "client_id": f"c{number}", "text": f"message {number} 🎉"})
        await asyncio.sleep(0.3 / SPEED_UP)
    answers = await answers_until_quiet(a)
    assert a.connection.close_code is None
    acks = [m for m in answers if m["type"] == "ack"]
    assert [ack["message"]["text"] for ack in acks] == [f"message {n} 🎉" for n in range(60)]
    refused = [m for m in answers if m["type"] == "error"]
    assert refused, "typing went over its own rate"
    assert {(m["code"], m["request"]) for m in refused} == {("rate_limited", "typing")}
    assert all(0 < m["retry_after"] <= 1 / (2 * SPEED_UP) for m in refused)

    received = [m for m in await answers_until_quiet(b) if m["type"] == "chat"]
    assert [m["message"] for m in received] == [ack["message"] for ack in acks]
    late = await server.connect(await server.register())
    stored = (await late.join(room["code"]))["messages"]
    assert [m["seq"] for m in stored] == list(range(1, 61))


async def test_a_client_that_waits_the_retry_after_it_is_told_is_never_closed(
    start_server: ServerFactory,
) -> None:
    server = await start_server(chat_rate=5 * SPEED_UP, chat_burst=2, rate_limit_strikes=1)
    a, b, _ = await server.ann_and_bob_in_a_room()
    refusals = 0
    for number in range(30):
        while True:
            await a.send({"type": "chat", "client_id": f"c{number}", "text": f"{number}"})
            answer = await a.recv()
            if answer["type"] == "ack":
                break
            assert answer["code"] == "rate_limited"
            refusals += 1
            await asyncio.sleep(answer["retry_after"])
    assert refusals > 0
    received = [(await b.expect("chat"))["message"]["text"] for _ in range(30)]
    assert received == [f"{n}" for n in range(30)]
    await a.nothing_more()
    assert a.connection.close_code is None


async def test_a_flood_that_ignores_its_refusals_is_closed_with_4429(
    start_server: ServerFactory,
) -> None:
    server = await start_server()  # the default limits: chat 5/s, bursts of 20; 20 strikes
    a, b, _ = await server.ann_and_bob_in_a_room()
    for number in range(100):
        with contextlib.suppress(websockets.ConnectionClosed):
            await a.send({"type": "chat", "client_id": f"f{number}", "text": "spam"})
    answers = await answers_until_quiet(a)
    assert a.connection.close_code == 4429
    kinds = [m["type"] if m["type"] == "ack" else m["code"] for m in answers]
    assert kinds == ["ack"] * 20 + ["rate_limited"] * 41  # 20 refused freely, then 21 strikes
    assert [m["type"] for m in await answers_until_quiet(b)] == ["chat"] * 20 + ["participant-left"]


async def test_typing_does_not_use_up_the_chat_allowance(start_server: ServerFactory) -> None:
    server = await start_server(rate_limit_strikes=1000)
    a, _, _ = await server.ann_and_bob_in_a_room()
    for _ in range(50):
        await a.send({"type": "typing", "active": True})
    for number in range(20):  # the whole chat burst
        await a.send({"type": "chat", "client_id": f"c{number}", "text": f"{number}"})
    answers = await answers_until_quiet(a)
    assert [m.get("request") for m in answers if m["type"] == "error"] == ["typing"] * 40
    assert [m["message"]["seq"] for m in answers if m["type"] == "ack"] == list(range(1, 21))


async def test_subscription_answers_have_their_own_rate_apart_from_signals(
    start_server: ServerFactory,
) -> None:
    """`sfu-subscribed` may be large: its own bucket, which the other signals do not draw on."""
    server = await start_server(sfu_subscribed_rate=0.1, sfu_subscribed_burst=2)
    a, _, room = await server.ann_and_bob_in_a_room()  # a mesh room: no SFU
    for _ in range(3):
        await a.send({"type": "sfu-subscribed", "version": 1, "sdp": "v=0\r\n"})
    answers = [await a.expect("error") for _ in range(3)]
    assert [m["code"] for m in answers] == ["not_sfu", "not_sfu", "rate_limited"]
    assert answers[2]["request"] == "sfu-subscribed"
    await a.send({"type": "sfu-unpublish", "source": "camera"})
    assert (await a.expect("error"))["code"] == "not_sfu"  # the signal bucket, still full
    await a.send({"type": "signal", "to": room["bob"], "kind": "candidate", "candidate": None})
    assert (await a.expect("ack"))["request"] == "signal"
