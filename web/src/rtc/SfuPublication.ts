/**
 * One source this participant publishes to the SFU, on its own sendonly peer connection: the
 * camera (the microphone, and the camera in three simulcast layers; published even with both
 * off, its tracks swapped in place later) or the screen (one layer). The offer goes to the
 * server as `sfu-publish`, the SFU's `sfu-answer` comes back; candidates trickle once it has.
 * A refusal that passes is tried again, backing off. When the connection fails or stays down
 * (`ConnectionWatch`), the source is published again: first with an ICE restart, then, while it
 * does not come back, from a new connection with the same tracks (the server takes an offer from
 * another connection, another DTLS fingerprint, as a new publication in place of the old). A
 * connection that is closed, or whose DTLS session ended, cannot be restarted: it is replaced at
 * once.
 */
import type { IceCandidate, SfuPeer, SfuSource } from "../realtime/protocol";
import { BackoffWithJitter } from "../realtime/ReconnectPolicy";
import { RequestError } from "../realtime/SignalClient";
import { CandidateTrickle, ConnectionWatch } from "./sfuConnection";
import { CAMERA_LAYERS } from "./simulcastLayers";
import { withOpusDtx } from "./sendPolicy";

/** Which of this participant's tracks a source sends: the camera's two, or the screen. */
export interface SourceTracks {
  audio?: MediaStreamTrack | null;
  video: MediaStreamTrack | null;
}

export interface PublicationOptions {
  source: SfuSource;
  tracks: SourceTracks;
  createPeerConnection: () => RTCPeerConnection;
  /** Send the offer (`sfu-publish`); resolves with the SFU's answer. */
  publish: (source: SfuSource, sdp: string) => Promise<string>;
  candidate: (pc: SfuPeer, candidate: IceCandidate | null) => void;
}

/** One connection to the SFU and what it sends. */
interface Connection {
  pc: RTCPeerConnection;
  trickle: CandidateTrickle;
  audio: RTCRtpTransceiver | null;
  video: RTCRtpTransceiver;
}

/** What a negotiation does, from the least to the most: offer, restart ICE, or a new connection. */
type Negotiation = "offer" | "iceRestart" | "newConnection";
const WEIGHT: Readonly<Record<Negotiation, number>> = { offer: 0, iceRestart: 1, newConnection: 2 };

/** Refusals after which publishing again cannot help (the room left the SFU: `media-path` follows). */
const FINAL_CODES: ReadonlySet<string> = new Set(["not_sfu", "not_in_room", "forbidden"]);

export class SfuPublication {
  readonly source: SfuSource;
  private readonly options: PublicationOptions;
  private connection: Connection;
  private readonly watch: ConnectionWatch;
  /** A negotiation runs; another asked meanwhile waits for it. */
  private negotiating = false;
  private again: Negotiation | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private retries = 0;
  private readonly backoff = new BackoffWithJitter();
  private closed = false;

  constructor(options: PublicationOptions) {
    this.options = options;
    this.source = options.source;
    this.connection = this.connect(options.tracks);
    this.watch = new ConnectionWatch(this.connection.pc, {
      recover: (attempt) => this.negotiate(attempt === 0 ? "iceRestart" : "newConnection"),
    });
    this.negotiate("offer");
  }

  /** Send these tracks instead, without negotiating (null: send nothing). */
  async replaceTracks(tracks: SourceTracks): Promise<void> {
    const pending: Promise<void>[] = [];
    const { audio, video } = this.connection;
    if (audio && tracks.audio !== undefined && audio.sender.track !== tracks.audio) {
      pending.push(audio.sender.replaceTrack(tracks.audio));
    }
    if (video.sender.track !== tracks.video) {
      pending.push(video.sender.replaceTrack(tracks.video));
    }
    await Promise.all(pending);
  }

  /** The network changed: look for a path at once. */
  restartIce(): void {
    this.negotiate("iceRestart");
  }

  setIceServers(iceServers: RTCIceServer[]): void {
    const { pc } = this.connection;
    pc.setConfiguration({ ...pc.getConfiguration(), iceServers });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.watch.close();
    this.connection.pc.close();
  }

  /** A sendonly connection with the source's transceivers, sending these tracks. */
  private connect({ audio = null, video }: SourceTracks): Connection {
    const pc = this.options.createPeerConnection();
    const trickle = new CandidateTrickle(this.source, this.options.candidate);
    pc.onicecandidate = ({ candidate }) => trickle.add(candidate);
    const camera = this.source === "camera";
    return {
      pc,
      trickle,
      audio: camera ? pc.addTransceiver(audio ?? "audio", { direction: "sendonly" }) : null,
      video: pc.addTransceiver(video ?? "video", {
        direction: "sendonly",
        ...(camera ? { sendEncodings: CAMERA_LAYERS.map((l) => ({ ...l })) } : {}),
      }),
    };
  }

  /** A new connection in place of the failed one, sending what it sent. */
  private reconnect(): void {
    const { pc, audio, video } = this.connection;
    pc.close();
    this.connection = this.connect({
      audio: audio?.sender.track ?? null,
      video: video.sender.track,
    });
    this.watch.follow(this.connection.pc);
  }

  /**
   * Offer, and apply the SFU's answer; one negotiation at a time, and one asked for meanwhile
   * runs next (the most thorough of those asked for).
   */
  private negotiate(next: Negotiation): void {
    if (this.closed) return;
    if (this.negotiating) {
      if (this.again === null || WEIGHT[next] > WEIGHT[this.again]) this.again = next;
      return;
    }
    clearTimeout(this.retryTimer);
    this.negotiating = true;
    void this.exchange(next).finally(() => {
      this.negotiating = false;
      const again = this.again;
      this.again = null;
      if (again) this.negotiate(again);
    });
  }

  private async exchange(asked: Negotiation): Promise<void> {
    // A connection that can take no offer any more is replaced, whatever was asked.
    const kind = this.negotiable() ? asked : "newConnection";
    try {
      if (kind === "newConnection") this.reconnect();
      const { pc, trickle, audio } = this.connection;
      trickle.hold();
      if (pc.signalingState === "have-local-offer") {
        await pc.setLocalDescription({ type: "rollback" });
      }
      if (kind === "iceRestart") pc.restartIce();
      await pc.setLocalDescription();
      const offer = pc.localDescription?.sdp;
      if (offer === undefined || this.closed) return;
      const answer = await this.options.publish(this.source, offer);
      if (this.closed) return;
      // The browser's encoder uses Opus DTX when the answer asks for it (silence costs little).
      await pc.setRemoteDescription({ type: "answer", sdp: withOpusDtx(answer) });
      this.retries = 0;
      if (audio) void this.setHighPriority(audio.sender);
      trickle.open();
      this.watch.armed();
    } catch (error) {
      if (this.closed) return;
      if (error instanceof RequestError && FINAL_CODES.has(error.code)) return;
      const wait =
        error instanceof RequestError && error.retryAfter !== undefined
          ? error.retryAfter * 1000
          : this.backoff.delayBefore(this.retries + 1); // the first try went at once
      this.retries += 1;
      this.retryTimer = setTimeout(() => this.negotiate("offer"), wait);
    }
  }

  /**
   * Whether the connection can still take a new offer: not once closed, nor once its DTLS session
   * closed or failed (an ICE restart keeps the DTLS session: only a new connection brings it back).
   */
  private negotiable(): boolean {
    const { pc, video } = this.connection;
    const dtls = video.sender.transport?.state;
    return pc.signalingState !== "closed" && dtls !== "closed" && dtls !== "failed";
  }

  /** The microphone goes first in line when the uplink is short. */
  private async setHighPriority(sender: RTCRtpSender): Promise<void> {
    try {
      const parameters = sender.getParameters();
      if (parameters.encodings.length === 0) return;
      parameters.encodings = parameters.encodings.map((e) => ({
        ...e,
        priority: "high",
        networkPriority: "high",
      }));
      await sender.setParameters(parameters);
    } catch {
      // Not supported here: the default priority does.
    }
  }
}
