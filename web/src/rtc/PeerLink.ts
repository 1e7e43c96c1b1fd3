/**
 * One RTCPeerConnection to one remote participant (a mesh has one per peer), with perfect
 * negotiation, trickled ICE, and local tracks swapped in place with `replaceTrack` (camera off,
 * device change, screen share) so no renegotiation is needed. A watchdog reads the statistics
 * every second: it reports the link's quality and a frozen picture, restarts ICE when the
 * connection fails or media stops arriving, and when a connection does not come up in time it
 * negotiates again, backing off, with the reason in words. The camera's encoding follows the
 * room's size and what the link can carry (`sendPolicy.ts`): audio only under a floor.
 * Three transceivers, in this order on both sides: the microphone, the camera and the screen (camera
 * and screen are sent together; a slot with nothing to send sends nothing).
 */
import { Emitter } from "../realtime/emitter";
import type { IceCandidate, NegotiationKind } from "../realtime/protocol";
import { hasArrived, NOTHING_ARRIVED, sameArrival } from "./arrival";
import type { ArrivedMedia, InboundStat } from "./arrival";
import { assessQuality, failureReason, readCounters } from "./linkStats";
import type { LinkCounters, LinkQuality } from "./linkStats";
import { shouldIgnore } from "./negotiation";
import { cameraEncoding, VideoGate, withOpusDtx } from "./sendPolicy";

export type PeerState = "connecting" | "connected" | "reconnecting" | "failed" | "closed";

export interface OutgoingSignal {
  kind: NegotiationKind;
  sdp?: string;
  candidate?: IceCandidate | null;
}

export interface LocalTracks {
  audio: MediaStreamTrack | null;
  video: MediaStreamTrack | null;
  screen: MediaStreamTrack | null;
}

export type Slot = keyof LocalTracks;

/** What the remote participant sends: microphone and camera, and the screen. */
export interface RemoteStreams {
  camera: MediaStream;
  screen: MediaStream;
}

/** The link's quality, and whether the remote picture stands still while it should move. */
export interface LinkHealth extends LinkQuality {
  frozen: boolean;
}

export interface PeerLinkOptions {
  /** Make the first offer and be the impolite side (the participant already in the room). */
  initiator: boolean;
  iceServers: RTCIceServer[];
  /** `relay`: media only through TURN. */
  iceTransportPolicy?: RTCIceTransportPolicy;
  tracks: LocalTracks;
  send: (signal: OutgoingSignal) => void;
  createPeerConnection?: (config: RTCConfiguration) => RTCPeerConnection;
}

/** A connection "disconnected" this long gets an ICE restart (a "failed" one gets it at once). */
const DISCONNECTED_GRACE_MS = 3000;
/** The statistics are read this often. */
const SAMPLE_MS = 500;
/** The quality is judged over this many reads (2 s), so a level does not flicker. */
const QUALITY_READS = 4;
/** Connected, the peer sending, and no byte received this long: the path is dead. */
const STALL_MS = 2000;
/** The peer's camera on and no frame decoded this long: the picture is frozen. */
const FROZEN_MS = 1500;
/** Not connected this long after starting: negotiate again. */
const CONNECT_TIMEOUT_MS = 10_000;
/**
 * A link that was connected is restarted this often while it is not (each restart starts fresh
 * STUN/TURN transactions, so a path that returns is found within about this long, rather than
 * at the next retransmission of an old one, seconds later); after `RAPID_RESTARTS`, each wait
 * doubles up to the max. A link that never connected doubles from `CONNECT_TIMEOUT_MS`.
 */
const RAPID_RESTART_MS = 1500;
const RAPID_RESTARTS = 12;
const RESTART_MAX_MS = 30_000;
/** Why a link has not connected when the other side's description never came. */
const WAITING_FOR_PEER = "Waiting for this person's connection details. Retrying…";
/** Restarts before the tile of a link that was connected says why it still is not. */
const RESTARTS_BEFORE_PROBLEM = 4;
/** The transceivers' order, the same on both sides (the first offer creates them). */
const SLOTS: readonly Slot[] = ["audio", "video", "screen"];
const KIND_OF: Record<Slot, "audio" | "video"> = {
  audio: "audio",
  video: "video",
  screen: "video",
};

export class PeerLink extends Emitter<{
  streams: [RemoteStreams];
  state: [PeerState];
  health: [LinkHealth];
  /** Why the link cannot connect, in words; null once it does. */
  problem: [string | null];
  /** The camera paused on this link for a weak link (false), or sent again (true). */
  "video-sending": [boolean];
  /** What of the remote participant's media has come, when that changes. */
  arrived: [ArrivedMedia];
}> {
  private readonly pc: RTCPeerConnection;
  private readonly options: PeerLinkOptions;
  private tracks: LocalTracks;
  private makingOffer = false;
  private settingRemoteAnswer = false;
  private ignoreOffer = false;
  private mayOffer: boolean;
  private tracksAttached = false;
  private queue: Promise<void> = Promise.resolve();
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  private peerState: PeerState = "connecting";
  private received: RemoteStreams | null = null;
  private arrivals = NOTHING_ARRIVED;
  private readonly sampler: ReturnType<typeof setInterval>;
  private counters: LinkCounters | null = null;
  /** The last reads, oldest first: the loss is judged over them, not one short window. */
  private readonly recent: LinkCounters[] = [];
  /** What the remote participant says it sends: any media at all, and camera or screen video. */
  private expecting = { media: false, video: false };
  private lastBytesAt = performance.now();
  private lastFrameAt = performance.now();
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  private connectTimeoutMs = CONNECT_TIMEOUT_MS;
  /** ICE restarts since the link was last connected. */
  private restarts = 0;
  private everConnected = false;
  /** How many participants the camera goes to (this link's copy gets a share). */
  private peers = 1;
  private readonly videoGate = new VideoGate();
  private encodingQueue: Promise<void> = Promise.resolve();

  constructor(options: PeerLinkOptions) {
    super();
    this.options = options;
    this.tracks = options.tracks;
    this.mayOffer = options.initiator;
    const create = options.createPeerConnection ?? ((config) => new RTCPeerConnection(config));
    this.pc = create({
      iceServers: options.iceServers,
      ...(options.iceTransportPolicy ? { iceTransportPolicy: options.iceTransportPolicy } : {}),
    });
    this.pc.onicecandidate = ({ candidate }) =>
      options.send({
        kind: "candidate",
        candidate: candidate ? (candidate.toJSON() as IceCandidate) : null,
      });
    this.pc.onnegotiationneeded = () => void this.offer();
    this.pc.ontrack = () => {
      this.received = this.remoteStreams();
      this.emit("streams", this.received);
    };
    this.pc.onconnectionstatechange = () => this.connectionChanged();
    if (options.initiator) {
      for (const slot of SLOTS) {
        this.pc.addTransceiver(this.tracks[slot] ?? KIND_OF[slot], { direction: "sendrecv" });
      }
      this.tracksAttached = true;
    }
    this.sampler = setInterval(() => void this.sample().catch(() => undefined), SAMPLE_MS);
    this.armConnectTimer();
  }

  get state(): PeerState {
    return this.peerState;
  }

  /** Whether the camera goes on this link (false: paused for a weak link). */
  get sendingVideo(): boolean {
    return this.videoGate.sending;
  }

  /** What of the remote participant's media has come so far. */
  get arrived(): ArrivedMedia {
    return this.arrivals;
  }

  /** What the remote participant sends, once its tracks came (the last `streams`). */
  get streams(): RemoteStreams | null {
    return this.received;
  }

  /** Apply a signal from the remote peer; signals are handled one at a time, in order. */
  receive(
    kind: NegotiationKind,
    sdp?: string | null,
    candidate?: IceCandidate | null,
  ): Promise<void> {
    this.queue = this.queue.then(() => this.handle(kind, sdp, candidate)).catch(() => undefined);
    return this.queue;
  }

  /** Send another track in this slot (null: send nothing) without renegotiating. */
  async replaceTrack(slot: Slot, track: MediaStreamTrack | null): Promise<void> {
    this.tracks = { ...this.tracks, [slot]: track };
    const sender = this.pc.getTransceivers()[SLOTS.indexOf(slot)]?.sender;
    if (sender) await sender.replaceTrack(track);
  }

  /** What the remote participant says it sends (its media state), for the stall and frozen checks. */
  expect(media: boolean, video: boolean): void {
    const now = performance.now();
    if (media && !this.expecting.media) this.lastBytesAt = now;
    if (video && !this.expecting.video) this.lastFrameAt = now;
    this.expecting = { media, video };
  }

  /** The camera now goes to `peers` participants: this link's copy takes its share. */
  setPeers(peers: number): void {
    if (peers === this.peers) return;
    this.peers = peers;
    this.applyEncodings();
  }

  /** The network changed (back online, another interface): look for a path at once. */
  networkChanged(): void {
    this.restartIce();
  }

  close(): void {
    clearTimeout(this.restartTimer);
    clearTimeout(this.connectTimer);
    clearInterval(this.sampler);
    this.pc.close();
    this.setState("closed");
  }

  private async offer(): Promise<void> {
    if (!this.mayOffer || this.pc.signalingState === "closed") return;
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      const sdp = this.pc.localDescription?.sdp;
      if (sdp) this.options.send({ kind: "offer", sdp: withOpusDtx(sdp) });
    } finally {
      this.makingOffer = false;
    }
  }

  private async handle(
    kind: NegotiationKind,
    sdp?: string | null,
    candidate?: IceCandidate | null,
  ): Promise<void> {
    if (kind === "candidate") {
      try {
        await this.pc.addIceCandidate(candidate ?? undefined);
      } catch (error) {
        if (!this.ignoreOffer) throw error;
      }
      return;
    }
    this.ignoreOffer = shouldIgnore(kind, {
      polite: !this.options.initiator,
      makingOffer: this.makingOffer,
      signalingState: this.pc.signalingState,
      settingRemoteAnswer: this.settingRemoteAnswer,
    });
    if (this.ignoreOffer) return;
    this.settingRemoteAnswer = kind === "answer";
    try {
      await this.pc.setRemoteDescription({ type: kind, sdp: sdp ?? "" });
    } finally {
      this.settingRemoteAnswer = false;
    }
    if (kind !== "offer") return;
    if (!this.tracksAttached) await this.attachTracks();
    await this.pc.setLocalDescription();
    const answer = this.pc.localDescription?.sdp;
    if (answer) this.options.send({ kind: "answer", sdp: withOpusDtx(answer) });
    this.mayOffer = true;
  }

  /** The answerer's tracks go onto the transceivers the first offer created. */
  private async attachTracks(): Promise<void> {
    for (const [index, transceiver] of this.pc.getTransceivers().entries()) {
      const slot = SLOTS[index];
      if (slot === undefined) continue;
      transceiver.direction = "sendrecv";
      await transceiver.sender.replaceTrack(this.tracks[slot]);
    }
    this.tracksAttached = true;
  }

  private remoteStreams(): RemoteStreams {
    const received = (slots: Slot[]) =>
      new MediaStream(
        this.pc
          .getTransceivers()
          .filter((_, index) => slots.includes(SLOTS[index] as Slot))
          .map((t) => t.receiver.track),
      );
    return { camera: received(["audio", "video"]), screen: received(["screen"]) };
  }

  private connectionChanged(): void {
    clearTimeout(this.restartTimer);
    switch (this.pc.connectionState) {
      case "connected":
        this.connected();
        break;
      case "disconnected":
        this.setState("reconnecting");
        this.restartTimer = setTimeout(() => this.restartIce(), DISCONNECTED_GRACE_MS);
        break;
      case "failed":
        this.setState("failed");
        this.restartIce();
        break;
      case "closed":
        this.setState("closed");
        break;
      default:
        break;
    }
  }

  /** Use these ICE servers from now on (fresh TURN credentials); the connection stays up. */
  setIceServers(iceServers: RTCIceServer[]): void {
    this.pc.setConfiguration({ ...this.pc.getConfiguration(), iceServers });
  }

  private connected(): void {
    clearTimeout(this.connectTimer);
    const reconnected = this.everConnected;
    this.restarts = 0;
    this.everConnected = true;
    this.lastBytesAt = this.lastFrameAt = performance.now();
    this.videoGate.reconnected(this.lastBytesAt);
    this.recent.length = 0; // an outage's lost packets say nothing of the link now
    this.setState("connected");
    this.emit("problem", null);
    // Back after an outage: restart the camera's encoder, which drops what queued up meanwhile
    // and starts with a key frame the other side can decode at once.
    if (reconnected) this.applyEncodings({ active: false });
    this.applyEncodings();
  }

  /**
   * The camera's share of the upload and whether it is sent; the microphone first in line. One
   * change at a time (`setParameters` refuses parameters read before another change).
   */
  private applyEncodings(override: { active?: boolean } = {}): void {
    const [audio, camera] = this.pc.getTransceivers().map((t) => t.sender);
    const encoding = { ...cameraEncoding(this.peers), active: this.videoGate.sending, ...override };
    const apply = async (sender: RTCRtpSender | undefined, changes: object) => {
      if (sender === undefined) return;
      const parameters = sender.getParameters();
      if (parameters.encodings.length === 0) return; // not negotiated yet: next time
      parameters.encodings = parameters.encodings.map((e) => ({ ...e, ...changes }));
      await sender.setParameters(parameters);
    };
    // Each step on its own: a refused audio change must not keep the camera's from applying.
    this.encodingQueue = this.encodingQueue
      .then(() => apply(audio, { priority: "high", networkPriority: "high" }))
      .catch(() => undefined)
      .then(() => apply(camera, encoding))
      .catch(() => undefined);
  }

  /**
   * Look for a path again: ICE restart, which makes a new offer (an offer that was never
   * answered is rolled back first, so a lost offer or answer is sent again).
   */
  private restartIce(): void {
    if (this.pc.signalingState === "closed") return;
    this.setState(this.everConnected ? "reconnecting" : "connecting");
    this.restarts += 1;
    this.lastBytesAt = performance.now();
    this.armConnectTimer();
    if (this.pc.signalingState === "have-local-offer" && !this.makingOffer) {
      this.queue = this.queue
        .then(async () => {
          // An answer handled meanwhile leaves nothing to roll back: restart all the same.
          if (this.pc.signalingState === "have-local-offer") {
            await this.pc.setLocalDescription({ type: "rollback" });
          }
        })
        .catch(() => undefined)
        .then(() => this.pc.restartIce());
      return;
    }
    this.pc.restartIce();
  }

  /**
   * Media stopped arriving: the impolite side restarts ICE at once; the polite side waits for
   * its offer (and restarts itself if none comes), so the two do not offer at the same time.
   */
  private stalled(): void {
    if (this.options.initiator) {
      this.restartIce();
      return;
    }
    this.setState("reconnecting");
    this.lastBytesAt = performance.now();
    this.armConnectTimer();
  }

  /** Not connected in time: say why, and negotiate again, each time waiting twice as long. */
  private armConnectTimer(): void {
    clearTimeout(this.connectTimer);
    // The polite side waits twice as long: the impolite one restarts first, without glare.
    const rapid = this.options.initiator ? RAPID_RESTART_MS : 2 * RAPID_RESTART_MS;
    const wait = !this.everConnected
      ? this.connectTimeoutMs
      : this.restarts < RAPID_RESTARTS
        ? rapid
        : Math.min(RESTART_MAX_MS, rapid * 2 ** (this.restarts - RAPID_RESTARTS + 1));
    this.connectTimer = setTimeout(() => {
      if (this.peerState === "connected" || this.pc.signalingState === "closed") return;
      if (!this.everConnected || this.restarts >= RESTARTS_BEFORE_PROBLEM) {
        const relayOnly = this.options.iceTransportPolicy === "relay";
        this.emit(
          "problem",
          this.pc.remoteDescription === null
            ? WAITING_FOR_PEER
            : failureReason(this.counters, relayOnly),
        );
      }
      if (!this.everConnected) {
        this.connectTimeoutMs = Math.min(RESTART_MAX_MS, this.connectTimeoutMs * 2);
      }
      this.restartIce();
    }, wait);
  }

  /**
   * Read the statistics: quality and a frozen picture while connected; a dead path restarts ICE,
   * and media arriving again after a restart the connection lived through means connected.
   */
  private async sample(): Promise<void> {
    const report = await this.pc.getStats();
    this.noteArrivals(report);
    const counters = readCounters(report);
    const previous = this.counters;
    this.counters = counters;
    if (previous === null || this.pc.connectionState !== "connected") return;
    const now = performance.now();
    const arriving = counters.bytesReceived > previous.bytesReceived;
    if (arriving) this.lastBytesAt = now;
    if (counters.framesDecoded > previous.framesDecoded) this.lastFrameAt = now;
    if (this.peerState !== "connected") {
      if (!arriving) return;
      this.connected();
    }
    const frozen = this.expecting.video && now - this.lastFrameAt >= FROZEN_MS;
    this.recent.push(counters);
    if (this.recent.length > QUALITY_READS) this.recent.shift();
    this.emit("health", { ...assessQuality(this.recent[0] ?? previous, counters), frozen });
    if (this.videoGate.update(counters.availableOutgoingBitrate, now)) {
      this.applyEncodings();
      this.emit("video-sending", this.videoGate.sending);
    }
    if (this.expecting.media && now - this.lastBytesAt >= STALL_MS) this.stalled();
  }

  private noteArrivals(report: RTCStatsReport): void {
    const slots = new Map(
      this.pc.getTransceivers().map((t, index) => [t.receiver.track.id, SLOTS[index]]),
    );
    let arrived = NOTHING_ARRIVED;
    report.forEach((stat: InboundStat) => {
      const slot = stat.type === "inbound-rtp" ? slots.get(stat.trackIdentifier ?? "") : undefined;
      if (slot !== undefined) arrived = { ...arrived, [slot]: hasArrived(slot, stat) };
    });
    if (sameArrival(arrived, this.arrivals)) return;
    this.arrivals = arrived;
    this.emit("arrived", arrived);
  }

  private setState(state: PeerState): void {
    if (state === this.peerState) return;
    this.peerState = state;
    this.emit("state", state);
  }
}
