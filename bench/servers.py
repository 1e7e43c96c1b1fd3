"""The servers under test: Glimpse, the Socket.IO baseline and the raw `ws` server, and for the
meeting mix Glimpse as two instances behind nginx (`glimpse-cluster`).

Each is started pinned to its own core, seeded with the same users and rooms, and handed the
same access tokens (HS256 JWTs signed with Glimpse's secret, which the baseline verifies too).
"""

from __future__ import annotations

import asyncio
import atexit
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Final

from glimpse.auth.tokens import AccessTokens
from glimpse.settings import Settings
from glimpse.store import RoomRecord, UserRecord, open_store
from tests.conftest import create_postgres_database, drop_postgres_database

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

CLUSTER: Final = "glimpse-cluster"
CLUSTER_INSTANCES: Final = 2
NGINX_CONNECTIONS: Final = 32768
"""nginx's worker_connections for the bench: each WebSocket holds two (client, instance)."""

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
    cluster_database_url: str = ""
    """The cluster's PostgreSQL database, made at its first start and dropped at exit."""


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


async def _seed_glimpse(data_dir: Path, fixtures: Fixtures, database_url: str = "") -> None:
    """Users and rooms through Glimpse's own store (no argon2 per user: they never log in)."""
    store = open_store(Settings(data_dir=data_dir, database_url=database_url).resolved_database_url)
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
    helpers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    """The cluster's other processes (the second instance, nginx, Redis), stopped with it."""
    measured_pids: list[int] = field(default_factory=list)
    """Processes whose CPU and memory are the server's; by default `process` alone."""
    metrics_ports: list[int] = field(default_factory=list)
    """Ports of the Glimpse instances' /metrics; by default `port`."""

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def pids(self) -> list[int]:
        return self.measured_pids or [self.process.pid]

    @property
    def metrics_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{port}" for port in self.metrics_ports or [self.port]]

    def stop(self) -> None:
        for process in (self.process, *self.helpers):
            process.terminate()
        for process in (self.process, *self.helpers):
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


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
    if name == CLUSTER:
        return _start_cluster(work_dir, fixtures, glimpse_command)
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


def _start_cluster(
    work_dir: Path, fixtures: Fixtures, glimpse_command: list[str] | None
) -> RunningServer:
    """Two Glimpse instances behind nginx (deploy/nginx.conf, as `make cluster` runs it), on one
    PostgreSQL database (made once per bench run) and a Redis of their own (a new one each
    start, so no roster of a previous step is left on the bus). Nothing is pinned: the
    instances, nginx and Redis share both cores, the generator's among them (each step's
    `generator_cpu` says how much it took). Their CPU and memory are summed as the server's;
    PostgreSQL's are not (it is shared with whatever else runs on the machine)."""
    data_dir = work_dir / "glimpse-data"
    if not fixtures.cluster_database_url:
        fixtures.cluster_database_url = asyncio.run(create_postgres_database())
        atexit.register(asyncio.run, drop_postgres_database(fixtures.cluster_database_url))
        asyncio.run(_seed_glimpse(data_dir, fixtures, fixtures.cluster_database_url))
    log = (work_dir / f"{CLUSTER}.log").open("wb")
    redis_port, nginx_port = free_port(), free_port()
    instance_ports = [free_port() for _ in range(CLUSTER_INSTANCES)]
    redis = _spawn(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(redis_port), "--save", "",
         "--appendonly", "no"],
        dict(os.environ), log,
    )  # fmt: skip
    processes = [redis]
    try:
        _wait_redis(redis_port, redis)
        env = {
            **os.environ,
            **GLIMPSE_BENCH_SETTINGS,
            "GLIMPSE_DATA_DIR": str(data_dir),  # the fixtures' signing secret
            "GLIMPSE_DATABASE_URL": fixtures.cluster_database_url,
            "GLIMPSE_BUS_URL": f"redis://127.0.0.1:{redis_port}/0",
        }
        for port in instance_ports:
            command = glimpse_command or [str(GLIMPSE_BIN), "serve", "--port", "{port}"]
            command = [part.replace("{port}", str(port)) for part in command]
            processes.append(_spawn(command, env, log))
            _wait_healthy(port, "/healthz", processes[-1])
        nginx = _spawn(_nginx_command(nginx_port, instance_ports), dict(os.environ), log)
        processes.append(nginx)
        _wait_healthy(nginx_port, "/healthz", nginx)
    except BaseException:
        for process in processes:
            process.kill()
            process.wait()
        raise
    nginx_workers = [
        int(pid) for pid in Path(f"/proc/{nginx.pid}/task/{nginx.pid}/children").read_text().split()
    ]
    first, *others = processes[1:]
    return RunningServer(
        CLUSTER, "glimpse", nginx_port, first,
        {**GLIMPSE_BENCH_SETTINGS, "instances": str(CLUSTER_INSTANCES), "bus": "redis",
         "database": "postgresql"},
        helpers=[*others, redis],
        measured_pids=[process.pid for process in processes] + nginx_workers,
        metrics_ports=instance_ports,
    )  # fmt: skip


def _nginx_command(port: int, instance_ports: list[int]) -> list[str]:
    """nginx in the foreground with deploy/nginx.conf pointed at these ports, unprivileged (in
    a folder of its own: the bench's is private)."""
    run_dir = Path(tempfile.mkdtemp(prefix="glimpse-bench-nginx-"))
    atexit.register(shutil.rmtree, run_dir, True)
    for folder in ("logs", "temp"):
        (run_dir / folder).mkdir()
    first, second = instance_ports
    conf = (
        (REPO_DIR / "deploy" / "nginx.conf")
        .read_text()
        .replace("127.0.0.1:8080;", f"127.0.0.1:{port};")
        .replace("127.0.0.1:8001 ", f"127.0.0.1:{first} ")
        .replace("127.0.0.1:8002 ", f"127.0.0.1:{second} ")
        .replace("worker_connections 4096;", f"worker_connections {NGINX_CONNECTIONS};")
        .replace("access_log logs/access.log;", "access_log off;")
    )
    (run_dir / "nginx.conf").write_text(conf)
    command = ["nginx", "-p", str(run_dir), "-c", str(run_dir / "nginx.conf"), "-e", "stderr"]
    command += ["-g", "daemon off;"]
    if os.getuid() == 0:  # as deploy/cluster.sh: its workers would run as nobody anyway
        for path in (run_dir, *run_dir.rglob("*")):
            shutil.chown(path, "nobody", "nogroup")
        command = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *command]
    return command


def _wait_redis(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                if connection.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("redis-server did not answer within 10 s")
