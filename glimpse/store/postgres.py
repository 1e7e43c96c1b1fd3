"""PostgreSQL store: SQLAlchemy Core on asyncpg, for several server processes sharing one database.

Chat sequence numbers come from `rooms.last_seq`, incremented in the same transaction as the message
insert. The incremented room row stays locked until commit, so writers to one room take turns
whichever process they run in; a failed insert rolls the counter back, so there are no gaps; and
seq N commits only after every seq below it. A retry racing its original in another process meets
the unique index on (room_id, sender_id, client_id) and returns the stored message.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Double,
    MetaData,
    Row,
    Select,
    Table,
    Text,
    exists,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.sql.dml import Insert

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
    parse_member_role,
    parse_recording_status,
    recording_changes,
    room_changes,
    unavailable_when,
    user_changes,
)
from glimpse.store.postgres_migrations import migrate

UNIQUE_VIOLATION = "23505"
FOREIGN_KEY_VIOLATION = "23503"
UNREACHABLE_SQLSTATES = ("08", "57P", "53300")
"""Connection exceptions, the server shutting down or starting, too many connections."""
CONNECT_TIMEOUT = 5.0
"""Seconds to open a connection or wait for a pooled one before the database counts as down."""

# Column types for queries; the schema itself is created by postgres_migrations.
_metadata = MetaData()
users = Table(
    "users", _metadata,
    Column("id", Text, primary_key=True), Column("email", Text), Column("display_name", Text),
    Column("password_hash", Text), Column("created_at", DateTime(timezone=True)),
)  # fmt: skip
refresh_tokens = Table(
    "refresh_tokens", _metadata,
    Column("token_hash", Text, primary_key=True), Column("session_id", Text),
    Column("user_id", Text), Column("expires_at", DateTime(timezone=True)),
    Column("used_at", DateTime(timezone=True)), Column("revoked_at", DateTime(timezone=True)),
)  # fmt: skip
rooms = Table(
    "rooms", _metadata,
    Column("id", Text, primary_key=True), Column("code", Text), Column("name", Text),
    Column("owner_id", Text), Column("password_hash", Text),
    Column("created_at", DateTime(timezone=True)), Column("last_seq", BigInteger),
    Column("allow_guests", Boolean), Column("lobby", Text), Column("media_mode", Text),
)  # fmt: skip
memberships = Table(
    "memberships", _metadata,
    Column("room_id", Text, primary_key=True), Column("user_id", Text, primary_key=True),
    Column("role", Text), Column("last_joined_at", DateTime(timezone=True)),
)  # fmt: skip
messages = Table(
    "messages", _metadata,
    Column("id", Text, primary_key=True), Column("room_id", Text), Column("seq", BigInteger),
    Column("sender_id", Text), Column("sender_name", Text), Column("client_id", Text),
    Column("text", Text), Column("created_at", DateTime(timezone=True)),
    Column("sender_guest", Boolean),
)  # fmt: skip
recordings = Table(
    "recordings", _metadata,
    Column("id", Text, primary_key=True), Column("room_id", Text), Column("owner_id", Text),
    Column("started_at", DateTime(timezone=True)), Column("status", Text),
    Column("ended_at", DateTime(timezone=True)), Column("file_name", Text),
    Column("size_bytes", BigInteger), Column("duration_seconds", Double), Column("error", Text),
)  # fmt: skip

USER_COLUMNS = tuple(users.c)
TOKEN_COLUMNS = tuple(refresh_tokens.c)
ROOM_COLUMNS = (rooms.c.id, rooms.c.code, rooms.c.name, rooms.c.owner_id, rooms.c.password_hash,
                rooms.c.created_at, rooms.c.allow_guests, rooms.c.lobby,
                rooms.c.media_mode)  # fmt: skip
MEMBER_COLUMNS = (memberships.c.user_id, users.c.display_name, memberships.c.role,
                  memberships.c.last_joined_at)  # fmt: skip
MESSAGE_COLUMNS = tuple(messages.c)
RECORDING_COLUMNS = tuple(recordings.c)


def _revoked(session_id: str) -> Any:
    """Whether a login session was revoked, as an SQL expression."""
    return exists().where(
        refresh_tokens.c.session_id == session_id, refresh_tokens.c.revoked_at.is_not(None)
    )


def _engine_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.drivername not in ("postgresql", "postgresql+asyncpg"):
        raise ValueError(f"PostgreSQL is reached through asyncpg, not {parsed.drivername!r}")
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def _is_unique_violation(error: IntegrityError) -> bool:
    return getattr(error.orig, "sqlstate", None) == UNIQUE_VIOLATION


def _unreachable(error: BaseException) -> bool:
    """Whether an error means PostgreSQL cannot be reached, rather than a failed statement."""
    if isinstance(error, OSError | TimeoutError | PoolTimeout):
        return True
    if isinstance(error, DBAPIError):
        sqlstate = str(getattr(error.orig, "sqlstate", "") or "")
        return error.connection_invalidated or sqlstate.startswith(UNREACHABLE_SQLSTATES)
    return False


@unavailable_when(_unreachable)
class PostgresStore(Store):
    """A connection pool of `pool_size` connections per process, checked before each use."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = _engine_url(url)
        self.pool_size = pool_size
        self._engine: AsyncEngine | None = None

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError("store is not connected")
        return self._engine

    async def connect(self) -> None:
        engine = create_async_engine(
            self.url,
            pool_size=self.pool_size,
            max_overflow=0,
            pool_pre_ping=True,
            pool_timeout=CONNECT_TIMEOUT,
            connect_args={"timeout": CONNECT_TIMEOUT},
        )
        try:
            async with engine.begin() as connection:
                await migrate(connection)
        except BaseException:
            await engine.dispose()
            raise
        self._engine = engine

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def _rows(self, query: Select[Any]) -> Sequence[Row[Any]]:
        async with self.engine.connect() as connection:
            rows: Sequence[Row[Any]] = (await connection.execute(query)).all()
        return rows

    async def _row(self, query: Select[Any]) -> Row[Any] | None:
        rows = await self._rows(query)
        return rows[0] if rows else None

    async def _insert(self, statement: Insert) -> None:
        try:
            async with self.engine.begin() as connection:
                await connection.execute(statement)
        except IntegrityError as error:
            if _is_unique_violation(error):
                raise DuplicateError(str(error.orig)) from error
            raise

    # Users
    async def create_user(self, user: UserRecord) -> None:
        await self._insert(insert(users).values(**asdict(user)))

    async def get_user(self, user_id: str) -> UserRecord | None:
        row = await self._row(select(*USER_COLUMNS).where(users.c.id == user_id))
        return None if row is None else UserRecord(**row._mapping)

    async def get_user_by_email(self, email: str) -> UserRecord | None:
        row = await self._row(
            select(*USER_COLUMNS).where(func.lower(users.c.email) == func.lower(email))
        )
        return None if row is None else UserRecord(**row._mapping)

    async def update_user(
        self, user_id: str, *, display_name: str | None = None, password_hash: str | None = None
    ) -> UserRecord | None:
        changes = user_changes(display_name=display_name, password_hash=password_hash)
        if not changes:
            return await self.get_user(user_id)
        async with self.engine.begin() as connection:
            row = (
                await connection.execute(
                    update(users)
                    .where(users.c.id == user_id)
                    .values(**changes)
                    .returning(*USER_COLUMNS)
                )
            ).one_or_none()
        return None if row is None else UserRecord(**row._mapping)

    # Refresh tokens
    async def add_refresh_token(self, token: RefreshTokenRecord) -> None:
        await self._insert(insert(refresh_tokens).values(**asdict(token)))

    async def use_refresh_token(self, token_hash: str, at: datetime) -> RefreshTokenRecord | None:
        async with self.engine.begin() as connection:
            row = (
                await connection.execute(
                    select(*TOKEN_COLUMNS)
                    .where(refresh_tokens.c.token_hash == token_hash)
                    .with_for_update()
                )
            ).one_or_none()
            if row is None:
                return None
            before = RefreshTokenRecord(**row._mapping)
            if before.used_at is None:
                await connection.execute(
                    update(refresh_tokens)
                    .where(refresh_tokens.c.token_hash == token_hash)
                    .values(used_at=at)
                )
            return before

    async def revoke_session(self, session_id: str, at: datetime) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(
                update(refresh_tokens)
                .where(refresh_tokens.c.session_id == session_id)
                .where(refresh_tokens.c.revoked_at.is_(None))
                .values(revoked_at=at)
            )

    async def revoke_user_sessions(
        self, user_id: str, except_session_id: str, at: datetime
    ) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(
                update(refresh_tokens)
                .where(refresh_tokens.c.user_id == user_id)
                .where(refresh_tokens.c.session_id != except_session_id)
                .where(refresh_tokens.c.revoked_at.is_(None))
                .values(revoked_at=at)
            )

    async def session_revoked(self, session_id: str) -> bool:
        row = await self._row(select(_revoked(session_id)))
        return bool(row and row[0])

    async def session_user(self, session_id: str, user_id: str) -> SessionUser:
        row = await self._row(
            select(_revoked(session_id).label("revoked"), *USER_COLUMNS).where(
                users.c.id == user_id
            )
        )
        if row is None:  # no such user: a second look, for the session alone
            return SessionUser(await self.session_revoked(session_id), None)
        fields = dict(row._mapping)
        revoked = bool(fields.pop("revoked"))
        return SessionUser(revoked, UserRecord(**fields))

    # Rooms
    async def create_room(self, room: RoomRecord) -> None:
        await self._insert(insert(rooms).values(**asdict(room)))

    async def get_room(self, room_id: str) -> RoomRecord | None:
        row = await self._row(select(*ROOM_COLUMNS).where(rooms.c.id == room_id))
        return None if row is None else RoomRecord(**row._mapping)

    async def get_room_by_code(self, code: str) -> RoomRecord | None:
        row = await self._row(select(*ROOM_COLUMNS).where(rooms.c.code == code))
        return None if row is None else RoomRecord(**row._mapping)

    async def update_room(self, room_id: str, changes: RoomChanges) -> RoomRecord | None:
        fields = room_changes(changes)
        if not fields:
            return await self.get_room(room_id)
        async with self.engine.begin() as connection:
            row = (
                await connection.execute(
                    update(rooms)
                    .where(rooms.c.id == room_id)
                    .values(**fields)
                    .returning(*ROOM_COLUMNS)
                )
            ).one_or_none()
        return None if row is None else RoomRecord(**row._mapping)

    async def delete_room(self, room_id: str) -> bool:
        async with self.engine.begin() as connection:
            result = await connection.execute(rooms.delete().where(rooms.c.id == room_id))
        return result.rowcount > 0

    async def list_owned_rooms(self, owner_id: str) -> list[RoomRecord]:
        rows = await self._rows(
            select(*ROOM_COLUMNS)
            .where(rooms.c.owner_id == owner_id)
            .order_by(rooms.c.created_at.desc(), rooms.c.id)
        )
        return [RoomRecord(**row._mapping) for row in rows]

    async def record_join(self, room_id: str, user_id: str, at: datetime) -> None:
        statement = insert(memberships).values(
            room_id=room_id, user_id=user_id, role="member", last_joined_at=at
        )
        async with self.engine.begin() as connection:
            await connection.execute(
                statement.on_conflict_do_update(
                    index_elements=[memberships.c.room_id, memberships.c.user_id],
                    set_={"last_joined_at": statement.excluded.last_joined_at},
                )
            )

    async def add_member(self, room_id: str, user_id: str, role: MemberRole) -> bool:
        async with self.engine.begin() as connection:
            added = (
                await connection.execute(
                    insert(memberships)
                    .values(room_id=room_id, user_id=user_id, role=role, last_joined_at=None)
                    .on_conflict_do_nothing(
                        index_elements=[memberships.c.room_id, memberships.c.user_id]
                    )
                    .returning(memberships.c.user_id)
                )
            ).scalar_one_or_none()
        return added is not None

    async def member_role(self, room_id: str, user_id: str) -> MemberRole | None:
        row = await self._row(
            select(memberships.c.role)
            .where(memberships.c.room_id == room_id)
            .where(memberships.c.user_id == user_id)
        )
        return None if row is None else parse_member_role(row.role)

    async def set_member_role(self, room_id: str, user_id: str, role: MemberRole) -> bool:
        async with self.engine.begin() as connection:
            result = await connection.execute(
                update(memberships)
                .where(memberships.c.room_id == room_id)
                .where(memberships.c.user_id == user_id)
                .values(role=role)
            )
        return result.rowcount > 0

    async def list_members(self, room_id: str) -> list[MemberRecord]:
        rows = await self._rows(
            select(*MEMBER_COLUMNS)
            .select_from(memberships.join(users, users.c.id == memberships.c.user_id))
            .where(memberships.c.room_id == room_id)
            .order_by(
                memberships.c.last_joined_at.desc().nulls_last(),
                users.c.display_name,
                memberships.c.user_id,
            )
        )
        return [MemberRecord(**row._mapping) for row in rows]

    async def list_recent_rooms(self, user_id: str, limit: int) -> list[RoomRecord]:
        rows = await self._rows(
            select(*ROOM_COLUMNS)
            .join(memberships, memberships.c.room_id == rooms.c.id)
            .where(memberships.c.user_id == user_id)
            .where(memberships.c.last_joined_at.is_not(None))
            .order_by(memberships.c.last_joined_at.desc())
            .limit(limit)
        )
        return [RoomRecord(**row._mapping) for row in rows]

    # Messages
    async def append_message(self, message: NewMessage) -> tuple[MessageRecord, bool]:
        async with self.engine.connect() as connection:
            async with connection.begin() as transaction:
                seq = (
                    await connection.execute(
                        update(rooms)
                        .where(rooms.c.id == message.room_id)
                        .values(last_seq=rooms.c.last_seq + 1)
                        .returning(rooms.c.last_seq)
                    )
                ).scalar_one_or_none()
                if seq is None:
                    raise LookupError(f"room {message.room_id} does not exist")
                record = MessageRecord(
                    id=uuid.uuid4().hex,
                    room_id=message.room_id,
                    seq=seq,
                    sender_id=message.sender_id,
                    sender_name=message.sender_name,
                    client_id=message.client_id,
                    text=message.text,
                    created_at=message.created_at,
                    sender_guest=message.sender_guest,
                )
                inserted = (
                    await connection.execute(
                        insert(messages)
                        .values(**asdict(record))
                        .on_conflict_do_nothing(
                            index_elements=[
                                messages.c.room_id,
                                messages.c.sender_id,
                                messages.c.client_id,
                            ]
                        )
                        .returning(messages.c.id)
                    )
                ).scalar_one_or_none()
                if inserted is not None:
                    return record, True
                # A retry: the original committed before this transaction took the room's lock.
                await transaction.rollback()
            existing = (
                await connection.execute(
                    select(*MESSAGE_COLUMNS)
                    .where(messages.c.room_id == message.room_id)
                    .where(messages.c.sender_id == message.sender_id)
                    .where(messages.c.client_id == message.client_id)
                )
            ).one()
        return MessageRecord(**existing._mapping), False

    async def list_messages(
        self, room_id: str, *, before_seq: int | None = None, limit: int = 50
    ) -> list[MessageRecord]:
        query = select(*MESSAGE_COLUMNS).where(messages.c.room_id == room_id)
        if before_seq is not None:
            query = query.where(messages.c.seq < before_seq)
        rows = await self._rows(query.order_by(messages.c.seq.desc()).limit(limit))
        return [MessageRecord(**row._mapping) for row in rows]

    async def messages_after(self, room_id: str, after_seq: int, limit: int) -> list[MessageRecord]:
        rows = await self._rows(
            select(*MESSAGE_COLUMNS)
            .where(messages.c.room_id == room_id)
            .where(messages.c.seq > after_seq)
            .order_by(messages.c.seq)
            .limit(limit)
        )
        return [MessageRecord(**row._mapping) for row in rows]

    # Recordings
    async def create_recording(self, recording: RecordingRecord) -> None:
        try:
            await self._insert(insert(recordings).values(**asdict(recording)))
        except IntegrityError as error:
            if getattr(error.orig, "sqlstate", None) != FOREIGN_KEY_VIOLATION:
                raise
            raise LookupError(f"room {recording.room_id} does not exist") from error

    async def get_recording(self, recording_id: str) -> RecordingRecord | None:
        row = await self._row(select(*RECORDING_COLUMNS).where(recordings.c.id == recording_id))
        return None if row is None else _recording(row)

    async def update_recording(
        self, recording_id: str, changes: RecordingChanges
    ) -> RecordingRecord | None:
        fields = recording_changes(changes)
        if not fields:
            return await self.get_recording(recording_id)
        async with self.engine.begin() as connection:
            row = (
                await connection.execute(
                    update(recordings)
                    .where(recordings.c.id == recording_id)
                    .values(**fields)
                    .returning(*RECORDING_COLUMNS)
                )
            ).one_or_none()
        return None if row is None else _recording(row)

    async def list_recordings(self, room_id: str) -> list[RecordingRecord]:
        rows = await self._rows(
            select(*RECORDING_COLUMNS)
            .where(recordings.c.room_id == room_id)
            .order_by(recordings.c.started_at.desc(), recordings.c.id)
        )
        return [_recording(row) for row in rows]

    async def recordings_started_before(self, cutoff: datetime) -> list[RecordingRecord]:
        rows = await self._rows(
            select(*RECORDING_COLUMNS)
            .where(recordings.c.started_at < cutoff)
            .order_by(recordings.c.started_at, recordings.c.id)
        )
        return [_recording(row) for row in rows]

    async def recordings_in_progress(self) -> list[RecordingRecord]:
        rows = await self._rows(
            select(*RECORDING_COLUMNS)
            .where(recordings.c.status.in_(("recording", "processing")))
            .order_by(recordings.c.started_at, recordings.c.id)
        )
        return [_recording(row) for row in rows]

    async def recording_files(self) -> set[str]:
        rows = await self._rows(
            select(recordings.c.file_name).where(recordings.c.file_name.is_not(None))
        )
        return {row.file_name for row in rows}

    async def delete_recording(self, recording_id: str) -> bool:
        async with self.engine.begin() as connection:
            result = await connection.execute(
                recordings.delete().where(recordings.c.id == recording_id)
            )
        return result.rowcount > 0


def _recording(row: Row[Any]) -> RecordingRecord:
    fields = dict(row._mapping)
    return RecordingRecord(**{**fields, "status": parse_recording_status(fields["status"])})
