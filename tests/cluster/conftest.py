"""Several real `glimpse serve` processes on one database and one Redis, as in production.

Each test gets its own redis-server (on a free port, nothing kept on disk, so it can be stopped
and restarted), its own PostgreSQL database, and instances started with GLIMPSE_* variables.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shutil
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
import httpx
import pytest

from glimpse.settings import Settings
from tests.conftest import RunningServer, free_port, limits_environment

POSTGRES_URL = "postgresql://127.0.0.1:5432/test"
STARTUP_TIMEOUT = 30.0
GLIMPSE = str(Path(sys.executable).with_name("glimpse"))


async def wait_until(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    """Poll `check` until it holds; fail with `what` after `timeout` seconds."""
    async with asyncio.timeout(timeout):
        while not await check():  # noqa: ASYNC110 (the state is in another process)
            await asyncio.sleep(0.1)
    assert await check(), what


class RedisServer:
    """A redis-server of the test's own, which the test may stop and start again."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._folder = folder
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed (.ci/services.sh installs it)"
        self._process = await asyncio.create_subprocess_exec(
            binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
            "--appendonly", "no", "--dir", str(self._folder),
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        await wait_until(self._answers, 10, "redis-server did not start")

    async def _answers(self) -> bool:
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", self.port)
            writer.close()
            return True
        return False

    async def stop(self) -> None:
        """Kill the server: everything it held is gone, as after a crash without persistence."""
        if self._process is not None:
            self._process.kill()
            await self._process.wait()
            self._process = None


class RedisLink:
    """A TCP relay to Redis that can go silent, like a network path to a host that vanished.

    `cut()` makes every connection, open or new, swallow what it is sent and answer nothing;
    `restore()` lets new connections through again, while those cut stay dead.
    """

    def __init__(self, redis: RedisServer) -> None:
        self._redis_port = redis.port
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._generation = 0
        self._open_generation = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.port)

    def cut(self) -> None:
        self._generation += 1

    def restore(self) -> None:
        self._open_generation = self._generation = self._generation + 1

    async def _relay(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        generation = self._generation
        alive = generation == self._open_generation
        redis_in, redis_out = await asyncio.open_connection("127.0.0.1", self._redis_port)

        async def pump(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            while data := await source.read(65536):
                if alive and self._generation == generation:
                    sink.write(data)
                    await sink.drain()
            sink.close()

        pumps = {asyncio.create_task(pump(client_in, redis_out)),
                 asyncio.create_task(pump(redis_in, client_out))}  # fmt: skip
        self._tasks |= pumps
        await asyncio.wait(pumps)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


class Instance(RunningServer):
    """One `glimpse serve` process."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        super().__init__(Settings(host="127.0.0.1", port=int(env["GLIMPSE_PORT"])))
        self.log = log
        with log.open("wb") as output:
            self.process = subprocess.Popen(  # noqa: S603 (the package's own command)
                [GLIMPSE, "serve"], env=env, stdout=output, stderr=subprocess.STDOUT
            )

    async def ready(self) -> bool:
        """GET /readyz answers 200 (database and bus reachable)."""
        assert self.process.poll() is None, f"instance exited:\n{self.log.read_text()}"
        try:
            response = await self.http.get("/readyz")
        except httpx.TransportError:
            return False
        return response.status_code == 200

    async def wait_ready(self) -> None:
        await wait_until(self.ready, STARTUP_TIMEOUT, f"not ready:\n{self.log.read_text()}")

    def kill(self) -> None:
        """kill -9: no cleanup, no goodbye to the bus."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    async def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(asyncio.to_thread(self.process.wait), 10)
            except TimeoutError:
                self.kill()
        await self.http.aclose()


class Cluster:
    """Instances sharing one database, one Redis and one signing secret."""

    def __init__(self, folder: Path, database_url: str, redis: RedisServer) -> None:
        self.folder = folder
        self.database_url = database_url
        self.redis = redis
        self.bus_url = redis.url
        """Where instances started from now on reach Redis."""
        self.secret = secrets.token_urlsafe(48)
        self.instances: list[Instance] = []

    def environment(self, **extra: str) -> dict[str, str]:
        """The GLIMPSE_* settings every instance of this cluster shares."""
        return {
            "PATH": f"{Path(sys.executable).parent}:/usr/sbin:/usr/bin:/sbin:/bin",
            "GLIMPSE_DATABASE_URL": self.database_url,
            "GLIMPSE_BUS_URL": self.bus_url,
            "GLIMPSE_SECRET_KEY": self.secret,
            **limits_environment(),
            **extra,
        }

    async def start(self) -> Instance:
        number = len(self.instances)
        env = self.environment(
            GLIMPSE_HOST="127.0.0.1",
            GLIMPSE_PORT=str(free_port()),
            GLIMPSE_DATA_DIR=str(self.folder / f"instance{number}"),
        )
        instance = Instance(env, self.folder / f"instance{number}.log")
        self.instances.append(instance)
        await instance.wait_ready()
        return instance

    async def stop(self) -> None:
        await asyncio.gather(*(instance.stop() for instance in self.instances))


@pytest.fixture
async def postgres_database() -> AsyncIterator[str]:
    """A fresh PostgreSQL database for this test, dropped afterwards."""
    name = f"glimpse_cluster_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(POSTGRES_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def redis_server(tmp_path: Path) -> AsyncIterator[RedisServer]:
    server = RedisServer(tmp_path)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def redis_link(redis_server: RedisServer) -> AsyncIterator[RedisLink]:
    link = RedisLink(redis_server)
    await link.start()
    yield link
    await link.stop()


@pytest.fixture
async def cluster(
    tmp_path: Path, postgres_database: str, redis_server: RedisServer
) -> AsyncIterator[Cluster]:
    running = Cluster(tmp_path, postgres_database, redis_server)
    yield running
    await running.stop()


@pytest.fixture
async def two(cluster: Cluster) -> tuple[Instance, Instance]:
    """Two instances of one cluster, started together."""
    first, second = await asyncio.gather(cluster.start(), cluster.start())
    return first, second
