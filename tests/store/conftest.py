"""Every store backend behind one fixture (`store_url` in tests/conftest.py picks the backend):
SQLite always, PostgreSQL and MongoDB (nx-27017) too."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from glimpse.store import Store, open_store

StoreFactory = Callable[[], Awaitable[Store]]


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
