"""The WebSocket wire protocol (docs/protocol.md): one flat JSON object per frame, with a `type`.

Client messages are decoded and validated in one step; server messages are encoded once,
however many participants receive them.
"""

from __future__ import annotations

import typing
from datetime import datetime
from typing import Annotated, Final, Literal

import msgspec

Ref = Annotated[str, msgspec.Meta(max_length=64)]
"""A client-chosen request id, echoed in the ack or error that answers the request."""

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]

MAX_INT64 = 2**63 - 1
"""Every integer a client sends is bounded; none is larger than what the stores keep."""


Role = Literal["host", "cohost", "member", "guest"]
"""In a meeting: the room's owner is its host, co-hosts share the host's powers (both "hosts"),
members have an account, guests joined with a name through the invite link."""

Emoji = Literal["👍", "👏", "😂", "❤️", "🎉", "😮"]
"""The reactions a participant can send (a small fixed set)."""

ModerationAction = Literal[
    "mute", "ask-unmute", "camera-off", "stop-screen", "lower-hand", "remove",
    "make-cohost", "revoke-cohost",
]  # fmt: skip
"""What a host does to another participant; `make-cohost` and `revoke-cohost` are the owner's."""


class MediaState(msgspec.Struct, forbid_unknown_fields=True):
    audio: bool = False
    video: bool = False
    screen: bool = False


MediaSource = Literal["camera", "screen"]
"""What a participant publishes to the SFU, each as its own publication: the camera (with the
microphone; three simulcast layers) and the shared screen."""

SfuPeer = Literal["camera", "screen", "subscriber"]
"""One of a participant's peer connections to the SFU: a publication, or the one subscription
that receives everyone else."""

Layer = Literal[0, 1, 2]
"""A simulcast layer of a camera: 0 the lowest resolution, 2 the highest."""


class IceCandidate(msgspec.Struct, forbid_unknown_fields=True):
    candidate: str
    """Checked, with the rest, before it is relayed (glimpse/realtime/sdp.py)."""
    sdpMid: Annotated[str, msgspec.Meta(max_length=64)] | None = None  # noqa: N815 (WebRTC name)
    sdpMLineIndex: Annotated[int, msgspec.Meta(ge=0, le=1024)] | None = None  # noqa: N815
    usernameFragment: Annotated[str, msgspec.Meta(max_length=256)] | None = None  # noqa: N815


# Client -> server


class ClientMessage(msgspec.Struct, tag_field="type", forbid_unknown_fields=True, kw_only=True):
    ref: Ref | None = None


class Auth(ClientMessage, tag="auth"):
    token: Annotated[str, msgspec.Meta(max_length=4096)]


class Renew(ClientMessage, tag="renew"):
    """A newer access token of the same user, before the socket's one expires."""

    token: Annotated[str, msgspec.Meta(max_length=4096)]


class Join(ClientMessage, tag="join"):
    room: Id
    """Room id or its shareable code."""
    password: Annotated[str, msgspec.Meta(max_length=256)] | None = None
    media: MediaState = msgspec.field(default_factory=MediaState)
    last_seq: Annotated[int, msgspec.Meta(ge=0, le=MAX_INT64)] | None = None
    """Highest chat sequence number the client already has: send what came after it."""
    resume: Annotated[str, msgspec.Meta(max_length=512)] | None = None
    """The resume token of an earlier `joined` (a reconnect): the client takes its participant
    id back (a connection of it that lingers is closed), and the others hear
    `participant-resumed` instead of `participant-joined`. It admits no one by itself."""
    ticket: Annotated[str, msgspec.Meta(max_length=512)] | None = None
    """An admission ticket (from `admitted` or an earlier `joined`): lets its holder past the
    lobby and the lock of that room's meeting, not past a removal."""


class Leave(ClientMessage, tag="leave"):
    pass


class Chat(ClientMessage, tag="chat"):
    client_id: Id
    text: str


class Typing(ClientMessage, tag="typing"):
    active: bool


SignalKind = Literal["offer", "answer", "candidate", "handed-over"]
"""`handed-over`: after a switch of the room's media path, the sender now receives the
addressee's media through the new path (what of the old one carries media between them may go
once both have said so); it carries the path's `generation`, neither `sdp` nor `candidate`."""


class Signal(ClientMessage, tag="signal"):
    to: Id
    kind: SignalKind
    sdp: str | None = None
    """For kinds "offer" and "answer"; checked before it is relayed (glimpse/realtime/sdp.py)."""
    candidate: IceCandidate | None = None
    """For kind "candidate"; null means end of candidates."""
    generation: Annotated[int, msgspec.Meta(ge=0, le=MAX_INT64)] | None = None
    """For kind "handed-over": the generation of the media path it was sent in."""


class Media(ClientMessage, tag="media"):
    audio: bool
    video: bool
    screen: bool


class Pong(ClientMessage, tag="pong"):
    pass


class SfuPublish(ClientMessage, tag="sfu-publish"):
    """Publish a source to the room's SFU (media path `sfu` only): answered by `sfu-answer`."""

    source: MediaSource
    sdp: str
    """The browser's offer (sendonly); checked as a relayed one is (glimpse/realtime/sdp.py)."""


class SfuUnpublish(ClientMessage, tag="sfu-unpublish"):
    source: MediaSource


class SfuCandidate(ClientMessage, tag="sfu-candidate"):
    """A browser's ICE candidate for one of its peer connections to the SFU."""

    pc: SfuPeer
    candidate: IceCandidate | None = None
    """Null means end of candidates."""


class SfuSubscribed(ClientMessage, tag="sfu-subscribed"):
    """The browser's answer to the subscription offer of `sfu-offer` (same `version`)."""

    version: Annotated[int, msgspec.Meta(ge=0, le=MAX_INT64)]
    sdp: str


class SfuResubscribe(ClientMessage, tag="sfu-resubscribe"):
    """The subscription's connection failed: the SFU gives it up and offers a fresh one
    (`sfu-offer` with `fresh`). Names what it gives up: the media path's `generation` and the
    `version` of the latest `sfu-offer`."""

    generation: Annotated[int, msgspec.Meta(ge=0, le=MAX_INT64)]
    version: Annotated[int, msgspec.Meta(ge=0, le=MAX_INT64)]


class LayerChoice(msgspec.Struct, forbid_unknown_fields=True):
    participant_id: Id
    layer: Layer | None
    """The simulcast layer of this participant's camera to receive; null: none (not shown)."""


class SfuLayers(ClientMessage, tag="sfu-layers"):
    """Which camera layer to receive of each participant: the one that fits its tile (the SFU
    may send a lower one while the subscriber's link cannot take it)."""

    choices: Annotated[list[LayerChoice], msgspec.Meta(max_length=256)]


class Record(ClientMessage, tag="record"):
    """Start or stop recording the meeting (hosts only; media path `sfu` only)."""

    active: bool


SfuRequest = SfuPublish | SfuUnpublish | SfuCandidate | SfuSubscribed | SfuResubscribe | SfuLayers
"""The requests a session hands to the SFU (glimpse/sfu/service.py)."""


class Hand(ClientMessage, tag="hand"):
    """Raise or lower one's own hand."""

    raised: bool


class React(ClientMessage, tag="react"):
    emoji: Emoji


class Moderate(ClientMessage, tag="moderate"):
    """A host's action on another participant of the meeting (hosts only)."""

    action: ModerationAction
    participant_id: Id


class Admit(ClientMessage, tag="admit"):
    """Let someone waiting in the lobby in (hosts only)."""

    participant_id: Id


class Deny(ClientMessage, tag="deny"):
    """Turn someone waiting in the lobby away (hosts only)."""

    participant_id: Id


class Lock(ClientMessage, tag="lock"):
    """Lock the meeting against new joins, or unlock it (hosts only)."""

    locked: bool


class EndMeeting(ClientMessage, tag="end-meeting"):
    """End the meeting for everyone (hosts only)."""


AnyClientMessage = (
    Auth | Renew | Join | Leave | Chat | Typing | Signal | Media | Pong
    | Hand | React | Moderate | Admit | Deny | Lock | EndMeeting
    | SfuPublish | SfuUnpublish | SfuCandidate | SfuSubscribed | SfuResubscribe | SfuLayers
    | Record
)  # fmt: skip
CLIENT_TYPES: Final = frozenset(
    cls.__struct_config__.tag for cls in typing.get_args(AnyClientMessage)
)

# Server -> client


class Participant(msgspec.Struct):
    id: str
    user_id: str
    """The account's id, or for a guest its guest id (guest credentials carry it)."""
    display_name: str
    media: MediaState
    role: Role = "member"
    hand: int | None = None
    """When the hand went up (Unix time, ms): raised hands are listed in this order."""
    reconnecting: bool = False
    """Its socket dropped: it keeps its place for the reconnect grace period, to resume."""


class LobbyEntry(msgspec.Struct):
    """Someone waiting to be let in, as the hosts see them."""

    id: str
    """The waiting participant's id (`admit` and `deny` name it)."""
    user_id: str
    display_name: str
    guest: bool
    reason: Literal["lobby", "removed"]
    """`removed`: a host removed this person from the meeting earlier."""
    since: int
    """When they started waiting (Unix time, ms)."""


class ChatMessage(msgspec.Struct):
    id: str
    room_id: str
    seq: int
    sender_id: str
    sender_name: str
    client_id: str
    text: str
    created_at: datetime
    sender_guest: bool = False


class RoomInfo(msgspec.Struct):
    id: str
    code: str
    name: str
    owner_id: str


class MediaPath(msgspec.Struct):
    """How the room's media flows: `mesh`, browser to browser, or `sfu`, through a media server.
    `generation` grows with every change (a switch, or the room moved to another media server):
    a client publishes and subscribes afresh for each `sfu` generation."""

    mode: Literal["mesh", "sfu"] = "mesh"
    generation: int = 0


class SubscribedStream(msgspec.Struct):
    """One media section of the subscription offer, and whose media it carries."""

    mid: str
    participant_id: str
    source: MediaSource
    kind: Literal["audio", "video"]


class ServerMessage(msgspec.Struct, tag_field="type", omit_defaults=True, kw_only=True):
    pass


class Authenticated(ServerMessage, tag="authenticated"):
    user_id: str
    display_name: str
    expires_in: int
    """Seconds until the socket's access token expires: `renew` before, or the socket closes."""
    guest: bool = False
    """A guest's credential: it admits to one room only."""
    ref: str | None = None


class Joined(ServerMessage, tag="joined"):
    room: RoomInfo
    participant_id: str
    participants: list[Participant]
    messages: list[ChatMessage]
    """Oldest first."""
    more_messages: bool
    """True when older (or, after last_seq, further) messages exist than those sent here."""
    ticket: str
    """Present it in `join` when reconnecting: back in past the lobby and the lock."""
    resume: str
    """Present it in `join` when reconnecting: back with the same participant id."""
    reconnect_grace: float
    """Seconds a participant whose socket dropped keeps its place (GLIMPSE_RECONNECT_GRACE)."""
    locked: bool = False
    lobby: list[LobbyEntry] = msgspec.field(default_factory=list)
    """Who waits to be let in, oldest first: for hosts only (others get an empty list)."""
    media_path: MediaPath = msgspec.field(default_factory=MediaPath)
    recording: bool = False
    """The meeting is being recorded (everyone is told)."""
    ref: str | None = None


class Waiting(ServerMessage, tag="waiting"):
    """The answer to a `join` that must wait in the lobby: nothing of the room arrives until
    `admitted` (then `join` again with its ticket), or the socket closes with 4413 (denied)."""

    room: RoomInfo
    participant_id: str
    reason: Literal["lobby", "removed"]
    ref: str | None = None


class Admitted(ServerMessage, tag="admitted"):
    """To someone waiting: a host let them in; `join` with this ticket."""

    room_id: str
    ticket: str


class LobbyRequest(ServerMessage, tag="lobby-request"):
    """To hosts: someone started waiting."""

    entry: LobbyEntry


class LobbyLeft(ServerMessage, tag="lobby-left"):
    """To hosts: someone no longer waits."""

    participant_id: str
    outcome: Literal["admitted", "denied", "gone"]
    by: str | None = None
    """The host who admitted or denied them."""


class Moderated(ServerMessage, tag="moderated"):
    """To the participant a host acted on (mute, ask-unmute, camera-off, stop-screen,
    lower-hand): the client does what it says (ask-unmute only asks)."""

    action: ModerationAction
    by: str
    """The host's participant id."""


class LockChanged(ServerMessage, tag="lock-changed"):
    locked: bool
    by: str


class Reaction(ServerMessage, tag="reaction"):
    participant_id: str
    emoji: Emoji


class ParticipantJoined(ServerMessage, tag="participant-joined"):
    participant: Participant


class ParticipantLeft(ServerMessage, tag="participant-left"):
    participant_id: str


class ParticipantReconnecting(ServerMessage, tag="participant-reconnecting"):
    """Its socket dropped: it stays, its media may still flow, for `grace` seconds at most."""

    participant_id: str
    grace: float


class ParticipantResumed(ServerMessage, tag="participant-resumed"):
    """A participant came back with its id (after `participant-reconnecting`, or after a server
    restart): keep its peer connection."""

    participant: Participant


class ParticipantUpdated(ServerMessage, tag="participant-updated"):
    participant: Participant


class ChatBroadcast(ServerMessage, tag="chat"):
    message: ChatMessage


class TypingBroadcast(ServerMessage, tag="typing"):
    participant_id: str
    active: bool


class SignalRelay(ServerMessage, tag="signal"):
    sender: str
    kind: SignalKind
    sdp: str | None = None
    candidate: IceCandidate | None = None
    generation: int | None = None


class Ack(ServerMessage, tag="ack"):
    request: str
    ref: str | None = None
    message: ChatMessage | None = None
    """For chat: the stored message (also for a retried send)."""
    expires_in: int | None = None
    """For renew: seconds until the new access token expires."""


class Error(ServerMessage, tag="error"):
    code: str
    message: str
    request: str | None = None
    """The type of the request that failed, when it could be read."""
    ref: str | None = None
    retry_after: float | None = None
    """For `rate_limited` and `server_busy`: seconds until the request may be sent again."""


class MediaPathChanged(ServerMessage, tag="media-path"):
    """The room's media path changed: in `mesh`, call everyone; in `sfu` (each new generation),
    publish and subscribe afresh. The old path's connections may stay until the new one brings
    everyone (`handed-over`)."""

    media_path: MediaPath


class SfuAnswer(ServerMessage, tag="sfu-answer"):
    """The SFU's answer to `sfu-publish`."""

    source: MediaSource
    sdp: str
    ref: str | None = None


class SfuOffer(ServerMessage, tag="sfu-offer"):
    """The subscription (re)offered: everyone else's publications in one peer connection.
    Answer with `sfu-subscribed` and the same `version`."""

    generation: int
    """Of the media path whose Janus room it comes from (one the room has left may still offer
    while it hands over: not to be answered)."""
    version: int
    sdp: str
    streams: list[SubscribedStream]
    fresh: bool = False
    """The offer of a new connection (the first, or one renewed): answer it from a new peer
    connection, closing the previous one; otherwise a renegotiation of the current one."""


class ActiveSpeaker(ServerMessage, tag="active-speaker"):
    """In SFU mode: the participant the SFU hears talking (from its audio levels)."""

    generation: int
    """Of the media path whose Janus room heard it."""
    participant_id: str
    talking: bool


class RecordingChanged(ServerMessage, tag="recording"):
    """Recording started or stopped; `by` is the host's participant id."""

    active: bool
    by: str | None = None


class Ping(ServerMessage, tag="ping"):
    pass


class RoomClosed(ServerMessage, tag="room-closed"):
    room_id: str


_decoder = msgspec.json.Decoder(AnyClientMessage)
_encoder = msgspec.json.Encoder()


class _Envelope(msgspec.Struct):
    """What an invalid message may still tell: its type and ref, left undecoded until needed."""

    type: msgspec.Raw = msgspec.Raw(b"null")
    ref: msgspec.Raw = msgspec.Raw(b"null")


_envelope_decoder = msgspec.json.Decoder(_Envelope)
_string_decoder = msgspec.json.Decoder(str)


class ProtocolError(Exception):
    """A frame that could not be read as a valid client message."""

    def __init__(self, code: str, message: str, request: str | None, ref: str | None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.request = request
        self.ref = ref


LARGE_TYPES: Final = frozenset({"sfu-subscribed"})
"""The types that may be larger than the other messages (GLIMPSE_MAX_FRAME_BYTES): a subscription's
answer grows with the room. The socket's own cap bounds them (`Settings.max_message_bytes`)."""


def decode(frame: str | bytes, max_bytes: int) -> AnyClientMessage:
    """Read a client frame, or raise ProtocolError naming what is wrong; never anything else.

    A frame over `max_bytes` is `message_too_big` unless its type is one of LARGE_TYPES, told
    before the message is decoded. msgspec raises ValidationError for what parses as JSON but is
    not a valid message (a number out of range included), DecodeError (a ValueError) for
    malformed JSON and RecursionError for JSON nested too deeply.
    """
    if _byte_length(frame, max_bytes) > max_bytes:
        _refuse_unless_large(frame, max_bytes)
    try:
        message: AnyClientMessage = _decoder.decode(frame)
        return message
    except msgspec.ValidationError as error:
        raise _invalid(frame, str(error)) from None
    except (ValueError, RecursionError) as error:
        raise _malformed(error) from None


def _byte_length(frame: str | bytes, max_bytes: int) -> int:
    """The frame's length in UTF-8, encoding it only when its characters could pass `max_bytes`."""
    if isinstance(frame, bytes) or frame.isascii() or len(frame) * 4 <= max_bytes:
        return len(frame)
    return len(frame.encode())


def _refuse_unless_large(frame: str | bytes, max_bytes: int) -> None:
    """Raise `message_too_big` unless the frame's type may be large."""
    request, ref = _type_and_ref(frame)
    if request in LARGE_TYPES:
        return
    known = request if request in CLIENT_TYPES else None
    raise ProtocolError("message_too_big", f"a message holds at most {max_bytes} bytes", known, ref)


def _invalid(frame: str | bytes, reason: str) -> ProtocolError:
    """The error for a frame that is not a valid message, naming its type and ref if it can."""
    try:
        request, ref = _type_and_ref(frame)
    except ProtocolError as error:
        return error
    if request is None:
        return ProtocolError("invalid_message", "a message needs a string `type`", None, ref)
    if request not in CLIENT_TYPES:
        return ProtocolError("unknown_type", f"unknown message type {request[:64]!r}", None, ref)
    return ProtocolError("invalid_message", reason, request, ref)


def _type_and_ref(frame: str | bytes) -> tuple[str | None, str | None]:
    """A frame's `type` and `ref` (None unless strings, a ref too long too), its other fields
    skipped, not built; ProtocolError for a frame that is no JSON object."""
    try:
        envelope = _envelope_decoder.decode(frame)
    except msgspec.ValidationError as error:
        raise ProtocolError(
            "invalid_message", f"a message is a JSON object: {error}", None, None
        ) from None
    except (ValueError, RecursionError) as error:  # invalid up to a point, malformed after it
        raise _malformed(error) from None
    request, ref = _string(envelope.type), _string(envelope.ref)
    return request, ref if ref is not None and len(ref) <= 64 else None


def _malformed(error: ValueError | RecursionError) -> ProtocolError:
    if isinstance(error, RecursionError):
        return ProtocolError("bad_json", "malformed JSON: nested too deeply", None, None)
    return ProtocolError("bad_json", f"malformed JSON: {error}", None, None)


def _string(raw: msgspec.Raw) -> str | None:
    try:
        value: str = _string_decoder.decode(raw)
    except msgspec.ValidationError:
        return None
    return value


def encode(message: ServerMessage) -> bytes:
    """Encode a server message once, as UTF-8 JSON, for every recipient."""
    return _encoder.encode(message)


_TYPE_START: Final = len(b'{"type":"')


def event_type(event: bytes) -> str:
    """The `type` of an encoded server message, read without decoding it (`encode` writes the
    type first)."""
    return event[_TYPE_START : event.index(b'"', _TYPE_START)].decode()


def encode_info(info: Participant | LobbyEntry) -> bytes:
    """A roster entry on the bus: a participant, or someone waiting in the lobby."""
    return _encoder.encode(info)


AnyServerMessage = (
    Authenticated | Joined | ParticipantJoined | ParticipantLeft | ParticipantUpdated
    | ParticipantReconnecting | ParticipantResumed
    | ChatBroadcast | TypingBroadcast | SignalRelay | Ack | Error | Ping | RoomClosed
    | Waiting | Admitted | LobbyRequest | LobbyLeft | Moderated | LockChanged | Reaction
    | MediaPathChanged | SfuAnswer | SfuOffer | ActiveSpeaker | RecordingChanged
)  # fmt: skip
"""Every server message; the web client's types are generated from its schema."""

_participant_decoder = msgspec.json.Decoder(Participant)
_lobby_entry_decoder = msgspec.json.Decoder(LobbyEntry)
_server_decoder = msgspec.json.Decoder(AnyServerMessage)


def decode_server(frame: str | bytes) -> ServerMessage:
    """Read a server message (the hub reads roster changes from other instances; tests too)."""
    message: ServerMessage = _server_decoder.decode(frame)
    return message


def decode_info(info: bytes) -> Participant:
    return _participant_decoder.decode(info)


def decode_lobby_entry(info: bytes) -> LobbyEntry:
    return _lobby_entry_decoder.decode(info)
