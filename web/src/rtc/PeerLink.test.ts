import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { FakeMediaStream } from "./fakeMedia";
import { FakePeerConnection } from "./fakePeerConnection";
import { PeerLink } from "./PeerLink";
import type { OutgoingSignal, RemoteStreams } from "./PeerLink";

const mic = { kind: "audio" } as MediaStreamTrack;
const camera = { kind: "video" } as MediaStreamTrack;
const screen = { kind: "video" } as MediaStreamTrack;

function link(initiator: boolean) {
  const pc = new FakePeerConnection();
  const sent: OutgoingSignal[] = [];
  const peer = new PeerLink({
    initiator,
    iceServers: [],
    tracks: { audio: mic, video: camera, screen: null },
    send: (signal) => sent.push(signal),
    createPeerConnection: () => pc as unknown as RTCPeerConnection,
  });
  return { pc, sent, peer };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("PeerLink", () => {
  it("as the participant already in the room, sends its tracks and makes the first offer", async () => {
    const { pc, sent } = link(true);
    expect(
      pc.transceivers.map((t) => [t.receiver.track.kind, t.sender.track, t.direction]),
    ).toEqual([
      ["audio", mic, "sendrecv"],
      ["video", camera, "sendrecv"],
      ["video", null, "sendrecv"],
    ]);
    pc.onnegotiationneeded?.();
    await tick();
    expect(sent).toEqual([{ kind: "offer", sdp: "offer sdp" }]);
  });

  it("as the newcomer, makes no offer until it has answered, then puts its tracks on the offered transceivers", async () => {
    const { pc, sent, peer } = link(false);
    pc.onnegotiationneeded?.();
    await tick();
    expect(sent).toEqual([]);

    await peer.receive("offer", "their offer");
    expect(sent).toEqual([{ kind: "answer", sdp: "answer sdp" }]);
    expect(pc.transceivers.map((t) => [t.sender.track, t.direction])).toEqual([
      [mic, "sendrecv"],
      [camera, "sendrecv"],
      [null, "sendrecv"],
    ]);
    pc.onnegotiationneeded?.();
    await tick();
    expect(sent.at(-1)).toEqual({ kind: "offer", sdp: "offer sdp" });
  });

  it("on glare, the impolite side ignores the other's offer", async () => {
    const { pc, sent, peer } = link(true);
    pc.onnegotiationneeded?.();
    await tick();
    await peer.receive("offer", "colliding offer");
    expect(pc.log).toEqual(["local:offer"]);
    await peer.receive("candidate", undefined, {
      candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host",
    });
    expect(sent).toEqual([{ kind: "offer", sdp: "offer sdp" }]);
  });

  it("on glare, the polite side rolls back its offer and answers", async () => {
    const { pc, sent, peer } = link(false);
    await peer.receive("offer", "first offer");
    pc.onnegotiationneeded?.(); // e.g. its own ICE restart
    await tick();
    await peer.receive("offer", "colliding offer");
    expect(pc.log).toEqual([
      "remote:offer",
      "local:answer",
      "local:offer",
      "rollback",
      "remote:offer",
      "local:answer",
    ]);
    expect(sent.at(-1)).toEqual({ kind: "answer", sdp: "answer sdp" });
  });

  it("restarts ICE when the connection fails", () => {
    const { pc, peer } = link(true);
    const states: string[] = [];
    peer.on("state", (state) => states.push(state));
    pc.connect();
    pc.fail();
    expect(pc.log).toContain("restartIce");
    expect(states).toEqual(["connected", "failed", "reconnecting"]);
  });

  it("sends the screen on its own transceiver beside the camera, without renegotiating", async () => {
    const { pc, peer } = link(true);
    await peer.replaceTrack("screen", screen);
    expect(pc.transceivers.map((t) => t.sender.track)).toEqual([mic, camera, screen]);
    await peer.replaceTrack("screen", null);
    await peer.replaceTrack("video", null); // camera off
    expect(pc.transceivers.map((t) => t.sender.track)).toEqual([mic, null, null]);
    expect(pc.log).toEqual([]);
  });

  it("gives what the other side sends as camera and screen streams, by transceiver", async () => {
    vi.stubGlobal("MediaStream", FakeMediaStream);
    const { pc, peer } = link(false);
    const received: RemoteStreams[] = [];
    peer.on("streams", (streams) => received.push(streams));
    await peer.receive("offer", "their offer");
    (pc.ontrack as () => void)();
    const [theirMic, theirCamera, theirScreen] = pc.transceivers.map((t) => t.receiver.track);
    expect(received[0]?.camera.getTracks()).toEqual([theirMic, theirCamera]);
    expect(received[0]?.screen.getTracks()).toEqual([theirScreen]);
    vi.unstubAllGlobals();
  });

  describe("watchdog", () => {
    /** Statistics of a connected link that has received `bytes` and decoded `frames`. */
    const stats = (bytes: number, frames: number) => [
      { id: "t", type: "transport", selectedCandidatePairId: "p" },
      { id: "p", type: "candidate-pair", bytesReceived: bytes, currentRoundTripTime: 0.05 },
      {
        id: "v",
        type: "inbound-rtp",
        kind: "video",
        packetsReceived: bytes,
        packetsLost: 0,
        framesDecoded: frames,
      },
      { id: "l", type: "local-candidate", candidateType: "host" },
    ];

    beforeEach(() => vi.useFakeTimers());
    afterEach(() => vi.useRealTimers());

    it("restarts ICE when media stops arriving while the peer sends, and recovers", async () => {
      const { pc, peer } = link(true);
      const states: string[] = [];
      peer.on("state", (state) => states.push(state));
      peer.expect(true, true);
      pc.connect();
      for (let second = 1; second <= 3; second++) {
        pc.stats = stats(1000 * second, 30 * second);
        await vi.advanceTimersByTimeAsync(1000);
      }
      expect(pc.log).not.toContain("restartIce");
      await vi.advanceTimersByTimeAsync(3000); // the counters stand still: the path is dead
      expect(pc.log).toContain("restartIce");
      expect(states).toEqual(["connected", "reconnecting"]);
      pc.stats = stats(5000, 150); // media arrives again over the same connection
      await vi.advanceTimersByTimeAsync(1000);
      expect(states).toEqual(["connected", "reconnecting", "connected"]);
      peer.close();
    });

    it("sends the camera's share of the upload, the microphone first in line", async () => {
      const { pc, peer } = link(true);
      pc.connect();
      await vi.advanceTimersByTimeAsync(0);
      const [audio, camera] = pc.transceivers.map((t) => t.sender);
      expect(audio?.encodings).toEqual([{ priority: "high", networkPriority: "high" }]);
      expect(camera?.encodings).toEqual([
        { maxBitrate: 1_500_000, scaleResolutionDownBy: 1, maxFramerate: 30, active: true },
      ]);
      peer.setPeers(6);
      await vi.advanceTimersByTimeAsync(0);
      expect(camera?.encodings[0]).toMatchObject({ maxBitrate: 416_666, scaleResolutionDownBy: 2 });
      peer.close();
    });

    it("marks a frozen picture, and rates the link", async () => {
      const { pc, peer } = link(true);
      const health: { frozen: boolean; level: string }[] = [];
      peer.on("health", ({ frozen, level }) => health.push({ frozen, level }));
      peer.expect(true, true);
      pc.connect();
      for (let second = 1; second <= 5; second++) {
        // Audio keeps arriving; after two seconds, no new frame is decoded.
        pc.stats = stats(1000 * second, 30 * Math.min(second, 2));
        await vi.advanceTimersByTimeAsync(1000);
      }
      expect(health.at(0)).toEqual({ frozen: false, level: "good" });
      expect(health.at(-1)).toEqual({ frozen: true, level: "good" });
      expect(pc.log).not.toContain("restartIce");
      peer.close();
    });

    it("negotiates again when it does not connect in time, and says why", async () => {
      const { pc, peer } = link(true);
      const problems: (string | null)[] = [];
      peer.on("problem", (problem) => problems.push(problem));
      pc.onnegotiationneeded?.();
      await vi.advanceTimersByTimeAsync(0);
      expect(pc.signalingState).toBe("have-local-offer"); // the answer never comes
      pc.stats = [{ id: "l", type: "local-candidate", candidateType: "host" }];
      await vi.advanceTimersByTimeAsync(10_000);
      expect(problems).toEqual([
        "No network path to this person was found: a TURN server is needed. Retrying…",
      ]);
      expect(pc.log).toEqual(["local:offer", "rollback", "restartIce"]);
      pc.connect();
      expect(problems.at(-1)).toBeNull();
      peer.close();
    });
  });
});
