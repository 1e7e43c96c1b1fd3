/**
 * One RTCPeerConnection to one remote participant (a mesh has one per peer), with perfect
 * negotiation, trickled ICE, ICE restart when the connection fails, and local tracks swapped in
 * place with `replaceTrack` (camera off, device change, screen share) so no renegotiation is needed.
 * Three transceivers, in this order on both sides: the microphone, the camera and the screen (camera
 * and screen are sent together; a slot with nothing to send sends nothing).
 */
import { Emitter } from "../realtime/emitter";
import type { IceCandidate, SignalKind } from "../realtime/protocol";
import { shouldIgnore } from "./negotiation";

export type PeerState = "connecting" | "connected" | "reconnecting" | "failed" | "closed";

export interface OutgoingSignal {
  kind: SignalKind;
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

export interface PeerLinkOptions {
  /** Make the first offer and be the impolite side (the participant already in the room). */
  initiator: boolean;
  iceServers: RTCIceServer[];
  tracks: LocalTracks;
  send: (signal: OutgoingSignal) => void;
  createPeerConnection?: (config: RTCConfiguration) => RTCPeerConnection;
}

/** A connection "disconnected" this long gets an ICE restart (a "failed" one gets it at once). */
const DISCONNECTED_GRACE_MS = 3000;
/** The transceivers' order, the same on both sides (the first offer creates them). */
const SLOTS: readonly Slot[] = ["audio", "video", "screen"];
const KIND_OF: Record<Slot, "audio" | "video"> = {
  audio: "audio",
  video: "video",
  screen: "video",
};

export class PeerLink extends Emitter<{ streams: [RemoteStreams]; state: [PeerState] }> {
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

  constructor(options: PeerLinkOptions) {
    super();
    this.options = options;
    this.tracks = options.tracks;
    this.mayOffer = options.initiator;
    const create = options.createPeerConnection ?? ((config) => new RTCPeerConnection(config));
    this.pc = create({ iceServers: options.iceServers });
    this.pc.onicecandidate = ({ candidate }) =>
      options.send({
        kind: "candidate",
        candidate: candidate ? (candidate.toJSON() as IceCandidate) : null,
      });
    this.pc.onnegotiationneeded = () => void this.offer();
    this.pc.ontrack = () => this.emit("streams", this.remoteStreams());
    this.pc.onconnectionstatechange = () => this.connectionChanged();
    if (options.initiator) {
      for (const slot of SLOTS) {
        this.pc.addTransceiver(this.tracks[slot] ?? KIND_OF[slot], { direction: "sendrecv" });
      }
      this.tracksAttached = true;
    }
  }

  get state(): PeerState {
    return this.peerState;
  }

  /** Apply a signal from the remote peer; signals are handled one at a time, in order. */
  receive(kind: SignalKind, sdp?: string | null, candidate?: IceCandidate | null): Promise<void> {
    this.queue = this.queue.then(() => this.handle(kind, sdp, candidate)).catch(() => undefined);
    return this.queue;
  }

  /** Send another track in this slot (null: send nothing) without renegotiating. */
  async replaceTrack(slot: Slot, track: MediaStreamTrack | null): Promise<void> {
    this.tracks = { ...this.tracks, [slot]: track };
    const sender = this.pc.getTransceivers()[SLOTS.indexOf(slot)]?.sender;
    if (sender) await sender.replaceTrack(track);
  }

  close(): void {
    clearTimeout(this.restartTimer);
    this.pc.close();
    this.setState("closed");
  }

  private async offer(): Promise<void> {
    if (!this.mayOffer || this.pc.signalingState === "closed") return;
    try {
      this.makingOffer = true;
      await this.pc.setLocalDescription();
      const sdp = this.pc.localDescription?.sdp;
      if (sdp) this.options.send({ kind: "offer", sdp });
    } finally {
      this.makingOffer = false;
    }
  }

  private async handle(
    kind: SignalKind,
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
    if (answer) this.options.send({ kind: "answer", sdp: answer });
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
        this.setState("connected");
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

  private restartIce(): void {
    if (this.pc.signalingState === "closed") return;
    this.setState("reconnecting");
    this.pc.restartIce();
  }

  private setState(state: PeerState): void {
    if (state === this.peerState) return;
    this.peerState = state;
    this.emit("state", state);
  }
}
