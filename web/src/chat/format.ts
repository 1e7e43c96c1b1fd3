/** How chat text is shown, without UI: links found in plain text, runs of messages by sender. */
import type { ChatMessage } from "../realtime/protocol";

/** A piece of a message's text: plain, or a link to `href` (http or https only). */
export interface TextPart {
  text: string;
  href?: string;
}

const URL_CANDIDATE = /\bhttps?:\/\/[^\s<>"']+/giu;
/** Punctuation that ends a sentence rather than a link: "see https://x.org." */
const TRAILING = /[.,;:!?)\]}]+$/u;

/** The text cut into plain parts and http(s) links; any other scheme stays plain text. */
export function splitLinks(text: string): TextPart[] {
  const parts: TextPart[] = [];
  let plainFrom = 0;
  for (const match of text.matchAll(URL_CANDIDATE)) {
    const candidate = match[0].replace(TRAILING, "");
    const href = httpUrl(candidate);
    if (href === null) continue;
    if (match.index > plainFrom) parts.push({ text: text.slice(plainFrom, match.index) });
    parts.push({ text: candidate, href });
    plainFrom = match.index + candidate.length;
  }
  if (plainFrom < text.length) parts.push({ text: text.slice(plainFrom) });
  return parts;
}

function httpUrl(candidate: string): string | null {
  try {
    const url = new URL(candidate);
    return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
  } catch {
    return null;
  }
}

/** Consecutive messages of one sender: shown under one name. */
export interface MessageGroup {
  senderId: string;
  messages: ChatMessage[];
}

export function groupBySender(messages: readonly ChatMessage[]): MessageGroup[] {
  const groups: MessageGroup[] = [];
  for (const message of messages) {
    const last = groups.at(-1);
    if (last?.senderId === message.sender_id) last.messages.push(message);
    else groups.push({ senderId: message.sender_id, messages: [message] });
  }
  return groups;
}

const TIME = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

/** A message's time of day, in the reader's locale and time zone. */
export function timeOfDay(iso: string): string {
  return TIME.format(new Date(iso));
}
