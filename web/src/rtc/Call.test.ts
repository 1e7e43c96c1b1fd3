import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { socketFactory } from "../realtime/fakeSocket";
import type { FakeSocket } from "../realtime/fakeSocket";
import type { Joined, Participant } from "../realtime/protocol";
import { BackoffWithJitter } from "../realtime/ReconnectPolicy";
import { SignalClient } from "../realtime/SignalClient";
import { Call } from "./Call";
import { stubMediaDevices } from "./fakeMedia";
import type { PendingRequest } from "./fakeMedia";
import { FakePeerConnection } from "./fakePeerConnection";
import { LocalMedia } from "./LocalMedia";

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
  };
}

class FakeAudioContext {
  resume = async () => undefined;
  close = async () => undefined;
}

describe("Call", () => {
  let sockets: FakeSocket[];
  let peers: FakePeerConnection[];
  let call: Call;
  let media: LocalMedia;
  let deviceRequests: PendingRequest[];
  let iceFetches: number;
  /** The API's ICE servers: credentials valid for 100 s, different each time they are fetched. */
  const iceSource = async () => {
    iceFetches += 1;
    return { iceServers: [{ ...ICE[0]!, credential: `cred-${iceFetches}` }], ttlSeconds: 100 };
  };

  beforeEach(() => {
    vi.useFakeTimers();
    iceFetches = 0;
    peers = [];
    deviceRequests = stubMediaDevices();
    vi.stubGlobal("AudioContext", FakeAudioContext);
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
    expect(peers[1]!.transceivers.map((t) => t.receiver.track.kind)).toEqual(["audio", "video"]);
    peers[1]!.onnegotiationneeded?.();
    await settle();
    expect(signalsTo(sockets[0]!, "p-cara")).toEqual(["offer"]);
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
});
