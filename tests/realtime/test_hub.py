"""The hub: one encoding per event for all recipients, rosters that hold under concurrency."""

from __future__ import annotations

import asyncio

import pytest

from glimpse.bus.memory import MemoryBus
from glimpse.realtime import protocol
from glimpse.realtime.frames import text_frame
from glimpse.realtime.hub import Hub
from glimpse.rooms import RoomFull
from tests.gate import Gate


class GatedBus(MemoryBus):
    """The in-process bus, whose calls a test may hold at gates: a network's delays, in order."""

    def __init__(self) -> None:
        super().__init__()
        self._gates: dict[tuple[str, str | None], Gate] = {}

    def gate(self, call: str, participant_id: str | None = None) -> Gate:
        """A gate for the next calls of this method (about this participant)."""
        gate = self._gates[call, participant_id] = Gate()
        return gate

    async def _pass(self, call: str, participant_id: str | None = None) -> None:
        gate = self._gates.get((call, participant_id))
        if gate is not None:
            await gate.passage()

    async def participants(self, room_id: str) -> dict[str, bytes]:
        await self._pass("participants")
        return await super().participants(room_id)

    async def remove_participant(self, room_id: str, participant_id: str) -> None:
        await self._pass("remove_participant", participant_id)
        await super().remove_participant(room_id, participant_id)


class RecordingMember:
    def __init__(self) -> None:
        self.events: list[bytes] = []
        self.closed: tuple[int, str] | None = None

    def deliver(self, frame: bytes) -> None:
        self.events.append(frame)

    def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)


def _message(frame: bytes) -> protocol.ServerMessage:
    """The message in a frame the hub delivered (a 2-byte header, 4 with a 16-bit length)."""
    return protocol.decode_server(frame[4:] if frame[1] == 126 else frame[2:])


def _participant(name: str) -> protocol.Participant:
    return protocol.Participant(
        id=name, user_id=name, display_name=name, media=protocol.MediaState()
    )


async def test_broadcast_hands_every_recipient_the_same_frame() -> None:
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
    assert members["b"].events[0] == text_frame(event)
    assert members["c"].events[0] is members["b"].events[0]  # framed once


async def test_roster_follows_joins_and_leaves_and_empty_rooms_are_forgotten() -> None:
    bus = MemoryBus()
    hub = Hub(bus, max_participants=10)
    await hub.start()
    a, b = RecordingMember(), RecordingMember()
    await hub.join("room", _participant("a"), a)
    await hub.join("room", _participant("b"), b)
    assert [p.id for p in hub.roster("room")] == ["a", "b"]
    assert set(await bus.participants("room")) == {"a", "b"}
    assert _message(a.events[-1]) == protocol.ParticipantJoined(participant=_participant("b"))
    await hub.leave("room", "a")
    assert _message(b.events[-1]) == protocol.ParticipantLeft(participant_id="a")
    await hub.leave("room", "b")
    assert hub.roster("room") == []
    assert not hub.is_in_room("room", "b")
    assert await bus.participants("room") == {}


async def test_closing_a_room_tells_and_disconnects_its_members() -> None:
    hub = Hub(MemoryBus(), max_participants=10)
    await hub.start()
    member = RecordingMember()
    await hub.join("room", _participant("a"), member)
    await hub.close_room("room")
    assert _message(member.events[-1]) == protocol.RoomClosed(room_id="room")
    assert member.closed == (4404, "room deleted")


async def test_a_join_racing_the_first_one_gets_the_whole_roster() -> None:
    bus = GatedBus()
    remote = _participant("remote")  # on another instance
    await bus.add_participant("room", "remote", protocol.encode_info(remote))
    hub = Hub(bus, max_participants=10)
    await hub.start()
    loading = bus.gate("participants")
    first = asyncio.create_task(hub.join("room", _participant("a"), RecordingMember()))
    await loading.reached()  # the first join is reading the roster from the bus

    async def second_join() -> set[str]:
        """What the second joiner is told (its `joined` lists the roster as its join returns)."""
        await hub.join("room", _participant("b"), RecordingMember())
        return {p.id for p in hub.roster("room")}

    second = asyncio.create_task(second_join())
    await asyncio.sleep(0)  # one turn of the loop: the second join finds the room loading
    loading.open()
    _, told = await asyncio.gather(first, second)
    assert "remote" in told


async def test_a_join_between_two_last_leaves_keeps_its_room() -> None:
    bus = GatedBus()
    hub = Hub(bus, max_participants=10)
    await hub.start()
    await hub.join("room", _participant("a"), RecordingMember())
    await hub.join("room", _participant("b"), RecordingMember())
    newcomer = RecordingMember()
    await hub.leave("room", "a")
    removing = bus.gate("remove_participant", "b")
    leaving = asyncio.create_task(hub.leave("room", "b"))
    await removing.reached()  # b's leave emptied the room here and has not ended
    await hub.join("room", _participant("c"), newcomer)
    removing.open()
    await leaving
    assert hub.is_in_room("room", "c")
    await hub.join("room", _participant("d"), RecordingMember())
    joined = [_message(event) for event in newcomer.events]
    assert protocol.ParticipantJoined(participant=_participant("d")) in joined


async def test_a_resumed_participant_takes_its_place_back_without_counting_twice() -> None:
    hub = Hub(MemoryBus(), max_participants=2)
    await hub.start()
    old, other = RecordingMember(), RecordingMember()
    raised = _participant("bob")
    raised.hand = 1796080079790
    await hub.join("room", raised, old)
    await hub.join("room", _participant("other"), other)
    with pytest.raises(RoomFull):
        await hub.join("room", _participant("stranger"), RecordingMember())
    new = RecordingMember()
    await hub.join("room", _participant("bob"), new, resumed=True)
    assert {p.id for p in hub.roster("room")} == {"other", "bob"}
    assert old.closed == (4409, "replaced by a newer connection")
    await hub.leave("room", "bob", old)  # the old connection's session ends: nothing happens
    assert [_message(event) for event in other.events] == [
        protocol.ParticipantResumed(participant=raised)  # its hand still up
    ]
    assert {p.id for p in hub.roster("room")} == {"other", "bob"}


async def test_a_participant_listed_by_another_instance_resumes_without_counting_twice() -> None:
    """A participant of another instance (reconnecting there, or lingering) is taken over."""
    bus = MemoryBus()
    await bus.add_participant("room", "bob", protocol.encode_info(_participant("bob")))
    hub = Hub(bus, max_participants=2)
    await hub.start()
    await hub.join("room", _participant("other"), RecordingMember())
    with pytest.raises(RoomFull):
        await hub.join("room", _participant("stranger"), RecordingMember())
    await hub.join("room", _participant("bob"), RecordingMember(), resumed=True)
    assert {p.id for p in hub.roster("room")} == {"other", "bob"}


async def test_an_absent_participant_keeps_its_place_until_its_grace_runs_out() -> None:
    hub = Hub(MemoryBus(), max_participants=10)
    await hub.start()
    bob, other = RecordingMember(), RecordingMember()
    await hub.join("room", _participant("bob"), bob)
    await hub.join("room", _participant("other"), other)
    expired = asyncio.Event()

    async def expire() -> None:
        await hub.leave("room", "bob")
        expired.set()

    assert await hub.absent("room", "bob", bob, 0.2, expire)
    assert not await hub.absent("room", "bob", bob, 0.2, expire)  # its place is held already
    (reconnecting,) = [_message(event) for event in other.events]
    assert reconnecting == protocol.ParticipantReconnecting(participant_id="bob", grace=0.2)
    assert [p.reconnecting for p in hub.roster("room") if p.id == "bob"] == [True]
    async with asyncio.timeout(2):
        await expired.wait()
    assert _message(other.events[-1]) == protocol.ParticipantLeft(participant_id="bob")
    assert {p.id for p in hub.roster("room")} == {"other"}
