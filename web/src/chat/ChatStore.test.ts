import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { MessagePage } from "../api/types";
import { socketFactory } from "../realtime/fakeSocket";
import type { FakeSocket } from "../realtime/fakeSocket";
import type { ChatMessage, Joined } from "../realtime/protocol";
import { BackoffWithJitter } from "../realtime/ReconnectPolicy";
import { SignalClient } from "../realtime/SignalClient";
import { CHAT_BURST, CHAT_RATE, ChatStore, TYPING_INTERVAL_MS } from "./ChatStore";
import type { HistoryLoader } from "./ChatStore";

const ROOM = { id: "room-1", code: "abcd-efgh-ijkl", name: "Standup", owner_id: "u-ann" };

function message(
  seq: number,
  sender = "u-bob",
  clientId = `c${seq}`,
  text = `message ${seq}`,
): ChatMessage {
  return {
    id: `m${seq}`,
    room_id: ROOM.id,
    seq,
    sender_id: sender,
    sender_name: sender === "u-ann" ? "Ann" : "Bob",
    client_id: clientId,
    text,
    created_at: "2026-11-28T12:00:00+00:00",
  };
}

function joined(ref: string | null | undefined, messages: ChatMessage[], more = false): Joined {
  return {
    type: "joined",
    ref,
    room: ROOM,
    participant_id: "p-ann",
    participants: [],
    messages,
    more_messages: more,
    ticket: "ticket",
    resume: "resume",
    reconnect_grace: 30,
  };
}

const settle = () => vi.advanceTimersByTimeAsync(0);

function deliverAck(socket: FakeSocket, ref: string | null | undefined, stored: ChatMessage) {
  socket.deliver({ type: "ack", request: "chat", ref, message: stored });
}
const seqs = (store: ChatStore) => store.snapshot.messages.map((m) => m.seq);

describe("ChatStore", () => {
  let sockets: FakeSocket[];
  let signal: SignalClient;
  let store: ChatStore;
  let history: Map<number, ChatMessage>;
  let loader: ReturnType<typeof vi.fn<HistoryLoader>>;

  /** The server's HTTP history: newest first, pages of 2. */
  function page(before: number | undefined): MessagePage {
    const older = [...history.values()]
      .filter((m) => before === undefined || m.seq < before)
      .sort((a, b) => b.seq - a.seq);
    const messages = older
      .slice(0, 2)
      .map((m) => ({ ...m, sender_guest: m.sender_guest ?? false }));
    return { messages, next_before: older.length > 2 ? (messages.at(-1)?.seq ?? null) : null };
  }

  async function connect(socket: FakeSocket): Promise<void> {
    socket.open();
    await settle();
    socket.deliver({
      type: "authenticated",
      user_id: "u-ann",
      display_name: "Ann",
      expires_in: 900,
      ref: "auth",
    });
    await settle();
  }

  async function joinWith(messages: ChatMessage[], more = false): Promise<void> {
    signal.connect();
    await connect(sockets[0]!);
    const joining = signal.join({
      room: ROOM.code,
      media: { audio: true, video: true, screen: false },
    });
    await settle();
    sockets[0]!.deliver(joined(sockets[0]!.sentOfType("join")[0]?.ref, messages, more));
    await joining;
    await settle();
  }

  /** Drop the socket, reconnect, and answer the rejoin with `messages`. */
  async function reconnectWith(
    messages: (lastSeq: number | null | undefined) => ChatMessage[],
    more = false,
  ) {
    sockets.at(-1)!.drop();
    await settle();
    const socket = sockets.at(-1)!;
    await connect(socket);
    const rejoin = socket.sentOfType("join")[0];
    socket.deliver(joined(rejoin?.ref, messages(rejoin?.last_seq), more));
    await settle();
    return socket;
  }

  beforeEach(() => {
    vi.useFakeTimers();
    const factory = socketFactory();
    sockets = factory.sockets;
    history = new Map();
    signal = new SignalClient({
      url: "ws://test/ws",
      token: async () => "token",
      policy: new BackoffWithJitter(() => 0),
      createSocket: factory.create,
    });
    loader = vi.fn<HistoryLoader>(async (_room, before) => page(before));
    store = new ChatStore(signal, loader, "u-ann");
  });

  afterEach(() => {
    store.dispose();
    signal.close();
    vi.useRealTimers();
  });

  it("shows the history from joined, then live messages, each once", async () => {
    await joinWith([message(1), message(2)]);
    sockets[0]!.deliver({ type: "chat", message: message(2) });
    sockets[0]!.deliver({ type: "chat", message: message(3) });
    sockets[0]!.deliver({ type: "chat", message: message(3) });
    expect(seqs(store)).toEqual([1, 2, 3]);
  });

  it("catches up after a reconnect from the last seq, without duplicates", async () => {
    await joinWith([message(1), message(2)]);
    const socket = await reconnectWith((lastSeq) => {
      expect(lastSeq).toBe(2);
      return [message(3), message(4)];
    });
    socket.deliver({ type: "chat", message: message(4) }); // a live copy racing the joined
    expect(seqs(store)).toEqual([1, 2, 3, 4]);
  });

  it("reads the rest from the HTTP history when more was missed than joined carries", async () => {
    await joinWith([message(1), message(2)]);
    for (const seq of [1, 2, 3, 4, 5, 6, 7]) history.set(seq, message(seq));
    await reconnectWith(() => [message(3), message(4)], true);
    expect(seqs(store)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(loader).toHaveBeenCalledWith(ROOM.id, undefined);
  });

  it("sends again a message whose ack was lost, with the same client id, and shows it once", async () => {
    await joinWith([message(1)]);
    store.send("are you there?");
    const sent = sockets[0]!.sentOfType("chat")[0]!;
    expect(store.snapshot.outbox.map((m) => m.text)).toEqual(["are you there?"]);

    // The server stored it as seq 2, but the socket dropped before the ack arrived.
    const stored = message(2, "u-ann", sent.client_id, "are you there?");
    const socket = await reconnectWith(() => [stored]);
    const resent = socket.sentOfType("chat");
    expect(resent).toEqual([]); // joined already carried it: nothing left to resend
    expect(store.snapshot.outbox).toEqual([]);
    expect(store.snapshot.messages.filter((m) => m.client_id === sent.client_id)).toHaveLength(1);
  });

  it("resends a message the server never got, and takes its ack", async () => {
    await joinWith([message(1)]);
    store.send("hello again");
    const first = sockets[0]!.sentOfType("chat")[0]!;
    const socket = await reconnectWith(() => []);
    const retry = socket.sentOfType("chat")[0]!;
    expect(retry.client_id).toBe(first.client_id);
    socket.deliver({
      type: "ack",
      request: "chat",
      ref: retry.ref,
      message: message(2, "u-ann", retry.client_id, "hello again"),
    });
    await settle();
    expect(store.snapshot.outbox).toEqual([]);
    expect(store.snapshot.messages.map((m) => m.text)).toEqual(["message 1", "hello again"]);
  });

  it.each(["unavailable", "database_unavailable", "server_busy"])(
    "sends again, with the same client id, a message refused with %s",
    async (code) => {
      await joinWith([message(1)]);
      store.send("during the outage");
      const first = sockets[0]!.sentOfType("chat")[0]!;
      sockets[0]!.deliver({
        type: "error",
        code,
        message: "the server cannot store or pass on the message right now; try again",
        request: "chat",
        ref: first.ref,
      });
      await settle();
      expect(store.snapshot.outbox[0]?.error).toMatch(/retrying/);
      await vi.advanceTimersByTimeAsync(3000);
      const retry = sockets[0]!.sentOfType("chat")[1]!;
      expect(retry.client_id).toBe(first.client_id);
      deliverAck(sockets[0]!, retry.ref, message(2, "u-ann", retry.client_id, "during the outage"));
      await settle();
      expect(store.snapshot.outbox).toEqual([]);
      expect(store.snapshot.messages.map((m) => m.text)).toEqual([
        "message 1",
        "during the outage",
      ]);
    },
  );

  it("keeps a message refused for good, not resent on a reconnect, until Retry or Discard", async () => {
    await joinWith([message(1)]);
    const refuse = (socket: FakeSocket, ref: string | null | undefined) =>
      socket.deliver({
        type: "error",
        code: "text_too_long",
        message: "a message holds at most 4000 characters",
        request: "chat",
        ref,
      });
    store.send("x".repeat(5000));
    refuse(sockets[0]!, sockets[0]!.sentOfType("chat")[0]!.ref);
    store.send("this one goes");
    await settle();
    const next = sockets[0]!.sentOfType("chat")[1]!;
    expect(next.text).toBe("this one goes"); // the refused one does not hold up the queue
    deliverAck(sockets[0]!, next.ref, message(2, "u-ann", next.client_id, "this one goes"));
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sockets[0]!.sentOfType("chat")).toHaveLength(2);
    expect(store.snapshot.outbox).toMatchObject([
      { failed: true, error: "a message holds at most 4000 characters" },
    ]);

    const socket = await reconnectWith(() => []);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(socket.sentOfType("chat")).toEqual([]);

    const failed = store.snapshot.outbox[0]!;
    store.retry(failed.clientId);
    await settle();
    const retried = socket.sentOfType("chat")[0]!;
    expect(retried.client_id).toBe(failed.clientId);
    refuse(socket, retried.ref);
    await settle();
    store.discard(failed.clientId);
    expect(store.snapshot.outbox).toEqual([]);
    await reconnectWith(() => []);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sockets.at(-1)!.sentOfType("chat")).toEqual([]);
  });

  it("sends the outbox one message at a time at the server's documented rate", async () => {
    await joinWith([]);
    const socket = sockets[0]!;
    let acked = 0;
    /** The server: acknowledges every chat it has been sent so far. */
    const server = async () => {
      for (;;) {
        await settle();
        const sent = socket.sentOfType("chat");
        if (sent.length === acked) return;
        const chat = sent[acked]!;
        acked += 1;
        deliverAck(socket, chat.ref, message(acked, "u-ann", chat.client_id, chat.text));
      }
    };
    for (let n = 0; n < CHAT_BURST + 2 * CHAT_RATE; n += 1) store.send(`m${n}`);
    await server();
    expect(acked).toBe(CHAT_BURST);
    await vi.advanceTimersByTimeAsync(1000);
    await server();
    expect(acked).toBe(CHAT_BURST + CHAT_RATE);
    await vi.advanceTimersByTimeAsync(1000);
    await server();
    expect(acked).toBe(CHAT_BURST + 2 * CHAT_RATE);
    expect(store.snapshot.messages.map((m) => m.text)).toEqual(
      Array.from({ length: CHAT_BURST + 2 * CHAT_RATE }, (_, n) => `m${n}`),
    );
    expect(store.snapshot.outbox).toEqual([]);
  });

  it("sends a message refused over the rate again after the server's retry_after", async () => {
    await joinWith([]);
    store.send("one");
    store.send("two");
    const first = sockets[0]!.sentOfType("chat")[0]!;
    sockets[0]!.deliver({
      type: "error",
      code: "rate_limited",
      message: "slow down: too many messages",
      request: "chat",
      ref: first.ref,
      retry_after: 0.25,
    });
    await vi.advanceTimersByTimeAsync(249);
    expect(sockets[0]!.sentOfType("chat")).toHaveLength(1);
    expect(store.snapshot.outbox.map((m) => m.error)).toEqual([null, null]); // no alarm
    await vi.advanceTimersByTimeAsync(1);
    const again = sockets[0]!.sentOfType("chat");
    expect(again.map((m) => m.client_id)).toEqual([first.client_id, first.client_id]);
    deliverAck(sockets[0]!, again[1]!.ref, message(1, "u-ann", first.client_id, "one"));
    await settle();
    expect(sockets[0]!.sentOfType("chat").map((m) => m.text)).toEqual(["one", "one", "two"]);
  });

  it("sends again, with its client id, a message the server did not answer in time", async () => {
    await joinWith([]);
    store.send("one");
    const first = sockets[0]!.sentOfType("chat")[0]!;
    await vi.advanceTimersByTimeAsync(10_000); // no ack: the request times out
    expect(store.snapshot.outbox[0]?.failed).not.toBe(true);
    await vi.advanceTimersByTimeAsync(3_000);
    const sent = sockets[0]!.sentOfType("chat");
    expect(sent.map((m) => m.client_id)).toEqual([first.client_id, first.client_id]);
    deliverAck(sockets[0]!, sent[1]!.ref, message(1, "u-ann", first.client_id, "one"));
    await settle();
    expect(store.snapshot.outbox).toEqual([]);
    expect(seqs(store)).toEqual([1]);
  });

  it("counts unread messages from others while closed", async () => {
    await joinWith([]);
    sockets[0]!.deliver({ type: "chat", message: message(1) });
    sockets[0]!.deliver({ type: "chat", message: message(2, "u-ann") });
    expect(store.snapshot.unread).toBe(1);
    store.setOpen(true);
    expect(store.snapshot.unread).toBe(0);
    sockets[0]!.deliver({ type: "chat", message: message(3) });
    expect(store.snapshot.unread).toBe(0);
  });

  it("loads older pages on demand", async () => {
    for (const seq of [1, 2, 3, 4]) history.set(seq, message(seq));
    await joinWith([message(5), message(6)], true);
    await store.loadOlder();
    expect(seqs(store)).toEqual([3, 4, 5, 6]);
    expect(store.snapshot.hasOlder).toBe(true);
    await store.loadOlder();
    expect(seqs(store)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(store.snapshot.hasOlder).toBe(false);
  });

  it("shows who is typing until they stop or go quiet", async () => {
    await joinWith([]);
    sockets[0]!.deliver({ type: "typing", participant_id: "p-bob", active: true });
    expect(store.snapshot.typing).toEqual(["p-bob"]);
    sockets[0]!.deliver({ type: "typing", participant_id: "p-bob", active: false });
    expect(store.snapshot.typing).toEqual([]);
    sockets[0]!.deliver({ type: "typing", participant_id: "p-bob", active: true });
    await vi.advanceTimersByTimeAsync(6000);
    expect(store.snapshot.typing).toEqual([]);
  });

  it("tells the room about typing at most once a second, however fast someone types and sends", async () => {
    await joinWith([]);
    const told: { at: number; active: boolean }[] = [];
    let seen = 0;
    const look = () => {
      const typing = sockets[0]!.sentOfType("typing");
      for (const t of typing.slice(seen)) told.push({ at: Date.now(), active: t.active });
      seen = typing.length;
    };
    for (let n = 0; n < 20; n += 1) {
      // Keys every 100 ms, a message every 300 ms.
      store.typed();
      await vi.advanceTimersByTimeAsync(100);
      look();
      store.typed();
      await vi.advanceTimersByTimeAsync(100);
      look();
      store.send(`message ${n}`);
      await vi.advanceTimersByTimeAsync(100);
      look();
    }
    await vi.advanceTimersByTimeAsync(TYPING_INTERVAL_MS);
    look();
    const gaps = told.slice(1).map((t, i) => t.at - told[i]!.at);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(TYPING_INTERVAL_MS);
    expect(told.length).toBeLessThanOrEqual(7); // 6 s of typing
    expect(told.at(-1)?.active).toBe(false);
    expect(sockets[0]!.sentOfType("typing").every((t) => t.ref === undefined)).toBe(true);
  });

  it("tells the room once when typing starts, and when it stops", async () => {
    await joinWith([]);
    store.typed();
    store.typed();
    expect(sockets[0]!.sentOfType("typing")).toEqual([{ type: "typing", active: true }]);
    await vi.advanceTimersByTimeAsync(3000);
    expect(sockets[0]!.sentOfType("typing").at(-1)).toEqual({ type: "typing", active: false });
  });

  it("resumes after the last message with no gap before it, so one that arrived late is fetched", async () => {
    await joinWith([message(3), message(4)]);
    // Another instance's seq 6 overtook seq 5; the socket drops before 5 arrives.
    sockets[0]!.deliver({ type: "chat", message: message(6) });
    await settle();
    let asked: number | null | undefined;
    await reconnectWith((lastSeq) => {
      asked = lastSeq;
      return [message(5), message(6)];
    });
    expect(asked).toBe(4);
    expect(seqs(store)).toEqual([3, 4, 5, 6]);
  });
});
