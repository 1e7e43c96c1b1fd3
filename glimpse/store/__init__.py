"""Storage chosen by a database URL: sqlite:///path, postgresql://…, mongodb://…."""

from __future__ import annotations

from urllib.parse import urlsplit

from glimpse.store.base import (
    DuplicateError,
    MessageRecord,
    NewMessage,
    RefreshTokenRecord,
    RoomRecord,
    Store,
    UserRecord,
)

__all__ = [
    "DuplicateError",
    "MessageRecord",
    "NewMessage",
    "RefreshTokenRecord",
    "RoomRecord",
    "Store",
    "UserRecord",
    "open_store",
]


def open_store(url: str) -> Store:
    """The store for a URL; its driver is imported only now, with a clear error when missing."""
    scheme = urlsplit(url).scheme.split("+")[0]
    if scheme == "sqlite":
        from glimpse.store.sqlite import SQLiteStore

        return SQLiteStore(url)
    raise ValueError(f"unsupported database URL scheme {scheme!r} (use sqlite://)")
