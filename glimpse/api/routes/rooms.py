"""Rooms and their chat history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from glimpse.api.deps import (
    RATE_LIMITED,
    ClientAddress,
    CurrentUser,
    LimiterDep,
    RoomsDep,
    SettingsDep,
)
from glimpse.api.schemas import (
    MessagePage,
    MessagePublic,
    RoomCreate,
    RoomLists,
    RoomPublic,
    RoomUpdate,
)
from glimpse.errors import Forbidden
from glimpse.limits import Limit

router = APIRouter(prefix="/rooms", tags=["rooms"])

MAX_PAGE = 100
MAX_SEQ = 2**63 - 1
"""Sequence numbers are 64-bit signed integers in every store: a larger `before` is refused."""


@router.post("", status_code=status.HTTP_201_CREATED, responses=RATE_LIMITED)
async def create_room(body: RoomCreate, user: CurrentUser, rooms: RoomsDep) -> RoomPublic:
    """Rooms with a password (each a password hash) are limited per user."""
    return RoomPublic.of(await rooms.create(user.id, body.name, body.password))


@router.get("")
async def list_rooms(user: CurrentUser, rooms: RoomsDep) -> RoomLists:
    """The rooms I own, and the rooms I joined most recently."""
    lists = await rooms.lists(user.id)
    return RoomLists(
        owned=[RoomPublic.of(room) for room in lists.owned],
        recent=[RoomPublic.of(room) for room in lists.recent],
    )


@router.get("/by-code/{code}", responses=RATE_LIMITED)
async def get_room_by_code(
    code: str,
    user: CurrentUser,
    rooms: RoomsDep,
    settings: SettingsDep,
    limiter: LimiterDep,
    address: ClientAddress,
) -> RoomPublic:
    """Limited per user and per address, so codes cannot be enumerated."""
    await limiter.enforce(
        Limit("room-lookup:user", user.id, settings.room_lookup_limit_per_user),
        Limit("room-lookup:address", address, settings.room_lookup_limit_per_address),
    )
    return RoomPublic.of(await rooms.find(code))


@router.get("/{room_id}")
async def get_room(room_id: str, user: CurrentUser, rooms: RoomsDep) -> RoomPublic:
    return RoomPublic.of(await rooms.get(room_id))


@router.patch("/{room_id}")
async def rename_room(
    room_id: str, body: RoomUpdate, user: CurrentUser, rooms: RoomsDep
) -> RoomPublic:
    return RoomPublic.of(await rooms.rename(room_id, user.id, body.name))


@router.delete("/{room_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_room(room_id: str, user: CurrentUser, rooms: RoomsDep) -> None:
    """Delete the room with its history; anyone in it is told and disconnected."""
    await rooms.delete(room_id, user.id)


@router.get("/{room_id}/messages")
async def list_messages(
    room_id: str,
    user: CurrentUser,
    rooms: RoomsDep,
    before: Annotated[
        int | None, Query(ge=1, le=MAX_SEQ, description="Only messages with seq < before")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> MessagePage:
    """A room's chat history, newest first, for users who have joined the room."""
    room = await rooms.get(room_id)
    if not await rooms.belongs(room, user.id):
        raise Forbidden("join this room to read its history", code="not_a_member")
    page = await rooms.history(room.id, limit, before=before)
    return MessagePage(
        messages=[MessagePublic.model_validate(record) for record in page.messages],
        next_before=page.messages[-1].seq if page.more else None,
    )
