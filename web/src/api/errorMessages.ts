/**
 * What to tell a person when a request failed: a sentence for each of the API's error codes the
 * pages meet, else the server's own message (already a sentence), else a word about the network.
 */
import { ApiError, NetworkError } from "./client";

const MESSAGES: Readonly<Record<string, string>> = {
  room_not_found: "There is no room at this link. Check the link you were sent.",
  guests_not_allowed: "The host has turned off guest access. Sign in to join.",
  user_not_found: "Nobody with that e-mail address has a Glimpse account.",
  forbidden: "Only the room's owner can do that.",
  not_room_owner: "Only the room's owner can do that.",
  guest_session_ended: "Your guest pass has expired. Join again with your name.",
  unauthorized: "You are signed out. Sign in and try again.",
  validation_error: "Some of what you entered is not accepted. Check it and try again.",
  server_busy: "The server is busy. Try again in a moment.",
  database_unavailable: "The server cannot reach its database. Try again in a moment.",
};

/** A readable sentence for a failed request. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.code === "rate_limited") {
      return error.retryAfter === null
        ? "Too many attempts. Try again shortly."
        : `Too many attempts. Try again in ${error.retryAfter} s.`;
    }
    return MESSAGES[error.code] ?? sentence(error.message);
  }
  if (error instanceof NetworkError) return error.message;
  return error instanceof Error ? sentence(error.message) : "Something went wrong.";
}

/** A sentence for each field the server found wrong (`validation_error`), by field name. */
export function fieldErrors(error: unknown): Readonly<Record<string, string>> {
  if (!(error instanceof ApiError)) return {};
  return Object.fromEntries(
    Object.entries(error.fields).map(([field, problem]) => [field, sentence(problem)]),
  );
}

/** The server's messages start in lower case and end without a full stop. */
function sentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed === "") return "Something went wrong.";
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?…]$/.test(capital) ? capital : `${capital}.`;
}
