"""Guests: what an invite link shows, and credentials for people without an account."""

from __future__ import annotations

import time

from fastapi import APIRouter, status

from glimpse.api.deps import (
    RATE_LIMITED,
    AuthDep,
    ClientAddress,
    CurrentGuest,
    LimiterDep,
    RoomsDep,
    SettingsDep,
)
from glimpse.api.schemas import GuestCreate, GuestCredential, InviteInfo, InviteRoom
from glimpse.auth.guests import GuestClaims
from glimpse.limits import Limit

router = APIRouter(tags=["guests"])


@router.get("/invites/{code}", responses=RATE_LIMITED)
async def read_invite(
    code: str, rooms: RoomsDep, settings: SettingsDep, limiter: LimiterDep, address: ClientAddress
) -> InviteInfo:
    """The room of an invite link, who hosts it and whether its meeting is being recorded now,
    for anyone with the link (no sign-in). Limited per address as room lookups are, so codes
    cannot be enumerated."""
    await limiter.enforce(
        Limit("room-lookup:address", address, settings.room_lookup_limit_per_address)
    )
    room, owner_name = await rooms.invitation(code)
    return InviteInfo(
        room=InviteRoom.of(room),
        owner_name=owner_name,
        recording=await rooms.recorded(room.id),
    )


@router.post("/invites/{code}/guests", status_code=status.HTTP_201_CREATED, responses=RATE_LIMITED)
async def create_guest(
    code: str,
    body: GuestCreate,
    rooms: RoomsDep,
    auth: AuthDep,
    settings: SettingsDep,
    limiter: LimiterDep,
    address: ClientAddress,
) -> GuestCredential:
    """Join through an invite link with a name: a guest credential for that room only (403
    `guests_not_allowed` when its owner turned guests off). Limited per client address."""
    await limiter.enforce(Limit("guest:address", address, settings.guest_limit_per_address))
    room = await rooms.open_to_guests(code)
    return _credential(*auth.guests.issue(room.id, body.display_name))


@router.post("/guests/renew")
async def renew_guest(guest: CurrentGuest, rooms: RoomsDep, auth: AuthDep) -> GuestCredential:
    """A new token of the same guest (send the current one, still valid, as the bearer token),
    while its room lets guests in."""
    await rooms.open_to_guests(guest.room_id)
    return _credential(*auth.guests.renew(guest))


def _credential(token: str, guest: GuestClaims) -> GuestCredential:
    return GuestCredential(
        token=token,
        expires_in=max(0, guest.expires_at - int(time.time())),
        guest_id=guest.guest_id,
        room_id=guest.room_id,
        display_name=guest.display_name,
    )
