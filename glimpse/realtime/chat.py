"""The Chat handler: store each message with the room's next sequence number, then fan it out."""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, datetime

import msgspec

from glimpse.auth.identity import Identity
from glimpse.bus import BusUnavailable
from glimpse.errors import GlimpseError
from glimpse.realtime import protocol
from glimpse.realtime.hub import Hub
from glimpse.store import MessageRecord, NewMessage, Store


def chat_message(record: MessageRecord) -> protocol.ChatMessage:
    return msgspec.convert(record, protocol.ChatMessage, from_attributes=True)


MAX_UNPUBLISHED_REMEMBERED = 10_000


class ChatHandler:
    def __init__(self, store: Store, hub: Hub, max_chars: int) -> None:
        self._store = store
        self._hub = hub
        self.max_chars = max_chars
        self._unpublished: OrderedDict[str, None] = OrderedDict()
        """Stored messages the bus failed to carry to other instances: a retry publishes them."""

    async def send(
        self,
        room_id: str,
        participant_id: str,
        sender: Identity,
        request: protocol.Chat,
    ) -> protocol.ChatMessage:
        """Store and broadcast a message; a retry (same client_id) is acknowledged, not resent.

        The sender gets the stored message in its ack; the rest of the room gets a chat event.
        If the bus was down when the message was first sent (the sender got `unavailable`), the
        retry publishes it to the other instances then.
        """
        if not request.text.strip():
            raise GlimpseError("a message needs some text", code="empty_text")
        if len(request.text) > self.max_chars:
            raise GlimpseError(
                f"a message holds at most {self.max_chars} characters", code="text_too_long"
            )
        record, created = await self._store.append_message(
            NewMessage(
                room_id=room_id,
                sender_id=sender.id,
                sender_name=sender.display_name,
                client_id=request.client_id,
                text=request.text,
                created_at=datetime.now(UTC),
                sender_guest=sender.is_guest,
            )
        )
        message = chat_message(record)
        if created or record.id in self._unpublished:
            event = protocol.encode(protocol.ChatBroadcast(message=message))
            try:
                await self._hub.broadcast(room_id, event, exclude=participant_id, local=created)
            except BusUnavailable:
                self._unpublished[record.id] = None
                while len(self._unpublished) > MAX_UNPUBLISHED_REMEMBERED:
                    self._unpublished.popitem(last=False)
                raise
            self._unpublished.pop(record.id, None)
        return message

    async def typing(self, room_id: str, participant_id: str, active: bool) -> None:
        """Relayed to the room, never stored."""
        event = protocol.encode(
            protocol.TypingBroadcast(participant_id=participant_id, active=active)
        )
        await self._hub.broadcast(room_id, event, exclude=participant_id)
