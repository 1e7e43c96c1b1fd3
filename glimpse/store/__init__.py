"""Storage chosen by a database URL: sqlite:///path, postgresql://…, mongodb://…."""

from __future__ import annotations

import importlib
from urllib.parse import urlsplit

from glimpse.store.base import (
    DuplicateError,
    LobbyMode,
    MediaMode,
    MemberRecord,
    MemberRole,
    MessageRecord,
    NewMessage,
    RefreshTokenRecord,
    RoomChanges,
    RoomRecord,
    SessionUser,
    Store,
    StoreUnavailable,
    UserRecord,
)

__all__ = [
    "DuplicateError",
    "LobbyMode",
    "MediaMode",
    "MemberRecord",
    "MemberRole",
    "MessageRecord",
    "NewMessage",
    "RefreshTokenRecord",
    "RoomChanges",
    "RoomRecord",
    "SessionUser",
    "Store",
    "StoreUnavailable",
    "UserRecord",
    "open_store",
]


def open_store(url: str, *, pool_size: int = 10) -> Store:
    """The store for a URL; its driver is imported only now, with a clear error when missing.

    `pool_size` bounds the connections a PostgreSQL or MongoDB store keeps open.
    """
    scheme = urlsplit(url).scheme.split("+")[0]
    if scheme == "sqlite":
        from glimpse.store.sqlite import SQLiteStore

        return SQLiteStore(url)
    if scheme == "postgresql":
        _import_driver("postgresql", "sqlalchemy", "asyncpg")
        from glimpse.store.postgres import PostgresStore

        return PostgresStore(url, pool_size=pool_size)
    if scheme == "mongodb":
        _import_driver("mongodb", "pymongo")
        from glimpse.store.mongo import MongoStore

        return MongoStore(url, pool_size=pool_size)
    raise ValueError(
        f"unsupported database URL scheme {scheme!r} (use sqlite://, postgresql:// or mongodb://)"
    )


def _import_driver(extra: str, *modules: str) -> None:
    """Import a backend's driver modules, or say which extra of the package installs them."""
    for module in modules:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:
            raise ModuleNotFoundError(
                f"{extra} databases need the {module!r} driver: pip install 'glimpse[{extra}]'",
                name=module,
            ) from error
