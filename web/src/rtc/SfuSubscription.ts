/**
 * Everyone else's publications, received from the SFU on one recvonly peer connection. The server
 * offers it (`sfu-offer`) and offers it again whenever someone publishes or withdraws; each offer
 * is answered with `sfu-subscribed` of the same version (an older one still queued is skipped).
 * The offer's `streams` say whose camera (microphone and camera) or screen each `mid` carries:
 * each participant gets a camera stream and a screen stream, new objects only when their tracks
 * change. The statistics, read every half second, give the link's quality and, per participant,
 * whether their picture stands still, and what of their media has come through (a switch to the
 * SFU keeps the mesh until it has). When the connection fails or stays down (`ConnectionWatch`)
 * it is given up with `sfu-resubscribe` (the browser, the answering side, cannot restart ICE), and
 * again, backing off, while it does not come back; the server's `fresh` offer is answered from a
 * new connection.
 */
import { Emitter } from "../realtime/emitter";
import { RequestError } from "../realtime/SignalClient";
import type {
  IceCandidate,
  SfuOffer,
  SfuPeer,
  SfuSource,
  SubscribedStream,
} from "../realtime/protocol";
import { hasArrived, NOTHING_ARRIVED, sameArrival } from "./arrival";
import type { ArrivedMedia, InboundStat } from "./arrival";
import { assessQuality, readCounters } from "./linkStats";
import type { LinkCounters } from "./linkStats";
import type { LinkHealth, PeerState } from "./PeerLink";
import { CandidateTrickle, ConnectionWatch } from "./sfuConnection";

/** What one participant sends through the SFU, as streams to show. */
export interface SubscribedMedia {
  camera: MediaStream | null;
  screen: MediaStream | null;
}

export interface SubscriptionOptions {
  createPeerConnection: () => RTCPeerConnection;
  /** Send the answer (`sfu-subscribed`). */
  answer: (version: number, sdp: string) => Promise<unknown>;
  /** Give up the connection that answered this version (`sfu-resubscribe`). */
  resubscribe: (version: number) => Promise<unknown>;
  candidate: (pc: SfuPeer, candidate: IceCandidate | null) => void;
}

/** The statistics are read this often… */
const SAMPLE_MS = 500;
/** …and the quality judged over this many reads (2 s). */
const QUALITY_READS = 4;
/** Their camera on and no frame decoded this long: the picture is frozen. */
const FROZEN_MS = 1500;
/** An answer refused for a passing reason goes again after this long (if still the latest). */
const ANSWER_RETRY_MS = 1000;

export class SfuSubscription extends Emitter<{
  /** Each participant's streams, everyone subscribed (someone missing sends nothing). */
  streams: [ReadonlyMap<string, SubscribedMedia>];
  state: [PeerState];
  /** The link's quality (the same for everyone: it is the path to the SFU), frozen per participant. */
  health: [ReadonlyMap<string, LinkHealth>];
  /** What of each participant's media has come through, when that changes. */
  arrived: [ReadonlyMap<string, ArrivedMedia>];
}> {
  private pc: RTCPeerConnection;
  private readonly options: SubscriptionOptions;
  private trickle: CandidateTrickle;
  /** Whether the connection took an offer: a fresh offer then needs a new one. */
  private used = false;
  private readonly watch: ConnectionWatch;
  private queue: Promise<void> = Promise.resolve();
  /** The newest version offered, and the last one answered. */
  private latest = -1;
  private answered = -1;
  private streams = new Map<string, SubscribedMedia>();
  /** What each mid, and each received track's id, carries. */
  private byMid = new Map<string, SubscribedStream>();
  private byTrack = new Map<string, SubscribedStream>();
  private arrived = new Map<string, ArrivedMedia>();
  private readonly sampler: ReturnType<typeof setInterval>;
  private counters: LinkCounters | null = null;
  private readonly recent: LinkCounters[] = [];
  private readonly frames = new Map<string, { decoded: number; at: number }>();
  private readonly expectingVideo = new Set<string>();
  private closed = false;

  constructor(options: SubscriptionOptions) {
    super();
    this.options = options;
    this.pc = options.createPeerConnection();
    this.trickle = this.trickleOf(this.pc);
    this.watch = new ConnectionWatch(this.pc, {
      onState: (state) => this.emit("state", state),
      recover: () => void this.resubscribe(),
    });
    this.sampler = setInterval(() => void this.sample().catch(() => undefined), SAMPLE_MS);
  }

  get state(): PeerState {
    return this.watch.state;
  }

  /** The server's offer: answered in turn; one a newer offer has replaced is skipped. */
  receive(offer: SfuOffer): Promise<void> {
    this.latest = Math.max(this.latest, offer.version);
    this.queue = this.queue.then(() => this.handle(offer)).catch(() => undefined);
    return this.queue;
  }

  /** Whether each participant's camera is on (its picture should move). */
  expectVideo(participantId: string, video: boolean): void {
    if (video) this.expectingVideo.add(participantId);
    else this.expectingVideo.delete(participantId);
    this.frames.delete(participantId);
  }

  setIceServers(iceServers: RTCIceServer[]): void {
    this.pc.setConfiguration({ ...this.pc.getConfiguration(), iceServers });
  }

  close(): void {
    this.closed = true;
    clearInterval(this.sampler);
    this.watch.close();
    this.pc.close();
  }

  private trickleOf(pc: RTCPeerConnection): CandidateTrickle {
    const trickle = new CandidateTrickle("subscriber", this.options.candidate);
    pc.onicecandidate = ({ candidate }) => trickle.add(candidate);
    return trickle;
  }

  /**
   * The server gives the connection up and offers a fresh one. Refused as `stale_offer`, a newer
   * offer is on its way; as `not_sfu` or `stale_media_path`, a `media-path`; other refusals
   * leave it to the watch's next try.
   */
  private async resubscribe(): Promise<void> {
    if (this.closed || this.answered < 0) return;
    await this.options.resubscribe(this.latest).catch(() => undefined);
  }

  /** A new connection for the server's fresh offer, in place of the one given up. */
  private renew(): void {
    this.pc.close();
    this.pc = this.options.createPeerConnection();
    this.trickle = this.trickleOf(this.pc);
    this.watch.follow(this.pc);
    this.counters = null;
    this.recent.length = 0;
    this.frames.clear();
    this.arrived = new Map();
  }

  private async handle(offer: SfuOffer): Promise<void> {
    if (this.closed || offer.version < this.latest || offer.version <= this.answered) return;
    if (offer.fresh === true && this.used) this.renew();
    this.used = true;
    this.trickle.hold(); // an ICE restart's candidates wait until the server has the answer
    await this.pc.setRemoteDescription({ type: "offer", sdp: offer.sdp });
    await this.pc.setLocalDescription();
    const sdp = this.pc.localDescription?.sdp;
    if (sdp === undefined || this.closed) return;
    this.answered = offer.version;
    this.mapStreams(offer);
    await this.sendAnswer(offer.version, sdp);
  }

  private async sendAnswer(version: number, sdp: string): Promise<void> {
    try {
      await this.options.answer(version, sdp);
    } catch (error) {
      // `stale_offer`: a newer offer is on its way, and answers for itself.
      const stale = error instanceof RequestError && error.code === "stale_offer";
      if (stale || this.closed) return;
      setTimeout(() => {
        if (!this.closed && version === this.latest) void this.sendAnswer(version, sdp);
      }, ANSWER_RETRY_MS);
      return;
    }
    if (this.closed) return;
    this.trickle.open();
    if (this.pc.getTransceivers().length > 0) this.watch.armed(); // nothing to receive: no ICE
  }

  /** Each participant's tracks, from the mids the offer names; a stream anew only if they changed. */
  private mapStreams({ streams }: SfuOffer): void {
    const byMid = new Map(this.pc.getTransceivers().map((t) => [t.mid, t.receiver.track]));
    const tracks = new Map<string, Record<SfuSource, MediaStreamTrack[]>>();
    this.byMid = new Map();
    this.byTrack = new Map();
    for (const stream of streams) {
      const track = byMid.get(stream.mid);
      if (track === undefined) continue;
      const own = tracks.get(stream.participant_id) ?? { camera: [], screen: [] };
      own[stream.source].push(track);
      tracks.set(stream.participant_id, own);
      this.byMid.set(stream.mid, stream);
      this.byTrack.set(track.id, stream);
    }
    const next = new Map<string, SubscribedMedia>();
    for (const [id, { camera, screen }] of tracks) {
      const before = this.streams.get(id);
      next.set(id, {
        camera: reuse(before?.camera ?? null, camera),
        screen: reuse(before?.screen ?? null, screen),
      });
    }
    this.streams = next;
    this.emit("streams", next);
  }

  /** The link's quality, and per participant whether their picture is frozen. */
  private async sample(): Promise<void> {
    const pc = this.pc;
    const report = await pc.getStats();
    if (pc !== this.pc) return; // renewed meanwhile: its counters start anew
    const counters = readCounters(report);
    const previous = this.counters;
    this.counters = counters;
    if (previous === null || this.pc.connectionState !== "connected" || this.closed) return;
    this.recent.push(counters);
    if (this.recent.length > QUALITY_READS) this.recent.shift();
    const quality = assessQuality(this.recent[0] ?? previous, counters);
    const now = performance.now();
    const decoded = new Map<string, number>();
    const arrived = new Map<string, ArrivedMedia>();
    report.forEach((stat: InboundStat) => {
      if (stat.type !== "inbound-rtp") return;
      const stream = this.byMid.get(stat.mid ?? "") ?? this.byTrack.get(stat.trackIdentifier ?? "");
      if (stream === undefined) return;
      const id = stream.participant_id;
      const slot =
        stream.kind === "audio" ? "audio" : stream.source === "camera" ? "video" : "screen";
      arrived.set(id, { ...(arrived.get(id) ?? NOTHING_ARRIVED), [slot]: hasArrived(slot, stat) });
      if (slot === "video") decoded.set(id, stat.framesDecoded ?? 0);
    });
    if (!sameArrivals(this.arrived, arrived)) {
      this.arrived = arrived;
      this.emit("arrived", arrived);
    }
    const health = new Map<string, LinkHealth>();
    for (const id of this.streams.keys()) {
      const frames = decoded.get(id);
      const last = this.frames.get(id);
      if (frames !== undefined && (last === undefined || frames > last.decoded)) {
        this.frames.set(id, { decoded: frames, at: now });
      }
      // No statistics of their video yet: nothing says it is frozen.
      const since = this.frames.get(id)?.at ?? now;
      health.set(id, {
        ...quality,
        frozen: this.expectingVideo.has(id) && now - since >= FROZEN_MS,
      });
    }
    this.emit("health", health);
  }
}

function sameArrivals(
  before: ReadonlyMap<string, ArrivedMedia>,
  after: ReadonlyMap<string, ArrivedMedia>,
): boolean {
  return (
    before.size === after.size && [...after].every(([id, m]) => sameArrival(before.get(id), m))
  );
}

/** The same stream while its tracks are the same (a video element keeps playing it). */
function reuse(stream: MediaStream | null, tracks: MediaStreamTrack[]): MediaStream | null {
  if (tracks.length === 0) return null;
  const current = stream?.getTracks() ?? [];
  const same = current.length === tracks.length && tracks.every((t) => current.includes(t));
  return same && stream ? stream : new MediaStream(tracks);
}
