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
    sender: { track: unknown; replaceTrack: (track: unknown) => Promise<void> };
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
    };
    this.transceivers.push({ direction, receiver: { track: { kind } }, sender });
  }

  getTransceivers() {
    return this.transceivers;
  }

  async setLocalDescription() {
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

  fail() {
    this.connectionState = "failed";
    this.onconnectionstatechange?.();
  }

  /** ICE and DTLS are through: media flows. */
  connect() {
    this.connectionState = "connected";
    this.onconnectionstatechange?.();
  }
}
