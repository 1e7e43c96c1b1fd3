"""The meeting state's compare-and-set and the shared counters, on every bus; the epoch of what
Redis holds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from glimpse.bus import Bus, open_bus
from tests.conftest import RedisServer, wait_until

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


@pytest.fixture
async def two_instances(tmp_path: Path) -> AsyncIterator[tuple[RedisServer, Bus, Bus]]:
    """A Redis of the test's own, and two instances' buses connected to it."""
    redis = RedisServer(tmp_path)
    await redis.start()
    one, two = (open_bus(redis.url, presence_ttl=2, heartbeat_interval=0.2) for _ in range(2))
    try:
        for bus in (one, two):
            await bus.connect(_ignore_event, _ignore_departure, _ignore_eviction)
        yield redis, one, two
    finally:
        for bus in (one, two):
            await bus.close()
        await redis.stop()


async def test_a_counter_sums_the_shares_of_the_instances_alive(
    two_instances: tuple[RedisServer, Bus, Bus],
) -> None:
    _, one, two = two_instances
    await wait_until(lambda: one.alive(two.instance_id), 5, "the second never registered")
    await one.add_to_counter("load", "ws://a", 2)
    await two.add_to_counter("load", "ws://a", 1)
    await two.add_to_counter("load", "ws://b", 1)
    assert await one.counters("load") == {"ws://a": 3, "ws://b": 1}
    await two.close()  # its share goes with it
    assert await one.counters("load") == {"ws://a": 2}
    assert not await one.alive(two.instance_id)


async def test_the_epoch_is_shared_and_changes_when_redis_loses_its_data(
    two_instances: tuple[RedisServer, Bus, Bus],
) -> None:
    redis, one, two = two_instances
    await wait_until(lambda: _agree(one, two, ""), 5, "no common epoch")
    first = one.epoch
    await redis.stop()  # restarted without persistence: everything is gone
    await redis.start()
    await wait_until(lambda: _agree(one, two, first), 10, "no new common epoch")


async def _agree(one: Bus, two: Bus, other_than: str) -> bool:
    """Both buses hold one epoch, and not `other_than`."""
    return one.epoch == two.epoch not in ("", other_than)


def _ignore_event(room_id: str, payload: bytes) -> None:
    return None


async def _ignore_departure(room_id: str, participant_id: str) -> None:
    return None


async def _ignore_eviction() -> None:
    return None
