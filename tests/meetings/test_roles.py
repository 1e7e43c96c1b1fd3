"""Roles and the lobby policy."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from glimpse.auth.identity import Identity
from glimpse.meetings.roles import may_act_on, must_wait, role_of
from glimpse.store import LobbyMode, MemberRole, RoomRecord

ROOM = RoomRecord("r", "code", "Room", "owner", None, datetime.now(UTC))
OWNER, USER, GUEST = Identity("owner", "O"), Identity("u", "U"), Identity("g", "G", "r")


def test_roles() -> None:
    assert role_of(ROOM, OWNER, None) == "host"
    assert role_of(ROOM, USER, "cohost") == "cohost"
    assert role_of(ROOM, USER, "invited") == "member"
    assert role_of(ROOM, USER, None) == "member"
    assert role_of(ROOM, GUEST, None) == "guest"


@pytest.mark.parametrize(
    ("lobby", "identity", "member_role", "waits"),
    [
        ("off", GUEST, None, False),
        ("guests", GUEST, None, True),
        ("guests", USER, None, False),
        ("everyone", USER, None, True),
        ("everyone", USER, "member", True),
        ("everyone", USER, "invited", False),
        ("everyone", USER, "cohost", False),
        ("everyone", OWNER, None, False),
        ("everyone", GUEST, None, True),
    ],
)
def test_who_waits(
    lobby: LobbyMode, identity: Identity, member_role: MemberRole | None, waits: bool
) -> None:
    room = replace(ROOM, lobby=lobby)
    assert must_wait(room, role_of(room, identity, member_role), member_role) is waits


def test_who_acts_on_whom() -> None:
    assert may_act_on("host", "cohost") and may_act_on("host", "guest")
    assert may_act_on("cohost", "member") and may_act_on("cohost", "guest")
    assert not may_act_on("cohost", "cohost") and not may_act_on("cohost", "host")
    assert not may_act_on("member", "guest") and not may_act_on("host", "host")
