/**
 * The call, as a library with typed events and no UI (LiveKit's `Room` plays this part):
 * the roster from the WebSocket service, one PeerLink per remote participant, the local media
 * sent on every link, media state announced to the room, and everything released on leave.
 */
import { Emitter } from "../realtime/emitter";
import type {
  Joined,
  MediaState,
  Participant,
  RoomInfo,
  ServerMessage,
} from "../realtime/protocol";
import { TRANSIENT_ERROR_CODES } from "../realtime/protocol";
import { RequestError } from "../realtime/SignalClient";
import type { ConnectionState, SignalClient } from "../realtime/SignalClient";
import { AudioLevels } from "./AudioLevels";
import type { LocalMedia } from "./LocalMedia";
import { PeerLink } from "./PeerLink";
import type { PeerState } from "./PeerLink";

export interface RemoteParticipant {
  participant: Participant;
  stream: MediaStream | null;
  peerState: PeerState;
}

export type CallPhase = "idle" | "joining" | "in-call" | "ended";

export interface CallSnapshot {
  phase: CallPhase;
  connection: ConnectionState;
  /** Why the call ended, or why joining failed. */
  reason: string | null;
  room: RoomInfo | null;
  self: Participant | null;
  remotes: readonly RemoteParticipant[];
  /** Participant ids whose audio is above the speaking level. */
  speaking: readonly string[];
}

/** ICE servers for the peer connections, and how long their TURN credentials stay valid. */
export type IceServerSource = () => Promise<{ iceServers: RTCIceServer[]; ttlSeconds: number }>;

/** Fetch fresh TURN credentials when this share of their lifetime has passed. */
const ICE_RENEWAL_SHARE = 0.8;
/** After a failed renewal, try again this soon. */
const ICE_RETRY_MS = 30_000;
/** After a media announcement refused for a passing reason, announce again this soon. */
const MEDIA_RETRY_MS = 3000;

/** A media state as a comparable key. */
function mediaKey(media: MediaState): string {
  return `${media.audio}/${media.video}/${media.screen}`;
}

export class Call extends Emitter<{ change: [] }> {
  private readonly signal: SignalClient;
  private readonly media: LocalMedia;
  private readonly iceServerSource: IceServerSource;
  private iceServers: RTCIceServer[] = [];
  private iceRenewalTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly links = new Map<string, PeerLink>();
  private remotes = new Map<string, RemoteParticipant>();
  private levels: AudioLevels | null = null;
  /** The media state the room has acknowledged, and the one being announced now. */
  private sentMedia = "";
  private announcing: string | null = null;
  private mediaRetryTimer: ReturnType<typeof setTimeout> | undefined;
  private sentTracks: { audio: MediaStreamTrack | null; video: MediaStreamTrack | null } = {
    audio: null,
    video: null,
  };
  private current: CallSnapshot;
  private readonly unsubscribe: (() => void)[];

  constructor(signal: SignalClient, media: LocalMedia, iceServers: IceServerSource) {
    super();
    this.signal = signal;
    this.media = media;
    this.iceServerSource = iceServers;
    this.current = {
      phase: "idle",
      connection: signal.state,
      reason: null,
      room: null,
      self: null,
      remotes: [],
      speaking: [],
    };
    this.unsubscribe = [
      signal.on("state", (connection) => this.publish({ connection })),
      signal.on("joined", (joined) => this.joined(joined)),
      signal.on("event", (event) => this.event(event)),
      signal.on("stopped", (reason) => this.end(reason)),
      media.on("change", () => this.mediaChanged()),
    ];
  }

  get snapshot(): CallSnapshot {
    return this.current;
  }

  /** Join a room by id or code; call from a click so audio may start. */
  async join(room: string, password?: string): Promise<void> {
    this.publish({ phase: "joining", reason: null });
    this.levels ??= new AudioLevels((speaking) => this.publish({ speaking }));
    try {
      await this.renewIceServers();
      this.signal.connect();
      await this.signal.join({
        room,
        media: this.mediaState(),
        ...(password ? { password } : {}),
      });
    } catch (error) {
      this.publish({
        phase: "idle",
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }

  async leave(): Promise<void> {
    try {
      await this.signal.leave();
    } finally {
      this.signal.close("left");
      this.dispose();
    }
  }

  /** Release everything: links, local devices, audio analysis, subscriptions. */
  dispose(): void {
    clearTimeout(this.iceRenewalTimer);
    clearTimeout(this.mediaRetryTimer);
    for (const off of this.unsubscribe) off();
    this.closeLinks();
    this.levels?.close();
    this.levels = null;
    this.media.stop();
  }

  /**
   * Fetch ICE servers, hand them to every open link, and fetch again before the TURN credentials
   * expire, so that a long call can still allocate relays (after an ICE restart, say).
   */
  private async renewIceServers(): Promise<void> {
    clearTimeout(this.iceRenewalTimer);
    const { iceServers, ttlSeconds } = await this.iceServerSource();
    this.iceServers = iceServers;
    for (const link of this.links.values()) link.setIceServers(iceServers);
    this.iceRenewalTimer = setTimeout(
      () => void this.renewIceServers().catch(() => this.scheduleIceRetry()),
      ttlSeconds * ICE_RENEWAL_SHARE * 1000,
    );
  }

  private scheduleIceRetry(): void {
    this.iceRenewalTimer = setTimeout(
      () => void this.renewIceServers().catch(() => this.scheduleIceRetry()),
      ICE_RETRY_MS,
    );
  }

  private mediaState(): MediaState {
    const media = this.media.snapshot;
    return {
      audio: media.audio !== null && media.microphoneOn,
      video: media.camera !== null && media.cameraOn,
      screen: media.screen !== null,
    };
  }

  private joined(joined: Joined): void {
    this.closeLinks();
    // After a quick reconnect the server may still list this client's previous connection
    // until its heartbeat times out: that is no one to call.
    const previousSelf = this.current.self?.id;
    const self = joined.participants.find((p) => p.id === joined.participant_id) ?? null;
    this.remotes = new Map();
    for (const participant of joined.participants) {
      if (participant.id !== joined.participant_id && participant.id !== previousSelf) {
        this.addRemote(participant, false);
      }
    }
    // The join carried the media state: the room knows it, whatever was refused before.
    clearTimeout(this.mediaRetryTimer);
    this.announcing = null;
    this.sentMedia = self ? mediaKey(self.media) : "";
    this.publish({ phase: "in-call", room: joined.room, self, reason: null });
    this.mediaChanged(); // devices may have changed while joining: announce what is sent now
  }

  private event(event: ServerMessage): void {
    switch (event.type) {
      case "participant-joined":
        if (event.participant.id !== this.current.self?.id) this.addRemote(event.participant, true);
        break;
      case "participant-left":
        this.removeRemote(event.participant_id);
        break;
      case "participant-updated":
        this.updateRemote(event.participant.id, { participant: event.participant });
        break;
      case "signal":
        void this.links.get(event.sender)?.receive(event.kind, event.sdp, event.candidate);
        break;
      case "room-closed":
        this.end("the room was closed by its owner");
        break;
      default:
        break;
    }
  }

  private addRemote(participant: Participant, initiator: boolean): void {
    this.links.get(participant.id)?.close();
    this.remotes.set(participant.id, { participant, stream: null, peerState: "connecting" });
    const link = new PeerLink({
      initiator,
      iceServers: this.iceServers,
      tracks: { audio: this.media.snapshot.audio, video: this.media.videoToSend },
      send: (signal) =>
        void this.signal
          .request({ type: "signal", to: participant.id, ...signal })
          .catch(() => undefined),
    });
    link.on("stream", (stream) => {
      this.updateRemote(participant.id, { stream });
      this.levels?.watch(participant.id, stream);
    });
    link.on("state", (peerState) => this.updateRemote(participant.id, { peerState }));
    this.links.set(participant.id, link);
    this.publish({});
  }

  private removeRemote(id: string): void {
    this.links.get(id)?.close();
    this.links.delete(id);
    this.levels?.unwatch(id);
    this.remotes.delete(id);
    this.publish({});
  }

  private updateRemote(id: string, changes: Partial<RemoteParticipant>): void {
    const remote = this.remotes.get(id);
    if (!remote) return;
    this.remotes.set(id, { ...remote, ...changes });
    this.publish({});
  }

  private closeLinks(): void {
    for (const [id, link] of this.links) {
      link.close();
      this.levels?.unwatch(id);
    }
    this.links.clear();
  }

  /** Local media changed: swap tracks on every link and tell the room. */
  private mediaChanged(): void {
    const tracks = { audio: this.media.snapshot.audio, video: this.media.videoToSend };
    for (const kind of ["audio", "video"] as const) {
      if (tracks[kind] === this.sentTracks[kind]) continue;
      for (const link of this.links.values()) void link.replaceTrack(kind, tracks[kind]);
    }
    this.sentTracks = tracks;
    if (this.current.self) this.levels?.watch(this.current.self.id, this.media.snapshot.preview);
    this.announceMedia();
  }

  /**
   * Tell the room the media state when it differs from the one it acknowledged. A refusal that
   * passes (`unavailable`, …) is announced again shortly; after a lost connection the rejoin
   * carries the state instead.
   */
  private announceMedia(): void {
    const state = this.mediaState();
    const key = mediaKey(state);
    if (key === this.sentMedia || key === this.announcing || this.current.phase !== "in-call") {
      return;
    }
    clearTimeout(this.mediaRetryTimer);
    this.announcing = key;
    this.signal.setMedia(state);
    if (this.current.self) this.publish({ self: { ...this.current.self, media: state } });
    this.signal.request({ type: "media", ...state }).then(
      () => {
        this.sentMedia = key;
        if (this.announcing === key) this.announcing = null;
      },
      (error: unknown) => {
        if (this.announcing === key) this.announcing = null;
        if (error instanceof RequestError && TRANSIENT_ERROR_CODES.has(error.code)) {
          this.mediaRetryTimer = setTimeout(() => this.announceMedia(), MEDIA_RETRY_MS);
        }
      },
    );
  }

  private end(reason: string): void {
    clearTimeout(this.iceRenewalTimer);
    clearTimeout(this.mediaRetryTimer);
    this.closeLinks();
    this.remotes = new Map();
    this.publish({ phase: "ended", reason });
  }

  private publish(changes: Partial<CallSnapshot>): void {
    this.current = { ...this.current, ...changes, remotes: [...this.remotes.values()] };
    this.emit("change");
  }
}
