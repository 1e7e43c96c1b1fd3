"""The servers under test: Glimpse, the Socket.IO baseline and the raw `ws` server.

Each is started pinned to its own core, seeded with the same users and rooms, and handed the
same access tokens (HS256 JWTs signed with Glimpse's secret, which the baseline verifies too).
"""

from __future__ import annotations

import asyncio
import os
import socket
import sqlite3
import subprocess
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from glimpse.auth.tokens import AccessTokens
from glimpse.settings import Settings
from glimpse.store import RoomRecord, UserRecord, open_store

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
GLIMPSE_BIN = REPO_DIR / ".venv" / "bin" / "glimpse"

GLIMPSE_BENCH_SETTINGS = {
    "GLIMPSE_CHAT_RATE": "1000000",
    "GLIMPSE_CHAT_BURST": "1000000",
    "GLIMPSE_MAX_ROOM_PARTICIPANTS": "1000",
    "GLIMPSE_MAX_SOCKETS_PER_ADDRESS": "1000000",  # every bench client comes from 127.0.0.1
    "GLIMPSE_MAX_UNAUTHENTICATED_SOCKETS": "1000000",
    "GLIMPSE_MAX_UNAUTHENTICATED_SOCKETS_PER_ADDRESS": "1000000",
    "GLIMPSE_MAX_CONNECTIONS": "12000",  # WebSockets get 10,800 of them: the 10,000 idle fit
    "GLIMPSE_ALLOWED_ORIGINS": "*",  # the browser metric's call page comes from another origin
}
"""Limits raised for the bench (the baselines have none); every other setting is the default."""

TOKEN_TTL_SECONDS = 6 * 3600
FAKE_PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$bench$bench"  # noqa: S105 (never verified)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Fixtures:
    """Users (one access token each) and room ids, the same for every server."""

    tokens: list[str]
    user_ids: list[str]
    room_ids: list[str]
    secret: str
    issuer: str
    audience: str
    seeded: set[str] = field(default_factory=set)
    """Servers whose database already holds the fixtures (a restart keeps its data)."""


def make_fixtures(data_dir: Path, users: int, rooms: int) -> Fixtures:
    settings = Settings(data_dir=data_dir)
    tokens = AccessTokens(
        settings.signing_secret, settings.jwt_issuer, settings.jwt_audience, TOKEN_TTL_SECONDS
    )
    user_ids = [uuid.uuid4().hex for _ in range(users)]
    return Fixtures(
        tokens=[tokens.issue(user_id, uuid.uuid4().hex) for user_id in user_ids],
        user_ids=user_ids,
        room_ids=[uuid.uuid4().hex for _ in range(rooms)],
        secret=settings.signing_secret,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )


async def _seed_glimpse(data_dir: Path, fixtures: Fixtures) -> None:
    """Users and rooms through Glimpse's own store (no argon2 per user: they never log in)."""
    store = open_store(Settings(data_dir=data_dir).resolved_database_url)
    await store.connect()
    now = datetime.now(UTC)
    try:
        for index, user_id in enumerate(fixtures.user_ids):
            await store.create_user(
                UserRecord(
                    user_id, f"u{index}@bench.invalid", f"User {index}", FAKE_PASSWORD_HASH, now
                )
            )
        for index, room_id in enumerate(fixtures.room_ids):
            await store.create_room(
                RoomRecord(
                    room_id, f"bench-{index}", f"Room {index}", fixtures.user_ids[0], None, now
                )
            )
    finally:
        await store.close()


def _seed_baseline(db_path: Path, fixtures: Fixtures) -> None:
    with sqlite3.connect(db_path) as db:
        db.executemany(
            "INSERT INTO users (id, display_name) VALUES (?, ?)",
            [(user_id, f"User {index}") for index, user_id in enumerate(fixtures.user_ids)],
        )
        db.executemany(
            "INSERT INTO rooms (id, name) VALUES (?, ?)",
            [(room_id, f"Room {index}") for index, room_id in enumerate(fixtures.room_ids)],
        )


def _wait_healthy(port: int, path: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not become healthy within 30 s")


def _raise_fd_limit() -> None:
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(65536, hard), hard))


@dataclass
class RunningServer:
    name: str
    protocol: str
    port: int
    process: subprocess.Popen[bytes]
    settings: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_server(
    name: str,
    work_dir: Path,
    fixtures: Fixtures,
    core: int,
    glimpse_command: list[str] | None = None,
) -> RunningServer:
    """Start one server pinned to `core`, seeded with the fixtures, and wait until it serves.

    `glimpse_command` replaces `glimpse serve --port {port}`, to compare server variants.
    """
    port = free_port()
    pin = ["taskset", "-c", str(core)]
    log = (work_dir / f"{name}.log").open("wb")
    env = {**os.environ}
    if name == "glimpse":
        data_dir = work_dir / "glimpse-data"
        if name not in fixtures.seeded:
            asyncio.run(_seed_glimpse(data_dir, fixtures))
            fixtures.seeded.add(name)
        env.update(GLIMPSE_BENCH_SETTINGS, GLIMPSE_DATA_DIR=str(data_dir))
        command = [*pin, *(glimpse_command or [str(GLIMPSE_BIN), "serve", "--port", "{port}"])]
        command = [part.replace("{port}", str(port)) for part in command]
        server = RunningServer(
            name, "glimpse", port, _spawn(command, env, log), GLIMPSE_BENCH_SETTINGS
        )
        _wait_healthy(port, "/healthz", server.process)
        return server
    script = "socketio-server.js" if name == "socketio" else "ws-server.js"
    db_path = work_dir / f"{name}.db"
    env.update(
        PORT=str(port),
        DB_PATH=str(db_path),
        JWT_SECRET=fixtures.secret,
        JWT_ISSUER=fixtures.issuer,
        JWT_AUDIENCE=fixtures.audience,
    )
    command = [*pin, "node", str(BENCH_DIR / "baselines" / script)]
    server = RunningServer(
        name, "socketio" if name == "socketio" else "raw", port, _spawn(command, env, log)
    )
    _wait_healthy(port, "/health", server.process)
    if name == "socketio" and name not in fixtures.seeded:
        _seed_baseline(db_path, fixtures)
        fixtures.seeded.add(name)
    return server


def _spawn(command: list[str], env: dict[str, str], log: BinaryIO) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 (fixed commands)
        command, env=env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_raise_fd_limit
    )
