"""The PostgreSQL schema as ordered, numbered migrations, applied on connect.

`schema_migrations` records each applied version. Instances starting together take turns through
an advisory lock, so each migration runs once; all pending ones apply in one transaction (DDL is
transactional in PostgreSQL), so a failed start leaves the schema as it was. To change the schema,
append a migration; never edit one that has shipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "users, refresh tokens, rooms, memberships, messages",
        (
            """CREATE TABLE users (
                id TEXT PRIMARY KEY,
                email TEXT NOT NULL,
                display_name TEXT NOT NULL,
                password_hash TEXT NOT NULL,
                created_at TIMESTAMPTZ NOT NULL
            )""",
            "CREATE UNIQUE INDEX users_email_key ON users (lower(email))",
            """CREATE TABLE refresh_tokens (
                token_hash TEXT PRIMARY KEY,
                session_id TEXT NOT NULL,
                user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                expires_at TIMESTAMPTZ NOT NULL,
                used_at TIMESTAMPTZ,
                revoked_at TIMESTAMPTZ
            )""",
            "CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id)",
            "CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id)",
            """CREATE TABLE rooms (
                id TEXT PRIMARY KEY,
                code TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL,
                owner_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                password_hash TEXT,
                created_at TIMESTAMPTZ NOT NULL,
                last_seq BIGINT NOT NULL DEFAULT 0
            )""",
            "CREATE INDEX rooms_owner ON rooms (owner_id, created_at DESC)",
            """CREATE TABLE memberships (
                room_id TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
                user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
                last_joined_at TIMESTAMPTZ NOT NULL,
                PRIMARY KEY (room_id, user_id)
            )""",
            "CREATE INDEX memberships_user ON memberships (user_id, last_joined_at DESC)",
            """CREATE TABLE messages (
                id TEXT PRIMARY KEY,
                room_id TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
                seq BIGINT NOT NULL,
                sender_id TEXT NOT NULL,
                sender_name TEXT NOT NULL,
                client_id TEXT NOT NULL,
                text TEXT NOT NULL,
                created_at TIMESTAMPTZ NOT NULL,
                UNIQUE (room_id, seq),
                UNIQUE (room_id, sender_id, client_id)
            )""",
        ),
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version
MIGRATION_LOCK = 0x676C696D7073  # any constant; pg_advisory_xact_lock takes a bigint


async def migrate(connection: AsyncConnection) -> int:
    """Apply the pending migrations inside the connection's transaction; returns the version."""
    await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    await connection.execute(
        text(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, description TEXT NOT NULL,"
            " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
    )
    current: int = (
        await connection.execute(text("SELECT COALESCE(max(version), 0) FROM schema_migrations"))
    ).scalar_one()
    if current > LATEST_VERSION:
        raise RuntimeError(
            f"the database schema is at version {current}, newer than this Glimpse knows"
            f" ({LATEST_VERSION}): upgrade Glimpse"
        )
    for migration in MIGRATIONS:
        if migration.version <= current:
            continue
        for statement in migration.statements:
            await connection.execute(text(statement))
        await connection.execute(
            text("INSERT INTO schema_migrations (version, description) VALUES (:version, :about)"),
            {"version": migration.version, "about": migration.description},
        )
    return LATEST_VERSION
