"""A real Glimpse server on a free port, and real HTTP and WebSocket clients for it."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

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

    async def connect(self, user: User | None = None) -> WsClient:
        """A WebSocket client, authenticated as `user` when given."""
        client = WsClient(await websockets.connect(self.ws_url, max_size=None))
        if user is not None:
            await client.send({"type": "auth", "token": user.token})
            await client.expect("authenticated")
        return client


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

    async def close(self) -> None:
        await self.connection.close()


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
