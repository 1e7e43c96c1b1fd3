/**
 * The WebSocket protocol's messages (docs/protocol.md), named from the types generated out of the
 * server's definitions (glimpse/realtime/protocol.py → protocol.gen.ts, `make web-types`).
 */
import type { components } from "./protocol.gen";

type Schemas = components["schemas"];

/** The server always sends the media state in full (its fields have defaults only for requests). */
export type MediaState = Required<Schemas["MediaState"]>;
export type Participant = Omit<Schemas["Participant"], "media"> & { media: MediaState };
export type ChatMessage = Schemas["ChatMessage"];
export type RoomInfo = Schemas["RoomInfo"];
export type IceCandidate = Schemas["IceCandidate"];
export type SignalKind = Schemas["Signal"]["kind"];
/** The signals of a link's negotiation (`handed-over` says its media comes through the SFU now). */
export type NegotiationKind = Exclude<SignalKind, "handed-over">;
export type Role = NonNullable<Schemas["Participant"]["role"]>;
export type LobbyEntry = Schemas["LobbyEntry"];
export type Emoji = Schemas["React"]["emoji"];
export type ModerationAction = Schemas["Moderate"]["action"];
export type Waiting = Schemas["Waiting"];
export type MediaPath = Required<Schemas["MediaPath"]>;
export type MediaMode = MediaPath["mode"];
/** A source a participant publishes to the SFU: its camera (with its microphone) or its screen. */
export type SfuSource = Schemas["SfuPublish"]["source"];
/** One of the browser's peer connections to the SFU. */
export type SfuPeer = Schemas["SfuCandidate"]["pc"];
export type SfuOffer = Schemas["SfuOffer"];
export type SubscribedStream = Schemas["SubscribedStream"];
/** A simulcast layer of a camera: 0 a quarter, 1 half, 2 full resolution. */
export type Layer = NonNullable<Schemas["LayerChoice"]["layer"]>;
export type LayerChoice = Schemas["LayerChoice"];
export type Joined = Omit<Schemas["Joined"], "participants"> & { participants: Participant[] };
export type ServerMessage =
  | Exclude<
      Schemas["ServerMessage"],
      { type: "joined" | "participant-joined" | "participant-updated" | "participant-resumed" }
    >
  | Joined
  | {
      type: "participant-joined" | "participant-updated" | "participant-resumed";
      participant: Participant;
    };
export type ClientMessage = Schemas["ClientMessage"];

type WithoutRef<T> = T extends unknown ? Omit<T, "ref"> : never;

/** A request the server answers with an ack, joined or error; the client adds its `ref`. */
export type Request = WithoutRef<
  Exclude<ClientMessage, { type: "auth" | "typing" | "pong" | "sfu-candidate" }>
>;
/** A message sent without waiting for an answer (the server answers only a failure). */
export type OneWayMessage = WithoutRef<
  Extract<ClientMessage, { type: "typing" | "sfu-candidate" }>
>;

/** The reactions a participant can send, in the order the picker shows them. */
export const EMOJIS: readonly Emoji[] = ["👍", "👏", "😂", "❤️", "🎉", "😮"];

/** The room was deleted (after `room-closed`). */
export const ROOM_DELETED_CLOSE = 4404;
/** A host ended the meeting for everyone. */
export const MEETING_ENDED_CLOSE = 4410;
/** A host removed this participant from the meeting. */
export const REMOVED_CLOSE = 4412;
/** A host turned this person away from the lobby. */
export const DENIED_CLOSE = 4413;
/** Too many refused messages, or one socket too many for the user. */
export const FLOOD_CLOSE = 4429;
/** Close codes after which reconnecting cannot help. */
export const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  ROOM_DELETED_CLOSE,
  MEETING_ENDED_CLOSE,
  REMOVED_CLOSE,
  DENIED_CLOSE,
  FLOOD_CLOSE,
]);
/** Authentication failed, or the socket's access token expired: reconnect with a fresh token. */
export const AUTH_FAILED_CLOSE = 4401;
/** The login session ended (log-out, refresh-token reuse, password change elsewhere). */
export const SESSION_ENDED_CLOSE = 4403;

/**
 * Refusals that pass (server briefly unable to reach its bus or database, overloaded, rate limit):
 * not the client's fault, try again.
 */
export const TRANSIENT_ERROR_CODES: ReadonlySet<string> = new Set([
  "unavailable",
  "database_unavailable",
  "server_busy",
  "rate_limited",
  "internal_error",
]);
