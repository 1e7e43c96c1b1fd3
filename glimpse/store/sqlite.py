"""SQLite store: the embedded default, one file in the data folder, nothing to install."""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from glimpse.store.base import (
    DuplicateError,
    MemberRecord,
    MemberRole,
    MessageRecord,
    NewMessage,
    RecordingChanges,
    RecordingRecord,
    RefreshTokenRecord,
    RoomChanges,
    RoomRecord,
    SessionUser,
    Store,
    UserRecord,
    parse_lobby_mode,
    parse_media_mode,
    parse_member_role,
    parse_recording_status,
    recording_changes,
    room_changes,
    unavailable_when,
)
from glimpse.store.sqlite_migrations import migrate

ROOM_COLUMNS = (
    "id, code, name, owner_id, password_hash, created_at, allow_guests, lobby, media_mode"
)
MESSAGE_COLUMNS = (
    "id, room_id, seq, sender_id, sender_name, client_id, text, created_at, sender_guest"
)
TOKEN_COLUMNS = "token_hash, session_id, user_id, expires_at, used_at, revoked_at"  # noqa: S105
RECORDING_COLUMNS = (
    "id, room_id, owner_id, started_at, status, ended_at, file_name, size_bytes,"
    " duration_seconds, error"
)
USER_FIELDS = "id, email, display_name, password_hash, created_at"
REVOKED = "EXISTS (SELECT 1 FROM refresh_tokens WHERE session_id = ? AND revoked_at IS NOT NULL)"
"""Whether a login session was revoked, as an SQL expression (the session id its parameter)."""


def _time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


def _parse_time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _room(row: Iterable[Any]) -> RoomRecord:
    id_, code, name, owner_id, password_hash, created_at, allow_guests, lobby, media_mode = row
    return RoomRecord(
        id_, code, name, owner_id, password_hash, datetime.fromisoformat(created_at),
        bool(allow_guests), parse_lobby_mode(lobby), parse_media_mode(media_mode),
    )  # fmt: skip


def _message(row: Iterable[Any]) -> MessageRecord:
    id_, room_id, seq, sender_id, sender_name, client_id, text, created_at, sender_guest = row
    return MessageRecord(
        id_, room_id, seq, sender_id, sender_name, client_id, text,
        datetime.fromisoformat(created_at), bool(sender_guest),
    )  # fmt: skip


def _user(row: Iterable[Any]) -> UserRecord:
    id_, email, display_name, password_hash, created_at = row
    return UserRecord(id_, email, display_name, password_hash, datetime.fromisoformat(created_at))


def _token(row: Iterable[Any]) -> RefreshTokenRecord:
    token_hash, session_id, user_id, expires_at, used_at, revoked_at = row
    return RefreshTokenRecord(
        token_hash, session_id, user_id, datetime.fromisoformat(expires_at),
        _parse_time(used_at), _parse_time(revoked_at),
    )  # fmt: skip


def _recording(row: Iterable[Any]) -> RecordingRecord:
    id_, room_id, owner_id, started_at, status, ended_at, file_name, size, duration, error = row
    return RecordingRecord(
        id_, room_id, owner_id, datetime.fromisoformat(started_at), parse_recording_status(status),
        _parse_time(ended_at), file_name, size, duration, error,
    )  # fmt: skip


BUSY_TIMEOUT_MS = 5000
"""How long a statement waits for other processes' locks on the file."""

UNREACHABLE_MESSAGES = ("unable to open database file", "disk I/O error", "database is locked")


def _unreachable(error: BaseException) -> bool:
    """The file cannot be opened, read or written, or other processes hold it past the timeout."""
    return isinstance(error, sqlite3.OperationalError) and str(error).startswith(
        UNREACHABLE_MESSAGES
    )


@unavailable_when(_unreachable)
class SQLiteStore(Store):
    """One connection, writes serialized by a lock (SQLite has a single writer anyway)."""

    def __init__(self, url: str) -> None:
        path = url.split("://", 1)[1]
        if path.startswith("/") and not path.startswith("//"):
            path = path[1:]  # sqlite:///relative/path, sqlite:////absolute/path
        self.path = ":memory:" if path in ("", ":memory:") else path
        self._db: aiosqlite.Connection | None = None
        self._write_lock = asyncio.Lock()

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("store is not connected")
        return self._db

    async def connect(self) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self.path, isolation_level=None)
        try:  # a connection left open would keep its thread, and the process, alive
            await self.db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            await self._use_write_ahead_log()
            await self.db.execute("PRAGMA synchronous=NORMAL")
            await self.db.execute("PRAGMA foreign_keys=ON")
            async with self._immediate():  # other processes on the file wait their turn
                await migrate(self.db)
        except BaseException:
            await self.close()
            raise

    async def _use_write_ahead_log(self) -> None:
        """Switch the file to WAL, waiting for other processes that switch it at the same time:
        SQLite answers "database is locked" at once, without its busy handler, when two
        connections holding shared locks both want the exclusive one the switch needs."""
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                await self.db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as error:
                if not str(error).startswith("database is locked") or time.monotonic() > deadline:
                    raise
            await asyncio.sleep(random.uniform(0.01, 0.05))  # noqa: S311 (jitter)

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    async def ping(self) -> None:
        await self.db.execute("SELECT 1")

    async def _one(self, sql: str, *params: Any) -> sqlite3.Row | None:
        rows = await self._all(sql, *params)
        return next(iter(rows), None)

    async def _all(self, sql: str, *params: Any) -> Iterable[sqlite3.Row]:
        """Execute and fetch in one trip to the database thread."""
        return await self.db.execute_fetchall(sql, params)

    @asynccontextmanager
    async def _immediate(self) -> AsyncIterator[None]:
        """A write transaction that holds the database's write lock from its first statement,
        so what it reads stays true until it commits, even with other processes on the file."""
        async with self._write_lock:
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                await self.db.execute("ROLLBACK")
                raise
            await self.db.execute("COMMIT")

    async def _write_returning(self, sql: str, *params: Any) -> sqlite3.Row | None:
        async with self._write_lock:
            return await self._one(sql, *params)

    async def _write(self, sql: str, *params: Any) -> int:
        async with self._write_lock:
            try:
                cursor = await self.db.execute(sql, params)
            except sqlite3.IntegrityError as error:
                raise DuplicateError(str(error)) from error
            return cursor.rowcount

    # Users
    async def create_user(self, user: UserRecord) -> None:
        await self._write(
            "INSERT INTO users (id, email, display_name, password_hash, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            user.id, user.email, user.display_name, user.password_hash, _time(user.created_at),
        )  # fmt: skip

    async def _user_where(self, clause: str, value: str) -> UserRecord | None:
        row = await self._one(f"SELECT {USER_FIELDS} FROM users WHERE {clause}", value)
        return None if row is None else _user(row)

    async def get_user(self, user_id: str) -> UserRecord | None:
        return await self._user_where("id = ?", user_id)

    async def get_user_by_email(self, email: str) -> UserRecord | None:
        return await self._user_where("email = ?", email)

    async def update_user(
        self, user_id: str, *, display_name: str | None = None, password_hash: str | None = None
    ) -> UserRecord | None:
        await self._write(
            "UPDATE users SET display_name = COALESCE(?, display_name),"
            " password_hash = COALESCE(?, password_hash) WHERE id = ?",
            display_name, password_hash, user_id,
        )  # fmt: skip
        return await self.get_user(user_id)

    # Refresh tokens
    async def add_refresh_token(self, token: RefreshTokenRecord) -> None:
        await self._write(
            f"INSERT INTO refresh_tokens ({TOKEN_COLUMNS}) VALUES (?, ?, ?, ?, NULL, NULL)",
            token.token_hash, token.session_id, token.user_id, _time(token.expires_at),
        )  # fmt: skip

    async def use_refresh_token(self, token_hash: str, at: datetime) -> RefreshTokenRecord | None:
        async with self._immediate():
            row = await self._one(
                f"SELECT {TOKEN_COLUMNS} FROM refresh_tokens WHERE token_hash = ?", token_hash
            )
            if row is None:
                return None
            before = _token(row)
            if before.used_at is None:
                await self.db.execute(
                    "UPDATE refresh_tokens SET used_at = ? WHERE token_hash = ?",
                    (_time(at), token_hash),
                )
            return before

    async def revoke_session(self, session_id: str, at: datetime) -> None:
        await self._write(
            "UPDATE refresh_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE session_id = ?",
            _time(at), session_id,
        )  # fmt: skip

    async def revoke_user_sessions(
        self, user_id: str, except_session_id: str, at: datetime
    ) -> None:
        await self._write(
            "UPDATE refresh_tokens SET revoked_at = ? "
            "WHERE user_id = ? AND session_id != ? AND revoked_at IS NULL",
            _time(at), user_id, except_session_id,
        )  # fmt: skip

    async def session_revoked(self, session_id: str) -> bool:
        row = await self._one(f"SELECT 1 WHERE {REVOKED}", session_id)
        return row is not None

    async def session_user(self, session_id: str, user_id: str) -> SessionUser:
        row = await self._one(
            f"SELECT {REVOKED}, {USER_FIELDS} FROM users WHERE id = ?", session_id, user_id
        )
        if row is None:  # no such user: a second look, for the session alone
            return SessionUser(await self.session_revoked(session_id), None)
        return SessionUser(bool(row[0]), _user(row[1:]))

    # Rooms
    async def create_room(self, room: RoomRecord) -> None:
        await self._write(
            f"INSERT INTO rooms ({ROOM_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            room.id, room.code, room.name, room.owner_id, room.password_hash,
            _time(room.created_at), room.allow_guests, room.lobby, room.media_mode,
        )  # fmt: skip

    async def get_room(self, room_id: str) -> RoomRecord | None:
        row = await self._one(f"SELECT {ROOM_COLUMNS} FROM rooms WHERE id = ?", room_id)
        return None if row is None else _room(row)

    async def get_room_by_code(self, code: str) -> RoomRecord | None:
        row = await self._one(f"SELECT {ROOM_COLUMNS} FROM rooms WHERE code = ?", code)
        return None if row is None else _room(row)

    async def update_room(self, room_id: str, changes: RoomChanges) -> RoomRecord | None:
        fields = room_changes(changes)
        if not fields:
            return await self.get_room(room_id)
        assignments = ", ".join(f"{column} = ?" for column in fields)  # names from room_changes
        row = await self._write_returning(
            f"UPDATE rooms SET {assignments} WHERE id = ? RETURNING {ROOM_COLUMNS}",
            *fields.values(), room_id,
        )  # fmt: skip
        return None if row is None else _room(row)

    async def delete_room(self, room_id: str) -> bool:
        return await self._write("DELETE FROM rooms WHERE id = ?", room_id) > 0

    async def list_owned_rooms(self, owner_id: str) -> list[RoomRecord]:
        rows = await self._all(
            f"SELECT {ROOM_COLUMNS} FROM rooms WHERE owner_id = ? ORDER BY created_at DESC, id",
            owner_id,
        )
        return [_room(row) for row in rows]

    async def record_join(self, room_id: str, user_id: str, at: datetime) -> None:
        await self._write(
            "INSERT INTO memberships (room_id, user_id, role, last_joined_at)"
            " VALUES (?, ?, 'member', ?) ON CONFLICT (room_id, user_id)"
            " DO UPDATE SET last_joined_at = excluded.last_joined_at",
            room_id, user_id, _time(at),
        )  # fmt: skip

    async def add_member(self, room_id: str, user_id: str, role: MemberRole) -> bool:
        added = await self._write(
            "INSERT INTO memberships (room_id, user_id, role, last_joined_at)"
            " VALUES (?, ?, ?, NULL) ON CONFLICT (room_id, user_id) DO NOTHING",
            room_id, user_id, role,
        )  # fmt: skip
        return added > 0

    async def member_role(self, room_id: str, user_id: str) -> MemberRole | None:
        row = await self._one(
            "SELECT role FROM memberships WHERE room_id = ? AND user_id = ?", room_id, user_id
        )
        return None if row is None else parse_member_role(row[0])

    async def set_member_role(self, room_id: str, user_id: str, role: MemberRole) -> bool:
        changed = await self._write(
            "UPDATE memberships SET role = ? WHERE room_id = ? AND user_id = ?",
            role, room_id, user_id,
        )  # fmt: skip
        return changed > 0

    async def list_members(self, room_id: str) -> list[MemberRecord]:
        rows = await self._all(
            "SELECT m.user_id, u.display_name, m.role, m.last_joined_at"
            " FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.room_id = ?"
            " ORDER BY m.last_joined_at IS NULL, m.last_joined_at DESC, u.display_name, m.user_id",
            room_id,
        )  # fmt: skip
        return [
            MemberRecord(user_id, display_name, parse_member_role(role), _parse_time(joined))
            for user_id, display_name, role, joined in rows
        ]

    async def list_recent_rooms(self, user_id: str, limit: int) -> list[RoomRecord]:
        columns = ", ".join(f"r.{column}" for column in ROOM_COLUMNS.split(", "))
        rows = await self._all(
            f"SELECT {columns} FROM memberships m JOIN rooms r ON r.id = m.room_id"
            " WHERE m.user_id = ? AND m.last_joined_at IS NOT NULL"
            " ORDER BY m.last_joined_at DESC LIMIT ?",
            user_id, limit,
        )  # fmt: skip
        return [_room(row) for row in rows]

    # Messages
    async def append_message(self, message: NewMessage) -> tuple[MessageRecord, bool]:
        """One statement, atomic under the database's write lock: seq is the room's last_seq + 1
        (a trigger moves last_seq on); a retry inserts nothing and reads the stored message."""
        record = MessageRecord(
            id=uuid.uuid4().hex,
            room_id=message.room_id,
            seq=0,
            sender_id=message.sender_id,
            sender_name=message.sender_name,
            client_id=message.client_id,
            text=message.text,
            created_at=message.created_at,
            sender_guest=message.sender_guest,
        )
        inserted = await self._write_returning(
            f"INSERT INTO messages ({MESSAGE_COLUMNS})"
            " SELECT ?, id, last_seq + 1, ?, ?, ?, ?, ?, ? FROM rooms WHERE id = ?"
            " ON CONFLICT (room_id, sender_id, client_id) DO NOTHING RETURNING seq",
            record.id, record.sender_id, record.sender_name, record.client_id,
            record.text, _time(record.created_at), record.sender_guest, record.room_id,
        )  # fmt: skip
        if inserted is not None:
            return replace(record, seq=inserted[0]), True
        existing = await self._one(
            f"SELECT {MESSAGE_COLUMNS} FROM messages"
            " WHERE room_id = ? AND sender_id = ? AND client_id = ?",
            message.room_id, message.sender_id, message.client_id,
        )  # fmt: skip
        if existing is None:
            raise LookupError(f"room {message.room_id} does not exist")
        return _message(existing), False

    async def list_messages(
        self, room_id: str, *, before_seq: int | None = None, limit: int = 50
    ) -> list[MessageRecord]:
        rows = await self._all(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE room_id = ? AND seq < ?"
            " ORDER BY seq DESC LIMIT ?",
            room_id, before_seq if before_seq is not None else 2**62, limit,
        )  # fmt: skip
        return [_message(row) for row in rows]

    async def messages_after(self, room_id: str, after_seq: int, limit: int) -> list[MessageRecord]:
        rows = await self._all(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE room_id = ? AND seq > ?"
            " ORDER BY seq ASC LIMIT ?",
            room_id, after_seq, limit,
        )  # fmt: skip
        return [_message(row) for row in rows]

    # Recordings
    async def create_recording(self, recording: RecordingRecord) -> None:
        try:
            await self._write(
                f"INSERT INTO recordings ({RECORDING_COLUMNS})"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                recording.id, recording.room_id, recording.owner_id, _time(recording.started_at),
                recording.status, _time(recording.ended_at) if recording.ended_at else None,
                recording.file_name, recording.size_bytes, recording.duration_seconds,
                recording.error,
            )  # fmt: skip
        except DuplicateError as error:
            if "FOREIGN KEY" not in str(error):
                raise
            raise LookupError(f"room {recording.room_id} does not exist") from error

    async def get_recording(self, recording_id: str) -> RecordingRecord | None:
        row = await self._one(
            f"SELECT {RECORDING_COLUMNS} FROM recordings WHERE id = ?", recording_id
        )
        return None if row is None else _recording(row)

    async def update_recording(
        self, recording_id: str, changes: RecordingChanges
    ) -> RecordingRecord | None:
        fields = recording_changes(changes)
        if not fields:
            return await self.get_recording(recording_id)
        values = [_time(v) if isinstance(v, datetime) else v for v in fields.values()]
        assignments = ", ".join(f"{column} = ?" for column in fields)  # names from the changes
        row = await self._write_returning(
            f"UPDATE recordings SET {assignments} WHERE id = ? RETURNING {RECORDING_COLUMNS}",
            *values, recording_id,
        )  # fmt: skip
        return None if row is None else _recording(row)

    async def list_recordings(self, room_id: str) -> list[RecordingRecord]:
        rows = await self._all(
            f"SELECT {RECORDING_COLUMNS} FROM recordings WHERE room_id = ?"
            " ORDER BY started_at DESC, id",
            room_id,
        )
        return [_recording(row) for row in rows]

    async def recordings_started_before(self, cutoff: datetime) -> list[RecordingRecord]:
        rows = await self._all(
            f"SELECT {RECORDING_COLUMNS} FROM recordings WHERE started_at < ?"
            " ORDER BY started_at, id",
            _time(cutoff),
        )
        return [_recording(row) for row in rows]

    async def recordings_in_progress(self) -> list[RecordingRecord]:
        rows = await self._all(
            f"SELECT {RECORDING_COLUMNS} FROM recordings"
            " WHERE status IN ('recording', 'processing') ORDER BY started_at, id"
        )
        return [_recording(row) for row in rows]

    async def recording_files(self) -> set[str]:
        rows = await self._all("SELECT file_name FROM recordings WHERE file_name IS NOT NULL")
        return {row[0] for row in rows}

    async def delete_recording(self, recording_id: str) -> bool:
        return await self._write("DELETE FROM recordings WHERE id = ?", recording_id) > 0
