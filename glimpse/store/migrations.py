"""Numbered schema migrations, and the runner the SQL stores (SQLite, PostgreSQL) apply them with.

Each store lists its migrations (`sqlite_migrations.py`, `postgres_migrations.py`) and runs
`apply` in one transaction that holds the database's write lock, so instances starting together
take turns and each migration runs once; DDL is transactional in both, so a failed start leaves
the schema as it was. `schema_migrations` records each applied version. To change a schema,
append a migration; never edit one that has shipped.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


Query = Callable[[str, Mapping[str, object]], Awaitable[object]]
"""Runs one statement (`:name` parameters) in the migrating transaction; returns the first
column of its first row, or None."""


async def apply(migrations: Sequence[Migration], query: Query, timestamp_type: str) -> int:
    """Apply the pending migrations; returns the schema's version, the last one's."""
    latest = migrations[-1].version
    await query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
        f" description TEXT NOT NULL, applied_at {timestamp_type} NOT NULL"
        " DEFAULT CURRENT_TIMESTAMP)",
        {},
    )
    current = await query("SELECT COALESCE(max(version), 0) FROM schema_migrations", {})
    assert isinstance(current, int)
    if current > latest:
        raise RuntimeError(
            f"the database schema is at version {current}, newer than this Glimpse knows"
            f" ({latest}): upgrade Glimpse"
        )
    for migration in migrations:
        if migration.version <= current:
            continue
        for statement in migration.statements:
            await query(statement, {})
        await query(
            "INSERT INTO schema_migrations (version, description) VALUES (:version, :about)",
            {"version": migration.version, "about": migration.description},
        )
    return latest
