"""Every store backend behind one fixture: SQLite always, PostgreSQL and MongoDB (nx-27017) too.

PostgreSQL: a fresh database per test run on the local server (TEST_POSTGRES_URL overrides where).
MongoDB: an nx-27017 wire-protocol server started for the run on a free port, in memory.
Outside CI an unreachable service skips its tests; in CI (CI=true) it fails them.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import NoReturn

import asyncpg
import pytest

from glimpse.store import Store, open_store
from tests.conftest import free_port

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
MONGO_START_TIMEOUT = 30.0
BACKENDS = ["sqlite", "postgresql", "mongodb"]

StoreFactory = Callable[[], Awaitable[Store]]


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


@pytest.fixture
async def connect_store(store_url: str) -> AsyncIterator[StoreFactory]:
    """Connect another Store instance to the same database, as another server process would."""
    opened: list[Store] = []

    async def connect() -> Store:
        store = open_store(store_url, pool_size=4)
        await store.connect()
        opened.append(store)
        return store

    yield connect
    for store in opened:
        await store.close()


@pytest.fixture
async def store(connect_store: StoreFactory) -> Store:
    return await connect_store()
