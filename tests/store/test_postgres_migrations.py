"""The PostgreSQL schema is created and migrated on connect, once, whoever starts first."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from glimpse.store import open_store, postgres_migrations
from glimpse.store.postgres_migrations import LATEST_VERSION, MIGRATIONS
from tests.conftest import create_postgres_database, drop_postgres_database
from tests.store.earlier_data import SQL_ROWS, check_read_with_defaults


@pytest.fixture
async def empty_database(postgresql_url: str) -> AsyncIterator[str]:
    """A database of its own (postgresql_url checks that the server is there)."""
    url = await create_postgres_database()
    yield url
    await drop_postgres_database(url)


async def applied_versions(url: str) -> list[int]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch("SELECT version FROM schema_migrations ORDER BY version")
    finally:
        await connection.close()
    return [row["version"] for row in rows]


async def test_instances_starting_together_migrate_an_empty_database_once(
    empty_database: str,
) -> None:
    stores = [open_store(empty_database, pool_size=1) for _ in range(4)]

    await asyncio.gather(*(store.connect() for store in stores))
    await stores[0].close()
    await stores[0].connect()  # a restart finds nothing to do

    assert await applied_versions(empty_database) == [m.version for m in MIGRATIONS]
    assert MIGRATIONS[-1].version == LATEST_VERSION
    for store in stores:
        await store.ping()
        await store.close()


async def test_a_database_at_version_1_gets_room_settings_and_roles_with_defaults(
    empty_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with monkeypatch.context() as version_1:
        version_1.setattr(postgres_migrations, "MIGRATIONS", MIGRATIONS[:1])
        store = open_store(empty_database, pool_size=1)
        await store.connect()
        await store.close()
    connection = await asyncpg.connect(empty_database)
    try:
        for statement in SQL_ROWS:
            await connection.execute(statement)
    finally:
        await connection.close()

    await store.connect()
    try:
        await check_read_with_defaults(store)
    finally:
        await store.close()
    assert await applied_versions(empty_database) == [1, 2, 3]


async def test_a_schema_newer_than_the_code_is_refused(empty_database: str) -> None:
    store = open_store(empty_database, pool_size=1)
    await store.connect()
    await store.close()
    connection = await asyncpg.connect(empty_database)
    await connection.execute(
        "INSERT INTO schema_migrations (version, description) VALUES ($1, 'from the future')",
        LATEST_VERSION + 1,
    )
    await connection.close()

    with pytest.raises(RuntimeError, match="upgrade Glimpse"):
        await store.connect()
