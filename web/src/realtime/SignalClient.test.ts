import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { ApiError } from "../api/client";
import { socketFactory } from "./fakeSocket";
import type { FakeSocket } from "./fakeSocket";
import type { Joined, Participant } from "./protocol";
import { BackoffWithJitter } from "./ReconnectPolicy";
import { Disconnected, RequestError, SignalClient, TimedOut } from "./SignalClient";
import type { ConnectionState, Stop } from "./SignalClient";

const ann: Participant = {
  id: "p-ann",
  user_id: "u-ann",
  display_name: "Ann",
  media: { audio: true, video: true, screen: false },
};

function joinedAnswer(ref: string | null | undefined, participantId = "p-ann"): Joined {
  return {
    type: "joined",
    ref,
    room: { id: "room-1", code: "abcd-efgh-ijkl", name: "Standup", owner_id: "u-ann" },
    participant_id: participantId,
    participants: [{ ...ann, id: participantId }],
    messages: [],
    more_messages: false,
    ticket: `ticket-${participantId}`,
    resume: `resume-${participantId}`,
    reconnect_grace: 30,
  };
}

/** Let the client's promise chains run (auth awaits the token). */
const settle = () => vi.advanceTimersByTimeAsync(0);

async function authenticate(socket: FakeSocket, expiresIn = 900): Promise<void> {
  socket.open();
  await settle();
  const auth = socket.sentOfType("auth").at(-1);
  socket.deliver({
    type: "authenticated",
    user_id: "u-ann",
    display_name: "Ann",
    expires_in: expiresIn,
    ref: auth?.ref,
  });
  await settle();
}

/** Let time pass on a live socket: the server pings every 5 s. */
async function pass(socket: FakeSocket, ms: number): Promise<void> {
  for (let left = ms; left > 0; left -= 5_000) {
    socket.deliver({ type: "ping" });
    await vi.advanceTimersByTimeAsync(Math.min(left, 5_000));
  }
}

describe("SignalClient", () => {
  let sockets: FakeSocket[];
  let client: SignalClient;
  let states: ConnectionState[];
  const tokens: boolean[] = [];
  /** What the next token fetches reject with, if anything. */
  let tokenFailure: Error | null;

  beforeEach(() => {
    vi.useFakeTimers();
    const factory = socketFactory();
    sockets = factory.sockets;
    tokens.length = 0;
    tokenFailure = null;
    client = new SignalClient({
      url: "ws://test/ws",
      token: async (fresh) => {
        tokens.push(fresh);
        if (tokenFailure) throw tokenFailure;
        return fresh ? "fresh-token" : "token";
      },
      policy: new BackoffWithJitter(() => 0.5),
      createSocket: factory.create,
    });
    states = [];
    client.on("state", (state) => states.push(state));
  });

  afterEach(() => {
    client.close();
    vi.useRealTimers();
  });

  async function joinRoom(): Promise<void> {
    client.connect();
    const socket = sockets[0]!;
    await authenticate(socket);
    const joining = client.join({ room: "abcd-efgh-ijkl", media: ann.media });
    await settle();
    socket.deliver(joinedAnswer(socket.sentOfType("join")[0]?.ref));
    await joining;
  }

  it("authenticates first and answers the server's ping", async () => {
    client.connect();
    const socket = sockets[0]!;
    await authenticate(socket);
    expect(socket.sent[0]).toEqual({ type: "auth", token: "token", ref: "auth" });
    socket.deliver({ type: "ping" });
    expect(socket.sent.at(-1)).toEqual({ type: "pong" });
    expect(states).toEqual(["connecting", "connected"]);
  });

  it("settles an sfu-publish with the SFU's answer, and sends candidates without waiting", async () => {
    await joinRoom();
    const socket = sockets[0]!;
    const publishing = client.request({ type: "sfu-publish", source: "camera", sdp: "offer" });
    const publish = socket.sentOfType("sfu-publish")[0];
    client.notify({ type: "sfu-candidate", pc: "camera", candidate: null });
    expect(socket.sent.at(-1)).toEqual({ type: "sfu-candidate", pc: "camera", candidate: null });
    socket.deliver({ type: "sfu-answer", source: "camera", sdp: "answer", ref: publish?.ref });
    expect(await publishing).toMatchObject({ type: "sfu-answer", sdp: "answer" });
  });

  it("reconnects with backoff after a drop and rejoins the room from the last chat seq", async () => {
    client.setResumePoint(() => 41);
    const rejoins: boolean[] = [];
    client.on("joined", (_joined, rejoined) => rejoins.push(rejoined));
    await joinRoom();

    sockets[0]!.drop();
    expect(client.state).toBe("reconnecting");
    await settle(); // first retry is immediate
    expect(sockets).toHaveLength(2);
    sockets[1]!.drop(); // server still down
    await vi.advanceTimersByTimeAsync(799); // 300 ms + 0.5 of 1 s jitter
    expect(sockets).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(sockets).toHaveLength(3);

    const socket = sockets[2]!;
    await authenticate(socket);
    const rejoin = socket.sentOfType("join")[0];
    expect(rejoin).toMatchObject({
      room: "abcd-efgh-ijkl",
      last_seq: 41,
      media: ann.media,
      resume: "resume-p-ann",
    });
    socket.deliver(joinedAnswer(rejoin?.ref, "p-ann-2"));
    await settle();
    expect(rejoins).toEqual([false, true]);
    expect(states.at(-1)).toBe("connected");
  });

  it("says connected only once the room is rejoined, and resumes its participant", async () => {
    await joinRoom();
    sockets[0]!.drop();
    await settle();
    const socket = sockets[1]!;
    await authenticate(socket);
    expect(client.state).toBe("reconnecting"); // authenticated, not yet back in the room
    await expect(client.request({ type: "leave" })).rejects.toBeInstanceOf(Disconnected);
    const rejoin = socket.sentOfType("join")[0];
    expect(rejoin?.resume).toBe("resume-p-ann");
    socket.deliver(joinedAnswer(rejoin?.ref));
    await settle();
    expect(states.slice(-2)).toEqual(["reconnecting", "connected"]);
  });

  it("spreads its first reconnect over a second after the server closed the socket", async () => {
    await joinRoom();
    sockets[0]!.drop(1012); // the server restarts
    await vi.advanceTimersByTimeAsync(499);
    expect(sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1); // 0.5 of a second, the policy's draw
    expect(sockets).toHaveLength(2);
  });

  it("fails a request the server does not answer in time", async () => {
    await joinRoom();
    const asking = client.request({ type: "hand", raised: true });
    const failure = expect(asking).rejects.toBeInstanceOf(TimedOut);
    await pass(sockets[0]!, 10_000);
    await failure;
  });

  it("reconnects when a rejoin is not answered in time", async () => {
    await joinRoom();
    sockets[0]!.drop();
    await settle();
    await authenticate(sockets[1]!);
    await pass(sockets[1]!, 10_000); // the join is never answered
    expect(sockets[1]!.closedByClient).toBe(true);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sockets).toHaveLength(3);
  });

  it("gives up on a socket that does not open in time, and tries again", async () => {
    client.connect();
    await vi.advanceTimersByTimeAsync(10_000); // never opened: a handshake that hangs
    expect(sockets[0]!.closedByClient).toBe(true);
    expect(client.state).toBe("reconnecting");
    await vi.advanceTimersByTimeAsync(1);
    expect(sockets).toHaveLength(2);
  });

  it("rejoins with the media state announced last", async () => {
    await joinRoom();
    client.setMedia({ audio: false, video: true, screen: false });
    sockets[0]!.drop();
    await settle();
    await authenticate(sockets[1]!);
    expect(sockets[1]!.sentOfType("join")[0]?.media).toEqual({
      audio: false,
      video: true,
      screen: false,
    });
  });

  it("fails requests that were in flight when the socket dropped", async () => {
    await joinRoom();
    const sending = client.request({ type: "chat", client_id: "c1", text: "hi" });
    sockets[0]!.drop();
    await expect(sending).rejects.toBeInstanceOf(Disconnected);
  });

  it("asks for a fresh token after an authentication failure", async () => {
    client.connect();
    sockets[0]!.open();
    await settle();
    sockets[0]!.drop(4401);
    await vi.advanceTimersByTimeAsync(500); // after a server's close: within a random second
    sockets[1]!.open();
    await settle();
    expect(tokens).toEqual([false, true]);
    expect(sockets[1]!.sentOfType("auth")[0]?.token).toBe("fresh-token");
  });

  it("renews the access token on the socket before it expires", async () => {
    client.connect();
    const socket = sockets[0]!;
    await authenticate(socket, 100);
    await pass(socket, 74_999);
    expect(socket.sentOfType("renew")).toEqual([]);
    await pass(socket, 1);
    // The token it has is the socket's own: it asks for a freshly refreshed one.
    expect(tokens).toEqual([false, false, true]);
    const renew = socket.sentOfType("renew")[0];
    expect(renew).toMatchObject({ type: "renew", token: "fresh-token" });

    socket.deliver({ type: "ack", request: "renew", ref: renew?.ref, expires_in: 200 });
    await pass(socket, 150_000); // 0.75 of the renewed token's 200 s
    expect(socket.sentOfType("renew")).toHaveLength(2);
    expect(sockets).toHaveLength(1);
    expect(client.state).toBe("connected");
  });

  it("tries a failed renewal again while the token lasts (refresh answered 503)", async () => {
    client.connect();
    const socket = sockets[0]!;
    await authenticate(socket, 100);
    tokenFailure = new ApiError(503, "server_busy", "busy");
    await pass(socket, 75_000);
    expect(socket.sentOfType("renew")).toEqual([]);
    tokenFailure = null;
    await pass(socket, 12_500); // half of the 25 s left
    expect(socket.sentOfType("renew")).toHaveLength(1);
    expect(client.state).toBe("connected");
  });

  it.each(["rate_limited", "database_unavailable", "server_busy"])(
    "tries the renewal again when the server answers it %s",
    async (code) => {
      client.connect();
      const socket = sockets[0]!;
      await authenticate(socket, 100);
      await pass(socket, 75_000);
      const renew = socket.sentOfType("renew")[0];
      socket.deliver({ type: "error", code, message: code, request: "renew", ref: renew?.ref });
      await pass(socket, 12_500);
      const again = socket.sentOfType("renew");
      expect(again).toHaveLength(2);
      socket.deliver({ type: "ack", request: "renew", ref: again[1]?.ref, expires_in: 900 });
      await pass(socket, 60_000);
      expect(socket.sentOfType("renew")).toHaveLength(2);
      expect(sockets).toHaveLength(1);
    },
  );

  it("gives up renewing when the token has almost expired", async () => {
    client.connect();
    const socket = sockets[0]!;
    await authenticate(socket, 10);
    tokenFailure = new TypeError("Failed to fetch");
    // Renews at 7.5 s and fails, tries again 1.25 s later and fails: then less than 2 s are left.
    await pass(socket, 9_000);
    expect(tokens).toEqual([false, false, false]);
    await pass(socket, 5_000);
    expect(tokens).toEqual([false, false, false]);
  });

  it("stops signed out when the renewal's refresh answers 401", async () => {
    const stopped: string[] = [];
    client.on("stopped", (stop) => stopped.push(stop.kind));
    client.connect();
    const socket = sockets[0]!;
    await authenticate(socket, 100);
    tokenFailure = new ApiError(401, "session_revoked", "this session has ended");
    await pass(socket, 75_000);
    expect(stopped).toEqual(["signed-out"]);
  });

  it("waits out a token lifetime longer than setTimeout can hold", async () => {
    client.connect();
    const socket = sockets[0]!;
    await authenticate(socket, 10 * 365 * 24 * 3600);
    await pass(socket, 10_000);
    expect(socket.sentOfType("renew")).toEqual([]);
  });

  it("renews with the token the page already refreshed, when it has one", async () => {
    let current = "token";
    const factory = socketFactory();
    const renewing = new SignalClient({
      url: "ws://test/ws",
      token: async (fresh) => (fresh ? "refreshed-by-the-socket" : current),
      createSocket: factory.create,
    });
    renewing.connect();
    const socket = factory.sockets[0]!;
    await authenticate(socket, 100);
    current = "refreshed-by-the-page";
    await pass(socket, 75_000);
    expect(socket.sentOfType("renew")[0]?.token).toBe("refreshed-by-the-page");
    renewing.close();
  });

  it("reconnects with a fresh token and rejoins when the server closed for an expired token", async () => {
    const stopped: string[] = [];
    client.on("stopped", (stop) => stopped.push(stop.kind));
    await joinRoom();
    sockets[0]!.drop(4401); // the renewal did not get through in time
    await vi.advanceTimersByTimeAsync(500); // after a server's close: within a random second
    await authenticate(sockets[1]!);
    expect(sockets[1]!.sentOfType("auth")[0]?.token).toBe("fresh-token");
    expect(sockets[1]!.sentOfType("join")[0]).toMatchObject({ resume: "resume-p-ann" });
    expect(stopped).toEqual([]);
  });

  it("stops signed out when its session ended and the refresh is refused", async () => {
    const stopped: string[] = [];
    client.on("stopped", (stop) => stopped.push(stop.kind));
    await joinRoom();
    tokenFailure = new ApiError(401, "session_revoked", "this session has ended");
    sockets[0]!.drop(4403);
    await vi.advanceTimersByTimeAsync(500); // after a server's close: within a random second
    sockets[1]!.open();
    await settle();
    expect(tokens.at(-1)).toBe(true);
    expect(client.state).toBe("closed");
    expect(stopped).toEqual(["signed-out"]);
  });

  it("stops for good when the room is deleted", async () => {
    const stopped: string[] = [];
    client.on("stopped", (stop) => stopped.push(stop.kind));
    await joinRoom();
    sockets[0]!.drop(4404);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sockets).toHaveLength(1);
    expect(client.state).toBe("closed");
    expect(stopped).toEqual(["room-deleted"]);
  });

  it.each([
    [
      "too_many_sockets",
      "You have too many Glimpse tabs or devices connected; close one and rejoin.",
    ],
    ["bad_json", "The server disconnected this tab for sending too many invalid messages."],
  ])("explains a 4429 close after %s", async (code, reason) => {
    const stopped: string[] = [];
    client.on("stopped", (stop) => stopped.push(stop.message));
    await joinRoom();
    sockets[0]!.deliver({ type: "error", code, message: code });
    sockets[0]!.drop(4429);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sockets).toHaveLength(1);
    expect(stopped).toEqual([reason]);
  });

  it("reconnects with backoff when the server could not reach its database (1013)", async () => {
    await joinRoom();
    sockets[0]!.drop(1013);
    expect(client.state).toBe("reconnecting");
    await vi.advanceTimersByTimeAsync(500); // after a server's close: within a random second
    sockets[1]!.open();
    await settle();
    sockets[1]!.drop(1013);
    await vi.advanceTimersByTimeAsync(799); // 300 ms + 0.5 of 1 s jitter
    expect(sockets).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    await authenticate(sockets[2]!);
    expect(sockets[2]!.sentOfType("join")).toHaveLength(1);
  });

  it("says the server is unreachable after five attempts refused before opening", async () => {
    client.connect();
    for (let attempt = 0; attempt < 4; attempt++) {
      sockets.at(-1)!.drop();
      expect(client.state).toBe("reconnecting");
      await vi.runOnlyPendingTimersAsync();
    }
    sockets.at(-1)!.drop();
    expect(client.state).toBe("unreachable");
    await vi.runOnlyPendingTimersAsync();
    expect(client.state).toBe("unreachable"); // still trying
    expect(sockets).toHaveLength(6);
    await authenticate(sockets[5]!);
    expect(client.state).toBe("connected");
  });

  it("takes a silent socket as dead and reconnects", async () => {
    await joinRoom();
    await vi.advanceTimersByTimeAsync(15_000);
    expect(sockets[0]!.closedByClient).toBe(true);
    expect(client.state).toBe("reconnecting");
    await vi.advanceTimersByTimeAsync(1);
    expect(sockets).toHaveLength(2);
  });

  it("does not rejoin after leaving", async () => {
    await joinRoom();
    const leaving = client.leave();
    sockets[0]!.deliver({
      type: "ack",
      request: "leave",
      ref: sockets[0]!.sentOfType("leave")[0]?.ref,
    });
    await leaving;
    sockets[0]!.drop();
    await settle();
    await authenticate(sockets[1]!);
    expect(sockets[1]!.sentOfType("join")).toEqual([]);
  });

  /** Drop the joined client's socket and let it reconnect and authenticate on the next one. */
  async function reconnect(): Promise<FakeSocket> {
    sockets.at(-1)!.drop();
    await vi.runOnlyPendingTimersAsync();
    const socket = sockets.at(-1)!;
    await authenticate(socket);
    return socket;
  }

  function refuse(socket: FakeSocket, code: string): void {
    const join = socket.sentOfType("join").at(-1);
    socket.deliver({ type: "error", code, message: code, request: "join", ref: join?.ref });
  }

  it.each([
    "unavailable",
    "database_unavailable",
    "server_busy",
    "internal_error",
    "room_full",
    "rate_limited",
  ])("retries the rejoin with backoff when it is refused with %s", async (code) => {
    const stopped: string[] = [];
    client.on("stopped", (stop) => stopped.push(stop.kind));
    await joinRoom();
    const refused = await reconnect();
    refuse(refused, code);
    await settle();
    expect(client.state).toBe("reconnecting");
    expect(refused.closedByClient).toBe(true);

    await vi.advanceTimersByTimeAsync(10_000);
    const socket = sockets.at(-1)!;
    expect(socket).not.toBe(refused);
    await authenticate(socket);
    expect(socket.sentOfType("join")[0]).toMatchObject({ room: "abcd-efgh-ijkl" });
    socket.deliver(joinedAnswer(socket.sentOfType("join")[0]?.ref, "p-ann-2"));
    await settle();
    expect(client.state).toBe("connected");
    expect(stopped).toEqual([]);
  });

  it("backs off further while the rejoin keeps being refused", async () => {
    await joinRoom();
    refuse(await reconnect(), "unavailable"); // the reconnect was attempt 0; now 300 ms + 500 jitter
    await settle();
    await vi.advanceTimersByTimeAsync(799);
    const count = sockets.length;
    await vi.advanceTimersByTimeAsync(1);
    expect(sockets).toHaveLength(count + 1);
    await authenticate(sockets.at(-1)!);
    refuse(sockets.at(-1)!, "unavailable"); // next: 1200 ms + 500 jitter
    await settle();
    await vi.advanceTimersByTimeAsync(1_699);
    expect(sockets).toHaveLength(count + 1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sockets).toHaveLength(count + 2);
  });

  it.each(["room_not_found", "wrong_room_password", "room_password_required"])(
    "stops for good when the rejoin is refused with %s",
    async (code) => {
      const stopped: string[] = [];
      client.on("stopped", (stop) => stopped.push(stop.kind));
      await joinRoom();
      refuse(await reconnect(), code);
      await settle();
      await vi.advanceTimersByTimeAsync(10_000);
      expect(client.state).toBe("closed");
      expect(stopped).toEqual(["rejoin-refused"]);
    },
  );

  it("reconnects with backoff when the token cannot be fetched (offline after sleep)", async () => {
    const stopped: string[] = [];
    client.on("stopped", (stop) => stopped.push(stop.kind));
    await joinRoom();
    tokenFailure = new TypeError("Failed to fetch");
    sockets[0]!.drop();
    await settle();
    sockets[1]!.open();
    await settle();
    expect(client.state).toBe("reconnecting");
    expect(sockets[1]!.closedByClient).toBe(true);

    tokenFailure = null;
    await vi.advanceTimersByTimeAsync(10_000);
    const socket = sockets.at(-1)!;
    await authenticate(socket);
    expect(socket.sentOfType("join")).toHaveLength(1);
    expect(stopped).toEqual([]);
  });

  it("stops signed out when refreshing the token answers 401", async () => {
    const stopped: string[] = [];
    client.on("stopped", (stop) => stopped.push(stop.kind));
    await joinRoom();
    tokenFailure = new ApiError(401, "invalid_token", "signed out");
    sockets[0]!.drop();
    await settle();
    sockets[1]!.open();
    await settle();
    expect(client.state).toBe("closed");
    expect(stopped).toEqual(["signed-out"]);
  });

  it("ignores a token failure for a socket it has already given up on", async () => {
    let failToken: (error: Error) => void = () => undefined;
    const factory = socketFactory();
    const slow = new SignalClient({
      url: "ws://test/ws",
      token: () => new Promise((_resolve, reject) => (failToken = reject)),
      createSocket: factory.create,
    });
    const stopped: string[] = [];
    slow.on("stopped", (stop) => stopped.push(stop.kind));
    slow.connect();
    const socket = factory.sockets[0]!;
    socket.open();
    socket.drop(); // gone while the token was being fetched
    failToken(new ApiError(401, "invalid_token", "signed out"));
    await settle();
    expect(slow.state).toBe("reconnecting");
    expect(stopped).toEqual([]);
    slow.close();
  });

  describe("the lobby and the meeting's end", () => {
    const room = { id: "room-1", code: "abcd-efgh-ijkl", name: "Standup", owner_id: "u-bob" };

    it("waits in the lobby, then joins with the ticket once admitted, and rejoins with it", async () => {
      const events: string[] = [];
      client.on("waiting", (waiting) => events.push(`waiting:${waiting.reason}`));
      client.on("joined", (joined, rejoined) =>
        events.push(`joined:${joined.participant_id}:${rejoined}`),
      );
      client.on("event", (event) => events.push(event.type));
      client.connect();
      const socket = sockets[0]!;
      await authenticate(socket);
      const joining = client.join({ room: room.code, media: ann.media });
      await settle();
      const first = socket.sentOfType("join")[0];
      expect(first?.ticket).toBeUndefined();
      socket.deliver({
        type: "waiting",
        ref: first?.ref,
        room,
        participant_id: "p-ann",
        reason: "lobby",
      });
      expect((await joining).type).toBe("waiting");
      expect(events).toEqual(["waiting:lobby"]);

      socket.deliver({ type: "admitted", room_id: room.id, ticket: "admission-ticket" });
      await settle();
      const second = socket.sentOfType("join")[1];
      expect(second).toMatchObject({ room: room.code, ticket: "admission-ticket" });
      expect(second?.resume).toBeUndefined();
      socket.deliver({ ...joinedAnswer(second?.ref), ticket: "meeting-ticket" });
      await settle();
      expect(events).toEqual(["waiting:lobby", "joined:p-ann:false"]);

      const again = await reconnect();
      expect(again.sentOfType("join")[0]).toMatchObject({
        ticket: "meeting-ticket",
        resume: "resume-p-ann",
      });
    });

    it("waits again when a rejoin is answered with the lobby", async () => {
      const waits: string[] = [];
      client.on("waiting", (waiting) => waits.push(waiting.reason));
      await joinRoom();
      const socket = await reconnect();
      const join = socket.sentOfType("join")[0];
      socket.deliver({
        type: "waiting",
        ref: join?.ref,
        room,
        participant_id: "p-2",
        reason: "removed",
      });
      await settle();
      expect(waits).toEqual(["removed"]);
      expect(client.state).toBe("connected");
    });

    it.each([
      [4404, "room-deleted", "This room was deleted."],
      [4410, "ended", "The meeting has ended."],
      [4412, "removed", "You were removed from the meeting."],
      [4413, "denied", "You were not let in."],
    ])("stops for good without reconnecting after close %i", async (code, kind, message) => {
      const stopped: Stop[] = [];
      client.on("stopped", (stop) => stopped.push(stop));
      await joinRoom();
      sockets[0]!.drop(code);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(sockets).toHaveLength(1);
      expect(client.state).toBe("closed");
      expect(stopped).toEqual([{ kind, message }]);
    });

    it("says in a sentence why a request was refused, keeping the code", async () => {
      await joinRoom();
      const locking = client.request({ type: "lock", locked: true });
      const lock = sockets[0]!.sentOfType("lock")[0];
      sockets[0]!.deliver({
        type: "error",
        code: "forbidden",
        message: "hosts only",
        request: "lock",
        ref: lock?.ref,
      });
      const error = await locking.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RequestError);
      expect(error).toMatchObject({
        code: "forbidden",
        message: "Only a host of the meeting can do that.",
      });
    });
  });
});
