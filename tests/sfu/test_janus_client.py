"""The Janus client (glimpse/sfu/janus.py) against a real Janus."""

from __future__ import annotations

import asyncio
import secrets
import time

import pytest

from glimpse.sfu.janus import JanusError, JanusEvent, JanusGone, JanusSession, Probing
from tests.janus import PROBING, Janus

pytestmark = pytest.mark.timeout(30)
VIDEOROOM = "janus.plugin.videoroom"


async def test_a_room_created_joined_and_watched(janus: Janus) -> None:
    session = await JanusSession.connect(janus.url, janus.api_secret, probing=PROBING)
    try:
        events: list[JanusEvent] = []
        first = await session.attach(VIDEOROOM, events.append)
        second = await session.attach(VIDEOROOM)
        created = await first.request(
            {"request": "create", "admin_key": janus.admin_key, "secret": "s", "pin": "p",
             "is_private": True, "publishers": 10}
        )  # fmt: skip
        assert created.kind == "success" and created.data["videoroom"] == "created"
        room = created.data["room"]

        joined = await first.request(
            {"request": "join", "ptype": "publisher", "room": room, "pin": "p", "display": "ann"}
        )
        assert joined.kind == "event" and joined.data["videoroom"] == "joined"  # after an ack
        await second.request(
            {"request": "join", "ptype": "publisher", "room": room, "pin": "p", "display": "bob"}
        )
        listed = await first.request({"request": "listparticipants", "room": room})
        assert sorted(p["display"] for p in listed.data["participants"]) == ["ann", "bob"]

        await second.detach()
        for _ in range(100):
            if any("leaving" in e.data for e in events):
                break
            await asyncio.sleep(0.05)
        assert any("leaving" in e.data for e in events), events

        third = await session.attach(VIDEOROOM)
        with pytest.raises(JanusError) as refused:
            await third.request({"request": "join", "ptype": "publisher", "room": room + 1})
        assert refused.value.code == 426  # no such room
        destroyed = await first.request({"request": "destroy", "room": room, "secret": "s"})
        assert destroyed.data["videoroom"] == "destroyed"
    finally:
        await session.close()
    assert not session.alive


async def test_without_the_api_secret_janus_refuses(janus: Janus) -> None:
    with pytest.raises(JanusError) as refused:
        await JanusSession.connect(janus.url, secrets.token_urlsafe(16), probing=PROBING)
    assert refused.value.code == 403  # unauthorized


async def test_a_session_outlives_janus_s_timeout_with_keepalives(janus: Janus) -> None:
    session = await JanusSession.connect(
        janus.url, janus.api_secret, probing=Probing(interval=0.2, timeout=0.1, misses=2)
    )
    try:
        handle = await session.attach(VIDEOROOM)
        await asyncio.sleep(1.0)  # five keepalives answered
        listed = await handle.request({"request": "list"})
        assert listed.data["videoroom"] == "success"
    finally:
        await session.close()


async def test_a_dead_janus_is_noticed(janus: Janus) -> None:
    session = await JanusSession.connect(
        janus.url,
        janus.api_secret,
        probing=Probing(interval=0.2, timeout=0.1, misses=2),
        request_timeout=1.0,
    )
    handle = await session.attach(VIDEOROOM)
    janus.kill()
    await asyncio.wait_for(session.closed.wait(), 5)
    with pytest.raises(JanusGone):
        await handle.request({"request": "list"})
    await session.close()


async def test_a_janus_hung_briefly_keeps_its_session_and_one_hung_longer_is_noticed(
    janus: Janus,
) -> None:
    probing = Probing(interval=0.3, timeout=0.2, misses=3)
    session = await JanusSession.connect(janus.url, janus.api_secret, probing=probing)
    handle = await session.attach(VIDEOROOM)
    try:
        # Hung for 0.65 s: the keepalives started in its first 0.45 s (one or two) miss.
        janus.hang()
        await asyncio.sleep(0.65)
        janus.resume()
        await asyncio.sleep(2 * probing.interval)
        assert session.alive, session.close_reason
        assert (await handle.request({"request": "list"})).data["videoroom"] == "success"

        janus.hang()  # for good: the socket stays open, nothing answers
        hung = time.monotonic()
        bound = probing.misses * probing.interval + probing.timeout
        await asyncio.wait_for(session.closed.wait(), bound + 1.0)
        took = time.monotonic() - hung
        print(f"\na hung Janus was noticed {took:.2f} s after (bound {bound:.1f} s)")
        assert "3 keepalives in a row unanswered" in session.close_reason
    finally:
        janus.resume()
        await session.close()


async def test_an_unreachable_janus_is_gone() -> None:
    from tests.conftest import free_port

    with pytest.raises(JanusGone):
        await JanusSession.connect(
            f"ws://127.0.0.1:{free_port()}", "secret", probing=PROBING, request_timeout=2
        )
