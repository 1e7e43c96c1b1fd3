"""The database URL picks the backend; a missing driver says which extra installs it."""

from __future__ import annotations

import sys

import pytest

from glimpse.store import open_store
from glimpse.store.mongo import MongoStore
from glimpse.store.postgres import PostgresStore
from glimpse.store.sqlite import SQLiteStore


def test_the_url_scheme_picks_the_store() -> None:
    assert isinstance(open_store("sqlite:///data/glimpse.db"), SQLiteStore)
    assert isinstance(open_store("mongodb://db:27017/glimpse"), MongoStore)
    for url in ("postgresql://glimpse@db/glimpse", "postgresql+asyncpg://glimpse@db/glimpse"):
        store = open_store(url)
        assert isinstance(store, PostgresStore)
        assert store.url == "postgresql+asyncpg://glimpse@db/glimpse"


def test_unknown_schemes_and_drivers_are_refused() -> None:
    with pytest.raises(ValueError, match="unsupported database URL scheme 'mysql'"):
        open_store("mysql://db/glimpse")
    with pytest.raises(ValueError, match="through asyncpg"):
        open_store("postgresql+psycopg://db/glimpse")


@pytest.mark.parametrize(
    ("url", "driver", "extra"),
    [
        ("postgresql://db/glimpse", "asyncpg", "postgresql"),
        ("postgresql://db/glimpse", "sqlalchemy", "postgresql"),
        ("mongodb://db/glimpse", "pymongo", "mongodb"),
    ],
)
def test_a_missing_driver_names_the_extra_to_install(
    monkeypatch: pytest.MonkeyPatch, url: str, driver: str, extra: str
) -> None:
    monkeypatch.setitem(sys.modules, driver, None)  # makes `import driver` fail

    with pytest.raises(ModuleNotFoundError, match=rf"pip install 'glimpse\[{extra}\]'"):
        open_store(url)
