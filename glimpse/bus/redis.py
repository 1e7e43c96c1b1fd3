"""Redis bus: room fan-out over pub/sub and a shared roster, for several server instances.

After python-socketio's pub/sub manager: each event goes out once on the room's channel, prefixed
with the publishing instance's id, and an instance drops its own echo. One listener connection
per instance is subscribed to the rooms that have local participants; it reconnects with backoff
and jitter and resubscribes by itself. Events from one publisher arrive in publishing order.

Presence: a hash per room (participant id -> owning instance id + info), a set of the rooms each
instance has participants in, and a liveness key per instance whose TTL the instance keeps
refreshing. Every instance sweeps: an instance whose liveness key expired is dead, and one Lua
script removes its participants atomically, so exactly one instance announces each departure.

Shared counters (the load on each media server) are kept as each instance's share, a hash per
instance: a counter is the sum of the shares of the instances alive, so a dead instance's share
stops counting as soon as its liveness key expires (the sweep then deletes it).

The epoch, a random id the first instance to register sets, tells whether Redis lost its data (a
restart without persistence, or a flush): an instance that registers again, which it does when
its liveness key is gone, then finds a new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import uuid
from typing import Any, Final

import redis.asyncio as aioredis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from glimpse.bus.base import Bus, BusUnavailable, DepartureHandler, EventHandler, EvictionHandler

log = logging.getLogger(__name__)

PREFIX: Final = "glimpse:"
INSTANCES: Final = PREFIX + "instances"
"""Set of the ids of instances that registered and have not been reaped."""
ROOM_CHANNEL: Final = PREFIX + "room:"
REVOCATIONS: Final = (PREFIX + "revocations").encode()
"""The instance-wide channel of revocations, which every instance's listener is subscribed to."""
ROSTER_SUFFIX: Final = ":participants"
MEETING_SUFFIX: Final = ":meeting"
MEETING_TTL: Final = 24 * 3600
"""A meeting's state outlives its last write by this long (s), should nobody end it."""
ID_LENGTH: Final = 32
"""Every event and roster entry starts with its instance's id (uuid4 hex)."""
COMMAND_TIMEOUT: Final = 5.0
ECHO_MISSES: Final = 3
"""Heartbeats without the listener hearing its own echo before its connection counts as dead."""
HEARTBEAT: Final = b"heartbeat sent at "
"""An echo that carries its sending time (monotonic clock), which gives the bus lag."""
RECONNECT_DELAYS: Final = (0.1, 5.0)
"""First and longest wait before reconnecting; doubled after each failure, with jitter."""

EPOCH: Final = PREFIX + "epoch"
"""A random id of the data Redis holds, set by the first instance to register: a Redis that lost
its data (restarted without persistence, or flushed) gets a new one (`Bus.epoch`)."""

EVICTION_NOTICE_TTL: Final = 7 * 24 * 3600
"""How long a reaped instance that comes back is told it was taken for dead (seconds)."""

# KEYS: instances set, dead instance's rooms set, liveness key, eviction notice key, counter
# shares.
# ARGV: dead instance id, roster key prefix, roster key suffix, eviction notice TTL.
# Returns [room, participant, room, participant, ...] of the participants it removed.
REAP_SCRIPT: Final = """
if redis.call('EXISTS', KEYS[3]) == 1 then return {} end
if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return {} end
redis.call('SET', KEYS[4], '1', 'EX', ARGV[4])
local gone = {}
for _, room in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local roster = ARGV[2] .. room .. ARGV[3]
  local entries = redis.call('HGETALL', roster)
  for i = 1, #entries, 2 do
    if string.sub(entries[i + 1], 1, #ARGV[1]) == ARGV[1] then
      redis.call('HDEL', roster, entries[i])
      table.insert(gone, room)
      table.insert(gone, entries[i])
    end
  end
end
redis.call('DEL', KEYS[2], KEYS[5])
return gone
"""

# KEYS: roster, this instance's rooms set. ARGV: this instance's id, participant, room, whether
# the instance has no one left in the room (then the room leaves its set).
REMOVE_SCRIPT: Final = """
local entry = redis.call('HGET', KEYS[1], ARGV[2])
if entry and string.sub(entry, 1, #ARGV[1]) == ARGV[1] then redis.call('HDEL', KEYS[1], ARGV[2]) end
if ARGV[4] == '1' then redis.call('SREM', KEYS[2], ARGV[3]) end
"""
"""Removes a roster entry only while it is this instance's: a participant that resumed on another
instance (which wrote its own entry) stays."""

# KEYS: the meeting's hash. ARGV: field, whether it is expected set ('1'), the expected value,
# whether a value is to be set ('1'), the value, the meeting's TTL. Returns 1 when it was written.
SWAP_SCRIPT: Final = """
local current = redis.call('HGET', KEYS[1], ARGV[1])
if ARGV[2] == '1' then
  if current ~= ARGV[3] then return 0 end
elseif current then return 0 end
if ARGV[4] == '1' then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[5])
  redis.call('EXPIRE', KEYS[1], ARGV[6])
else
  redis.call('HDEL', KEYS[1], ARGV[1])
end
return 1
"""

REDIS_ERRORS: Final = (RedisError, OSError, TimeoutError)
"""What an unreachable, restarting or overloaded Redis raises."""


def _channel(room_id: str) -> str:
    return ROOM_CHANNEL + room_id


def _roster_key(room_id: str) -> str:
    return ROOM_CHANNEL + room_id + ROSTER_SUFFIX


def _meeting_key(room_id: str) -> str:
    return ROOM_CHANNEL + room_id + MEETING_SUFFIX


class RedisBus(Bus):
    def __init__(self, url: str, *, presence_ttl: float, heartbeat_interval: float) -> None:
        super().__init__()
        self._redis = aioredis.Redis.from_url(
            url,
            socket_timeout=COMMAND_TIMEOUT,
            socket_connect_timeout=COMMAND_TIMEOUT,
            retry=Retry(NoBackoff(), 0),  # failures surface at once; the listener reconnects
        )
        self._reap = self._redis.register_script(REAP_SCRIPT)
        self._remove = self._redis.register_script(REMOVE_SCRIPT)
        self._swap = self._redis.register_script(SWAP_SCRIPT)
        self._presence_ttl_ms = int(presence_ttl * 1000)
        self._heartbeat_interval = heartbeat_interval
        self._sender = self.instance_id.encode()
        self._alive_key = self._liveness_key(self.instance_id)
        self._rooms_key = self._rooms_key_of(self.instance_id)
        self._shares_key = self._shares_key_of(self.instance_id)
        self._own_channel = (PREFIX + "instance:" + self.instance_id).encode()
        """Always subscribed: each heartbeat publishes an echo on it, and a listener that stops
        hearing it is on a dead connection (a vanished host sends no reset) and reconnects."""
        self._last_echo = 0.0
        self._echo_waiters: set[asyncio.Future[None]] = set()

        self._rooms: set[str] = set()
        """Rooms whose channel this instance wants, whether or not Redis is reachable now."""
        self._local: dict[str, dict[str, bytes]] = {}
        """This instance's participants: the truth its roster entries are restored from."""
        self._unannounced: set[tuple[str, str]] = set()
        """Departures that could not reach Redis; announced once it is back."""
        self._shares: dict[str, int] = {}
        """This instance's share of each counter (`<set name>:<key>`, never 0): the truth its
        hash in Redis is restored from."""
        self._presence_stale = False
        self._presence_lock = asyncio.Lock()
        self._pubsub: PubSub | None = None
        """The listener's connection while it is subscribed to every wanted room; else None."""
        self._live_since: float | None = None
        """When the listener's current connection became live (monotonic clock)."""
        self._confirmations: dict[bytes, asyncio.Future[None]] = {}
        self._tasks: list[asyncio.Task[None]] = []

    @staticmethod
    def _liveness_key(instance_id: str) -> str:
        return PREFIX + "instance:" + instance_id + ":alive"

    @staticmethod
    def _rooms_key_of(instance_id: str) -> str:
        return PREFIX + "instance:" + instance_id + ":rooms"

    @staticmethod
    def _eviction_key(instance_id: str) -> str:
        return PREFIX + "instance:" + instance_id + ":evicted"

    @staticmethod
    def _shares_key_of(instance_id: str) -> str:
        return PREFIX + "instance:" + instance_id + ":counters"

    async def connect(
        self, on_event: EventHandler, on_departure: DepartureHandler, on_eviction: EvictionHandler
    ) -> None:
        self._on_event = on_event
        self._on_departure = on_departure
        self._on_eviction = on_eviction
        self._tasks = [
            asyncio.create_task(self._listen_forever(), name="redis-bus-listener"),
            asyncio.create_task(self._keep_alive(), name="redis-bus-presence"),
        ]

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(*REDIS_ERRORS):
            async with asyncio.timeout(COMMAND_TIMEOUT):
                pipe = self._redis.pipeline(transaction=True)
                for room_id, members in self._local.items():
                    pipe.hdel(_roster_key(room_id), *members)
                pipe.delete(self._alive_key, self._rooms_key, self._shares_key)
                pipe.srem(INSTANCES, self.instance_id)
                await pipe.execute()
        await self._redis.aclose()

    async def ping(self) -> None:
        """Pass only when an echo goes through Redis and comes back on the listener's connection."""
        if self._pubsub is None:
            raise BusUnavailable("not connected to Redis")
        heard = asyncio.get_running_loop().create_future()
        self._echo_waiters.add(heard)
        try:
            async with asyncio.timeout(COMMAND_TIMEOUT):
                await self._redis.publish(self._own_channel, self._sender)
                await heard
        except REDIS_ERRORS as error:
            raise BusUnavailable(f"Redis: {error or 'no echo'}") from error
        finally:
            self._echo_waiters.discard(heard)

    # Fan-out

    async def subscribe(self, room_id: str) -> None:
        """Returns once Redis confirmed the subscription, so no later event can be missed."""
        self._rooms.add(room_id)
        pubsub = self._pubsub
        if pubsub is None:
            return  # the listener subscribes it when it connects
        channel = _channel(room_id).encode()
        confirmed = self._confirmations[channel] = asyncio.get_running_loop().create_future()
        try:
            async with asyncio.timeout(COMMAND_TIMEOUT):
                await pubsub.subscribe(channel)
                await confirmed
        except REDIS_ERRORS as error:
            raise BusUnavailable(f"Redis: {error}") from error
        finally:
            self._confirmations.pop(channel, None)

    async def unsubscribe(self, room_id: str) -> None:
        self._rooms.discard(room_id)
        pubsub = self._pubsub
        if pubsub is not None:
            with contextlib.suppress(*REDIS_ERRORS):
                await pubsub.unsubscribe(_channel(room_id))

    async def publish(self, room_id: str, payload: bytes) -> None:
        await self._publish(_channel(room_id).encode(), payload)

    async def publish_revocation(self, payload: bytes) -> None:
        await self._publish(REVOCATIONS, payload)

    async def _publish(self, channel: bytes, payload: bytes) -> None:
        if self._pubsub is None:
            raise BusUnavailable("not connected to Redis")
        try:
            await self._redis.publish(channel, self._sender + payload)
        except REDIS_ERRORS as error:
            raise BusUnavailable(f"Redis: {error}") from error

    async def _listen_forever(self) -> None:
        delay = RECONNECT_DELAYS[0]
        while True:
            try:
                await self._listen()
            except REDIS_ERRORS as error:
                log.warning("lost Redis (%s); reconnecting", error)
            except Exception:
                log.exception("bus listener failed; reconnecting")
            if self._live_since is not None:
                delay = RECONNECT_DELAYS[0]
            await asyncio.sleep(random.uniform(delay / 2, delay))  # noqa: S311 (jitter)
            delay = min(delay * 2, RECONNECT_DELAYS[1])

    async def _listen(self) -> None:
        """One connection's life: subscribe to every wanted room, restore presence, relay."""
        self._live_since = None
        pubsub = self._redis.pubsub()
        try:
            wanted = set(self._rooms)
            await pubsub.subscribe(self._own_channel, REVOCATIONS, *map(_channel, wanted))
            evicted = await self._register()
            self._pubsub, self._live_since = pubsub, time.monotonic()
            self._last_echo = self._live_since
            if joined := self._rooms - wanted:  # rooms wanted while this was connecting
                await pubsub.subscribe(*map(_channel, joined))
            if left := wanted - self._rooms:
                await pubsub.unsubscribe(*map(_channel, left))
            log.info("bus connected: instance %s", self.instance_id)
            if evicted:
                await self._evicted()
            echo_deadline = ECHO_MISSES * self._heartbeat_interval
            while time.monotonic() - self._last_echo < echo_deadline:
                message = await pubsub.get_message(timeout=self._heartbeat_interval)
                if message is not None:
                    self._dispatch(message)
            raise RedisConnectionError("the listener's connection stopped delivering")
        finally:
            self._pubsub = None
            for waiter in (*self._confirmations.values(), *self._echo_waiters):
                if not waiter.done():
                    waiter.set_exception(BusUnavailable("lost the connection to Redis"))
            with contextlib.suppress(*REDIS_ERRORS):
                await pubsub.aclose()  # type: ignore[no-untyped-call]

    def _dispatch(self, message: dict[str, Any]) -> None:
        channel: bytes = message["channel"]
        if channel == self._own_channel:
            self._last_echo = time.monotonic()
            if message["type"] == "message" and message["data"].startswith(HEARTBEAT):
                self.echo_lag = self._last_echo - float(message["data"][len(HEARTBEAT) :])
            for waiter in self._echo_waiters:
                if not waiter.done():
                    waiter.set_result(None)
            return
        if message["type"] == "subscribe":
            confirmed = self._confirmations.get(channel)
            if confirmed is not None and not confirmed.done():
                confirmed.set_result(None)
            return
        data: bytes = message["data"]
        if message["type"] != "message" or data[:ID_LENGTH] == self._sender:
            return
        if channel == REVOCATIONS:
            try:
                self._on_revocation(data[ID_LENGTH:])
            except Exception:
                log.exception("failed to handle a revocation")
            return
        room_id = channel.decode().removeprefix(ROOM_CHANNEL)
        try:
            self._on_event(room_id, data[ID_LENGTH:])
        except Exception:
            log.exception("failed to handle a bus event for room %s", room_id)

    # Presence

    async def add_participant(self, room_id: str, participant_id: str, info: bytes) -> None:
        """Kept locally at once; written to Redis now if it can be, else when it is back."""
        self._local.setdefault(room_id, {})[participant_id] = info
        if self._pubsub is None:
            return
        try:
            async with self._presence_lock:
                pipe = self._redis.pipeline(transaction=True)
                pipe.hset(_roster_key(room_id), participant_id, self._sender + info)
                pipe.sadd(self._rooms_key, room_id)
                await pipe.execute()
        except REDIS_ERRORS as error:
            log.warning("could not record a participant in Redis (%s); will retry", error)
            self._presence_stale = True

    async def remove_participant(self, room_id: str, participant_id: str) -> None:
        """Dropped locally at once; a departure Redis did not take is announced once it is back."""
        members = self._local.get(room_id, {})
        members.pop(participant_id, None)
        if not members:
            self._local.pop(room_id, None)
        if self._pubsub is None:
            self._unannounced.add((room_id, participant_id))
            return
        try:
            await self._remove_entry(room_id, participant_id)
        except REDIS_ERRORS as error:
            log.warning("could not remove a participant from Redis (%s); will retry", error)
            self._unannounced.add((room_id, participant_id))

    async def _remove_entry(self, room_id: str, participant_id: str) -> None:
        async with self._presence_lock:
            await self._remove(
                keys=[_roster_key(room_id), self._rooms_key],
                args=[self.instance_id, participant_id, room_id, int(room_id not in self._local)],
            )

    async def participants(self, room_id: str) -> dict[str, bytes]:
        """The room's roster, leaving out entries of instances that are no longer alive."""
        if self._pubsub is None:
            raise BusUnavailable("not connected to Redis")
        try:
            entries: dict[bytes, bytes] = await self._redis.hgetall(_roster_key(room_id))  # type: ignore[assignment]
            living = await self._living({value[:ID_LENGTH].decode() for value in entries.values()})
        except REDIS_ERRORS as error:
            raise BusUnavailable(f"Redis: {error}") from error
        return {
            participant.decode(): value[ID_LENGTH:]
            for participant, value in entries.items()
            if value[:ID_LENGTH].decode() in living
        }

    # Meeting state: a hash per room

    async def meeting(self, room_id: str) -> dict[str, bytes]:
        try:
            fields: dict[bytes, bytes] = await self._redis.hgetall(_meeting_key(room_id))  # type: ignore[assignment]
        except REDIS_ERRORS as error:
            raise BusUnavailable(f"Redis: {error}") from error
        return {name.decode(): value for name, value in fields.items()}

    async def set_meeting(
        self, room_id: str, field: str, value: bytes | None, *, if_absent: bool = False
    ) -> bool:
        key = _meeting_key(room_id)
        try:
            if value is None:
                await self._redis.hdel(key, field)
                return True
            pipe = self._redis.pipeline(transaction=True)
            if if_absent:
                pipe.hsetnx(key, field, value)
            else:
                pipe.hset(key, field, value)
            pipe.expire(key, MEETING_TTL)
            written, _ = await pipe.execute()
        except REDIS_ERRORS as error:
            raise BusUnavailable(f"Redis: {error}") from error
        return bool(written) or not if_absent

    async def swap_meeting(
        self, room_id: str, field: str, expected: bytes | None, value: bytes | None
    ) -> bool:
        arguments = [
            field, b"0" if expected is None else b"1", expected or b"",
            b"0" if value is None else b"1", value or b"", MEETING_TTL,
        ]  # fmt: skip
        try:
            written = await self._swap(keys=[_meeting_key(room_id)], args=arguments)
        except REDIS_ERRORS as error:
            raise BusUnavailable(f"Redis: {error}") from error
        return bool(written)

    async def add_to_counter(self, name: str, key: str, delta: int) -> None:
        """Kept locally at once; written to Redis now if it can be, else when it is back."""
        field = f"{name}:{key}"
        if not (share := self._shares.get(field, 0) + delta):
            self._shares.pop(field, None)
        else:
            self._shares[field] = share
        try:
            async with self._presence_lock:
                if share := self._shares.get(field, 0):  # as it is now: the last write wins
                    await self._redis.hset(self._shares_key, field, share)
                else:
                    await self._redis.hdel(self._shares_key, field)
        except REDIS_ERRORS as error:
            log.warning("could not record a counter in Redis (%s); will retry", error)
            self._presence_stale = True

    async def counters(self, name: str) -> dict[str, int]:
        """This instance's own shares, and those of the other instances alive."""
        try:
            members: set[bytes] = await self._redis.smembers(INSTANCES)  # type: ignore[assignment]
            others = {member.decode() for member in members} - {self.instance_id}
            pipe = self._redis.pipeline(transaction=False)
            for instance_id in sorted(await self._living(others)):
                pipe.hgetall(self._shares_key_of(instance_id))
            hashes: list[dict[bytes, bytes]] = await pipe.execute()
        except REDIS_ERRORS as error:
            raise BusUnavailable(f"Redis: {error}") from error
        shares = [list(self._shares.items())]
        shares += [[(field.decode(), int(value)) for field, value in h.items()] for h in hashes]
        totals: dict[str, int] = {}
        prefix = name + ":"
        for share in shares:
            for field, value in share:
                if field.startswith(prefix):
                    key = field.removeprefix(prefix)
                    totals[key] = totals.get(key, 0) + value
        return {key: total for key, total in totals.items() if total}

    async def alive(self, instance_id: str) -> bool:
        if instance_id == self.instance_id:
            return True
        try:
            return bool(await self._living({instance_id}))
        except REDIS_ERRORS as error:
            raise BusUnavailable(f"Redis: {error}") from error

    async def clear_meeting(self, room_id: str) -> None:
        try:
            await self._redis.delete(_meeting_key(room_id))
        except REDIS_ERRORS as error:
            raise BusUnavailable(f"Redis: {error}") from error

    async def _register(self) -> bool:
        """Mark this instance alive and write all of its participants (Redis may have lost them);
        learn the epoch.

        True when the other instances had taken this one for dead in the meantime.
        """
        async with self._presence_lock:
            pipe = self._redis.pipeline(transaction=True)
            pipe.getdel(self._eviction_key(self.instance_id))
            pipe.set(EPOCH, uuid.uuid4().hex, nx=True)
            pipe.get(EPOCH)
            pipe.set(self._alive_key, b"1", px=self._presence_ttl_ms)
            pipe.sadd(INSTANCES, self.instance_id)
            for room_id, members in self._local.items():
                pipe.hset(
                    _roster_key(room_id),
                    mapping={pid: self._sender + info for pid, info in members.items()},
                )
                pipe.sadd(self._rooms_key, room_id)
            pipe.delete(self._shares_key)
            if self._shares:
                pipe.hset(self._shares_key, mapping=dict(self._shares.items()))
            notice, _, epoch, *_ = await pipe.execute()
            self.epoch = epoch.decode()
            self._presence_stale = False
        return notice is not None

    async def _evicted(self) -> None:
        log.warning("the other instances took this one for dead; its clients must rejoin")
        await self._on_eviction()

    async def _keep_alive(self) -> None:
        """Echo to the listener, refresh liveness, finish pending departures, reap the dead."""
        while True:
            await asyncio.sleep(self._heartbeat_interval)
            if self._pubsub is None:
                continue
            try:
                await self._redis.publish(
                    self._own_channel, b"%s%f" % (HEARTBEAT, time.monotonic())
                )
                refreshed = await self._redis.pexpire(self._alive_key, self._presence_ttl_ms)
                if (not refreshed or self._presence_stale) and await self._register():
                    await self._evicted()
                await self._announce_departures()
                await self._reap_dead_instances()
            except REDIS_ERRORS as error:
                log.warning("presence upkeep failed (%s)", error)
            except Exception:
                log.exception("presence upkeep failed")

    async def _announce_departures(self) -> None:
        """Departures that happened while Redis was away, once the other instances are back too.

        An instance that has not resubscribed within the presence TTL counts as dead anyway.
        """
        if self._live_since is None:  # the listener dropped again meanwhile
            return
        if time.monotonic() - self._live_since < self._presence_ttl_ms / 1000:
            return
        for room_id, participant_id in sorted(self._unannounced):
            await self._remove_entry(room_id, participant_id)
            await self._on_departure(room_id, participant_id)
            self._unannounced.discard((room_id, participant_id))

    async def _living(self, instance_ids: set[str]) -> set[str]:
        """Those of these instances whose liveness key has not expired."""
        ordered = sorted(instance_ids)
        pipe = self._redis.pipeline(transaction=False)
        for instance_id in ordered:
            pipe.exists(self._liveness_key(instance_id))
        alive = await pipe.execute()
        return {instance_id for instance_id, up in zip(ordered, alive, strict=True) if up}

    async def _reap_dead_instances(self) -> None:
        members: set[bytes] = await self._redis.smembers(INSTANCES)  # type: ignore[assignment]
        registered = {member.decode() for member in members}
        registered.discard(self.instance_id)
        for dead in sorted(registered - await self._living(registered)):
            gone: list[bytes] = await self._reap(
                keys=[
                    INSTANCES,
                    self._rooms_key_of(dead),
                    self._liveness_key(dead),
                    self._eviction_key(dead),
                    self._shares_key_of(dead),
                ],
                args=[dead, ROOM_CHANNEL, ROSTER_SUFFIX, EVICTION_NOTICE_TTL],
            )
            if gone:
                log.info("instance %s is gone; %d participants left", dead, len(gone) // 2)
            for room, participant in zip(gone[::2], gone[1::2], strict=True):
                await self._on_departure(room.decode(), participant.decode())
