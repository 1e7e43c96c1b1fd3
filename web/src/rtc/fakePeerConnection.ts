/** Test double of RTCPeerConnection for the WebRTC service's unit tests. */
type Kind = "audio" | "video";

/** Just enough of RTCPeerConnection to follow the signaling states, with a log of calls. */
export class FakePeerConnection {
  config: RTCConfiguration;
  closed = false;

  constructor(config: RTCConfiguration = {}) {
    this.config = config;
  }

  getConfiguration(): RTCConfiguration {
    return this.config;
  }

  setConfiguration(config: RTCConfiguration): void {
    this.config = config;
  }

  signalingState: RTCSignalingState = "stable";
  connectionState: RTCPeerConnectionState = "new";
  localDescription: { type: RTCSdpType; sdp: string } | null = null;
  readonly log: string[] = [];
  readonly transceivers: {
    direction: RTCRtpTransceiverDirection;
    receiver: { track: { kind: Kind } };
    sender: {
      track: unknown;
      replaceTrack: (track: unknown) => Promise<void>;
      getParameters: () => { encodings: Record<string, unknown>[] };
      setParameters: (parameters: { encodings: Record<string, unknown>[] }) => Promise<void>;
      /** The encodings last set. */
      encodings: Record<string, unknown>[];
    };
  }[] = [];
  onicecandidate: unknown = null;
  onnegotiationneeded: (() => void) | null = null;
  ontrack: unknown = null;
  onconnectionstatechange: (() => void) | null = null;

  addTransceiver(
    trackOrKind: string | { kind: Kind },
    init: { direction: RTCRtpTransceiverDirection },
  ) {
    const kind = (typeof trackOrKind === "string" ? trackOrKind : trackOrKind.kind) as Kind;
    const track = typeof trackOrKind === "string" ? null : trackOrKind;
    this.addTransceiverOf(kind, init.direction, track);
  }

  private addTransceiverOf(kind: Kind, direction: RTCRtpTransceiverDirection, track: unknown) {
    const sender = {
      track,
      replaceTrack: async (next: unknown) => {
        sender.track = next;
      },
      encodings: [{}] as Record<string, unknown>[],
      getParameters: () => ({ encodings: sender.encodings.map((e) => ({ ...e })) }),
      setParameters: async (parameters: { encodings: Record<string, unknown>[] }) => {
        sender.encodings = parameters.encodings;
      },
    };
    this.transceivers.push({ direction, receiver: { track: { kind } }, sender });
  }

  getTransceivers() {
    return this.transceivers;
  }

  async setLocalDescription(description?: { type: RTCSdpType }) {
    if (description?.type === "rollback") {
      this.signalingState = "stable";
      this.log.push("rollback");
      return;
    }
    const type: RTCSdpType = this.signalingState === "have-remote-offer" ? "answer" : "offer";
    this.signalingState = type === "offer" ? "have-local-offer" : "stable";
    this.localDescription = { type, sdp: `${type} sdp` };
    this.log.push(`local:${type}`);
  }

  async setRemoteDescription(description: { type: RTCSdpType }) {
    if (description.type === "offer") {
      if (this.signalingState === "have-local-offer") this.log.push("rollback");
      this.signalingState = "have-remote-offer";
      if (this.transceivers.length === 0) {
        // What a PeerLink offers: microphone, camera, screen.
        for (const kind of ["audio", "video", "video"] as const)
          this.addTransceiverOf(kind, "recvonly", null);
      }
    } else {
      this.signalingState = "stable";
    }
    this.log.push(`remote:${description.type}`);
  }

  async addIceCandidate() {
    this.log.push("candidate");
  }

  restartIce() {
    this.log.push("restartIce");
  }

  close() {
    this.closed = true;
    this.signalingState = "closed";
  }

  /** What `getStats` answers: the test sets these statistics (each with `id` and `type`). */
  stats: { id: string; type: string; [key: string]: unknown }[] = [];

  async getStats() {
    return new Map(this.stats.map((stat) => [stat.id, stat]));
  }

  connect() {
    this.connectionState = "connected";
    this.onconnectionstatechange?.();
  }

  fail() {
    this.connectionState = "failed";
    this.onconnectionstatechange?.();
  }
}
