import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { OneWayMessage, Request, SfuOffer, SubscribedStream } from "../realtime/protocol";
import { RequestError } from "../realtime/SignalClient";
import type { Answer } from "../realtime/SignalClient";
import { FakeMediaStream, fakeTrack } from "./fakeMedia";
import { FakePeerConnection } from "./fakePeerConnection";
import type { LocalTracks } from "./PeerLink";
import { CONNECT_TIMEOUT_MS, DISCONNECTED_GRACE_MS } from "./sfuConnection";
import { SfuSession } from "./SfuSession";
import type { SubscribedMedia } from "./SfuSubscription";
import { LAYERS_DEBOUNCE_MS, layerFor } from "./simulcastLayers";

const settle = () => vi.advanceTimersByTimeAsync(0);

/** An SFU's subscription offer with these media sections (kind and mid). */
function offerSdp(sections: [kind: "audio" | "video", mid: string][]): string {
  return [
    "v=0",
    ...sections.flatMap(([kind, mid]) => [`m=${kind} 9 UDP/TLS/RTP/SAVPF 96`, `a=mid:${mid}`]),
    "",
  ].join("\r\n");
}

const bobCamera: SubscribedStream[] = [
  { mid: "0", participant_id: "p-bob", source: "camera", kind: "audio" },
  { mid: "1", participant_id: "p-bob", source: "camera", kind: "video" },
];
const caraCamera: SubscribedStream[] = [
  { mid: "2", participant_id: "p-cara", source: "camera", kind: "audio" },
  { mid: "3", participant_id: "p-cara", source: "camera", kind: "video" },
];

function sfuOffer(version: number, streams: SubscribedStream[], fresh = false): SfuOffer {
  return {
    type: "sfu-offer",
    generation: 1,
    version,
    sdp: offerSdp(streams.map((s) => [s.kind, s.mid])),
    streams,
    ...(fresh ? { fresh } : {}),
  };
}

/** The longest wait the reconnect policy gives before a recovery's attempt (jitter included). */
const recoveryWait = (attempt: number) => [0, 1300, 2200, 3700, 5800, 8000][attempt] ?? 8000;

describe("SfuSession", () => {
  let peers: FakePeerConnection[];
  let requests: Request[];
  let oneWay: OneWayMessage[];
  /** How the fake server answers a request (default: an answer to a publish, else ack). */
  let answer: (request: Request) => Promise<Answer>;
  let session: SfuSession;
  let streams: ReadonlyMap<string, SubscribedMedia>;

  const requested = <T extends Request["type"]>(type: T) =>
    requests.filter((r): r is Extract<Request, { type: T }> => r.type === type);

  function open(tracks: Partial<LocalTracks> = {}): SfuSession {
    const opened = new SfuSession({
      signaling: {
        request: (request) => {
          requests.push(request);
          return answer(request);
        },
        notify: (message) => oneWay.push(message),
      },
      generation: 3,
      iceServers: [],
      tracks: { audio: null, video: null, screen: null, ...tracks },
      createPeerConnection: (config) => {
        const pc = new FakePeerConnection(config);
        peers.push(pc);
        return pc as unknown as RTCPeerConnection;
      },
    });
    opened.on("streams", (received) => (streams = received));
    return opened;
  }

  beforeEach(() => {
    vi.useFakeTimers();
    vi.stubGlobal("MediaStream", FakeMediaStream);
    peers = [];
    requests = [];
    oneWay = [];
    streams = new Map();
    answer = async (request) =>
      request.type === "sfu-publish"
        ? { type: "sfu-answer", source: request.source, sdp: `answer to ${request.source}` }
        : { type: "ack", request: request.type };
  });

  afterEach(() => {
    session.close();
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  it("publishes the camera at once, in three simulcast layers, even with nothing on", async () => {
    session = open();
    // The subscription's connection first, then the camera's.
    expect(peers).toHaveLength(2);
    const camera = peers[1]!;
    expect(camera.transceivers.map((t) => [t.receiver.track.kind, t.direction])).toEqual([
      ["audio", "sendonly"],
      ["video", "sendonly"],
    ]);
    expect(camera.transceivers[1]!.init.sendEncodings).toEqual([
      expect.objectContaining({ rid: "q", scaleResolutionDownBy: 4 }),
      expect.objectContaining({ rid: "h", scaleResolutionDownBy: 2 }),
      expect.objectContaining({ rid: "f", scaleResolutionDownBy: 1 }),
    ]);
    await settle();
    expect(requested("sfu-publish")).toEqual([
      { type: "sfu-publish", source: "camera", sdp: "offer sdp" },
    ]);
    expect(camera.log).toEqual(["local:offer", "remote:answer"]);
  });

  it("holds the camera's candidates until the SFU answered, then trickles them", async () => {
    let release: () => void = () => undefined;
    answer = (request) =>
      new Promise((resolve) => {
        release = () =>
          resolve(
            request.type === "sfu-publish"
              ? { type: "sfu-answer", source: request.source, sdp: "answer" }
              : { type: "ack", request: request.type },
          );
      });
    session = open();
    await settle();
    const camera = peers[1]!;
    const candidate = { candidate: "candidate:1 1 udp 1 192.0.2.7 50000 typ host", sdpMid: "0" };
    const onicecandidate = camera.onicecandidate as (event: {
      candidate: { toJSON: () => object } | null;
    }) => void;
    onicecandidate({ candidate: { toJSON: () => candidate } });
    expect(oneWay).toEqual([]);
    release();
    await settle();
    onicecandidate({ candidate: null });
    expect(oneWay).toEqual([
      { type: "sfu-candidate", pc: "camera", candidate },
      { type: "sfu-candidate", pc: "camera", candidate: null },
    ]);
  });

  it("turns the camera on later by swapping the track in place, without publishing again", async () => {
    const audio = fakeTrack("audio");
    session = open({ audio });
    await settle();
    const camera = peers[1]!;
    expect(camera.transceivers[0]!.sender.track).toBe(audio);
    const video = fakeTrack("video");
    session.setTracks({ audio, video, screen: null });
    await settle();
    expect(camera.transceivers[1]!.sender.track).toBe(video);
    session.setTracks({ audio, video: null, screen: null });
    await settle();
    expect(camera.transceivers[1]!.sender.track).toBeNull();
    expect(requested("sfu-publish")).toHaveLength(1);
  });

  it("publishes the screen while it is shared, and withdraws it after", async () => {
    session = open();
    await settle();
    const screen = fakeTrack("video");
    session.setTracks({ audio: null, video: null, screen });
    await settle();
    const screenPc = peers[2]!;
    expect(screenPc.transceivers.map((t) => [t.sender.track, t.direction])).toEqual([
      [screen, "sendonly"],
    ]);
    expect(screenPc.transceivers[0]!.init.sendEncodings).toBeUndefined();
    expect(requested("sfu-publish").map((r) => r.source)).toEqual(["camera", "screen"]);
    session.setTracks({ audio: null, video: null, screen: null });
    await settle();
    expect(screenPc.closed).toBe(true);
    expect(requested("sfu-unpublish")).toEqual([{ type: "sfu-unpublish", source: "screen" }]);
  });

  it("answers each subscription offer with the same version, and maps mids to participants", async () => {
    session = open();
    await settle();
    const subscriber = peers[0]!;
    session.receiveOffer(sfuOffer(1, bobCamera));
    await settle();
    expect(subscriber.log).toEqual(["remote:offer", "local:answer"]);
    expect(requested("sfu-subscribed")).toEqual([
      { type: "sfu-subscribed", version: 1, sdp: "answer sdp" },
    ]);
    const bob = streams.get("p-bob")!;
    const [bobAudio, bobVideo] = subscriber.transceivers.map((t) => t.receiver.track);
    expect(bob.camera?.getTracks()).toEqual([bobAudio, bobVideo]);
    expect(bob.screen).toBeNull();

    // Cara publishes her camera and Bob his screen: Bob's camera stream stays the same object.
    const bobScreen: SubscribedStream = {
      mid: "4",
      participant_id: "p-bob",
      source: "screen",
      kind: "video",
    };
    session.receiveOffer(sfuOffer(2, [...bobCamera, ...caraCamera, bobScreen]));
    await settle();
    expect(requested("sfu-subscribed").map((r) => r.version)).toEqual([1, 2]);
    expect(streams.get("p-bob")!.camera).toBe(bob.camera);
    expect(streams.get("p-bob")!.screen?.getVideoTracks()).toHaveLength(1);
    expect(streams.get("p-cara")!.camera?.getTracks()).toHaveLength(2);

    // Bob leaves: the offer without him.
    session.receiveOffer(sfuOffer(3, caraCamera));
    await settle();
    expect([...streams.keys()]).toEqual(["p-cara"]);
  });

  it("skips an offer a newer one replaced before it was handled", async () => {
    session = open();
    await settle();
    session.receiveOffer(sfuOffer(4, bobCamera));
    session.receiveOffer(sfuOffer(5, [...bobCamera, ...caraCamera]));
    await settle();
    expect(requested("sfu-subscribed").map((r) => r.version)).toEqual([5]);
    expect([...streams.keys()]).toEqual(["p-bob", "p-cara"]);
  });

  it("publishes the camera again with an ICE restart, then from a new connection, when it fails", async () => {
    const audio = fakeTrack("audio");
    const video = fakeTrack("video");
    session = open({ audio, video });
    await settle();
    const camera = peers[1]!;
    camera.connect();
    camera.disconnect();
    await vi.advanceTimersByTimeAsync(DISCONNECTED_GRACE_MS - 100);
    expect(requested("sfu-publish")).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(camera.log).toEqual([
      "local:offer",
      "remote:answer",
      "restartIce",
      "local:offer",
      "remote:answer",
    ]);
    expect(requested("sfu-publish")).toHaveLength(2);

    // The restart did not bring it back: the next attempt, after a wait, is a new connection.
    camera.fail();
    await settle();
    expect(requested("sfu-publish")).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(recoveryWait(1));
    expect(camera.closed).toBe(true);
    const renewed = peers[2]!;
    expect(renewed.transceivers.map((t) => [t.sender.track, t.direction])).toEqual([
      [audio, "sendonly"],
      [video, "sendonly"],
    ]);
    expect(renewed.transceivers[1]!.init.sendEncodings).toHaveLength(3);
    expect(renewed.log).toEqual(["local:offer", "remote:answer"]);
    expect(requested("sfu-publish")).toHaveLength(3);

    // Connected again, the count starts over: a later failure is first an ICE restart, at once.
    renewed.connect();
    renewed.fail();
    await settle();
    expect(renewed.log.slice(2)).toEqual(["restartIce", "local:offer", "remote:answer"]);
    // Not connected in time after it: a new connection again.
    await vi.advanceTimersByTimeAsync(CONNECT_TIMEOUT_MS + recoveryWait(1));
    expect(peers).toHaveLength(4);
    expect(requested("sfu-publish")).toHaveLength(5);
    expect(requested("sfu-resubscribe")).toEqual([]); // the subscription is not touched
  });

  it("publishes from a new connection at once when the failed one is closed or its DTLS session over", async () => {
    session = open({ audio: fakeTrack("audio"), video: fakeTrack("video") });
    await settle();
    const camera = peers[1]!;
    camera.connect();
    camera.close();
    camera.fail();
    await settle();
    expect(camera.log).toEqual(["local:offer", "remote:answer"]); // no ICE restart tried on it
    const renewed = peers[2]!;
    expect(renewed.log).toEqual(["local:offer", "remote:answer"]);
    expect(requested("sfu-publish")).toHaveLength(2);

    // An ICE restart keeps the DTLS session: once that is over, only a new connection helps.
    renewed.connect();
    renewed.transceivers[1]!.sender.transport = { state: "closed" };
    renewed.fail();
    await settle();
    expect(renewed.closed).toBe(true);
    expect(renewed.log).toEqual(["local:offer", "remote:answer"]);
    expect(peers).toHaveLength(4);
    expect(requested("sfu-publish")).toHaveLength(3);
  });

  it("tries a publish refused for a passing reason again, but not one refused for good", async () => {
    let refusal = "media_server_unavailable";
    answer = async (request) => {
      if (request.type === "sfu-publish") throw new RequestError(refusal, "no");
      return { type: "ack", request: request.type };
    };
    session = open();
    await settle();
    expect(requested("sfu-publish")).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(recoveryWait(1));
    expect(requested("sfu-publish")).toHaveLength(2);
    refusal = "not_sfu";
    await vi.advanceTimersByTimeAsync(recoveryWait(2));
    expect(requested("sfu-publish")).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(requested("sfu-publish")).toHaveLength(3);
  });

  it("sends the layer each tile needs once subscribed, and then only the changes", async () => {
    session = open();
    session.setTileSizes(
      new Map([
        ["p-bob", { width: 640, height: 480 }],
        ["p-cara", { width: 160, height: 120 }],
      ]),
    );
    await vi.advanceTimersByTimeAsync(LAYERS_DEBOUNCE_MS);
    expect(requested("sfu-layers")).toEqual([]); // nothing subscribed yet
    session.receiveOffer(sfuOffer(1, [...bobCamera, ...caraCamera]));
    await vi.advanceTimersByTimeAsync(LAYERS_DEBOUNCE_MS);
    expect(requested("sfu-layers")).toEqual([
      {
        type: "sfu-layers",
        choices: [
          { participant_id: "p-bob", layer: 2 },
          { participant_id: "p-cara", layer: 0 },
        ],
      },
    ]);
    // A resize that keeps every layer sends nothing; hiding Cara and a medium Bob send both.
    session.setTileSizes(
      new Map([
        ["p-bob", { width: 600, height: 450 }],
        ["p-cara", { width: 150, height: 110 }],
      ]),
    );
    await vi.advanceTimersByTimeAsync(LAYERS_DEBOUNCE_MS);
    expect(requested("sfu-layers")).toHaveLength(1);
    session.setTileSizes(new Map([["p-bob", { width: 300, height: 225 }]]));
    session.setTileSizes(
      new Map([
        ["p-bob", { width: 300, height: 225 }],
        ["p-cara", null],
      ]),
    );
    await vi.advanceTimersByTimeAsync(LAYERS_DEBOUNCE_MS);
    expect(requested("sfu-layers").slice(1)).toEqual([
      {
        type: "sfu-layers",
        choices: [
          { participant_id: "p-bob", layer: 1 },
          { participant_id: "p-cara", layer: null },
        ],
      },
    ]);
  });

  it("asks again for the layer of a camera that comes anew into the subscription", async () => {
    session = open();
    session.setTileSizes(
      new Map([
        ["p-bob", { width: 640, height: 480 }],
        ["p-cara", { width: 160, height: 120 }],
      ]),
    );
    session.receiveOffer(sfuOffer(1, bobCamera));
    await vi.advanceTimersByTimeAsync(LAYERS_DEBOUNCE_MS);
    expect(requested("sfu-layers")).toHaveLength(1);
    // Cara publishes: the server had no stream of hers to apply the choice to.
    session.receiveOffer(sfuOffer(2, [...bobCamera, ...caraCamera]));
    await vi.advanceTimersByTimeAsync(LAYERS_DEBOUNCE_MS);
    expect(requested("sfu-layers").slice(1)).toEqual([
      { type: "sfu-layers", choices: [{ participant_id: "p-cara", layer: 0 }] },
    ]);
  });

  it("tells each participant's picture frozen when their camera is on and no frame is decoded", async () => {
    session = open();
    const frozen: boolean[] = [];
    session.on("health", (health) => frozen.push(health.get("p-bob")?.frozen ?? false));
    session.expectVideo("p-bob", true);
    session.receiveOffer(sfuOffer(1, bobCamera));
    await settle();
    const subscriber = peers[0]!;
    subscriber.connect();
    const decoded = (frames: number) => {
      subscriber.stats = [
        { id: "v", type: "inbound-rtp", kind: "video", mid: "1", framesDecoded: frames },
      ];
    };
    decoded(10);
    await vi.advanceTimersByTimeAsync(1000);
    expect(frozen.at(-1)).toBe(false);
    await vi.advanceTimersByTimeAsync(1500);
    expect(frozen.at(-1)).toBe(true);
    decoded(11);
    await vi.advanceTimersByTimeAsync(500);
    expect(frozen.at(-1)).toBe(false);
    session.expectVideo("p-bob", false); // camera off: a still picture is expected
    await vi.advanceTimersByTimeAsync(3000);
    expect(frozen.at(-1)).toBe(false);
  });

  it("gives a failed subscription up, and answers the fresh offer from a new connection", async () => {
    session = open();
    const states: string[] = [];
    session.on("state", (state) => states.push(state));
    await settle();
    session.receiveOffer(sfuOffer(1, bobCamera, true));
    await settle();
    const [subscriber, camera] = peers;
    expect(subscriber!.log).toEqual(["remote:offer", "local:answer"]); // the first: no new one
    camera!.connect();
    subscriber!.connect();
    subscriber!.fail();
    await settle();
    expect(states).toEqual(["connected", "reconnecting"]);
    expect(requested("sfu-resubscribe")).toEqual([
      { type: "sfu-resubscribe", generation: 3, version: 1 },
    ]);
    // No offer came in time: given up again, after a wait.
    await vi.advanceTimersByTimeAsync(CONNECT_TIMEOUT_MS + recoveryWait(1));
    expect(requested("sfu-resubscribe")).toHaveLength(2);
    expect(requested("sfu-publish")).toHaveLength(1); // the camera is not touched

    session.receiveOffer(sfuOffer(2, bobCamera, true));
    await settle();
    expect(subscriber!.closed).toBe(true);
    const renewed = peers[2]!;
    expect(renewed.log).toEqual(["remote:offer", "local:answer"]);
    expect(requested("sfu-subscribed").map((r) => r.version)).toEqual([1, 2]);
    const [audio, video] = renewed.transceivers.map((t) => t.receiver.track);
    expect(streams.get("p-bob")!.camera?.getTracks()).toEqual([audio, video]);
    renewed.connect();
    expect(states.at(-1)).toBe("connected");
    // A renegotiation is answered on the same connection.
    session.receiveOffer(sfuOffer(3, [...bobCamera, ...caraCamera]));
    await settle();
    expect(peers).toHaveLength(3);
    expect(renewed.log.slice(2)).toEqual(["remote:offer", "local:answer"]);
  });

  it("gives the subscription up again, backing off, while the server refuses", async () => {
    answer = async (request) => {
      if (request.type === "sfu-resubscribe") {
        throw new RequestError("media_server_unavailable", "no");
      }
      return request.type === "sfu-publish"
        ? { type: "sfu-answer", source: request.source, sdp: "answer" }
        : { type: "ack", request: request.type };
    };
    session = open();
    await settle();
    session.receiveOffer(sfuOffer(1, bobCamera, true));
    await settle();
    peers[0]!.fail();
    await settle();
    expect(requested("sfu-resubscribe")).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(CONNECT_TIMEOUT_MS);
    expect(requested("sfu-resubscribe")).toHaveLength(1); // waiting its turn
    await vi.advanceTimersByTimeAsync(recoveryWait(1));
    expect(requested("sfu-resubscribe")).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(2 * CONNECT_TIMEOUT_MS + recoveryWait(2));
    expect(requested("sfu-resubscribe")).toHaveLength(3);
  });
});

describe("layerFor", () => {
  it("gives large tiles the full layer, medium ones half, thumbnails a quarter", () => {
    expect(layerFor({ width: 800, height: 600 })).toBe(2);
    expect(layerFor({ width: 480, height: 360 })).toBe(2);
    expect(layerFor({ width: 320, height: 240 })).toBe(1);
    expect(layerFor({ width: 120, height: 90 })).toBe(0);
    expect(layerFor(null)).toBeNull();
    expect(layerFor({ width: 0, height: 0 })).toBeNull();
  });
});
