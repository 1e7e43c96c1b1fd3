"""Several real `glimpse serve` processes on one database and one Redis, as in production.

Each test gets its own redis-server (on a free port, nothing kept on disk, so it can be stopped
and restarted), its own PostgreSQL database, and instances started with GLIMPSE_* variables.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import RedisServer
from tests.server_process import (
    GLIMPSE_SERVE,
    ServerProcess,
    server_environment,
    start_server_process,
)
from tests.sfu.conftest import janus, second_janus  # noqa: F401 (fixtures)
from tests.tcp_relay import TcpRelay, tcp_relay


class Cluster:
    """Instances sharing one database, one Redis and one signing secret."""

    def __init__(self, folder: Path, database_url: str, redis: RedisServer) -> None:
        self.folder = folder
        self.database_url = database_url
        self.redis = redis
        self.bus_url = redis.url
        """Where instances started from now on reach Redis."""
        self.secret = secrets.token_urlsafe(48)
        self.instances: list[ServerProcess] = []

    def environment(self, **extra: str) -> dict[str, str]:
        """The environment every instance of this cluster shares."""
        return server_environment(
            GLIMPSE_DATABASE_URL=self.database_url,
            GLIMPSE_BUS_URL=self.bus_url,
            GLIMPSE_SECRET_KEY=self.secret,
            **extra,
        )

    async def start(self, **extra: str) -> ServerProcess:
        """One more instance, once it is ready (its database and its bus reachable)."""
        folder = self.folder / f"instance{len(self.instances)}"
        environment = self.environment(**extra)
        instance = await start_server_process(GLIMPSE_SERVE, folder, environment=environment)
        self.instances.append(instance)
        await instance.wait_ready()
        return instance

    async def stop(self) -> None:
        await asyncio.gather(*(instance.stop() for instance in self.instances))


@pytest.fixture
async def redis_link(redis_server: RedisServer) -> AsyncIterator[TcpRelay]:
    """A relay to the test's Redis, which the test may cut."""
    async with tcp_relay(redis_server.port) as relay:
        yield relay


@pytest.fixture
async def cluster(
    tmp_path: Path, postgres_database: str, redis_server: RedisServer
) -> AsyncIterator[Cluster]:
    running = Cluster(tmp_path, postgres_database, redis_server)
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def two(cluster: Cluster) -> tuple[ServerProcess, ServerProcess]:
    """Two instances of one cluster, started together."""
    first, second = await asyncio.gather(cluster.start(), cluster.start())
    return first, second
