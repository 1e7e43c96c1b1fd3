"""One contract for every limiter backend (in memory; Redis at 127.0.0.1:6379), and Redis's
own promises: counts shared between instances, limits kept per instance while it is away."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from pydantic import ValidationError

from glimpse.limits import Limit, Limiter, Rate, open_limiter
from glimpse.limits.base import KEY_PREFIX
from glimpse.limits.memory import MemoryLimiter
from glimpse.limits.redis import RedisLimiter
from glimpse.settings import Settings
from tests.conftest import free_port

REDIS_URL = "redis://127.0.0.1:6379/0"
SECRET = "a secret of the limiter test, long enough to key hashes"
HOUR = Rate(3, 3600)


def limit(rate: Rate = HOUR, subject: str = "someone") -> Limit:
    """A limit under a scope of its own, so runs sharing the Redis never meet."""
    return Limit(f"test-{uuid.uuid4().hex}", subject, rate)


@pytest.fixture(params=["memory://", REDIS_URL])
async def limiter(request: pytest.FixtureRequest) -> AsyncIterator[Limiter]:
    opened = open_limiter(request.param, SECRET)
    yield opened
    await opened.close()


async def test_a_burst_is_allowed_then_the_wait_is_told(limiter: Limiter) -> None:
    rule = limit()
    assert [await limiter.hit(rule) for _ in range(3)] == [None, None, None]
    wait = await limiter.hit(rule)
    assert wait is not None
    assert 0 < wait <= HOUR.interval
    assert await limiter.hit(rule) is not None  # a refused hit is not counted, but it is refused


async def test_subjects_are_counted_apart(limiter: Limiter) -> None:
    ann = limit(subject="ann")
    bob = Limit(ann.scope, "bob", HOUR)
    for _ in range(3):
        await limiter.hit(ann)
    assert await limiter.hit(ann) is not None
    assert await limiter.hit(bob) is None


async def test_several_limits_count_all_or_nothing(limiter: Limiter) -> None:
    spent, fresh = limit(Rate(1, 3600)), limit()
    assert await limiter.hit(spent) is None
    for _ in range(5):
        assert await limiter.hit(spent, fresh) is not None
    assert [await limiter.hit(fresh) for _ in range(3)] == [None, None, None]  # never counted


async def test_a_refund_gives_a_hit_back(limiter: Limiter) -> None:
    rule = limit()
    for _ in range(3):
        assert await limiter.hit(rule) is None
        await limiter.refund(rule)
    await limiter.refund(limit())  # nothing to give back: no effect
    assert [await limiter.hit(rule) for _ in range(3)] == [None, None, None]
    assert await limiter.hit(rule) is not None


async def test_after_the_wait_a_hit_is_allowed_again(limiter: Limiter) -> None:
    rule = limit(Rate(2, 0.4))
    await limiter.hit(rule)
    await limiter.hit(rule)
    wait = await limiter.hit(rule)
    assert wait is not None
    await asyncio.sleep(wait + 0.05)
    assert await limiter.hit(rule) is None


async def test_enforce_raises_rate_limited_with_whole_seconds(limiter: Limiter) -> None:
    rule = limit(Rate(1, 3600))
    await limiter.enforce(rule)
    with pytest.raises(Exception, match="too many attempts") as refused:
        await limiter.enforce(rule)
    assert refused.value.code == "rate_limited"  # type: ignore[attr-defined]
    assert refused.value.retry_after == 3600  # type: ignore[attr-defined]


async def test_redis_keys_cannot_be_guessed_back_to_their_subject() -> None:
    """Keys are hashes keyed with the server's secret: knowing an e-mail does not find its key."""
    limiter = RedisLimiter(REDIS_URL, SECRET)
    rule = limit(subject="ann@example.org")
    redis = aioredis.Redis.from_url(REDIS_URL)
    try:
        await limiter.hit(rule)
        stored = {key.decode() async for key in redis.scan_iter(f"{KEY_PREFIX}{rule.scope}:*")}
        assert stored == {rule.key(SECRET.encode())}
        assert rule.key() not in stored  # the plain hash of the e-mail
    finally:
        await redis.aclose()
        await limiter.close()


async def test_instances_on_one_redis_share_their_counts() -> None:
    first, second = RedisLimiter(REDIS_URL, SECRET), RedisLimiter(REDIS_URL, SECRET)
    try:
        rule = limit()
        assert await first.hit(rule) is None
        assert await second.hit(rule) is None
        assert await first.hit(rule) is None
        assert await second.hit(rule) is not None
        await first.refund(rule)
        assert await second.hit(rule) is None
    finally:
        await first.close()
        await second.close()


async def test_without_redis_each_instance_limits_on_its_own(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An outage neither fails the request nor lifts the limit; one warning, not one per hit."""
    unreachable = RedisLimiter(f"redis://127.0.0.1:{free_port()}/0", SECRET)
    try:
        rule = limit()
        with caplog.at_level(logging.WARNING, logger="glimpse.limits.redis"):
            assert [await unreachable.hit(rule) for _ in range(3)] == [None, None, None]
            assert await unreachable.hit(rule) is not None
            await unreachable.refund(rule)
            assert await unreachable.hit(rule) is None
        warnings = [record.getMessage() for record in caplog.records]
        assert len(warnings) == 1
        assert "Redis unreachable" in warnings[0]
    finally:
        await unreachable.close()


def test_the_bus_url_picks_the_limiter() -> None:
    assert isinstance(open_limiter("memory://", SECRET), MemoryLimiter)
    for url in (REDIS_URL, "rediss://cache.example.org:6380/1"):
        assert isinstance(open_limiter(url, SECRET), RedisLimiter)
    with pytest.raises(ValueError, match="unsupported bus URL scheme 'kafka'"):
        open_limiter("kafka://broker:9092", SECRET)


def test_rates_are_written_in_words() -> None:
    assert Rate.parse("10/minute") == Rate(10, 60)
    assert Rate.parse(" 5 / 15 Minutes ") == Rate(5, 900)
    assert Rate.parse("30/hour").interval == 120
    assert Rate.parse("1/day") == Rate(1, 86400)
    for wrong in ("10", "0/minute", "10/0hours", "10/fortnight", "-1/second", "ten/minute"):
        with pytest.raises(ValueError, match="is not a rate"):
            Rate.parse(wrong)


def test_rate_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLIMPSE_LOGIN_LIMIT_PER_ADDRESS", "100/2hours")
    assert Settings().login_limit_per_address == Rate(100, 7200)
    monkeypatch.setenv("GLIMPSE_LOGIN_LIMIT_PER_ADDRESS", "lots")
    with pytest.raises(ValidationError, match="is not a rate"):
        Settings()


async def test_a_burst_that_does_not_divide_evenly_is_whole(limiter: Limiter) -> None:
    rule = limit(Rate(9, 60))  # 6.67 s between hits: rounding must not cost the ninth
    assert [await limiter.hit(rule) for _ in range(9)] == [None] * 9
    assert await limiter.hit(rule) is not None


async def test_memory_forgets_keys_whose_bucket_is_full_again() -> None:
    """Hits from ever new addresses do not pile up: memory follows the keys in use."""
    limiter = MemoryLimiter()
    brief = Rate(1, 0.05)
    for address in range(5000):
        await limiter.hit(Limit("flood", f"10.0.{address // 256}.{address % 256}", brief))
    await asyncio.sleep(0.1)
    for address in range(5000):
        await limiter.hit(Limit("flood", f"10.1.{address // 256}.{address % 256}", brief))
    assert len(limiter._arrivals) <= 5000  # the first 5000 are gone


async def test_fast_rates_keep_their_burst(limiter: Limiter) -> None:
    rule = limit(Rate(5000, 1))
    assert all([await limiter.hit(rule) is None for _ in range(3000)])
