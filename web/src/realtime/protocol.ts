/** The WebSocket protocol's messages (docs/protocol.md; server: glimpse/realtime/protocol.py). */

export interface MediaState {
  audio: boolean;
  video: boolean;
  screen: boolean;
}

export interface Participant {
  id: string;
  user_id: string;
  display_name: string;
  media: MediaState;
}

export interface ChatMessage {
  id: string;
  room_id: string;
  seq: number;
  sender_id: string;
  sender_name: string;
  client_id: string;
  text: string;
  created_at: string;
}

export interface RoomInfo {
  id: string;
  code: string;
  name: string;
  owner_id: string;
}

export interface IceCandidate {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

export type SignalKind = "offer" | "answer" | "candidate";

/** A request the server answers (with an ack, joined or error); `ref` is added by the client. */
export type Request =
  | { type: "join"; room: string; password?: string; media: MediaState; last_seq?: number }
  | { type: "leave" }
  | { type: "chat"; client_id: string; text: string }
  | { type: "signal"; to: string; kind: SignalKind; sdp?: string; candidate?: IceCandidate | null }
  | ({ type: "media" } & MediaState);

export type ClientMessage =
  | (Request & { ref?: string })
  | { type: "auth"; token: string; ref?: string }
  | { type: "typing"; active: boolean }
  | { type: "pong" };

export interface Joined {
  type: "joined";
  ref?: string;
  room: RoomInfo;
  participant_id: string;
  participants: Participant[];
  messages: ChatMessage[];
  more_messages: boolean;
}

export interface Ack {
  type: "ack";
  request: string;
  ref?: string;
  message?: ChatMessage;
}

export interface ErrorMessage {
  type: "error";
  code: string;
  message: string;
  request?: string;
  ref?: string;
}

export interface SignalRelay {
  type: "signal";
  sender: string;
  kind: SignalKind;
  sdp?: string;
  candidate?: IceCandidate | null;
}

export type ServerMessage =
  | { type: "authenticated"; user_id: string; display_name: string; ref?: string }
  | Joined
  | { type: "participant-joined"; participant: Participant }
  | { type: "participant-left"; participant_id: string }
  | { type: "participant-updated"; participant: Participant }
  | { type: "chat"; message: ChatMessage }
  | { type: "typing"; participant_id: string; active: boolean }
  | SignalRelay
  | Ack
  | ErrorMessage
  | { type: "ping" }
  | { type: "room-closed"; room_id: string };

/** Close codes after which reconnecting cannot help. */
export const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([4404, 4429]);
export const AUTH_FAILED_CLOSE = 4401;
