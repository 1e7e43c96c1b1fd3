"""Rooms and their chat history."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Query, status

from glimpse.api.deps import (
    RATE_LIMITED,
    ClientAddress,
    CurrentUser,
    HubDep,
    LimiterDep,
    RoomsDep,
    SettingsDep,
    StoreDep,
)
from glimpse.api.schemas import (
    MessagePage,
    MessagePublic,
    RoomCreate,
    RoomLists,
    RoomPublic,
    RoomUpdate,
)
from glimpse.bus import BusUnavailable
from glimpse.errors import Forbidden
from glimpse.limits import Limit

log = logging.getLogger(__name__)

router = APIRouter(prefix="/rooms", tags=["rooms"])

RECENT_ROOMS = 20
MAX_PAGE = 100
MAX_SEQ = 2**63 - 1
"""Sequence numbers are 64-bit signed integers in every store: a larger `before` is refused."""


@router.post("", status_code=status.HTTP_201_CREATED, responses=RATE_LIMITED)
async def create_room(
    body: RoomCreate,
    user: CurrentUser,
    rooms: RoomsDep,
    settings: SettingsDep,
    limiter: LimiterDep,
) -> RoomPublic:
    """Rooms with a password (each a password hash) are limited per user."""
    if body.password:
        await limiter.enforce(
            Limit("room-with-password:user", user.id, settings.room_with_password_limit_per_user)
        )
    return RoomPublic.of(await rooms.create(user.id, body.name, body.password))


@router.get("")
async def list_rooms(user: CurrentUser, store: StoreDep) -> RoomLists:
    """The rooms I own, and the rooms I joined most recently."""
    owned = await store.list_owned_rooms(user.id)
    recent = await store.list_recent_rooms(user.id, RECENT_ROOMS)
    return RoomLists(
        owned=[RoomPublic.of(room) for room in owned],
        recent=[RoomPublic.of(room) for room in recent],
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
    room_id: str, body: RoomUpdate, user: CurrentUser, rooms: RoomsDep, store: StoreDep
) -> RoomPublic:
    await rooms.owned(room_id, user.id)
    renamed = await store.rename_room(room_id, body.name)
    return RoomPublic.of(renamed or await rooms.get(room_id))


@router.delete("/{room_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_room(
    room_id: str, user: CurrentUser, rooms: RoomsDep, store: StoreDep, hub: HubDep
) -> None:
    """Delete the room with its history; anyone in it is told and disconnected."""
    await rooms.owned(room_id, user.id)
    await store.delete_room(room_id)
    try:
        await hub.close_room(room_id)
    except BusUnavailable:  # deleted all the same; those on other instances find out on rejoin
        log.warning("room %s deleted while the bus is down", room_id)


@router.get("/{room_id}/messages")
async def list_messages(
    room_id: str,
    user: CurrentUser,
    rooms: RoomsDep,
    store: StoreDep,
    before: Annotated[
        int | None, Query(ge=1, le=MAX_SEQ, description="Only messages with seq < before")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> MessagePage:
    """A room's chat history, newest first, for users who have joined the room."""
    room = await rooms.get(room_id)
    if not await rooms.belongs(room, user.id):
        raise Forbidden("join this room to read its history", code="not_a_member")
    records = await store.list_messages(room.id, before_seq=before, limit=limit + 1)
    more = len(records) > limit
    page = records[:limit]
    return MessagePage(
        messages=[MessagePublic.model_validate(record) for record in page],
        next_before=page[-1].seq if more else None,
    )
