/** What the server's error codes (docs/protocol.md) mean, told as the people in a call read it. */

const SENTENCES: Readonly<Record<string, string>> = {
  forbidden: "Only a host of the meeting can do that.",
  room_locked: "The meeting is locked: no one can join until a host unlocks it.",
  rate_limited: "That was too often: wait a moment and try again.",
  room_not_found: "This room does not exist (any more).",
  room_password_required: "This room needs a password.",
  wrong_room_password: "Wrong room password.",
  room_full: "The room is full.",
  not_in_room: "You are not in the meeting.",
  waiting: "Wait until a host lets you in.",
  unknown_participant: "That person is no longer in the meeting.",
  not_sfu:
    "That needs the meeting's media to go through the server (SFU), and it goes peer to peer now.",
  already_recording: "The meeting is already being recorded.",
  media_server_unavailable:
    "The media server cannot be reached right now; the meeting moves to another by itself.",
  unavailable: "The server is having trouble right now; try again in a moment.",
  database_unavailable: "The server is having trouble right now; try again in a moment.",
  server_busy: "The server is busy; try again in a moment.",
  internal_error: "Something went wrong on the server; try again.",
};

/** A sentence for an error code, or the server's own message for codes without one. */
export function errorSentence(code: string, serverMessage: string): string {
  return SENTENCES[code] ?? serverMessage;
}
