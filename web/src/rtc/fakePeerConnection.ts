/** Test double of RTCPeerConnection for the WebRTC service's unit tests. */
type Kind = "audio" | "video";

let trackIds = 0;

/** The media sections of an SDP: each `m=` line's kind and its `a=mid`. */
function sections(sdp: string): { kind: Kind; mid: string }[] {
  return sdp
    .split(/^(?=m=)/m)
    .slice(1)
    .flatMap((section) => {
      const kind = /^m=(audio|video)/.exec(section)?.[1] as Kind | undefined;
      const mid = /^a=mid:(\S+)/m.exec(section)?.[1];
      return kind && mid ? [{ kind, mid }] : [];
    });
}

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
    mid: string | null;
    direction: RTCRtpTransceiverDirection;
    /** What `addTransceiver` was given (the simulcast encodings, say). */
    init: RTCRtpTransceiverInit;
    receiver: { track: { kind: Kind; id: string } };
    sender: {
      track: unknown;
      replaceTrack: (track: unknown) => Promise<void>;
      getParameters: () => { encodings: Record<string, unknown>[] };
      setParameters: (parameters: { encodings: Record<string, unknown>[] }) => Promise<void>;
      /** The encodings last set. */
      encodings: Record<string, unknown>[];
      /** Its DTLS transport, once the test gives it one. */
      transport: { state: RTCDtlsTransportState } | null;
    };
  }[] = [];
  onicecandidate: unknown = null;
  onnegotiationneeded: (() => void) | null = null;
  ontrack: unknown = null;
  onconnectionstatechange: (() => void) | null = null;

  addTransceiver(trackOrKind: string | { kind: Kind }, init: RTCRtpTransceiverInit) {
    const kind = (typeof trackOrKind === "string" ? trackOrKind : trackOrKind.kind) as Kind;
    const track = typeof trackOrKind === "string" ? null : trackOrKind;
    return this.addTransceiverOf(kind, init.direction ?? "sendrecv", track, null, init);
  }

  private addTransceiverOf(
    kind: Kind,
    direction: RTCRtpTransceiverDirection,
    track: unknown,
    mid: string | null = null,
    init: RTCRtpTransceiverInit = { direction },
  ) {
    const sender = {
      track,
      replaceTrack: async (next: unknown) => {
        sender.track = next;
      },
      encodings: [{}] as Record<string, unknown>[],
      transport: null as { state: RTCDtlsTransportState } | null,
      getParameters: () => ({ encodings: sender.encodings.map((e) => ({ ...e })) }),
      setParameters: async (parameters: { encodings: Record<string, unknown>[] }) => {
        sender.encodings = parameters.encodings;
      },
    };
    const received = { kind, id: `track-${++trackIds}` };
    const transceiver = { mid, direction, init, receiver: { track: received }, sender };
    this.transceivers.push(transceiver);
    return transceiver;
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

  async setRemoteDescription(description: { type: RTCSdpType; sdp?: string }) {
    if (description.type === "offer") {
      if (this.signalingState === "have-local-offer") this.log.push("rollback");
      this.signalingState = "have-remote-offer";
      const offered = sections(description.sdp ?? "");
      if (offered.length > 0) {
        // An SFU's offer: a receiving transceiver for each media section not seen before.
        for (const { kind, mid } of offered) {
          if (!this.transceivers.some((t) => t.mid === mid))
            this.addTransceiverOf(kind, "recvonly", null, mid);
        }
      } else if (this.transceivers.length === 0) {
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

  disconnect() {
    this.connectionState = "disconnected";
    this.onconnectionstatechange?.();
  }

  fail() {
    this.connectionState = "failed";
    this.onconnectionstatechange?.();
  }
}
