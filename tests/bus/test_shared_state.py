"""The meeting state's compare-and-set and the shared counters, on every bus."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from glimpse.bus import Bus, open_bus
from tests.conftest import RedisServer

pytestmark = pytest.mark.timeout(30)


@pytest.fixture(params=["memory", "redis"])
async def bus(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Bus]:
    redis = RedisServer(tmp_path) if request.param == "redis" else None
    if redis is not None:
        await redis.start()
    opened = open_bus(redis.url if redis else "memory://", presence_ttl=10, heartbeat_interval=3)
    try:
        yield opened
    finally:
        await opened.close()
        if redis is not None:
            await redis.stop()


async def test_a_meeting_field_is_swapped_only_from_what_it_held(bus: Bus) -> None:
    assert await bus.swap_meeting("r", "media", None, b"one")
    assert not await bus.swap_meeting("r", "media", None, b"two")  # someone set it first
    assert not await bus.swap_meeting("r", "media", b"zero", b"two")
    assert await bus.meeting("r") == {"media": b"one"}
    assert await bus.swap_meeting("r", "media", b"one", b"two")
    assert await bus.swap_meeting("r", "media", b"two", None)
    assert await bus.meeting("r") == {}


async def test_counters_are_shared_and_start_at_zero(bus: Bus) -> None:
    assert await bus.counters("load") == {}
    await bus.add_to_counter("load", "ws://a", 2)
    await bus.add_to_counter("load", "ws://b", 1)
    await bus.add_to_counter("load", "ws://a", -1)
    assert await bus.counters("load") == {"ws://a": 1, "ws://b": 1}
    assert await bus.counters("other") == {}
