/**
 * The room's chat, without UI: history, live messages, the sender's outbox, typing, unread count.
 *
 * Messages are kept by id and ordered by `seq`, so whatever arrives twice (a `joined` after a
 * reconnect, a live event, a retried send's ack) is shown once. A message whose ack was lost
 * stays in the outbox and is sent again after the rejoin with the same `client_id`; the server
 * stores it once.
 */
import type { MessagePage } from "../api/types";
import { Emitter } from "../realtime/emitter";
import { TRANSIENT_ERROR_CODES } from "../realtime/protocol";
import type { ChatMessage, Joined, ServerMessage } from "../realtime/protocol";
import { Disconnected, RequestError } from "../realtime/SignalClient";
import type { SignalClient } from "../realtime/SignalClient";

export interface OutgoingMessage {
  clientId: string;
  text: string;
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
  private readonly retryTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private roomId: string | null = null;
  private open = false;
  private typingSent = false;
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
    for (const timer of this.retryTimers.values()) clearTimeout(timer);
    clearTimeout(this.typingIdle);
  }

  /** Whether the chat panel is shown: while open, nothing counts as unread. */
  setOpen(open: boolean): void {
    this.open = open;
    this.publish({ unread: open ? 0 : this.current.unread });
  }

  send(text: string): void {
    this.stopTyping();
    const message = { clientId: crypto.randomUUID(), text, error: null };
    this.outbox = [...this.outbox, message];
    this.publish({});
    void this.deliver(message);
  }

  /** The user typed: tell the room (at most every few seconds) until they stop or send. */
  typed(): void {
    clearTimeout(this.typingIdle);
    this.typingIdle = setTimeout(() => this.stopTyping(), TYPING_IDLE_MS);
    if (this.typingSent) return;
    this.typingSent = true;
    this.signal.notify({ type: "typing", active: true });
  }

  stopTyping(): void {
    clearTimeout(this.typingIdle);
    if (!this.typingSent) return;
    this.typingSent = false;
    this.signal.notify({ type: "typing", active: false });
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
    for (const message of this.outbox) void this.deliver(message);
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

  private async deliver(message: OutgoingMessage): Promise<void> {
    try {
      const ack = await this.signal.request({
        type: "chat",
        client_id: message.clientId,
        text: message.text,
      });
      if (ack.type === "ack" && ack.message) this.merge([ack.message]);
      this.publish({});
    } catch (error) {
      if (error instanceof Disconnected) return; // sent again after the rejoin
      const transient = error instanceof RequestError && TRANSIENT_ERROR_CODES.has(error.code);
      const reason = error instanceof RequestError ? error.message : "not sent";
      this.setOutboxError(message.clientId, transient ? `${reason}; retrying…` : reason);
      if (transient) {
        // Same client id: stored once however often it is sent.
        this.retryTimers.set(
          message.clientId,
          setTimeout(() => {
            this.retryTimers.delete(message.clientId);
            const pending = this.outbox.find((m) => m.clientId === message.clientId);
            if (pending) void this.deliver(pending);
          }, CHAT_RETRY_MS),
        );
      }
    }
  }

  private setOutboxError(clientId: string, error: string): void {
    this.outbox = this.outbox.map((m) => (m.clientId === clientId ? { ...m, error } : m));
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
