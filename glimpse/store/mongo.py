"""MongoDB store: PyMongo's asyncio client, a collection per kind of record, unique indexes.

Chat sequence numbers without multi-document transactions: a writer inserts its message with
seq = (highest seq in the room) + 1, and the unique index on (room_id, seq) lets exactly one writer
have each number; a writer that loses re-reads the highest seq and tries again (each round one of
the contenders wins, so writers to one busy room may retry a few times). There is no counter that a
failed insert could leave incremented, so seqs are gap-free whatever crashes, and seq N is inserted
only once N-1 is visible. Idempotency: the unique index on (room_id, sender_id, client_id); a
duplicate there, from a retry racing its original in another process, returns the stored message.

Times are stored as integer microseconds since the epoch (UTC): they come back exactly as given, as
from the SQL stores, where BSON dates keep milliseconds (and nx-27017, the test server, stores a
date written by `$set` as a string).

Fields added since the first version (a room's `allow_guests`, `lobby` and `media_mode`, a
membership's `role`, a message's `sender_guest`) read with their defaults from documents stored
before them, so no migration rewrites old documents.

Without transactions, a room deleted while a message is being appended to it can leave that one
message behind, unreachable (nothing lists messages of a room that does not exist).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure, DuplicateKeyError

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
    user_changes,
)

Document = dict[str, Any]
DEFAULT_DATABASE = "glimpse"
SERVER_SELECTION_TIMEOUT_MS = 5000
"""How long an operation waits for an unreachable server (the driver's default is 30 s, too long
for /readyz or a chat message)."""
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

INDEXES: dict[str, list[tuple[list[tuple[str, int]], bool]]] = {
    # collection: [(keys, unique)]
    "users": [([("email_key", ASCENDING)], True)],
    "refresh_tokens": [([("session_id", ASCENDING)], False), ([("user_id", ASCENDING)], False)],
    "rooms": [
        ([("code", ASCENDING)], True),
        ([("owner_id", ASCENDING), ("created_at", DESCENDING)], False),
    ],
    "memberships": [
        ([("room_id", ASCENDING), ("user_id", ASCENDING)], True),
        ([("user_id", ASCENDING), ("last_joined_at", DESCENDING)], False),
    ],
    "messages": [
        ([("room_id", ASCENDING), ("seq", ASCENDING)], True),
        ([("room_id", ASCENDING), ("sender_id", ASCENDING), ("client_id", ASCENDING)], True),
    ],
    "recordings": [
        ([("room_id", ASCENDING), ("started_at", DESCENDING)], False),
        ([("started_at", ASCENDING)], False),
    ],
}


def _micros(value: datetime) -> int:
    return (value - EPOCH) // timedelta(microseconds=1)


def _time(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)


def _optional_time(value: int | None) -> datetime | None:
    return None if value is None else _time(value)


def _user(doc: Document) -> UserRecord:
    return UserRecord(
        doc["_id"], doc["email"], doc["display_name"], doc["password_hash"],
        _time(doc["created_at"]),
    )  # fmt: skip


def _token(doc: Document) -> RefreshTokenRecord:
    return RefreshTokenRecord(
        doc["_id"], doc["session_id"], doc["user_id"], _time(doc["expires_at"]),
        _optional_time(doc["used_at"]), _optional_time(doc["revoked_at"]),
    )  # fmt: skip


def _room(doc: Document) -> RoomRecord:
    return RoomRecord(
        doc["_id"], doc["code"], doc["name"], doc["owner_id"], doc["password_hash"],
        _time(doc["created_at"]), doc.get("allow_guests", True),
        parse_lobby_mode(doc.get("lobby", "off")), parse_media_mode(doc.get("media_mode", "auto")),
    )  # fmt: skip


def _role(membership: Document) -> MemberRole:
    return parse_member_role(membership.get("role", "member"))


def _message(doc: Document) -> MessageRecord:
    return MessageRecord(
        doc["_id"], doc["room_id"], doc["seq"], doc["sender_id"], doc["sender_name"],
        doc["client_id"], doc["text"], _time(doc["created_at"]), doc.get("sender_guest", False),
    )  # fmt: skip


def _recording(doc: Document) -> RecordingRecord:
    return RecordingRecord(
        doc["_id"], doc["room_id"], doc["owner_id"], _time(doc["started_at"]),
        parse_recording_status(doc["status"]), _optional_time(doc["ended_at"]),
        doc["file_name"], doc["size_bytes"], doc["duration_seconds"], doc["error"],
    )  # fmt: skip


def _recording_fields(fields: dict[str, object]) -> Document:
    """Recording fields as stored: times in microseconds."""
    return {
        key: _micros(value) if isinstance(value, datetime) else value
        for key, value in fields.items()
    }


def _joined_order(member: MemberRecord) -> tuple[int, str, str]:
    """Most recently joined first, then those who never joined, by name."""
    joined = member.last_joined_at
    return (-_micros(joined) if joined else 1, member.display_name, member.user_id)


def _unreachable(error: BaseException) -> bool:
    """No server selected in time, a network error or timeout, a full connection pool."""
    return isinstance(error, ConnectionFailure)


@unavailable_when(_unreachable)
class MongoStore(Store):
    """The database named in the URL (`glimpse` when none), `pool_size` connections at most."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.pool_size = pool_size
        self._client: AsyncMongoClient[Document] | None = None

    @property
    def db(self) -> AsyncDatabase[Document]:
        if self._client is None:
            raise RuntimeError("store is not connected")
        return self._client.get_default_database(DEFAULT_DATABASE)

    def _collection(self, name: str) -> AsyncCollection[Document]:
        return self.db[name]

    async def connect(self) -> None:
        self._client = AsyncMongoClient(
            self.url,
            maxPoolSize=self.pool_size,
            serverSelectionTimeoutMS=SERVER_SELECTION_TIMEOUT_MS,
        )
        try:
            for collection, indexes in INDEXES.items():
                for keys, unique in indexes:
                    await self._collection(collection).create_index(keys, unique=unique)
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def ping(self) -> None:
        await self.db.command("ping")

    async def _find(
        self, collection: str, query: Document, sort: list[tuple[str, int]], limit: int
    ) -> list[Document]:
        """The first `limit` matches; limit 0 finds none, as in SQL (PyMongo would find all)."""
        if limit <= 0:
            return []
        cursor = self._collection(collection).find(query, sort=sort, limit=limit)
        return [doc async for doc in cursor]

    async def _insert(self, collection: str, doc: Document) -> None:
        try:
            await self._collection(collection).insert_one(doc)
        except DuplicateKeyError as error:
            raise DuplicateError(str(error)) from error

    # Users
    async def create_user(self, user: UserRecord) -> None:
        await self._insert(
            "users",
            {
                "_id": user.id, "email": user.email, "email_key": user.email.lower(),
                "display_name": user.display_name, "password_hash": user.password_hash,
                "created_at": _micros(user.created_at),
            },
        )  # fmt: skip

    async def get_user(self, user_id: str) -> UserRecord | None:
        doc = await self._collection("users").find_one({"_id": user_id})
        return None if doc is None else _user(doc)

    async def get_user_by_email(self, email: str) -> UserRecord | None:
        doc = await self._collection("users").find_one({"email_key": email.lower()})
        return None if doc is None else _user(doc)

    async def update_user(
        self, user_id: str, *, display_name: str | None = None, password_hash: str | None = None
    ) -> UserRecord | None:
        changes = user_changes(display_name=display_name, password_hash=password_hash)
        if not changes:
            return await self.get_user(user_id)
        doc = await self._collection("users").find_one_and_update(
            {"_id": user_id}, {"$set": changes}, return_document=ReturnDocument.AFTER
        )
        return None if doc is None else _user(doc)

    # Refresh tokens
    async def add_refresh_token(self, token: RefreshTokenRecord) -> None:
        await self._insert(
            "refresh_tokens",
            {
                "_id": token.token_hash, "session_id": token.session_id,
                "user_id": token.user_id, "expires_at": _micros(token.expires_at),
                "used_at": None, "revoked_at": None,
            },
        )  # fmt: skip

    async def use_refresh_token(self, token_hash: str, at: datetime) -> RefreshTokenRecord | None:
        tokens = self._collection("refresh_tokens")
        fresh = await tokens.find_one_and_update(
            {"_id": token_hash, "used_at": None},
            {"$set": {"used_at": _micros(at)}},
            return_document=ReturnDocument.BEFORE,
        )
        if fresh is not None:
            return _token(fresh)
        used = await tokens.find_one({"_id": token_hash})  # already used, or unknown
        return None if used is None else _token(used)

    async def revoke_session(self, session_id: str, at: datetime) -> None:
        await self._collection("refresh_tokens").update_many(
            {"session_id": session_id, "revoked_at": None}, {"$set": {"revoked_at": _micros(at)}}
        )

    async def revoke_user_sessions(
        self, user_id: str, except_session_id: str, at: datetime
    ) -> None:
        await self._collection("refresh_tokens").update_many(
            {"user_id": user_id, "session_id": {"$ne": except_session_id}, "revoked_at": None},
            {"$set": {"revoked_at": _micros(at)}},
        )

    async def session_revoked(self, session_id: str) -> bool:
        revoked = await self._collection("refresh_tokens").find_one(
            {"session_id": session_id, "revoked_at": {"$ne": None}}
        )
        return revoked is not None

    async def session_user(self, session_id: str, user_id: str) -> SessionUser:
        """Two round trips: MongoDB joins only in an aggregation, kept out of this backend."""
        return SessionUser(await self.session_revoked(session_id), await self.get_user(user_id))

    # Rooms
    async def create_room(self, room: RoomRecord) -> None:
        await self._insert(
            "rooms",
            {
                "_id": room.id, "code": room.code, "name": room.name, "owner_id": room.owner_id,
                "password_hash": room.password_hash, "created_at": _micros(room.created_at),
                "allow_guests": room.allow_guests, "lobby": room.lobby,
                "media_mode": room.media_mode,
            },
        )  # fmt: skip

    async def get_room(self, room_id: str) -> RoomRecord | None:
        doc = await self._collection("rooms").find_one({"_id": room_id})
        return None if doc is None else _room(doc)

    async def get_room_by_code(self, code: str) -> RoomRecord | None:
        doc = await self._collection("rooms").find_one({"code": code})
        return None if doc is None else _room(doc)

    async def update_room(self, room_id: str, changes: RoomChanges) -> RoomRecord | None:
        fields = room_changes(changes)
        if not fields:
            return await self.get_room(room_id)
        doc = await self._collection("rooms").find_one_and_update(
            {"_id": room_id}, {"$set": fields}, return_document=ReturnDocument.AFTER
        )
        return None if doc is None else _room(doc)

    async def delete_room(self, room_id: str) -> bool:
        deleted = await self._collection("rooms").delete_one({"_id": room_id})
        if deleted.deleted_count == 0:
            return False
        await self._collection("messages").delete_many({"room_id": room_id})
        await self._collection("memberships").delete_many({"room_id": room_id})
        await self._collection("recordings").delete_many({"room_id": room_id})
        return True

    async def list_owned_rooms(self, owner_id: str) -> list[RoomRecord]:
        cursor = self._collection("rooms").find(
            {"owner_id": owner_id}, sort=[("created_at", DESCENDING), ("_id", ASCENDING)]
        )
        return [_room(doc) async for doc in cursor]

    async def record_join(self, room_id: str, user_id: str, at: datetime) -> None:
        memberships = self._collection("memberships")
        key = {"room_id": room_id, "user_id": user_id}
        joined = {"$set": {"last_joined_at": _micros(at)}}
        try:
            await memberships.update_one(
                key, {**joined, "$setOnInsert": {"role": "member"}}, upsert=True
            )
        except DuplicateKeyError:  # a first join racing another: the document exists now
            await memberships.update_one(key, joined)

    async def add_member(self, room_id: str, user_id: str, role: MemberRole) -> bool:
        try:
            await self._collection("memberships").insert_one(
                {"room_id": room_id, "user_id": user_id, "role": role, "last_joined_at": None}
            )
        except DuplicateKeyError:
            return False
        return True

    async def member_role(self, room_id: str, user_id: str) -> MemberRole | None:
        doc = await self._collection("memberships").find_one(
            {"room_id": room_id, "user_id": user_id}
        )
        return None if doc is None else _role(doc)

    async def set_member_role(self, room_id: str, user_id: str, role: MemberRole) -> bool:
        result = await self._collection("memberships").update_one(
            {"room_id": room_id, "user_id": user_id}, {"$set": {"role": role}}
        )
        return result.matched_count > 0

    async def list_members(self, room_id: str) -> list[MemberRecord]:
        memberships = [
            doc async for doc in self._collection("memberships").find({"room_id": room_id})
        ]
        names = {
            doc["_id"]: doc["display_name"]
            async for doc in self._collection("users").find(
                {"_id": {"$in": [doc["user_id"] for doc in memberships]}}
            )
        }
        members = [
            MemberRecord(user_id, names[user_id], _role(doc), _optional_time(doc["last_joined_at"]))
            for doc in memberships
            if (user_id := doc["user_id"]) in names
        ]
        return sorted(members, key=_joined_order)

    async def list_recent_rooms(self, user_id: str, limit: int) -> list[RoomRecord]:
        joins = await self._find(
            "memberships",
            {"user_id": user_id, "last_joined_at": {"$ne": None}},
            [("last_joined_at", DESCENDING)],
            limit,
        )
        room_ids = [doc["room_id"] for doc in joins]
        rooms = {
            doc["_id"]: _room(doc)
            async for doc in self._collection("rooms").find({"_id": {"$in": room_ids}})
        }
        return [rooms[room_id] for room_id in room_ids if room_id in rooms]

    # Messages
    async def append_message(self, message: NewMessage) -> tuple[MessageRecord, bool]:
        messages = self._collection("messages")
        while True:
            seq = await self._next_seq(message.room_id)
            record = MessageRecord(
                id=uuid4().hex,
                room_id=message.room_id,
                seq=seq,
                sender_id=message.sender_id,
                sender_name=message.sender_name,
                client_id=message.client_id,
                text=message.text,
                created_at=message.created_at,
                sender_guest=message.sender_guest,
            )
            try:
                await messages.insert_one(
                    {
                        "_id": record.id, "room_id": record.room_id, "seq": record.seq,
                        "sender_id": record.sender_id, "sender_name": record.sender_name,
                        "client_id": record.client_id, "text": record.text,
                        "created_at": _micros(record.created_at),
                        "sender_guest": record.sender_guest,
                    }
                )  # fmt: skip
                return record, True
            except DuplicateKeyError:
                existing = await messages.find_one(
                    {
                        "room_id": message.room_id,
                        "sender_id": message.sender_id,
                        "client_id": message.client_id,
                    }
                )
                if existing is not None:
                    return _message(existing), False
                # Another writer took this seq first: read the new highest and try again.

    async def _next_seq(self, room_id: str) -> int:
        """One more than the highest seq in the room; raises LookupError for a missing room."""
        last = await self._collection("messages").find_one(
            {"room_id": room_id}, {"seq": 1}, sort=[("seq", DESCENDING)]
        )
        if last is not None:
            seq: int = last["seq"] + 1
            return seq
        if await self._collection("rooms").find_one({"_id": room_id}, {"_id": 1}) is None:
            raise LookupError(f"room {room_id} does not exist")
        return 1

    async def list_messages(
        self, room_id: str, *, before_seq: int | None = None, limit: int = 50
    ) -> list[MessageRecord]:
        query: Document = {"room_id": room_id}
        if before_seq is not None:
            query["seq"] = {"$lt": before_seq}
        docs = await self._find("messages", query, [("seq", DESCENDING)], limit)
        return [_message(doc) for doc in docs]

    async def messages_after(self, room_id: str, after_seq: int, limit: int) -> list[MessageRecord]:
        docs = await self._find(
            "messages", {"room_id": room_id, "seq": {"$gt": after_seq}}, [("seq", ASCENDING)], limit
        )
        return [_message(doc) for doc in docs]

    # Recordings
    async def create_recording(self, recording: RecordingRecord) -> None:
        if await self._collection("rooms").find_one({"_id": recording.room_id}, {"_id": 1}) is None:
            raise LookupError(f"room {recording.room_id} does not exist")
        fields = _recording_fields(asdict(recording))
        await self._insert("recordings", {"_id": fields.pop("id"), **fields})

    async def get_recording(self, recording_id: str) -> RecordingRecord | None:
        doc = await self._collection("recordings").find_one({"_id": recording_id})
        return None if doc is None else _recording(doc)

    async def update_recording(
        self, recording_id: str, changes: RecordingChanges
    ) -> RecordingRecord | None:
        fields = recording_changes(changes)
        if not fields:
            return await self.get_recording(recording_id)
        doc = await self._collection("recordings").find_one_and_update(
            {"_id": recording_id},
            {"$set": _recording_fields(fields)},
            return_document=ReturnDocument.AFTER,
        )
        return None if doc is None else _recording(doc)

    async def list_recordings(self, room_id: str) -> list[RecordingRecord]:
        cursor = self._collection("recordings").find(
            {"room_id": room_id}, sort=[("started_at", DESCENDING), ("_id", ASCENDING)]
        )
        return [_recording(doc) async for doc in cursor]

    async def recordings_started_before(self, cutoff: datetime) -> list[RecordingRecord]:
        cursor = self._collection("recordings").find(
            {"started_at": {"$lt": _micros(cutoff)}},
            sort=[("started_at", ASCENDING), ("_id", ASCENDING)],
        )
        return [_recording(doc) async for doc in cursor]

    async def recordings_in_progress(self) -> list[RecordingRecord]:
        cursor = self._collection("recordings").find(
            {"status": {"$in": ["recording", "processing"]}},
            sort=[("started_at", ASCENDING), ("_id", ASCENDING)],
        )
        return [_recording(doc) async for doc in cursor]

    async def recording_files(self) -> set[str]:
        cursor = self._collection("recordings").find({"file_name": {"$ne": None}}, {"file_name": 1})
        return {doc["file_name"] async for doc in cursor}

    async def delete_recording(self, recording_id: str) -> bool:
        deleted = await self._collection("recordings").delete_one({"_id": recording_id})
        return deleted.deleted_count > 0
