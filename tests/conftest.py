"""A real Glimpse server on a free port, real HTTP and WebSocket clients for it, and the real
services tests share: PostgreSQL, MongoDB (nx-27017) and redis-server.

PostgreSQL: a fresh database per test run on the local server (TEST_POSTGRES_URL overrides where).
MongoDB: an nx-27017 wire-protocol server started for the run on a free port, in memory.
Outside CI an unreachable service skips its tests; in CI (CI=true) it fails them.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import asyncpg  # type: ignore[import-untyped]  # no stubs; mypy reaches this file from bench/browser.py
import httpx
import pytest
import uvicorn
import uvloop
import websockets
from websockets.asyncio.client import ClientConnection

from glimpse.cli import uvicorn_config
from glimpse.limits import Rate
from glimpse.services import Services
from glimpse.settings import Settings

RECEIVE_TIMEOUT = 5.0
STOP_TIMEOUT = 30.0
"""Seconds the servers of a test have to stop (one whose sessions are stuck fails instead)."""
GENEROUS_LIMITS = {
    name: "100000/second"
    for name, field in Settings.model_fields.items()
    if field.annotation is Rate
}
"""Rate limits no test meets by accident (they all come from 127.0.0.1); dedicated tests set
low ones. As settings overrides; `limits_environment()` gives them as GLIMPSE_* variables."""
_counter = itertools.count()


def limits_environment() -> dict[str, str]:
    return {f"GLIMPSE_{name.upper()}": rate for name, rate in GENEROUS_LIMITS.items()}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RunningServer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.base_url = f"http://{settings.host}:{settings.port}"
        self.ws_url = f"ws://{settings.host}:{settings.port}/ws"
        self.http = httpx.AsyncClient(base_url=self.base_url, timeout=10)

    async def register(self, name: str | None = None, password: str = "correct horse") -> User:
        """Sign up a new user; returns its access token and a client holding its refresh cookie."""
        name = name or f"user{next(_counter)}"
        client = httpx.AsyncClient(base_url=self.base_url, timeout=10)
        response = await client.post(
            "/api/auth/register",
            json={"email": f"{name}-{next(_counter)}@example.org", "display_name": name,
                  "password": password},
        )  # fmt: skip
        assert response.status_code == 201, response.text
        body = response.json()
        return User(body["user"], body["access_token"], client)

    async def create_room(self, owner: User, name: str = "Room", **extra: Any) -> dict[str, Any]:
        response = await self.http.post(
            "/api/rooms", json={"name": name, **extra}, headers=owner.headers
        )
        assert response.status_code == 201, response.text
        room: dict[str, Any] = response.json()
        return room

    async def guest(self, code: str, name: str = "Guest") -> Guest:
        """A guest of the room whose invite code this is (its credential)."""
        response = await self.http.post(f"/api/invites/{code}/guests", json={"display_name": name})
        assert response.status_code == 201, response.text
        return Guest(response.json())

    async def ann_and_bob_in_a_room(self) -> tuple[WsClient, WsClient, dict[str, Any]]:
        """Ann and Bob joined to a new room of Ann's; the room dict also holds their participant
        ids under "ann" and "bob". Ann has heard Bob join."""
        ann, bob = await self.register("Ann"), await self.register("Bob")
        room = await self.create_room(ann)
        a, b = await self.connect(ann), await self.connect(bob)
        room["ann"] = (await a.join(room["code"]))["participant_id"]
        room["bob"] = (await b.join(room["code"]))["participant_id"]
        await a.expect("participant-joined")
        return a, b, room

    async def connect(self, user: User | Guest | str | None = None) -> WsClient:
        """A WebSocket client, authenticated when given a user, a guest or a token."""
        client = WsClient(await websockets.connect(self.ws_url, max_size=None))
        if user is not None:
            token = user if isinstance(user, str) else user.token
            await client.send({"type": "auth", "token": token})
            await client.expect("authenticated")
        return client

    async def log_in_again(self, user: User) -> str:
        """An access token of a second login session of the user (another device)."""
        async with httpx.AsyncClient(base_url=self.base_url, timeout=10) as device:
            response = await device.post(
                "/api/auth/login",
                json={"email": user.profile["email"], "password": "correct horse"},
            )
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token


class InProcessServer(RunningServer):
    """A server this test process runs (the `start_server` fixture), which a test may stop."""

    def __init__(
        self, settings: Settings, server: uvicorn.Server, task: asyncio.Task[None]
    ) -> None:
        super().__init__(settings)
        self._server = server
        self._task = task

    @property
    def services(self) -> Services:
        """The running server's services (a test may hold one of their calls, see tests/gate.py)."""
        services: Services = self._server.lifespan.state["services"]
        return services

    async def stop(self) -> None:
        """Shut the server down as on SIGTERM, and wait until it has."""
        if self._task.done():
            return
        self._server.should_exit = True
        await self.http.aclose()
        await self._task


class User:
    def __init__(self, profile: dict[str, Any], token: str, http: httpx.AsyncClient) -> None:
        self.profile = profile
        self.id: str = profile["id"]
        self.name: str = profile["display_name"]
        self.token = token
        self.http = http
        """Keeps this user's refresh cookie."""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Guest:
    """A guest's credential, as POST /api/invites/{code}/guests gave it."""

    def __init__(self, credential: dict[str, Any]) -> None:
        self.credential = credential
        self.id: str = credential["guest_id"]
        self.name: str = credential["display_name"]
        self.room_id: str = credential["room_id"]
        self.token: str = credential["token"]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class WsClient:
    """A real WebSocket client speaking the Glimpse protocol; pings are answered and skipped."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def send_raw(self, frame: str | bytes) -> None:
        await self.connection.send(frame)

    async def recv(self, timeout: float = RECEIVE_TIMEOUT) -> dict[str, Any]:
        while True:
            async with asyncio.timeout(timeout):
                frame = await self.connection.recv()
            message: dict[str, Any] = json.loads(frame)
            if message["type"] == "ping":
                await self.send({"type": "pong"})
                continue
            return message

    async def expect(self, type_: str, timeout: float = RECEIVE_TIMEOUT) -> dict[str, Any]:
        """The next message, which must be of this type."""
        message = await self.recv(timeout)
        assert message["type"] == type_, f"expected {type_}, got {message}"
        return message

    async def nothing_more(self, within: float = 0.3) -> None:
        """Assert that no message (other than pings) arrives for a while."""
        with contextlib.suppress(TimeoutError):
            message = await self.recv(timeout=within)
            raise AssertionError(f"unexpected message {message}")

    async def join(self, room: str, **extra: Any) -> dict[str, Any]:
        await self.send({"type": "join", "room": room, **extra})
        return await self.expect("joined")

    async def chat(self, text: str, client_id: str | None = None) -> dict[str, Any]:
        await self.send(
            {"type": "chat", "client_id": client_id or f"m{next(_counter)}", "text": text}
        )
        ack = await self.expect("ack")
        message: dict[str, Any] = ack["message"]
        return message

    async def close_code(self, timeout: float = RECEIVE_TIMEOUT) -> int | None:
        """Wait for the server to close the socket (reading past anything queued)."""
        with contextlib.suppress(websockets.ConnectionClosed):
            async with asyncio.timeout(timeout):
                while True:
                    await self.connection.recv()
        return self.connection.close_code

    async def still_open(self) -> None:
        """Assert that the socket still answers requests (outside a room)."""
        await self.send({"type": "leave", "ref": "alive?"})
        assert (await self.expect("error"))["code"] == "not_in_room"

    async def close(self) -> None:
        await self.connection.close()

    def drop(self) -> None:
        """Lose the connection without a close frame (a network that went away)."""
        self.connection.transport.abort()


async def wait_until(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    """Poll `check` until it holds; fail with `what` after `timeout` seconds."""
    try:
        async with asyncio.timeout(timeout):
            while not await check():  # noqa: ASYNC110 (the state is elsewhere: a server, a process)
                await asyncio.sleep(0.1)
    except TimeoutError:
        raise AssertionError(f"{what} (after {timeout} s)") from None


ServerFactory = Callable[..., Awaitable[InProcessServer]]


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    """Every test runs on uvloop, the loop `glimpse serve` runs on (its transports differ)."""
    return {"uvloop": uvloop.new_event_loop}


SLOW_TIMEOUT = 300
"""Seconds per test for browsers (e2e/) and process clusters (cluster/): pyproject sets 120."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    slow = [Path(__file__).parent / name for name in ("e2e", "cluster")]
    for item in items:
        if any(item.path.is_relative_to(folder) for folder in slow):
            item.add_marker(pytest.mark.timeout(SLOW_TIMEOUT))


@pytest.fixture
async def start_server(tmp_path: Path) -> AsyncIterator[ServerFactory]:
    """Start real servers (uvicorn, as `glimpse serve` runs it) with settings overrides."""
    running: list[InProcessServer] = []

    async def start(**overrides: Any) -> InProcessServer:
        values: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": free_port(),
            "data_dir": tmp_path / f"data{len(running)}",
            **GENEROUS_LIMITS,
        }
        values.update(overrides)
        settings = Settings(**values)
        server = uvicorn.Server(uvicorn_config(settings))
        server.config.log_level = "warning"
        task = asyncio.create_task(server.serve())
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        handle = InProcessServer(settings, server, task)
        running.append(handle)
        return handle

    yield start
    async with asyncio.timeout(STOP_TIMEOUT):  # pytest-timeout no longer guards a failed test
        for handle in running:
            await handle.stop()


@pytest.fixture
async def server(start_server: ServerFactory) -> RunningServer:
    return await start_server()


POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
MONGO_START_TIMEOUT = 30.0
BACKENDS = ["sqlite", "postgresql", "mongodb"]


def service_unavailable(message: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI must provide it)", pytrace=False)
    pytest.skip(message)


async def create_postgres_database() -> str:
    """A new, empty database on the test server; returns its URL."""
    name = f"glimpse_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


async def drop_postgres_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=5)
    try:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    """A database for this test run, so runs on one server don't collide."""
    try:
        url = asyncio.run(create_postgres_database())
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        service_unavailable(f"PostgreSQL at {POSTGRES_ADMIN_URL} unreachable: {error}")
    yield url
    asyncio.run(drop_postgres_database(url))


@pytest.fixture
async def postgres_database(postgresql_url: str) -> AsyncIterator[str]:
    """A fresh PostgreSQL database for this test alone, dropped afterwards."""
    url = await create_postgres_database()
    yield url
    await drop_postgres_database(url)


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + MONGO_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            service_unavailable(f"nx-27017 exited with code {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    service_unavailable(f"nx-27017 did not listen on port {port}")


@pytest.fixture(scope="session")
def mongodb_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An in-memory nx-27017 server for this test run."""
    binary = shutil.which("nx-27017", path=str(Path(sys.executable).parent)) or shutil.which(
        "nx-27017"
    )
    if binary is None:
        service_unavailable("nx-27017 is not installed (pip install -e '.[test]')")
    folder = tmp_path_factory.mktemp("nx-27017")
    port = free_port()
    command = [binary, "--db", "memory", "-p", str(port), "--log-file", str(folder / "log"),
               "--pid-file", str(folder / "pid")]  # fmt: skip
    process = subprocess.Popen(  # noqa: S603 (our own test server)
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        _wait_for_port(port, process)
        yield f"mongodb://127.0.0.1:{port}/glimpse_test_{uuid.uuid4().hex[:12]}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The database URL of one backend: a new SQLite file, or the run's PostgreSQL or MongoDB."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'glimpse.db'}"
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


class RedisServer:
    """A redis-server of the test's own (on a free port, nothing kept on disk), which the test
    may stop and start again; nothing else shares its keys and channels."""

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


@pytest.fixture
async def redis_server(tmp_path: Path) -> AsyncIterator[RedisServer]:
    server = RedisServer(tmp_path)
    try:
        await server.start()
        yield server
    finally:
        await server.stop()
