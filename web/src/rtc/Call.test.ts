import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { socketFactory } from "../realtime/fakeSocket";
import type { FakeSocket } from "../realtime/fakeSocket";
import type { Joined, LobbyEntry, Participant } from "../realtime/protocol";
import { BackoffWithJitter } from "../realtime/ReconnectPolicy";
import { SignalClient } from "../realtime/SignalClient";
import { Call, HANDOVER_MS, NOTICE_MS, REACTION_MS } from "./Call";
import { appliedConstraints, stubAudioContext, stubMediaDevices } from "./fakeMedia";
import type { PendingRequest } from "./fakeMedia";
import { FakePeerConnection } from "./fakePeerConnection";
import { LocalMedia } from "./LocalMedia";
import { LAYERS_DEBOUNCE_MS, SIMULCAST_CAPTURE } from "./simulcastLayers";

const ICE = [{ urls: ["stun:127.0.0.1:3478"] }];
const settle = () => vi.advanceTimersByTimeAsync(0);

function person(id: string, name: string): Participant {
  return {
    id,
    user_id: `u-${name}`,
    display_name: name,
    media: { audio: true, video: true, screen: false },
  };
}

function joined(
  ref: string | null | undefined,
  selfId: string,
  participants: Participant[],
): Joined {
  return {
    type: "joined",
    ref,
    room: { id: "room-1", code: "abcd-efgh-ijkl", name: "Standup", owner_id: "u-Ann" },
    participant_id: selfId,
    participants,
    messages: [],
    more_messages: false,
    ticket: "ticket",
    resume: "resume",
    reconnect_grace: 30,
  };
}

describe("Call", () => {
  let sockets: FakeSocket[];
  let peers: FakePeerConnection[];
  let call: Call;
  let media: LocalMedia;
  let deviceRequests: PendingRequest[];
  let audioContexts: { closed: boolean }[];
  let iceFetches: number;
  /** The API's ICE servers: credentials valid for 100 s, different each time they are fetched. */
  const iceSource = async () => {
    iceFetches += 1;
    return {
      iceServers: [{ ...ICE[0]!, credential: `cred-${iceFetches}` }],
      iceTransportPolicy: "all" as const,
      ttlSeconds: 100,
    };
  };

  beforeEach(() => {
    vi.useFakeTimers();
    iceFetches = 0;
    peers = [];
    deviceRequests = stubMediaDevices();
    audioContexts = stubAudioContext();
    vi.stubGlobal(
      "RTCPeerConnection",
      class extends FakePeerConnection {
        constructor(config: RTCConfiguration) {
          super(config);
          peers.push(this);
        }
      },
    );
    const factory = socketFactory();
    sockets = factory.sockets;
    const signal = new SignalClient({
      url: "ws://test/ws",
      token: async () => "token",
      policy: new BackoffWithJitter(() => 0),
      createSocket: factory.create,
    });
    media = new LocalMedia();
    call = new Call(signal, media, iceSource);
  });

  afterEach(() => {
    call.dispose();
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  async function connect(socket: FakeSocket): Promise<void> {
    socket.open();
    await settle();
    socket.deliver({
      type: "authenticated",
      user_id: "u-Ann",
      display_name: "Ann",
      expires_in: 900,
      ref: "auth",
    });
    await settle();
  }

  const signalsTo = (socket: FakeSocket, to: string) =>
    socket
      .sentOfType("signal")
      .filter((s) => s.to === to)
      .map((s) => s.kind);

  /** Ann joins a room where Bob already is. */
  async function annJoinsBob(): Promise<void> {
    const joining = call.join("abcd-efgh-ijkl");
    await settle();
    await connect(sockets[0]!);
    const request = sockets[0]!.sentOfType("join")[0];
    sockets[0]!.deliver(
      joined(request?.ref, "p-ann", [person("p-ann", "Ann"), person("p-bob", "Bob")]),
    );
    await joining;
  }

  it("as the newcomer, opens a link to each participant and waits for their offer", async () => {
    await annJoinsBob();
    expect(call.snapshot.phase).toBe("in-call");
    expect(call.snapshot.remotes.map((r) => r.participant.id)).toEqual(["p-bob"]);
    expect(peers).toHaveLength(1);
    expect(peers[0]!.config.iceServers).toEqual([{ ...ICE[0], credential: "cred-1" }]);
    expect(peers[0]!.transceivers).toEqual([]); // no tracks, no offer before Bob's

    sockets[0]!.deliver({ type: "signal", sender: "p-bob", kind: "offer", sdp: "bob's offer" });
    await settle();
    expect(peers[0]!.log).toEqual(["remote:offer", "local:answer"]);
    expect(signalsTo(sockets[0]!, "p-bob")).toEqual(["answer"]);
  });

  it("offers to whoever joins after it", async () => {
    await annJoinsBob();
    sockets[0]!.deliver({ type: "participant-joined", participant: person("p-cara", "Cara") });
    expect(peers).toHaveLength(2);
    expect(peers[1]!.transceivers.map((t) => t.receiver.track.kind)).toEqual([
      "audio",
      "video",
      "video",
    ]);
    peers[1]!.onnegotiationneeded?.();
    await settle();
    expect(signalsTo(sockets[0]!, "p-cara")).toEqual(["offer"]);
  });

  it("sends a signal refused for a passing reason again, after the server's retry_after", async () => {
    await annJoinsBob();
    sockets[0]!.deliver({ type: "participant-joined", participant: person("p-cara", "Cara") });
    peers[1]!.onnegotiationneeded?.();
    await settle();
    const [offer] = sockets[0]!.sentOfType("signal");
    sockets[0]!.deliver({
      type: "error",
      code: "rate_limited",
      message: "slow down",
      retry_after: 0.25,
      request: "signal",
      ref: offer?.ref,
    });
    await settle();
    expect(signalsTo(sockets[0]!, "p-cara")).toEqual(["offer"]);
    await vi.advanceTimersByTimeAsync(250);
    const sent = sockets[0]!.sentOfType("signal");
    expect(sent.map((s) => [s.to, s.kind, s.sdp])).toEqual([
      ["p-cara", "offer", offer?.sdp],
      ["p-cara", "offer", offer?.sdp],
    ]);
    // Refused for good: not sent again.
    sockets[0]!.deliver({
      type: "error",
      code: "unknown_participant",
      message: "no such participant in your room",
      request: "signal",
      ref: sent[1]?.ref,
    });
    await vi.advanceTimersByTimeAsync(10_000);
    expect(signalsTo(sockets[0]!, "p-cara")).toEqual(["offer", "offer"]);
  });

  it("drops the retry of an offer a newer one has replaced", async () => {
    await annJoinsBob();
    sockets[0]!.deliver({ type: "participant-joined", participant: person("p-cara", "Cara") });
    peers[1]!.onnegotiationneeded?.();
    await settle();
    const [first] = sockets[0]!.sentOfType("signal");
    sockets[0]!.deliver({
      type: "error",
      code: "server_busy",
      message: "busy",
      retry_after: 1,
      request: "signal",
      ref: first?.ref,
    });
    await settle();
    peers[1]!.signalingState = "stable"; // answered meanwhile; an ICE restart offers anew
    peers[1]!.onnegotiationneeded?.();
    await settle();
    await vi.advanceTimersByTimeAsync(1000);
    expect(signalsTo(sockets[0]!, "p-cara")).toEqual(["offer", "offer"]); // not three
  });

  it("restarts ICE on every link when the browser is back online", async () => {
    await annJoinsBob();
    expect(peers[0]!.log).not.toContain("restartIce");
    window.dispatchEvent(new Event("online"));
    expect(peers[0]!.log).toContain("restartIce");
  });

  it("closes the link of a participant who leaves", async () => {
    await annJoinsBob();
    sockets[0]!.deliver({ type: "participant-left", participant_id: "p-bob" });
    expect(peers[0]!.closed).toBe(true);
    expect(call.snapshot.remotes).toEqual([]);
  });

  it("rebuilds every link after a rejoin, skipping its own previous connection", async () => {
    await annJoinsBob();
    sockets[0]!.drop();
    await settle();
    expect(call.snapshot.connection).toBe("reconnecting");
    await connect(sockets[1]!);
    const rejoin = sockets[1]!.sentOfType("join")[0];
    sockets[1]!.deliver(
      joined(rejoin?.ref, "p-ann-2", [
        person("p-ann", "Ann"),
        person("p-bob-2", "Bob"),
        person("p-ann-2", "Ann"),
      ]),
    );
    await settle();
    expect(peers[0]!.closed).toBe(true);
    expect(peers).toHaveLength(2);
    expect(call.snapshot.remotes.map((r) => r.participant.id)).toEqual(["p-bob-2"]);
    expect(call.snapshot.self?.id).toBe("p-ann-2");
    expect(call.snapshot.connection).toBe("connected");
  });

  /** Ann's socket drops and she rejoins; the server answers with this roster under `selfId`. */
  async function annRejoins(selfId: string, participants: Participant[]): Promise<void> {
    sockets.at(-1)!.drop();
    await settle();
    const socket = sockets.at(-1)!;
    await connect(socket);
    const rejoin = socket.sentOfType("join")[0];
    expect(rejoin?.resume).toBe("resume");
    expect(call.snapshot.connection).toBe("reconnecting"); // until the room has her back
    socket.deliver(joined(rejoin?.ref, selfId, participants));
    await settle();
    expect(call.snapshot.connection).toBe("connected");
  }

  it("keeps its links when a rejoin resumed its participant id", async () => {
    await annJoinsBob();
    peers[0]!.connect();
    await annRejoins("p-ann", [person("p-ann", "Ann"), person("p-bob", "Bob")]);
    expect(peers).toHaveLength(1);
    expect(peers[0]!.closed).toBe(false);
    expect(call.snapshot.remotes.map((r) => r.participant.id)).toEqual(["p-bob"]);
  });

  it("keeps the link of someone missing after a server restart until the grace ends", async () => {
    await annJoinsBob();
    sockets.at(-1)!.deliver({ type: "participant-joined", participant: person("p-cara", "Cara") });
    for (const peer of peers) peer.connect();
    await annRejoins("p-ann", [person("p-ann", "Ann")]); // the first one back
    expect(peers.map((p) => p.closed)).toEqual([false, false]);
    expect(call.snapshot.remotes.map((r) => r.participant.reconnecting === true)).toEqual([
      true,
      true,
    ]);
    sockets.at(-1)!.deliver({ type: "participant-resumed", participant: person("p-bob", "Bob") });
    expect(peers).toHaveLength(2); // Bob's link kept, no new one
    expect(call.snapshot.remotes.map((r) => r.participant.reconnecting === true)).toEqual([
      false,
      true,
    ]);
    await vi.advanceTimersByTimeAsync(30_000); // Cara never came back
    expect(peers.map((p) => p.closed)).toEqual([false, true]);
    expect(call.snapshot.remotes.map((r) => r.participant.id)).toEqual(["p-bob"]);
  });

  it("shows a participant reconnecting and keeps its link when it resumes", async () => {
    await annJoinsBob();
    peers[0]!.connect();
    sockets[0]!.deliver({ type: "participant-reconnecting", participant_id: "p-bob", grace: 30 });
    expect(call.snapshot.remotes[0]?.participant.reconnecting).toBe(true);
    sockets[0]!.deliver({ type: "participant-resumed", participant: person("p-bob", "Bob") });
    expect(call.snapshot.remotes[0]?.participant.reconnecting).not.toBe(true);
    expect(peers).toHaveLength(1);
    expect(peers[0]!.closed).toBe(false);
  });

  it("starts afresh, as the newcomer, the links a resume finds not connected", async () => {
    await annJoinsBob(); // Bob's offer never came: lost while Ann's socket was down, say
    await annRejoins("p-ann", [person("p-ann", "Ann"), person("p-bob", "Bob")]);
    expect(peers.map((p) => p.closed)).toEqual([true, false]);
    expect(peers[1]!.transceivers).toEqual([]); // waits for Bob, who heard participant-resumed
  });

  it("offers afresh to a participant who resumes when their link never connected", async () => {
    await annJoinsBob();
    sockets[0]!.deliver({ type: "participant-resumed", participant: person("p-bob", "Bob") });
    expect(peers.map((p) => p.closed)).toEqual([true, false]);
    peers[1]!.onnegotiationneeded?.();
    await settle();
    expect(signalsTo(sockets[0]!, "p-bob")).toEqual(["offer"]);
  });

  it("offers to someone it found reconnecting once they resume", async () => {
    const joining = call.join("abcd-efgh-ijkl");
    await settle();
    await connect(sockets[0]!);
    const request = sockets[0]!.sentOfType("join")[0];
    const away = { ...person("p-bob", "Bob"), reconnecting: true };
    sockets[0]!.deliver(joined(request?.ref, "p-ann", [person("p-ann", "Ann"), away]));
    await joining;
    expect(call.snapshot.remotes[0]?.participant.reconnecting).toBe(true);
    expect(peers).toHaveLength(0); // no signal reaches Bob before he is back
    sockets[0]!.deliver({ type: "participant-resumed", participant: person("p-bob", "Bob") });
    expect(peers).toHaveLength(1);
    peers[0]!.onnegotiationneeded?.();
    await settle();
    expect(signalsTo(sockets[0]!, "p-bob")).toEqual(["offer"]);
  });

  it("ends, releasing the links, when the room is deleted", async () => {
    await annJoinsBob();
    sockets[0]!.deliver({ type: "room-closed", room_id: "room-1" });
    expect(call.snapshot.phase).toBe("ended");
    expect(peers[0]!.closed).toBe(true);
  });

  it("renews TURN credentials before they expire and hands them to open links", async () => {
    await annJoinsBob();
    expect(iceFetches).toBe(1);
    await vi.advanceTimersByTimeAsync(79_000);
    expect(iceFetches).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000); // 80 % of the 100 s lifetime
    expect(iceFetches).toBe(2);
    expect(peers[0]!.config.iceServers).toEqual([{ ...ICE[0], credential: "cred-2" }]);
    expect(peers[0]!.closed).toBe(false);
  });

  it("stops renewing TURN credentials once the call has ended", async () => {
    await annJoinsBob();
    sockets[0]!.deliver({ type: "room-closed", room_id: "room-1" });
    await vi.advanceTimersByTimeAsync(500_000);
    expect(iceFetches).toBe(1);
  });

  describe("however it ends, stops every device and closes the audio analysis", () => {
    /** Ann joins with her microphone, camera and a shared screen, her audio analysed. */
    async function annJoinsSending(): Promise<MediaStreamTrack[]> {
      const starting = media.start();
      const devices = deviceRequests.map((r) => r.grant());
      await starting;
      await annJoinsBob();
      const sharing = media.startScreenShare();
      const screen = deviceRequests[2]!.grant();
      await sharing;
      return [...devices, screen];
    }

    const endings: [string, () => Promise<void>][] = [
      [
        "left",
        async () => {
          const leaving = call.leave();
          const [request] = sockets[0]!.sentOfType("leave");
          sockets[0]!.deliver({ type: "ack", request: "leave", ref: request?.ref });
          await leaving;
        },
      ],
      ["unmounted", async () => call.dispose()],
      ["room-deleted", async () => sockets[0]!.deliver({ type: "room-closed", room_id: "room-1" })],
      ["room-deleted", async () => sockets[0]!.drop(4404)],
      ["ended", async () => sockets[0]!.drop(4410)],
      ["removed", async () => sockets[0]!.drop(4412)],
      ["denied", async () => sockets[0]!.drop(4413)],
      ["disconnected", async () => sockets[0]!.drop(4429)],
      [
        "signed-out",
        async () => {
          sockets[0]!.drop(4401); // the token was refused: reconnect with a fresh one…
          await vi.advanceTimersByTimeAsync(0);
          sockets[1]!.drop(4401); // …refused again: the session is over
        },
      ],
    ];

    it.each(endings)("%s", async (_kind, ending) => {
      const tracks = await annJoinsSending();
      expect(tracks.map((t) => t.readyState)).toEqual(["live", "live", "live"]);
      expect(audioContexts).toHaveLength(1);

      await ending();
      await settle();
      expect(tracks.map((t) => t.readyState)).toEqual(["ended", "ended", "ended"]);
      expect(audioContexts.map((c) => c.closed)).toEqual([true]);
      expect(peers[0]!.closed).toBe(true);
    });

    it("after a stop in the lobby (denied)", async () => {
      const starting = media.start();
      const tracks = deviceRequests.map((r) => r.grant());
      await starting;
      const joining = call.join("abcd-efgh-ijkl");
      await settle();
      await connect(sockets[0]!);
      const request = sockets[0]!.sentOfType("join")[0];
      sockets[0]!.deliver({
        type: "waiting",
        ref: request?.ref,
        room: { id: "room-1", code: "abcd-efgh-ijkl", name: "Standup", owner_id: "u-Bob" },
        participant_id: "p-ann",
        reason: "lobby",
      });
      await joining;
      sockets[0]!.drop(4413);
      await settle();
      expect(call.snapshot.stop).toBe("denied");
      expect(tracks.map((t) => t.readyState)).toEqual(["ended", "ended"]);
      expect(audioContexts.map((c) => c.closed)).toEqual([true]);
    });
  });

  it("announces a media change again when the server refused it for a passing reason", async () => {
    await annJoinsBob();
    // Joined as sending audio and video, but this test has no devices: that is announced first.
    const [devicesMissing] = sockets[0]!.sentOfType("media");
    expect(devicesMissing).toMatchObject({ audio: false, video: false, screen: false });
    sockets[0]!.deliver({ type: "ack", request: "media", ref: devicesMissing?.ref });
    const sharing = media.startScreenShare();
    deviceRequests[0]!.grant();
    await sharing;
    const refused = sockets[0]!.sentOfType("media")[1];
    expect(refused).toMatchObject({ screen: true });
    sockets[0]!.deliver({
      type: "error",
      code: "unavailable",
      message: "try again",
      request: "media",
      ref: refused?.ref,
    });
    await settle();

    await vi.advanceTimersByTimeAsync(3000);
    const retried = sockets[0]!.sentOfType("media");
    expect(retried).toHaveLength(3);
    expect(retried[2]).toMatchObject({ audio: false, video: false, screen: true });
    sockets[0]!.deliver({ type: "ack", request: "media", ref: retried[2]?.ref });
    await settle();
    media.setMicrophone(false); // no device: the state announced does not change
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sockets[0]!.sentOfType("media")).toHaveLength(3);
  });

  describe("the meeting", () => {
    const entry = (id: string, name: string): LobbyEntry => ({
      id,
      user_id: `u-${name}`,
      display_name: name,
      guest: true,
      reason: "lobby",
      since: 1,
    });

    it("turns the microphone off when a host mutes it, and says who did", async () => {
      const starting = media.start();
      const microphone = deviceRequests.find((r) => r.kind === "audio")!.grant();
      deviceRequests.find((r) => r.kind === "video")!.grant();
      await starting;
      await annJoinsBob();
      expect(microphone.enabled).toBe(true);

      sockets[0]!.deliver({ type: "moderated", action: "mute", by: "p-bob" });
      expect(microphone.enabled).toBe(false);
      expect(media.snapshot.microphoneOn).toBe(false);
      expect(call.snapshot.self?.media.audio).toBe(false);
      expect(sockets[0]!.sentOfType("media").at(-1)).toMatchObject({ audio: false });
      expect(call.snapshot.notices.map((n) => n.text)).toEqual(["Bob muted your microphone"]);
    });

    it("only tells when a host asks to unmute", async () => {
      await annJoinsBob();
      media.setMicrophone(false);
      sockets[0]!.deliver({ type: "moderated", action: "ask-unmute", by: "p-bob" });
      expect(media.snapshot.microphoneOn).toBe(false);
      expect(call.snapshot.notices.map((n) => n.text)).toEqual(["Bob asks you to unmute"]);
      await vi.advanceTimersByTimeAsync(NOTICE_MS);
      expect(call.snapshot.notices).toEqual([]);
    });

    it("keeps the lobby list of a host and chimes only for new requests", async () => {
      const requests: string[] = [];
      call.on("lobby-request", (e) => requests.push(e.display_name));
      const joining = call.join("abcd-efgh-ijkl");
      await settle();
      await connect(sockets[0]!);
      const request = sockets[0]!.sentOfType("join")[0];
      sockets[0]!.deliver({
        ...joined(request?.ref, "p-ann", [{ ...person("p-ann", "Ann"), role: "host" }]),
        lobby: [entry("w-1", "Cara")],
        locked: true,
      });
      await joining;
      expect(call.snapshot.lobby.map((e) => e.id)).toEqual(["w-1"]);
      expect(call.snapshot.locked).toBe(true);

      sockets[0]!.deliver({ type: "lobby-request", entry: entry("w-2", "Dan") });
      sockets[0]!.deliver({ type: "lobby-request", entry: entry("w-2", "Dan") });
      expect(requests).toEqual(["Dan"]);
      expect(call.snapshot.lobby.map((e) => e.id)).toEqual(["w-1", "w-2"]);

      void call.admit("w-1");
      expect(sockets[0]!.sentOfType("admit")[0]).toMatchObject({ participant_id: "w-1" });
      sockets[0]!.deliver({ type: "lobby-left", participant_id: "w-1", outcome: "admitted" });
      expect(call.snapshot.lobby.map((e) => e.id)).toEqual(["w-2"]);

      sockets[0]!.deliver({ type: "lock-changed", locked: false, by: "p-ann" });
      expect(call.snapshot.locked).toBe(false);
      expect(call.snapshot.notices.map((n) => n.text)).toEqual(["The meeting is unlocked"]);
    });

    it("waits in the lobby with nothing of the room, then joins once admitted", async () => {
      const joining = call.join("abcd-efgh-ijkl");
      await settle();
      await connect(sockets[0]!);
      const request = sockets[0]!.sentOfType("join")[0];
      sockets[0]!.deliver({
        type: "waiting",
        ref: request?.ref,
        room: { id: "room-1", code: "abcd-efgh-ijkl", name: "Standup", owner_id: "u-Bob" },
        participant_id: "p-ann",
        reason: "lobby",
      });
      await joining;
      expect(call.snapshot.phase).toBe("waiting");
      expect(call.snapshot.room?.name).toBe("Standup");
      expect(peers).toEqual([]);

      sockets[0]!.deliver({ type: "admitted", room_id: "room-1", ticket: "t-1" });
      await settle();
      const rejoin = sockets[0]!.sentOfType("join")[1];
      expect(rejoin?.ticket).toBe("t-1");
      sockets[0]!.deliver(
        joined(rejoin?.ref, "p-ann", [person("p-ann", "Ann"), person("p-bob", "Bob")]),
      );
      await settle();
      expect(call.snapshot.phase).toBe("in-call");
      expect(peers).toHaveLength(1);
    });

    it.each([
      [4410, "ended"],
      [4412, "removed"],
      [4413, "denied"],
    ])("ends for good after close %i", async (code, stop) => {
      await annJoinsBob();
      sockets[0]!.drop(code);
      await vi.advanceTimersByTimeAsync(30_000);
      expect(call.snapshot.phase).toBe("ended");
      expect(call.snapshot.stop).toBe(stop);
      expect(peers[0]!.closed).toBe(true);
      expect(sockets).toHaveLength(1);
    });

    it("raises and lowers its hand, and a host may lower it", async () => {
      await annJoinsBob();
      void call.raiseHand(true);
      expect(sockets[0]!.sentOfType("hand")[0]).toMatchObject({ raised: true });
      expect(call.snapshot.self?.hand).not.toBeNull();
      sockets[0]!.deliver({ type: "moderated", action: "lower-hand", by: "p-bob" });
      expect(call.snapshot.self?.hand).toBeNull();
      expect(call.snapshot.notices.map((n) => n.text)).toEqual(["Bob lowered your hand"]);
    });

    it("floats reactions over the sender's tile for a few seconds", async () => {
      await annJoinsBob();
      sockets[0]!.deliver({ type: "reaction", participant_id: "p-bob", emoji: "🎉" });
      void call.react("👍");
      expect(sockets[0]!.sentOfType("react")[0]).toMatchObject({ emoji: "👍" });
      sockets[0]!.deliver({ type: "reaction", participant_id: "p-ann", emoji: "👍" }); // its echo
      expect(call.snapshot.reactions.map((r) => [r.participantId, r.emoji])).toEqual([
        ["p-bob", "🎉"],
        ["p-ann", "👍"],
      ]);
      await vi.advanceTimersByTimeAsync(REACTION_MS);
      expect(call.snapshot.reactions).toEqual([]);
    });

    it("tells in a notice why a host action was refused", async () => {
      await annJoinsBob();
      const muting = call.moderate("p-bob", "mute");
      const moderate = sockets[0]!.sentOfType("moderate")[0];
      expect(moderate).toMatchObject({ participant_id: "p-bob", action: "mute" });
      sockets[0]!.deliver({
        type: "error",
        code: "forbidden",
        message: "hosts only",
        request: "moderate",
        ref: moderate?.ref,
      });
      await muting;
      expect(call.snapshot.notices.map((n) => n.text)).toEqual([
        "Only a host of the meeting can do that.",
      ]);
    });
  });

  describe("media path", () => {
    const sfuPath = (generation: number) => ({ mode: "sfu" as const, generation });

    /** Ann joins a room whose media goes through the SFU, with these others in it. */
    async function annJoinsSfu(others: Participant[], extra: Partial<Joined> = {}): Promise<void> {
      const joining = call.join("abcd-efgh-ijkl");
      await settle();
      await connect(sockets[0]!);
      const request = sockets[0]!.sentOfType("join")[0];
      sockets[0]!.deliver({
        ...joined(request?.ref, "p-ann", [person("p-ann", "Ann"), ...others]),
        media_path: sfuPath(1),
        ...extra,
      });
      await joining;
      await settle();
    }

    /** The server answers every publish so far with the SFU's answer, and every other request with ack. */
    function answerSfuRequests(socket: FakeSocket): void {
      for (const publish of socket.sentOfType("sfu-publish")) {
        socket.deliver({
          type: "sfu-answer",
          source: publish.source,
          sdp: "janus answer",
          ref: publish.ref,
        });
      }
      for (const type of ["sfu-subscribed", "sfu-layers", "sfu-unpublish", "record"] as const) {
        for (const sent of socket.sentOfType(type)) {
          socket.deliver({ type: "ack", request: type, ref: sent.ref });
        }
      }
    }

    const bobsCamera = {
      type: "sfu-offer" as const,
      generation: 1,
      version: 3,
      sdp: "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\n",
      streams: [
        { mid: "0", participant_id: "p-bob", source: "camera" as const, kind: "audio" as const },
        { mid: "1", participant_id: "p-bob", source: "camera" as const, kind: "video" as const },
      ],
    };

    it("in an SFU room, makes no link: publishes the camera and takes everyone's media from the SFU", async () => {
      await annJoinsSfu([person("p-bob", "Bob")]);
      expect(call.snapshot.mediaPath).toBe("sfu");
      expect(peers).toHaveLength(2); // the subscription and the camera publication
      expect(sockets[0]!.sentOfType("signal")).toEqual([]);
      expect(sockets[0]!.sentOfType("sfu-publish").map((p) => p.source)).toEqual(["camera"]);
      answerSfuRequests(sockets[0]!);
      await settle();
      expect(peers[1]!.log).toEqual(["local:offer", "remote:answer"]);

      sockets[0]!.deliver(bobsCamera);
      await settle();
      expect(sockets[0]!.sentOfType("sfu-subscribed")).toEqual([
        expect.objectContaining({ version: 3, sdp: "answer sdp" }),
      ]);
      const [bob] = call.snapshot.remotes;
      expect(bob?.stream?.getTracks()).toEqual(peers[0]!.transceivers.map((t) => t.receiver.track));
      expect(bob?.peerState).toBe("connecting");
      peers[0]!.connect();
      expect(call.snapshot.remotes[0]?.peerState).toBe("connected");
    });

    /** The SFU's subscription decodes Bob's camera and hears his microphone. */
    async function bobArrivesBySfu(subscription: FakePeerConnection): Promise<void> {
      subscription.stats = [
        { id: "a", type: "inbound-rtp", mid: "0", packetsReceived: 12 },
        { id: "v", type: "inbound-rtp", mid: "1", framesDecoded: 3 },
      ];
      subscription.connect();
      await vi.advanceTimersByTimeAsync(1000); // two reads of the statistics
    }

    /** The link decodes the participant's camera and hears their microphone. */
    async function linkBrings(link: FakePeerConnection): Promise<void> {
      const [audio, video] = link.transceivers.map((t) => t.receiver.track);
      link.stats = [
        { id: "a", type: "inbound-rtp", trackIdentifier: audio!.id, packetsReceived: 9 },
        { id: "v", type: "inbound-rtp", trackIdentifier: video!.id, framesDecoded: 2 },
      ];
      await vi.advanceTimersByTimeAsync(500); // the link's next read of the statistics
    }

    /** The link's remote tracks come (what `ontrack` does). */
    const tracksCome = (pc: FakePeerConnection) => (pc.ontrack as () => void)();

    it("switches from the mesh to the SFU making before breaking: Bob's link stays until both sides get each other through the SFU", async () => {
      await annJoinsBob();
      sockets[0]!.deliver({ type: "signal", sender: "p-bob", kind: "offer", sdp: "bob's offer" });
      await settle();
      const link = peers[0]!;
      tracksCome(link);
      link.connect();
      const meshStream = call.snapshot.remotes[0]?.stream;
      expect(meshStream).not.toBeNull();
      sockets[0]!.deliver({
        type: "participant-updated",
        participant: { ...person("p-bob", "Bob"), hand: 1234 },
      });

      sockets[0]!.deliver({ type: "media-path", media_path: sfuPath(2) });
      await settle();
      expect(call.snapshot.mediaPath).toBe("sfu");
      expect(sockets[0]!.sentOfType("sfu-publish").map((p) => p.source)).toEqual(["camera"]);
      expect(link.closed).toBe(false);
      const [, subscription] = peers;
      answerSfuRequests(sockets[0]!);
      sockets[0]!.deliver({ ...bobsCamera, generation: 2 });
      await settle();
      // Subscribed, nothing decoded yet: Bob is still shown through the link.
      expect(call.snapshot.remotes[0]).toMatchObject({
        stream: meshStream,
        peerState: "connected",
      });

      await bobArrivesBySfu(subscription!);
      const [bob] = call.snapshot.remotes;
      expect(bob?.stream?.getTracks()).toEqual(
        subscription!.transceivers.map((t) => t.receiver.track),
      );
      expect(signalsTo(sockets[0]!, "p-bob")).toContain("handed-over");
      expect(link.closed).toBe(false); // Bob may not get Ann through the SFU yet
      sockets[0]!.deliver({ type: "signal", sender: "p-bob", kind: "handed-over", generation: 2 });
      expect(link.closed).toBe(true);
      expect(call.snapshot.remotes.map((r) => [r.participant.id, r.participant.hand])).toEqual([
        ["p-bob", 1234],
      ]);
      expect(call.snapshot.phase).toBe("in-call");
      // The same generation again changes nothing.
      sockets[0]!.deliver({ type: "media-path", media_path: sfuPath(2) });
      await settle();
      expect(peers.filter((pc) => !pc.closed)).toHaveLength(2);
    });

    it("closes the links of a switch to the SFU after the handover time, whatever the SFU brought", async () => {
      await annJoinsBob();
      sockets[0]!.deliver({ type: "signal", sender: "p-bob", kind: "offer", sdp: "bob's offer" });
      await settle();
      tracksCome(peers[0]!);
      sockets[0]!.deliver({ type: "media-path", media_path: sfuPath(2) });
      await vi.advanceTimersByTimeAsync(HANDOVER_MS - 100);
      expect(peers[0]!.closed).toBe(false);
      expect(call.snapshot.remotes[0]?.stream).not.toBeNull();
      await vi.advanceTimersByTimeAsync(100);
      expect(peers[0]!.closed).toBe(true);
      expect(call.snapshot.remotes[0]).toMatchObject({ stream: null, peerState: "connecting" });
    });

    it("switches back to the mesh making before breaking: the SFU connections stay until every link brings its participant and everyone said so", async () => {
      await annJoinsSfu([person("p-bob", "Bob"), person("p-abe", "Abe")]);
      const sfuPeers = [...peers];
      answerSfuRequests(sockets[0]!);
      sockets[0]!.deliver(bobsCamera);
      await settle();
      const sfuStream = call.snapshot.remotes[0]?.stream;
      expect(sfuStream).not.toBeNull();

      sockets[0]!.deliver({ type: "media-path", media_path: { mode: "mesh", generation: 2 } });
      await settle();
      expect(call.snapshot.mediaPath).toBe("mesh");
      expect(sfuPeers.map((pc) => pc.closed)).toEqual([false, false]);
      const [toBob, toAbe] = peers.slice(sfuPeers.length);
      // p-ann < p-bob: Ann offers to Bob; p-abe < p-ann: Ann waits for Abe's offer.
      expect(toBob!.transceivers).toHaveLength(3);
      expect(toAbe!.transceivers).toEqual([]);
      toBob!.onnegotiationneeded?.();
      await settle();
      expect(signalsTo(sockets[0]!, "p-bob")).toEqual(["offer"]);
      expect(signalsTo(sockets[0]!, "p-abe")).toEqual([]);
      // A subscription offer that comes from the old Janus room is not answered.
      sockets[0]!.deliver({ ...bobsCamera, version: 4 });
      await settle();
      expect(sockets[0]!.sentOfType("sfu-subscribed").map((s) => s.version)).toEqual([3]);

      tracksCome(toBob!);
      toBob!.connect();
      expect(call.snapshot.remotes[0]?.stream).toBe(sfuStream); // nothing decoded yet
      await linkBrings(toBob!);
      expect(call.snapshot.remotes[0]?.stream?.getTracks()).toEqual(
        toBob!.transceivers.slice(0, 2).map((t) => t.receiver.track), // microphone and camera
      );
      expect(sfuPeers.map((pc) => pc.closed)).toEqual([false, false]); // Abe still through it
      sockets[0]!.deliver({ type: "signal", sender: "p-abe", kind: "offer", sdp: "abe's offer" });
      await settle();
      tracksCome(toAbe!);
      toAbe!.connect();
      await linkBrings(toAbe!);
      expect(signalsTo(sockets[0]!, "p-abe")).toEqual(["answer", "handed-over"]);
      // Both shown through the mesh here; Bob and Abe may still show Ann through the SFU.
      sockets[0]!.deliver({ type: "signal", sender: "p-bob", kind: "handed-over", generation: 2 });
      expect(sfuPeers.map((pc) => pc.closed)).toEqual([false, false]);
      sockets[0]!.deliver({ type: "signal", sender: "p-abe", kind: "handed-over", generation: 2 });
      expect(sfuPeers.map((pc) => pc.closed)).toEqual([true, true]);
    });

    /** Ann and Bob in the mesh, his link connected and bringing his tracks; its stream. */
    async function annMeetsBobInTheMesh(): Promise<MediaStream | null | undefined> {
      await annJoinsBob();
      sockets[0]!.deliver({ type: "signal", sender: "p-bob", kind: "offer", sdp: "bob's offer" });
      await settle();
      tracksCome(peers[0]!);
      peers[0]!.connect();
      return call.snapshot.remotes[0]?.stream;
    }

    const handedOver = (generation: number) => ({
      type: "signal" as const,
      sender: "p-bob",
      kind: "handed-over" as const,
      generation,
    });

    it("back to the mesh before the SFU brought Bob, keeps showing him through the link it kept", async () => {
      const meshStream = await annMeetsBobInTheMesh();
      const link = peers[0]!;
      sockets[0]!.deliver({ type: "media-path", media_path: sfuPath(2) });
      await settle();
      const sfuPeers = peers.slice(1);
      sockets[0]!.deliver({ type: "media-path", media_path: { mode: "mesh", generation: 3 } });
      await settle();
      expect(peers).toHaveLength(1 + sfuPeers.length); // no new link
      expect(link.closed).toBe(false);
      expect(call.snapshot.remotes[0]).toMatchObject({
        stream: meshStream,
        peerState: "connected",
      });
      expect(sockets[0]!.sentOfType("signal").at(-1)).toMatchObject({
        to: "p-bob",
        kind: "handed-over",
        generation: 3,
      });
      expect(sfuPeers.map((pc) => pc.closed)).toEqual([false, false]); // Bob may show Ann through it
      sockets[0]!.deliver(handedOver(3));
      expect(sfuPeers.map((pc) => pc.closed)).toEqual([true, true]);
      expect(link.closed).toBe(false);
    });

    it("answers only the subscription offers of its own generation", async () => {
      await annJoinsSfu([person("p-bob", "Bob")]);
      answerSfuRequests(sockets[0]!);
      sockets[0]!.deliver(bobsCamera);
      await settle();
      sockets[0]!.deliver({ type: "media-path", media_path: { mode: "mesh", generation: 2 } });
      await settle();
      sockets[0]!.deliver({ type: "media-path", media_path: sfuPath(3) });
      await settle();
      // The Janus room of generation 1, still handing over, offers again (someone left it).
      sockets[0]!.deliver({ ...bobsCamera, version: 4 });
      sockets[0]!.deliver({ ...bobsCamera, generation: 3, version: 1, fresh: true });
      await settle();
      expect(sockets[0]!.sentOfType("sfu-subscribed").map((a) => a.version)).toEqual([3, 1]);
    });

    it("lets the old path go on a handed-over of its own generation only", async () => {
      await annJoinsSfu([person("p-bob", "Bob")]);
      const sfuPeers = [...peers];
      sockets[0]!.deliver({ type: "media-path", media_path: { mode: "mesh", generation: 2 } });
      await settle();
      const toBob = peers.at(-1)!;
      toBob.onnegotiationneeded?.();
      tracksCome(toBob);
      toBob.connect();
      await linkBrings(toBob);
      sockets[0]!.deliver(handedOver(1)); // late, from an earlier switch
      expect(sfuPeers.map((pc) => pc.closed)).toEqual([false, false]);
      sockets[0]!.deliver(handedOver(2));
      expect(sfuPeers.map((pc) => pc.closed)).toEqual([true, true]);
    });

    it("shows who speaks through the SFU for those it still shows after a switch to the mesh", async () => {
      await annJoinsSfu([person("p-bob", "Bob")]);
      sockets[0]!.deliver({ type: "media-path", media_path: { mode: "mesh", generation: 2 } });
      await settle();
      sockets[0]!.deliver({
        type: "active-speaker",
        generation: 1,
        participant_id: "p-bob",
        talking: true,
      });
      expect(call.snapshot.speaking).toEqual(["p-bob"]);
      const toBob = peers.at(-1)!;
      tracksCome(toBob);
      toBob.connect();
      await linkBrings(toBob); // shown through the mesh: the audio levels say who speaks now
      expect(call.snapshot.speaking).toEqual([]);
    });

    it("hands Bob over on his audio alone once he turns his camera off", async () => {
      await annMeetsBobInTheMesh();
      sockets[0]!.deliver({ type: "media-path", media_path: sfuPath(2) });
      await settle();
      const [, subscription] = peers;
      answerSfuRequests(sockets[0]!);
      sockets[0]!.deliver({ ...bobsCamera, generation: 2 });
      await settle();
      subscription!.stats = [{ id: "a", type: "inbound-rtp", mid: "0", packetsReceived: 12 }];
      subscription!.connect();
      await vi.advanceTimersByTimeAsync(1000);
      expect(signalsTo(sockets[0]!, "p-bob")).not.toContain("handed-over"); // his video awaited
      sockets[0]!.deliver({
        type: "participant-updated",
        participant: {
          ...person("p-bob", "Bob"),
          media: { audio: true, video: false, screen: false },
        },
      });
      expect(signalsTo(sockets[0]!, "p-bob")).toContain("handed-over");
      expect(call.snapshot.remotes[0]?.stream?.getTracks()).toEqual(
        subscription!.transceivers.map((t) => t.receiver.track),
      );
    });

    it("publishes and subscribes afresh for a new SFU generation (the room moved)", async () => {
      await annJoinsSfu([person("p-bob", "Bob")]);
      answerSfuRequests(sockets[0]!);
      sockets[0]!.deliver(bobsCamera);
      await settle();
      expect(call.snapshot.remotes[0]?.stream).not.toBeNull();
      sockets[0]!.deliver({ type: "media-path", media_path: sfuPath(7) });
      await settle();
      expect(peers.slice(0, 2).map((pc) => pc.closed)).toEqual([true, true]);
      expect(peers.slice(2).map((pc) => pc.closed)).toEqual([false, false]);
      expect(sockets[0]!.sentOfType("sfu-publish")).toHaveLength(2);
      expect(call.snapshot.remotes[0]?.stream).toBeNull(); // until the new subscription brings it
      sockets[0]!.deliver({ ...bobsCamera, generation: 7, version: 1 });
      await settle();
      expect(sockets[0]!.sentOfType("sfu-subscribed").map((s) => s.version)).toEqual([3, 1]);
      expect(call.snapshot.remotes[0]?.stream?.getTracks()).toHaveLength(2);
    });

    it("sends camera changes to the SFU publication it keeps while the mesh takes over, and publishes nothing new there", async () => {
      const starting = media.start();
      deviceRequests.map((r) => r.grant());
      await starting;
      await annJoinsSfu([person("p-bob", "Bob")]);
      const publication = peers[1]!;
      sockets[0]!.deliver({ type: "media-path", media_path: { mode: "mesh", generation: 2 } });
      await settle();
      await media.setCamera(false);
      await settle();
      expect(publication.closed).toBe(false);
      expect(publication.transceivers[1]!.sender.track).toBeNull();
      const sharing = media.startScreenShare();
      deviceRequests[2]!.grant();
      await sharing;
      await settle();
      expect(sockets[0]!.sentOfType("sfu-publish").map((p) => p.source)).toEqual(["camera"]);
    });

    it("sends camera changes to the SFU publication", async () => {
      const starting = media.start();
      const [audio, camera] = deviceRequests.map((r) => r.grant());
      await starting;
      await annJoinsSfu([person("p-bob", "Bob")]);
      const publication = peers[1]!;
      expect(publication.transceivers.map((t) => t.sender.track)).toEqual([audio, camera]);
      await media.setCamera(false);
      await settle();
      expect(publication.transceivers[1]!.sender.track).toBeNull();
      expect(sockets[0]!.sentOfType("media").at(-1)).toMatchObject({ video: false });
      const sharing = media.startScreenShare();
      const screen = deviceRequests[2]!.grant();
      await sharing;
      await settle();
      expect(sockets[0]!.sentOfType("sfu-publish").map((p) => p.source)).toEqual([
        "camera",
        "screen",
      ]);
      expect(peers[2]!.transceivers[0]!.sender.track).toBe(screen);
      media.stopScreenShare();
      await settle();
      expect(sockets[0]!.sentOfType("sfu-unpublish")).toEqual([
        expect.objectContaining({ source: "screen" }),
      ]);
      expect(peers[2]!.closed).toBe(true);
    });

    it("asks the camera for three layers' size through the SFU, and for the default in the mesh once the SFU is let go", async () => {
      const starting = media.start();
      const [, camera] = deviceRequests.map((r) => r.grant());
      await starting;
      await annJoinsSfu([person("p-bob", "Bob")]);
      const { width, height } = SIMULCAST_CAPTURE;
      const simulcast = { width: { ideal: width }, height: { ideal: height } };
      expect(appliedConstraints(camera!)).toEqual([simulcast]);
      sockets[0]!.deliver({ type: "media-path", media_path: sfuPath(2) }); // moved: the same size
      await settle();
      sockets[0]!.deliver({ type: "media-path", media_path: { mode: "mesh", generation: 3 } });
      await settle();
      expect(appliedConstraints(camera!)).toEqual([simulcast]); // the SFU still carries it
      await vi.advanceTimersByTimeAsync(HANDOVER_MS);
      expect(appliedConstraints(camera!)).toEqual([simulcast, {}]);
      expect(media.snapshot.camera).toBe(camera);
    });

    it("chooses each camera's layer from its tile, for those in the room, sending only changes", async () => {
      await annJoinsSfu([person("p-bob", "Bob"), person("p-cara", "Cara")]);
      call.setTileSizes(
        new Map([
          ["p-bob", { width: 800, height: 600 }],
          ["p-cara", { width: 240, height: 180 }],
          ["p-gone", { width: 240, height: 180 }],
        ]),
      );
      sockets[0]!.deliver(bobsCamera);
      await settle();
      answerSfuRequests(sockets[0]!);
      await vi.advanceTimersByTimeAsync(LAYERS_DEBOUNCE_MS);
      expect(sockets[0]!.sentOfType("sfu-layers").map((l) => l.choices)).toEqual([
        [
          { participant_id: "p-bob", layer: 2 },
          { participant_id: "p-cara", layer: 1 },
        ],
      ]);
      call.setTileSizes(
        new Map([
          ["p-bob", { width: 100, height: 75 }],
          ["p-cara", { width: 240, height: 180 }],
        ]),
      );
      await vi.advanceTimersByTimeAsync(LAYERS_DEBOUNCE_MS);
      expect(sockets[0]!.sentOfType("sfu-layers").map((l) => l.choices)).toEqual([
        [
          { participant_id: "p-bob", layer: 2 },
          { participant_id: "p-cara", layer: 1 },
        ],
        [{ participant_id: "p-bob", layer: 0 }],
      ]);
    });

    it("takes who speaks from the SFU's active-speaker events", async () => {
      await annJoinsSfu([person("p-bob", "Bob"), person("p-cara", "Cara")]);
      sockets[0]!.deliver({
        type: "active-speaker",
        generation: 1,
        participant_id: "p-bob",
        talking: true,
      });
      expect(call.snapshot.speaking).toEqual(["p-bob"]);
      sockets[0]!.deliver({
        type: "active-speaker",
        generation: 1,
        participant_id: "p-cara",
        talking: true,
      });
      sockets[0]!.deliver({
        type: "active-speaker",
        generation: 1,
        participant_id: "p-bob",
        talking: false,
      });
      expect(call.snapshot.speaking).toEqual(["p-cara"]);
      sockets[0]!.deliver({ type: "participant-left", participant_id: "p-cara" });
      expect(call.snapshot.speaking).toEqual([]);
    });

    it("shows whether the meeting is recorded, and lets a host start and stop it", async () => {
      await annJoinsSfu([person("p-bob", "Bob")], { recording: true });
      expect(call.snapshot.recording).toBe(true);
      sockets[0]!.deliver({ type: "recording", active: false, by: "p-bob" });
      expect(call.snapshot.recording).toBe(false);
      expect(call.snapshot.notices.map((n) => n.text)).toEqual(["Recording stopped"]);
      const starting = call.setRecording(true);
      const [record] = sockets[0]!.sentOfType("record");
      expect(record).toMatchObject({ type: "record", active: true });
      sockets[0]!.deliver({ type: "recording", active: true, by: "p-ann" });
      sockets[0]!.deliver({ type: "ack", request: "record", ref: record?.ref });
      await starting;
      expect(call.snapshot.recording).toBe(true);
    });

    it("publishes and subscribes afresh after a rejoin that resumed its id (the server let them go)", async () => {
      await annJoinsSfu([person("p-bob", "Bob")]);
      answerSfuRequests(sockets[0]!);
      sockets[0]!.deliver(bobsCamera);
      await settle();
      const stream = call.snapshot.remotes[0]?.stream;
      sockets[0]!.drop();
      await settle();
      const socket = sockets.at(-1)!;
      await connect(socket);
      const rejoin = socket.sentOfType("join")[0];
      socket.deliver({
        ...joined(rejoin?.ref, "p-ann", [person("p-ann", "Ann"), person("p-bob", "Bob")]),
        media_path: sfuPath(1),
      });
      await settle();
      expect(peers.map((pc) => pc.closed)).toEqual([true, true, false, false]);
      expect(socket.sentOfType("sfu-publish").map((p) => p.source)).toEqual(["camera"]);
      expect(call.snapshot.remotes[0]?.stream).toBeNull(); // until the new subscription brings it
      socket.deliver({ ...bobsCamera, version: 1 });
      await settle();
      expect(call.snapshot.remotes[0]?.stream).not.toBe(stream);
      expect(call.snapshot.remotes[0]?.stream?.getTracks()).toHaveLength(2);
      expect(call.snapshot.remotes.map((r) => r.participant.id)).toEqual(["p-bob"]);
    });
  });
});
