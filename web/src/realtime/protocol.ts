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
export type Joined = Omit<Schemas["Joined"], "participants"> & { participants: Participant[] };
export type ServerMessage =
  | Exclude<
      Schemas["ServerMessage"],
      { type: "joined" | "participant-joined" | "participant-updated" }
    >
  | Joined
  | { type: "participant-joined" | "participant-updated"; participant: Participant };
export type ClientMessage = Schemas["ClientMessage"];

type WithoutRef<T> = T extends unknown ? Omit<T, "ref"> : never;

/** A request the server answers with an ack, joined or error; the client adds its `ref`. */
export type Request = WithoutRef<Exclude<ClientMessage, { type: "auth" | "typing" | "pong" }>>;

/** Close codes after which reconnecting cannot help. */
export const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([4404, 4429]);
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
