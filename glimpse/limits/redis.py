"""Rate limits in Redis, shared by every instance: one Lua script per call, so each is atomic.

The clock is Redis's own (`TIME`), the same for every instance. When Redis cannot be reached the
limits do not fail open: each instance counts on its own (in memory) until Redis answers again,
so an outage neither turns every log-in into an error nor lifts the limits.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Final

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from glimpse.bus.redis import REDIS_ERRORS
from glimpse.limits.base import Limit, Limiter
from glimpse.limits.memory import MemoryLimiter

log = logging.getLogger(__name__)

COMMAND_TIMEOUT: Final = 2.0
RETRY_AFTER_FAILURE: Final = 5.0
"""Seconds after a failed call during which limits are counted in memory without asking Redis
(so an unreachable Redis does not delay every request by the timeout)."""

# Times in microseconds. KEYS: one per limit. ARGV: its interval and its period, key by key.
# Returns 0 when allowed (every key counted), else the wait (no key counted).
HIT_SCRIPT: Final = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local wait = 0
local arrivals = {}
for i, key in ipairs(KEYS) do
  local interval, period = tonumber(ARGV[2 * i - 1]), tonumber(ARGV[2 * i])
  local arrival = math.max(tonumber(redis.call('GET', key) or now), now) + interval
  wait = math.max(wait, arrival - period - now)
  arrivals[i] = arrival
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  local ttl = math.ceil((arrivals[i] - now) / 1000)
  redis.call('SET', key, string.format('%d', arrivals[i]), 'PX', ttl)
end
return 0
"""

# Times in microseconds. KEYS: one per limit. ARGV: its interval, key by key.
REFUND_SCRIPT: Final = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
for i, key in ipairs(KEYS) do
  local arrival = tonumber(redis.call('GET', key))
  if arrival then
    arrival = arrival - tonumber(ARGV[i])
    if arrival > now then
      redis.call('SET', key, string.format('%d', arrival), 'PX', math.ceil((arrival - now) / 1000))
    else
      redis.call('DEL', key)
    end
  end
end
return 0
"""


def _us(seconds: float) -> int:
    """Whole microseconds, rounded down: a burst never comes out one hit short."""
    return max(1, int(seconds * 1_000_000))


class RedisLimiter(Limiter):
    def __init__(self, url: str, secret: str) -> None:
        """`secret` keys the hashes of the subjects (the server's signing secret)."""
        self._secret = secret.encode()
        self._redis = aioredis.Redis.from_url(
            url,
            socket_timeout=COMMAND_TIMEOUT,
            socket_connect_timeout=COMMAND_TIMEOUT,
            retry=Retry(NoBackoff(), 0),
        )
        self._hit = self._redis.register_script(HIT_SCRIPT)
        self._refund = self._redis.register_script(REFUND_SCRIPT)
        self._local = MemoryLimiter()
        self._failed_at: float | None = None
        """When the last call to Redis failed (monotonic clock); None while Redis answers."""

    async def hit(self, *limits: Limit) -> float | None:
        if self._redis_down():
            return await self._local.hit(*limits)
        args = [us for limit in limits for us in (_us(limit.rate.interval), _us(limit.rate.period))]
        try:
            async with asyncio.timeout(COMMAND_TIMEOUT):
                wait = int(
                    await self._hit(keys=[limit.key(self._secret) for limit in limits], args=args)
                )
        except REDIS_ERRORS as error:
            self._failed(error)
            return await self._local.hit(*limits)
        self._answered()
        return wait / 1_000_000 if wait else None

    async def refund(self, *limits: Limit) -> None:
        if self._redis_down():
            await self._local.refund(*limits)
            return
        try:
            async with asyncio.timeout(COMMAND_TIMEOUT):
                await self._refund(
                    keys=[limit.key(self._secret) for limit in limits],
                    args=[_us(limit.rate.interval) for limit in limits],
                )
        except REDIS_ERRORS as error:
            self._failed(error)

    async def close(self) -> None:
        await self._redis.aclose()

    def _redis_down(self) -> bool:
        failed_at = self._failed_at
        return failed_at is not None and time.monotonic() - failed_at < RETRY_AFTER_FAILURE

    def _failed(self, error: BaseException) -> None:
        if self._failed_at is None:
            log.warning("rate limits: Redis unreachable (%s); counting per instance", error)
        self._failed_at = time.monotonic()

    def _answered(self) -> None:
        if self._failed_at is not None:
            log.warning("rate limits: Redis answers again; limits are shared again")
        self._failed_at = None
