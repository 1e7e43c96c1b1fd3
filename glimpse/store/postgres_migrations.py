"""The PostgreSQL schema as ordered, numbered migrations (`migrations.py`), applied on connect.

Instances starting together take turns through an advisory lock held for the transaction.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from glimpse.store.migrations import Migration, apply

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
    Migration(
        2,
        "room settings (guests, lobby), member roles and invitations, guest senders",
        (
            "ALTER TABLE rooms ADD COLUMN allow_guests BOOLEAN NOT NULL DEFAULT true",
            "ALTER TABLE rooms ADD COLUMN lobby TEXT NOT NULL DEFAULT 'off'"
            " CHECK (lobby IN ('off', 'guests', 'everyone'))",
            "ALTER TABLE messages ADD COLUMN sender_guest BOOLEAN NOT NULL DEFAULT false",
            "ALTER TABLE memberships ADD COLUMN role TEXT NOT NULL DEFAULT 'member'"
            " CHECK (role IN ('member', 'invited', 'cohost'))",
            # An invited member has not joined yet.
            "ALTER TABLE memberships ALTER COLUMN last_joined_at DROP NOT NULL",
        ),
    ),
    Migration(
        3,
        "a room's media mode (auto, mesh, sfu)",
        (
            "ALTER TABLE rooms ADD COLUMN media_mode TEXT NOT NULL DEFAULT 'auto'"
            " CHECK (media_mode IN ('auto', 'mesh', 'sfu'))",
        ),
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version
MIGRATION_LOCK = 0x676C696D7073  # any constant; pg_advisory_xact_lock takes a bigint


async def migrate(connection: AsyncConnection) -> int:
    """Apply the pending migrations inside the connection's transaction; returns the version."""
    await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})

    async def query(statement: str, parameters: Mapping[str, object]) -> object:
        result = await connection.execute(text(statement), dict(parameters))
        return result.scalar() if result.returns_rows else None

    return await apply(MIGRATIONS, query, "TIMESTAMPTZ")
