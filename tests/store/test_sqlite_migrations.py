"""The SQLite schema is created and migrated on connect, once, whichever process starts first."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import sys
from asyncio.subprocess import PIPE
from collections.abc import Iterator
from pathlib import Path

import pytest

from glimpse.store import open_store, sqlite_migrations
from glimpse.store.sqlite_migrations import MIGRATIONS
from tests.store.earlier_data import SQL_ROWS, check_read_with_defaults

REPOSITORY = Path(__file__).resolve().parents[2]
PROCESSES = 4
STARTER = """
import asyncio, sys
from glimpse.store import open_store

async def main() -> None:
    store = open_store(sys.argv[1])
    print("ready", flush=True)
    await asyncio.to_thread(sys.stdin.readline)
    await store.connect()
    await store.close()

asyncio.run(main())
"""
"""Glimpse starting on the file in a process of its own: it connects when told to."""


@contextlib.contextmanager
def opened(path: Path) -> Iterator[sqlite3.Connection]:
    """The file through SQLite's own module; what is written in it is committed on leaving."""
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        yield db


def applied(path: Path) -> list[tuple[int, str]]:
    with opened(path) as db:
        return list(db.execute("SELECT version, description FROM schema_migrations ORDER BY 1"))


async def start_and_stop(path: Path) -> None:
    store = open_store(f"sqlite:///{path}")
    await store.connect()
    await store.close()


async def test_a_database_at_version_1_gets_the_later_migrations_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "glimpse.db"
    with monkeypatch.context() as version_1:  # the code as it was at version 1
        version_1.setattr(sqlite_migrations, "MIGRATIONS", MIGRATIONS[:1])
        await start_and_stop(path)
    assert applied(path) == [(1, MIGRATIONS[0].description)]

    await start_and_stop(path)
    await start_and_stop(path)  # nothing to do: a second CREATE INDEX would fail

    assert applied(path) == [(m.version, m.description) for m in MIGRATIONS]
    with opened(path) as db:
        indexes = db.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
    assert ("refresh_tokens_user",) in indexes


async def test_a_database_at_version_2_gets_room_settings_and_roles_with_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "glimpse.db"
    with monkeypatch.context() as version_2:
        version_2.setattr(sqlite_migrations, "MIGRATIONS", MIGRATIONS[:2])
        await start_and_stop(path)
    with opened(path) as db:
        for statement in SQL_ROWS:
            db.execute(statement)

    store = open_store(f"sqlite:///{path}")
    await store.connect()
    try:
        await check_read_with_defaults(store)
    finally:
        await store.close()

    assert [version for version, _ in applied(path)] == [1, 2, 3, 4]
    with opened(path) as db:
        indexes = db.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
        assert ("memberships_user",) in indexes
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []


async def test_a_database_from_before_numbered_migrations_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "glimpse.db"
    with (
        contextlib.closing(sqlite3.connect(path)) as db,
        db,
    ):  # the schema as earlier versions created it, with a user
        for statement in MIGRATIONS[0].statements:
            db.execute(statement)
        db.execute("INSERT INTO users VALUES ('u1', 'ann@example.org', 'Ann', 'hash', 'now')")

    await start_and_stop(path)

    assert [version for version, _ in applied(path)] == [m.version for m in MIGRATIONS]
    with opened(path) as db:
        assert db.execute("SELECT display_name FROM users").fetchall() == [("Ann",)]


async def test_processes_starting_together_migrate_an_empty_file_once(tmp_path: Path) -> None:
    path = tmp_path / "glimpse.db"
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            STARTER,
            f"sqlite:///{path}",
            cwd=REPOSITORY,
            stdin=PIPE,
            stdout=PIPE,
            stderr=PIPE,
        )
        for _ in range(PROCESSES)
    ]
    try:
        async with asyncio.timeout(60):
            for process in processes:
                assert process.stdout is not None
                assert await process.stdout.readline() == b"ready\n"
            for process in processes:  # all at once
                assert process.stdin is not None
                process.stdin.write(b"go\n")
            outcomes = [await process.communicate() for process in processes]
    finally:
        for process in processes:
            if process.returncode is None:
                process.kill()
                await process.wait()
    for process, (_, errors) in zip(processes, outcomes, strict=True):
        assert process.returncode == 0, errors.decode()
    assert [version for version, _ in applied(path)] == [m.version for m in MIGRATIONS]


async def test_a_schema_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "glimpse.db"
    await start_and_stop(path)
    with opened(path) as db:
        db.execute("INSERT INTO schema_migrations (version, description) VALUES (99, 'future')")

    with pytest.raises(RuntimeError, match="upgrade Glimpse"):
        await start_and_stop(path)
