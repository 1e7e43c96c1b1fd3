"""Who is who in a meeting, and who must wait in the lobby.

The room's owner is its host; a member whose stored role is "cohost" is a co-host; a guest
(a credential for one room) is a guest; everyone else with an account is a member. Host and
co-hosts together are the meeting's hosts: they run it (docs/protocol.md, "Roles").
"""

from __future__ import annotations

from typing import Final

from glimpse.auth.identity import Identity
from glimpse.realtime.protocol import Role
from glimpse.store import MemberRole, RoomRecord

HOSTS: Final = frozenset({"host", "cohost"})
_RANK: Final = {"host": 2, "cohost": 1, "member": 0, "guest": 0}


def role_of(room: RoomRecord, identity: Identity, member_role: MemberRole | None) -> Role:
    """`member_role` is the identity's stored role in the room (None for guests, strangers)."""
    if identity.is_guest:
        return "guest"
    if identity.id == room.owner_id:
        return "host"
    return "cohost" if member_role == "cohost" else "member"


def is_host(role: Role) -> bool:
    return role in HOSTS


def may_act_on(actor: Role, target: Role) -> bool:
    """Hosts act on those below them: the owner on everyone else, co-hosts on members and
    guests; nobody on the owner."""
    return is_host(actor) and _RANK[actor] > _RANK[target]


def must_wait(room: RoomRecord, role: Role, member_role: MemberRole | None) -> bool:
    """Whether the room's lobby setting holds this person back until a host lets them in."""
    if room.lobby == "off" or is_host(role):
        return False
    if room.lobby == "guests":
        return role == "guest"
    return member_role != "invited"
