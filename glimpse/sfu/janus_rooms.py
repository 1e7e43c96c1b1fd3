"""Janus videoroom rooms as Glimpse creates them: private, with a random `secret` (to destroy or
change the room) and `pin` (to join it) that only Glimpse knows, subscriptions only with the
private id of a publisher of the room (`require_pvtid`), and audio levels for the active speaker.
"""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass

from glimpse.sfu.janus import JanusError, JanusHandle

AUDIO_ACTIVE_PACKETS = 50
"""Audio packets (20 ms each: 1 s) over which Janus averages a publisher's level."""
AUDIO_LEVEL_AVERAGE = 40
"""Average level (-dBov, lower is louder) above which a publisher counts as talking."""


@dataclass(frozen=True, slots=True)
class JanusRoom:
    id: int
    secret: str
    pin: str


async def create_room(control: JanusHandle, admin_key: str, publishers: int) -> JanusRoom:
    """A new room (Janus picks its id) for at most `publishers` publications."""
    secret, pin = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    created = await control.request(
        {
            "request": "create",
            "admin_key": admin_key,
            "is_private": True,
            "secret": secret,
            "pin": pin,
            "require_pvtid": True,
            "publishers": publishers,
            "videocodec": "vp8,h264",
            "audiocodec": "opus",
            "audiolevel_event": True,
            "audio_active_packets": AUDIO_ACTIVE_PACKETS,
            "audio_level_average": AUDIO_LEVEL_AVERAGE,
            "notify_joining": False,
        }
    )
    return JanusRoom(int(created.data["room"]), secret, pin)


async def destroy_room(control: JanusHandle, room: int, secret: str) -> None:
    """Destroy a room: Janus tells each of its participants (`destroyed`) and drops them. A room
    already gone, or a Janus no longer reachable, leaves nothing to do."""
    with contextlib.suppress(JanusError):
        await control.request({"request": "destroy", "room": room, "secret": secret})


async def set_recording(control: JanusHandle, room: int, secret: str, active: bool) -> None:
    """Turn Janus's recording of every publisher of the room on or off."""
    await control.request(
        {"request": "enable_recording", "room": room, "secret": secret, "record": active}
    )
