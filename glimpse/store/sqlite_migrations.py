"""The SQLite schema as ordered, numbered migrations (`migrations.py`), applied on connect.

Processes starting together on one file take turns: the caller migrates in a `BEGIN IMMEDIATE`
transaction, which holds the database's write lock from its first statement.
"""

from __future__ import annotations

from collections.abc import Mapping

import aiosqlite

from glimpse.store.migrations import Migration, apply

MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "users, refresh tokens, rooms, memberships, messages",
        (  # IF NOT EXISTS: databases from before numbered migrations have these already
            """CREATE TABLE IF NOT EXISTS users (
                id TEXT PRIMARY KEY,
                email TEXT NOT NULL UNIQUE COLLATE NOCASE,
                display_name TEXT NOT NULL,
                password_hash TEXT NOT NULL,
                created_at TEXT NOT NULL
            )""",
            """CREATE TABLE IF NOT EXISTS refresh_tokens (
                token_hash TEXT PRIMARY KEY,
                session_id TEXT NOT NULL,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                expires_at TEXT NOT NULL,
                used_at TEXT,
                revoked_at TEXT
            )""",
            "CREATE INDEX IF NOT EXISTS refresh_tokens_session ON refresh_tokens(session_id)",
            """CREATE TABLE IF NOT EXISTS rooms (
                id TEXT PRIMARY KEY,
                code TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL,
                owner_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                password_hash TEXT,
                created_at TEXT NOT NULL,
                last_seq INTEGER NOT NULL DEFAULT 0
            )""",
            "CREATE INDEX IF NOT EXISTS rooms_owner ON rooms(owner_id, created_at)",
            """CREATE TABLE IF NOT EXISTS memberships (
                room_id TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                last_joined_at TEXT NOT NULL,
                PRIMARY KEY (room_id, user_id)
            )""",
            "CREATE INDEX IF NOT EXISTS memberships_user ON memberships(user_id, last_joined_at)",
            """CREATE TABLE IF NOT EXISTS messages (
                id TEXT PRIMARY KEY,
                room_id TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
                seq INTEGER NOT NULL,
                sender_id TEXT NOT NULL,
                sender_name TEXT NOT NULL,
                client_id TEXT NOT NULL,
                text TEXT NOT NULL,
                created_at TEXT NOT NULL,
                UNIQUE (room_id, seq),
                UNIQUE (room_id, sender_id, client_id)
            )""",
            """CREATE TRIGGER IF NOT EXISTS messages_advance_room_seq AFTER INSERT ON messages
            BEGIN
                UPDATE rooms SET last_seq = NEW.seq WHERE id = NEW.room_id;
            END""",
        ),
    ),
    Migration(
        2,
        "refresh tokens by user (a password change revokes the user's other sessions)",
        ("CREATE INDEX refresh_tokens_user ON refresh_tokens(user_id)",),
    ),
    Migration(
        3,
        "room settings (guests, lobby), member roles and invitations, guest senders",
        (
            "ALTER TABLE rooms ADD COLUMN allow_guests INTEGER NOT NULL DEFAULT 1"
            " CHECK (allow_guests IN (0, 1))",
            "ALTER TABLE rooms ADD COLUMN lobby TEXT NOT NULL DEFAULT 'off'"
            " CHECK (lobby IN ('off', 'guests', 'everyone'))",
            "ALTER TABLE messages ADD COLUMN sender_guest INTEGER NOT NULL DEFAULT 0"
            " CHECK (sender_guest IN (0, 1))",
            # An invited member has not joined yet: last_joined_at becomes nullable, which
            # SQLite does only by rebuilding the table.
            """CREATE TABLE memberships_v3 (
                room_id TEXT NOT NULL REFERENCES rooms(id) ON DELETE CASCADE,
                user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'invited', 'cohost')),
                last_joined_at TEXT,
                PRIMARY KEY (room_id, user_id)
            )""",
            "INSERT INTO memberships_v3 (room_id, user_id, last_joined_at)"
            " SELECT room_id, user_id, last_joined_at FROM memberships",
            "DROP TABLE memberships",
            "ALTER TABLE memberships_v3 RENAME TO memberships",
            "CREATE INDEX memberships_user ON memberships(user_id, last_joined_at)",
        ),
    ),
    Migration(
        4,
        "a room's media mode (auto, mesh, sfu)",
        (
            "ALTER TABLE rooms ADD COLUMN media_mode TEXT NOT NULL DEFAULT 'auto'"
            " CHECK (media_mode IN ('auto', 'mesh', 'sfu'))",
        ),
    ),
)


async def migrate(db: aiosqlite.Connection) -> int:
    """Apply the pending migrations in the caller's write transaction; returns the version."""

    async def query(statement: str, parameters: Mapping[str, object]) -> object:
        rows = list(await db.execute_fetchall(statement, parameters))
        return rows[0][0] if rows else None

    return await apply(MIGRATIONS, query, "TEXT")
