/**
 * One source this participant publishes to the SFU, on its own sendonly peer connection: the
 * camera (the microphone, and the camera in three simulcast layers; published even with both
 * off, its tracks swapped in place later) or the screen (one layer). The offer goes to the
 * server as `sfu-publish`, the SFU's `sfu-answer` comes back; candidates trickle once it has.
 * A refusal that passes is tried again, backing off; when ICE fails or stays down, the source
 * is published again with an ICE restart (a new offer for a published source replaces it).
 */
import type { IceCandidate, SfuPeer, SfuSource } from "../realtime/protocol";
import { RequestError } from "../realtime/SignalClient";
import type { PeerState } from "./PeerLink";
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
  onState: (state: PeerState) => void;
}

/** Refusals after which publishing again cannot help (the room left the SFU: `media-path` follows). */
const FINAL_CODES: ReadonlySet<string> = new Set(["not_sfu", "not_in_room", "forbidden"]);
/** A failed publish is tried again after this long, doubling up to the max. */
const RETRY_MS = 500;
const RETRY_MAX_MS = 8000;

export class SfuPublication {
  readonly source: SfuSource;
  private readonly pc: RTCPeerConnection;
  private readonly options: PublicationOptions;
  private readonly trickle: CandidateTrickle;
  private readonly watch: ConnectionWatch;
  private readonly audio: RTCRtpTransceiver | null;
  private readonly video: RTCRtpTransceiver;
  /** A negotiation runs; another asked meanwhile waits for it. */
  private negotiating = false;
  private again: { iceRestart: boolean } | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private retries = 0;
  private closed = false;

  constructor(options: PublicationOptions) {
    this.options = options;
    this.source = options.source;
    this.pc = options.createPeerConnection();
    this.trickle = new CandidateTrickle(options.source, options.candidate);
    this.pc.onicecandidate = ({ candidate }) => this.trickle.add(candidate);
    this.watch = new ConnectionWatch(
      this.pc,
      () => this.negotiate({ iceRestart: true }),
      options.onState,
    );
    const { audio = null, video } = options.tracks;
    this.audio =
      options.source === "camera"
        ? this.pc.addTransceiver(audio ?? "audio", { direction: "sendonly" })
        : null;
    this.video = this.pc.addTransceiver(video ?? "video", {
      direction: "sendonly",
      ...(options.source === "camera"
        ? { sendEncodings: CAMERA_LAYERS.map((l) => ({ ...l })) }
        : {}),
    });
    this.negotiate({ iceRestart: false });
  }

  get state(): PeerState {
    return this.watch.state;
  }

  /** Send these tracks instead, without negotiating (null: send nothing). */
  async replaceTracks(tracks: SourceTracks): Promise<void> {
    const pending: Promise<void>[] = [];
    if (this.audio && tracks.audio !== undefined && this.audio.sender.track !== tracks.audio) {
      pending.push(this.audio.sender.replaceTrack(tracks.audio));
    }
    if (this.video.sender.track !== tracks.video) {
      pending.push(this.video.sender.replaceTrack(tracks.video));
    }
    await Promise.all(pending);
  }

  /** The network changed: look for a path at once. */
  restartIce(): void {
    this.negotiate({ iceRestart: true });
  }

  setIceServers(iceServers: RTCIceServer[]): void {
    this.pc.setConfiguration({ ...this.pc.getConfiguration(), iceServers });
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.watch.close();
    this.pc.close();
  }

  /** Offer, and apply the SFU's answer; one negotiation at a time, the last asked for runs next. */
  private negotiate(next: { iceRestart: boolean }): void {
    if (this.closed) return;
    if (this.negotiating) {
      this.again = { iceRestart: next.iceRestart || (this.again?.iceRestart ?? false) };
      return;
    }
    clearTimeout(this.retryTimer);
    this.negotiating = true;
    void this.exchange(next.iceRestart).finally(() => {
      this.negotiating = false;
      const again = this.again;
      this.again = null;
      if (again) this.negotiate(again);
    });
  }

  private async exchange(iceRestart: boolean): Promise<void> {
    try {
      this.trickle.hold();
      if (this.pc.signalingState === "have-local-offer") {
        await this.pc.setLocalDescription({ type: "rollback" });
      }
      if (iceRestart) this.pc.restartIce();
      await this.pc.setLocalDescription();
      const offer = this.pc.localDescription?.sdp;
      if (offer === undefined || this.closed) return;
      const answer = await this.options.publish(this.source, offer);
      if (this.closed) return;
      // The browser's encoder uses Opus DTX when the answer asks for it (silence costs little).
      await this.pc.setRemoteDescription({ type: "answer", sdp: withOpusDtx(answer) });
      this.retries = 0;
      if (this.audio) void this.setHighPriority(this.audio.sender);
      this.trickle.open();
      this.watch.armed();
    } catch (error) {
      if (this.closed) return;
      if (error instanceof RequestError && FINAL_CODES.has(error.code)) return;
      const wait =
        error instanceof RequestError && error.retryAfter !== undefined
          ? error.retryAfter * 1000
          : Math.min(RETRY_MAX_MS, RETRY_MS * 2 ** this.retries);
      this.retries += 1;
      this.retryTimer = setTimeout(() => this.negotiate({ iceRestart: false }), wait);
    }
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
