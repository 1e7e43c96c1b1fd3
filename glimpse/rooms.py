"""Rooms: creation with a short shareable code, lookup, ownership and password checks."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime

from glimpse.auth.passwords import PasswordHashing
from glimpse.errors import Forbidden, NotFound
from glimpse.limits import Limit, Limiter, Rate
from glimpse.store import DuplicateError, RoomRecord, Store

CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: easy to read aloud
CODE_GROUPS = 3
CODE_GROUP_LENGTH = 4


def new_room_code() -> str:
    """Like `kq7x-m2pa-9rtv`: about 73 bits, unguessable, easy to type."""
    groups = (
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_GROUP_LENGTH))
        for _ in range(CODE_GROUPS)
    )
    return "-".join(groups)


class RoomService:
    def __init__(
        self,
        store: Store,
        passwords: PasswordHashing,
        limiter: Limiter,
        *,
        guesses_per_user: Rate,
        guesses_per_room: Rate,
    ) -> None:
        self._store = store
        self._passwords = passwords
        self._limiter = limiter
        self._guesses_per_user = guesses_per_user
        self._guesses_per_room = guesses_per_room

    async def create(self, owner_id: str, name: str, password: str | None) -> RoomRecord:
        password_hash = await self._passwords.hash(password) if password else None
        while True:
            room = RoomRecord(
                id=uuid.uuid4().hex,
                code=new_room_code(),
                name=name.strip(),
                owner_id=owner_id,
                password_hash=password_hash,
                created_at=datetime.now(UTC),
            )
            try:
                await self._store.create_room(room)
            except DuplicateError:
                continue  # a code collision: draw another
            return room

    async def get(self, room_id: str) -> RoomRecord:
        room = await self._store.get_room(room_id)
        if room is None:
            raise NotFound("no such room", code="room_not_found")
        return room

    async def find(self, id_or_code: str) -> RoomRecord:
        """A room by its id or by its shareable code."""
        room = await self._store.get_room(id_or_code) or await self._store.get_room_by_code(
            id_or_code.strip().lower()
        )
        if room is None:
            raise NotFound("no such room", code="room_not_found")
        return room

    async def owned(self, room_id: str, user_id: str) -> RoomRecord:
        room = await self.get(room_id)
        if room.owner_id != user_id:
            raise Forbidden("only the room's owner may do this", code="not_room_owner")
        return room

    async def check_password(self, room: RoomRecord, password: str | None, user_id: str) -> None:
        """Wrong passwords count against the user, on every socket and instance, and against the
        room unless the user belongs to it (so that strangers cannot lock its people out); past
        a limit a password is not even checked (RateLimited)."""
        if room.password_hash is None:
            return
        if not password:
            raise Forbidden("this room needs a password", code="room_password_required")
        guesses = [Limit("room-password:user", user_id, self._guesses_per_user)]
        if not await self.belongs(room, user_id):
            guesses.append(Limit("room-password:room", room.id, self._guesses_per_room))
        await self._limiter.enforce(*guesses)
        if not await self._passwords.verify(room.password_hash, password):
            raise Forbidden("wrong room password", code="wrong_room_password")
        await self._limiter.refund(*guesses)

    async def record_join(self, room_id: str, user_id: str) -> None:
        """Remember the join: it lists the room among the user's recent ones, opens its history."""
        await self._store.record_join(room_id, user_id, datetime.now(UTC))

    async def belongs(self, room: RoomRecord, user_id: str) -> bool:
        """The room's owner, or a user who has joined it before: may read its history."""
        return room.owner_id == user_id or await self._store.is_member(room.id, user_id)
