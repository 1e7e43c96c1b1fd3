"""The hub's fan-out: one encoding per event, no waiting on any recipient."""

from __future__ import annotations

from glimpse.bus.memory import MemoryBus
from glimpse.realtime import protocol
from glimpse.realtime.hub import Hub


class RecordingMember:
    def __init__(self) -> None:
        self.events: list[str] = []
        self.closed: tuple[int, str] | None = None

    def deliver(self, event: str) -> None:
        self.events.append(event)

    def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)


def _participant(name: str) -> protocol.Participant:
    return protocol.Participant(
        id=name, user_id=name, display_name=name, media=protocol.MediaState()
    )


async def test_broadcast_hands_every_recipient_the_same_encoded_text() -> None:
    hub = Hub(MemoryBus(), max_participants=10)
    await hub.start()
    members = {name: RecordingMember() for name in ("a", "b", "c")}
    for name, member in members.items():
        await hub.join("room", _participant(name), member)
    for member in members.values():
        member.events.clear()

    event = protocol.encode(protocol.TypingBroadcast(participant_id="a", active=True))
    await hub.broadcast("room", event, exclude="a")
    assert members["a"].events == []
    assert members["b"].events[0] is event
    assert members["c"].events[0] is event


async def test_roster_follows_joins_and_leaves_and_empty_rooms_are_forgotten() -> None:
    bus = MemoryBus()
    hub = Hub(bus, max_participants=10)
    await hub.start()
    a, b = RecordingMember(), RecordingMember()
    await hub.join("room", _participant("a"), a)
    await hub.join("room", _participant("b"), b)
    assert [p.id for p in hub.roster("room")] == ["a", "b"]
    assert set(await bus.participants("room")) == {"a", "b"}
    assert protocol.decode_server(a.events[-1]) == protocol.ParticipantJoined(
        participant=_participant("b")
    )
    await hub.leave("room", "a")
    assert protocol.decode_server(b.events[-1]) == protocol.ParticipantLeft(participant_id="a")
    await hub.leave("room", "b")
    assert hub.roster("room") == []
    assert hub.local_count() == 0
    assert await bus.participants("room") == {}


async def test_closing_a_room_tells_and_disconnects_its_members() -> None:
    hub = Hub(MemoryBus(), max_participants=10)
    await hub.start()
    member = RecordingMember()
    await hub.join("room", _participant("a"), member)
    await hub.close_room("room")
    assert protocol.decode_server(member.events[-1]) == protocol.RoomClosed(room_id="room")
    assert member.closed == (4404, "room deleted")
