/**
 * The room's chat, without UI: history, live messages, the sender's outbox, typing, unread count.
 *
 * Messages are kept by id and ordered by `seq`, so whatever arrives twice (a `joined` after a
 * reconnect, a live event, a retried send's ack) is shown once. A message whose ack was lost
 * stays in the outbox and is sent again after the rejoin with the same `client_id`; the server
 * stores it once.
 *
 * The outbox sends one message at a time, in order, at the server's documented chat rate; a
 * message refused for a while (rate limit, outage) is sent again after the server's
 * `retry_after`, one refused for good waits for the user's `retry` or `discard` and is not sent
 * again on a rejoin. Typing goes to the room at most once a second, apart from chat.
 */
import type { MessagePage } from "../api/types";
import { Emitter } from "../realtime/emitter";
import { TRANSIENT_ERROR_CODES } from "../realtime/protocol";
import type { ChatMessage, Joined, ServerMessage } from "../realtime/protocol";
import { Disconnected, RequestError, TimedOut } from "../realtime/SignalClient";
import type { SignalClient } from "../realtime/SignalClient";
import { Pacer } from "./Pacer";

export interface OutgoingMessage {
  clientId: string;
  text: string;
  /** Refused for good: waits for `retry` or `discard`. */
  failed: boolean;
  /** Why it is not sent yet, when the server said why. */
  error: string | null;
}

export interface ChatSnapshot {
  messages: readonly ChatMessage[];
  outbox: readonly OutgoingMessage[];
  /** Participant ids of those typing now. */
  typing: readonly string[];
  unread: number;
  hasOlder: boolean;
}

export type HistoryLoader = (roomId: string, before: number | undefined) => Promise<MessagePage>;

/** Typing state from another participant expires after this long without an update. */
const TYPING_EXPIRY_MS = 6000;
/** The local user counts as stopped typing after this long without a key. */
const TYPING_IDLE_MS = 3000;
/** At most one `typing` this often (the server allows 2/s, bursts of 10). */
export const TYPING_INTERVAL_MS = 1000;
/** The server's documented chat limit (docs/protocol.md): 5 messages/s, bursts of 20. */
export const CHAT_RATE = 5;
export const CHAT_BURST = 20;
/** A transient refusal without `retry_after` (an outage) is retried after this long. */
const CHAT_RETRY_MS = 3000;

export class ChatStore extends Emitter<{ change: [] }> {
  private readonly signal: SignalClient;
  private readonly loadHistory: HistoryLoader;
  private readonly selfUserId: string;
  private readonly byId = new Map<string, ChatMessage>();
  private outbox: OutgoingMessage[] = [];
  /** The messages in `seq` order, or null when a merge changed them. */
  private sorted: ChatMessage[] | null = null;
  private readonly typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private roomId: string | null = null;
  private open = false;
  private readonly pacer = new Pacer(CHAT_RATE, CHAT_BURST);
  /** Nothing is sent before this time (ms): the last refusal's `retry_after`. */
  private holdUntil = 0;
  private pumping = false;
  private pumpTimer: ReturnType<typeof setTimeout> | undefined;
  /** Whether the user is typing, and what the room was last told, when. */
  private typingNow = false;
  private typingTold = false;
  private typingToldAt = -Infinity;
  private typingFlush: ReturnType<typeof setTimeout> | undefined;
  private typingIdle: ReturnType<typeof setTimeout> | undefined;
  private current: ChatSnapshot = {
    messages: [],
    outbox: [],
    typing: [],
    unread: 0,
    hasOlder: false,
  };
  private readonly unsubscribe: (() => void)[];

  constructor(signal: SignalClient, loadHistory: HistoryLoader, selfUserId: string) {
    super();
    this.signal = signal;
    this.loadHistory = loadHistory;
    this.selfUserId = selfUserId;
    signal.setResumePoint(() => this.lastSeq);
    this.unsubscribe = [
      signal.on("joined", (joined, rejoined) => void this.joined(joined, rejoined)),
      signal.on("event", (event) => this.event(event)),
    ];
  }

  get snapshot(): ChatSnapshot {
    return this.current;
  }

  /**
   * The highest `seq` up to which the messages held have no gap, counted up from the oldest held
   * (history pages add older ones): a rejoin asks for what came after it. Across server instances
   * seq 6 can arrive before seq 5; resuming after 6 would never fetch 5.
   */
  get lastSeq(): number | undefined {
    const messages = this.ordered();
    let last = messages[0]?.seq;
    for (const message of messages.slice(1)) {
      if (last === undefined || message.seq !== last + 1) break;
      last = message.seq;
    }
    return last;
  }

  dispose(): void {
    for (const off of this.unsubscribe) off();
    for (const timer of this.typingTimers.values()) clearTimeout(timer);
    clearTimeout(this.pumpTimer);
    clearTimeout(this.typingFlush);
    clearTimeout(this.typingIdle);
  }

  /** Whether the chat panel is shown: while open, nothing counts as unread. */
  setOpen(open: boolean): void {
    this.open = open;
    this.publish({ unread: open ? 0 : this.current.unread });
  }

  send(text: string): void {
    this.stopTyping();
    this.outbox = [
      ...this.outbox,
      { clientId: crypto.randomUUID(), text, failed: false, error: null },
    ];
    this.publish({});
    void this.pump();
  }

  /** Send again a message refused for good. */
  retry(clientId: string): void {
    this.updateOutgoing(clientId, { failed: false, error: null });
    void this.pump();
  }

  /** Give up a message refused for good. */
  discard(clientId: string): void {
    this.outbox = this.outbox.filter((m) => m.clientId !== clientId);
    this.publish({});
  }

  /** The user typed: the room hears it until they stop, go quiet or send. */
  typed(): void {
    clearTimeout(this.typingIdle);
    this.typingIdle = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
    this.setTyping(true);
  }

  stopTyping(): void {
    clearTimeout(this.typingIdle);
    this.setTyping(false);
  }

  private setTyping(active: boolean): void {
    this.typingNow = active;
    this.tellTyping();
  }

  /** Tell the room the latest typing state, at most once per TYPING_INTERVAL_MS: a stop and a
   * start within it (sending, then typing on) cancel out. */
  private tellTyping(): void {
    if (this.typingFlush !== undefined || this.typingNow === this.typingTold) return;
    const wait = this.typingToldAt + TYPING_INTERVAL_MS - Date.now();
    if (wait > 0) {
      this.typingFlush = setTimeout(() => {
        this.typingFlush = undefined;
        this.tellTyping();
      }, wait);
      return;
    }
    this.typingTold = this.typingNow;
    this.typingToldAt = Date.now();
    this.signal.notify({ type: "typing", active: this.typingNow });
  }

  /** Read the page of history before the oldest message held. */
  async loadOlder(): Promise<void> {
    if (this.roomId === null || !this.current.hasOlder) return;
    const page = await this.loadHistory(this.roomId, this.current.messages[0]?.seq);
    this.merge(page.messages);
    this.publish({ hasOlder: page.next_before !== null });
  }

  private async joined(joined: Joined, rejoined: boolean): Promise<void> {
    if (!rejoined) {
      this.byId.clear();
      this.sorted = null;
      this.roomId = joined.room.id;
      this.merge(joined.messages);
      this.publish({ hasOlder: joined.more_messages, typing: [] });
      return;
    }
    const before = this.lastSeq;
    this.merge(joined.messages);
    if (joined.more_messages) await this.catchUp(before);
    this.publish({ typing: [] });
    this.typingTold = false; // the room saw this participant leave and come back
    void this.pump();
  }

  /** More was missed than `joined` carries: read pages back until the gap is closed. */
  private async catchUp(knownSeq: number | undefined): Promise<void> {
    if (this.roomId === null) return;
    let before: number | undefined;
    for (;;) {
      const page = await this.loadHistory(this.roomId, before);
      this.merge(page.messages);
      const oldest = page.messages.at(-1)?.seq;
      if (page.next_before === null || oldest === undefined || oldest <= (knownSeq ?? 0) + 1) {
        return;
      }
      before = page.next_before;
    }
  }

  /** Send the outbox's messages one at a time, in order, at the chat rate. */
  private async pump(): Promise<void> {
    if (this.pumping || this.roomId === null) return;
    this.pumping = true;
    try {
      for (;;) {
        const next = this.outbox.find((m) => !m.failed);
        if (next === undefined) return;
        const wait = Math.max(this.holdUntil - Date.now(), this.pacer.wait());
        if (wait > 0) {
          clearTimeout(this.pumpTimer);
          this.pumpTimer = setTimeout(() => void this.pump(), wait);
          return;
        }
        this.pacer.take();
        if (!(await this.deliver(next))) return; // disconnected: the rejoin goes on
      }
    } finally {
      this.pumping = false;
    }
  }

  /** Send one message (again: the same client id is stored once); false when disconnected. */
  private async deliver(message: OutgoingMessage): Promise<boolean> {
    try {
      const ack = await this.signal.request({
        type: "chat",
        client_id: message.clientId,
        text: message.text,
      });
      if (ack.type === "ack" && ack.message) this.merge([ack.message]);
      this.publish({});
    } catch (error) {
      if (error instanceof Disconnected) return false;
      if (error instanceof TimedOut) {
        // Stored or not, it goes again with its client id (stored once).
        this.holdUntil = Date.now() + CHAT_RETRY_MS;
        this.updateOutgoing(message.clientId, { error: `${error.message}; retrying…` });
      } else if (error instanceof RequestError && TRANSIENT_ERROR_CODES.has(error.code)) {
        const retryMs = error.retryAfter === undefined ? CHAT_RETRY_MS : error.retryAfter * 1000;
        this.holdUntil = Date.now() + retryMs;
        // Over the rate it goes in a moment; an outage is worth saying.
        const note = error.code === "rate_limited" ? null : `${error.message}; retrying…`;
        this.updateOutgoing(message.clientId, { error: note });
      } else {
        const reason = error instanceof RequestError ? error.message : "not sent";
        this.updateOutgoing(message.clientId, { failed: true, error: reason });
      }
    }
    return true;
  }

  private updateOutgoing(clientId: string, changes: Partial<OutgoingMessage>): void {
    this.outbox = this.outbox.map((m) => (m.clientId === clientId ? { ...m, ...changes } : m));
    this.publish({});
  }

  private event(event: ServerMessage): void {
    if (event.type === "chat") {
      const isNew = !this.byId.has(event.message.id);
      this.merge([event.message]);
      const fromOther = event.message.sender_id !== this.selfUserId;
      this.publish({ unread: this.current.unread + (isNew && fromOther && !this.open ? 1 : 0) });
    } else if (event.type === "typing") {
      this.setRemoteTyping(event.participant_id, event.active);
    } else if (event.type === "participant-left") {
      this.setRemoteTyping(event.participant_id, false);
    }
  }

  private setRemoteTyping(participantId: string, active: boolean): void {
    clearTimeout(this.typingTimers.get(participantId));
    this.typingTimers.delete(participantId);
    if (active) {
      this.typingTimers.set(
        participantId,
        setTimeout(() => this.setRemoteTyping(participantId, false), TYPING_EXPIRY_MS),
      );
    }
    const others = this.current.typing.filter((id) => id !== participantId);
    this.publish({ typing: active ? [...others, participantId] : others });
  }

  /** Add stored messages by id; a message of mine that is stored leaves the outbox. */
  private merge(messages: readonly ChatMessage[]): void {
    const stored = new Set<string>();
    for (const message of messages) {
      this.byId.set(message.id, message);
      if (message.sender_id === this.selfUserId) stored.add(message.client_id);
    }
    if (stored.size > 0) this.outbox = this.outbox.filter((m) => !stored.has(m.clientId));
    this.sorted = null;
  }

  /** The messages held, in `seq` order. */
  private ordered(): ChatMessage[] {
    return (this.sorted ??= [...this.byId.values()].sort((a, b) => a.seq - b.seq));
  }

  private publish(changes: Partial<ChatSnapshot>): void {
    this.current = {
      ...this.current,
      ...changes,
      messages: this.ordered(),
      outbox: this.outbox,
    };
    this.emit("change");
  }
}
