/**
 * The call, as a library with typed events and no UI (LiveKit's `Room` plays this part):
 * the roster from the WebSocket service, one PeerLink per remote participant, the local media
 * sent on every link, media state announced to the room, and everything released when it ends.
 * The meeting around it: waiting in the lobby, roles, the hosts' lobby list and lock, what a host
 * does to this participant (a mute turns the microphone off), hands, reactions, notices.
 * Links outlive the WebSocket: after a reconnect that resumed this participant's id, and for a
 * participant reconnecting (its signaling is down, its media may still flow), they are kept.
 * The room's media path decides how media flows: a mesh of PeerLinks, or an SfuSession through
 * the media server; a switch (`media-path`) replaces one with the other and leaves the roster,
 * chat, hands and media states as they are. It makes before it breaks: each participant's media
 * is shown through the old path until the new one brings it (`HANDOVER_MS` at most).
 */
import { Emitter } from "../realtime/emitter";
import type {
  Emoji,
  Joined,
  LobbyEntry,
  MediaMode,
  MediaPath,
  MediaState,
  ModerationAction,
  Participant,
  Request,
  RoomInfo,
  ServerMessage,
  Waiting,
} from "../realtime/protocol";
import { TRANSIENT_ERROR_CODES } from "../realtime/protocol";
import { RequestError } from "../realtime/SignalClient";
import type { ConnectionState, SignalClient, Stop, StopKind } from "../realtime/SignalClient";
import { AudioLevels } from "./AudioLevels";
import { Ephemeral } from "./Ephemeral";
import { isHost } from "./roles";
import type { LocalMedia } from "./LocalMedia";
import { PeerLink } from "./PeerLink";
import type { LinkHealth, LocalTracks, OutgoingSignal, PeerState } from "./PeerLink";
import { SfuSession } from "./SfuSession";
import type { SubscribedMedia } from "./SfuSubscription";
import { arrivedAll } from "./arrival";
import type { ArrivedMedia } from "./arrival";
import { SIMULCAST_CAPTURE } from "./simulcastLayers";
import type { TileSize } from "./simulcastLayers";

export interface RemoteParticipant {
  participant: Participant;
  stream: MediaStream | null;
  /** Their shared screen (shown while their media state says `screen`). */
  screen: MediaStream | null;
  peerState: PeerState;
  /** The link's quality and whether their picture is frozen, once connected. */
  health: LinkHealth | null;
  /** Why the link to them cannot connect, in words. */
  problem: string | null;
  /** False while the link to them is too weak for this participant's video (audio only). */
  sendingVideo: boolean;
}

/** `waiting`: in the lobby, until a host lets this participant in (nothing of the room yet). */
export type CallPhase = "idle" | "joining" | "waiting" | "in-call" | "ended";

/** A short message for the person in the call (shown with role="status"). */
export interface Notice {
  id: number;
  text: string;
}

/** An emoji floating over a participant's tile for a few seconds. */
export interface FloatingReaction {
  id: number;
  participantId: string;
  emoji: Emoji;
}

export interface CallSnapshot {
  phase: CallPhase;
  connection: ConnectionState;
  /** Why the call ended, or why joining failed. */
  reason: string | null;
  /** How the call ended, once `ended`. */
  stop: StopKind | null;
  /** Why this participant waits in the lobby (`removed`: a host removed them earlier). */
  waiting: Waiting["reason"] | null;
  room: RoomInfo | null;
  self: Participant | null;
  remotes: readonly RemoteParticipant[];
  /** Participant ids whose audio is above the speaking level. */
  speaking: readonly string[];
  /** Who waits to be let in, oldest first (hosts only). */
  lobby: readonly LobbyEntry[];
  /** No new joins but hosts' and admitted people's while locked. */
  locked: boolean;
  notices: readonly Notice[];
  reactions: readonly FloatingReaction[];
  /** How media flows: browser to browser, or through the media server. */
  mediaPath: MediaMode;
  /** A host is recording the meeting (everyone is shown it). */
  recording: boolean;
}

export interface CallEvents extends Record<string, unknown[]> {
  change: [];
  /** Someone new waits in the lobby (hosts only): the UI chimes. */
  "lobby-request": [entry: LobbyEntry];
}

/** What a host's action on this participant says, after the host's name. */
const MODERATED_TEXT: Partial<Record<ModerationAction, string>> = {
  mute: "muted your microphone",
  "camera-off": "turned your camera off",
  "stop-screen": "stopped your screen share",
  "ask-unmute": "asks you to unmute",
  "lower-hand": "lowered your hand",
  "make-cohost": "made you a co-host",
  "revoke-cohost": "made you a participant again",
};

/** ICE servers for the peer connections, and how long their TURN credentials stay valid. */
export type IceServerSource = () => Promise<{
  iceServers: RTCIceServer[];
  iceTransportPolicy: RTCIceTransportPolicy;
  ttlSeconds: number;
}>;

/** Fetch fresh TURN credentials when this share of their lifetime has passed. */
const ICE_RENEWAL_SHARE = 0.8;
/** After a failed renewal, try again this soon. */
const ICE_RETRY_MS = 30_000;
/** A signal refused for a passing reason goes again up to this many times, waiting longer each. */
const SIGNAL_RETRIES = 4;
const SIGNAL_RETRY_MS = 500;
/** After a media announcement refused for a passing reason, announce again this soon. */
const MEDIA_RETRY_MS = 3000;
/** How long a reaction floats over the tile. */
export const REACTION_MS = 3000;
/** How long a notice stays. */
export const NOTICE_MS = 6000;
/**
 * At a switch, how long each participant's media may still be shown through the old path while
 * the new one does not bring it (the server keeps an SFU room this long and more after a switch
 * to the mesh: `GLIMPSE_SFU_HANDOVER`).
 */
export const HANDOVER_MS = 8000;

/** A media state as a comparable key. */
function mediaKey(media: MediaState): string {
  return `${media.audio}/${media.video}/${media.screen}`;
}

/** Tell the link what the participant says it sends: the watchdog expects it to arrive. */
function expectMediaOf(link: PeerLink, { media }: Participant): void {
  link.expect(media.audio || media.video || media.screen, media.video);
}

/** The media path a `joined` or `media-path` says (a server without an SFU: the mesh). */
function mediaPathOf(path: Partial<MediaPath> | undefined): MediaPath {
  return { mode: path?.mode ?? "mesh", generation: path?.generation ?? 0 };
}

/** The Network Information API where the browser has it (Chromium). */
type NetworkInformation = EventTarget & { type?: string };

/**
 * Call `listener` when the browser goes back online or moves to another kind of network (Wi-Fi
 * to cellular, say; not the speed estimates the same event also reports); returns the off.
 */
function onNetworkChange(listener: () => void): () => void {
  const connection = (navigator as Navigator & { connection?: NetworkInformation }).connection;
  let type = connection?.type;
  const changed = () => {
    if (connection?.type === type) return;
    type = connection?.type;
    listener();
  };
  window.addEventListener("online", listener);
  connection?.addEventListener("change", changed);
  return () => {
    window.removeEventListener("online", listener);
    connection?.removeEventListener("change", changed);
  };
}

export class Call extends Emitter<CallEvents> {
  private readonly signal: SignalClient;
  private readonly media: LocalMedia;
  private readonly iceServerSource: IceServerSource;
  private iceServers: RTCIceServer[] = [];
  private iceTransportPolicy: RTCIceTransportPolicy = "all";
  private iceRenewalTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly links = new Map<string, PeerLink>();
  /** The last offer or answer sent to each participant: a retry of an older one is dropped. */
  private readonly lastDescriptions = new Map<string, OutgoingSignal>();
  private remotes = new Map<string, RemoteParticipant>();
  /** Participants missing from a resumed `joined` (a restarted server): kept until these fire. */
  private readonly returnTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private levels: AudioLevels | null = null;
  /** Who speaks, as the audio levels hear it (everyone in a mesh, this participant alone via the SFU). */
  private heard: readonly string[] = [];
  /** Who speaks, as the SFU says (`active-speaker`). */
  private readonly talking = new Set<string>();
  private path: MediaPath = { mode: "mesh", generation: 0 };
  private sfu: SfuSession | null = null;
  /**
   * At a switch: the participants this one still shows through the old path, those who may
   * still show this one through it (until they say `handed-over`), and the old path's
   * connections: the mesh links, or the SFU session.
   */
  private readonly onOldPath = new Set<string>();
  private readonly theyWait = new Set<string>();
  private readonly retiring = new Map<string, PeerLink>();
  private retiringSfu: SfuSession | null = null;
  /** What of each participant's media the SFU's subscription has brought. */
  private sfuArrived: ReadonlyMap<string, ArrivedMedia> = new Map();
  private handoverTimer: ReturnType<typeof setTimeout> | undefined;
  /** What the SFU sends of each participant (kept for someone listed after their streams came). */
  private sfuStreams: ReadonlyMap<string, SubscribedMedia> = new Map();
  /** The tiles the UI shows of each remote camera, for the simulcast layers. */
  private tileSizes: ReadonlyMap<string, TileSize | null> = new Map();
  /** The media state the room has acknowledged, and the one being announced now. */
  private sentMedia = "";
  private announcing: string | null = null;
  private mediaRetryTimer: ReturnType<typeof setTimeout> | undefined;
  private sentTracks: LocalTracks = { audio: null, video: null, screen: null };
  private current: CallSnapshot;
  private readonly unsubscribe: (() => void)[];
  private readonly notices = new Ephemeral<{ text: string }>(NOTICE_MS, () => this.publish({}));
  private readonly reactions = new Ephemeral<{ participantId: string; emoji: Emoji }>(
    REACTION_MS,
    () => this.publish({}),
  );

  constructor(signal: SignalClient, media: LocalMedia, iceServers: IceServerSource) {
    super();
    this.signal = signal;
    this.media = media;
    this.iceServerSource = iceServers;
    this.current = {
      phase: "idle",
      connection: signal.state,
      reason: null,
      stop: null,
      waiting: null,
      room: null,
      self: null,
      remotes: [],
      speaking: [],
      lobby: [],
      locked: false,
      notices: [],
      reactions: [],
      mediaPath: "mesh",
      recording: false,
    };
    this.unsubscribe = [
      signal.on("state", (connection) => this.publish({ connection })),
      signal.on("joined", (joined) => this.joined(joined)),
      signal.on("waiting", (waiting) => this.waitingInLobby(waiting)),
      signal.on("event", (event) => this.event(event)),
      signal.on("stopped", (stop) => this.end(stop)),
      media.on("change", () => this.mediaChanged()),
      onNetworkChange(() => {
        for (const link of this.links.values()) link.networkChanged();
        this.sfu?.networkChanged();
      }),
    ];
  }

  get snapshot(): CallSnapshot {
    return this.current;
  }

  /** Join a room by id or code; call from a click so audio may start. */
  async join(room: string, password?: string): Promise<void> {
    this.publish({ phase: "joining", reason: null });
    this.levels ??= new AudioLevels((heard) => {
      this.heard = heard;
      this.publishSpeaking();
    });
    try {
      await this.renewIceServers();
      this.signal.connect();
      await this.signal.join({
        room,
        media: this.mediaState(),
        ...(password ? { password } : {}),
      });
    } catch (error) {
      if (this.current.phase === "ended") return; // stopped meanwhile: the end says why
      this.publish({
        phase: "idle",
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }

  async leave(): Promise<void> {
    try {
      await this.signal.leave();
    } catch {
      // Gone already, or never let in: closing is all that is left.
    } finally {
      this.signal.close();
      this.dispose();
    }
  }

  /** Raise or lower this participant's hand. */
  async raiseHand(raised: boolean): Promise<void> {
    const self = this.current.self;
    if (self === null) return;
    this.publish({ self: { ...self, hand: raised ? Date.now() : null } });
    if (!(await this.act({ type: "hand", raised })) && this.current.self) {
      this.publish({ self: { ...this.current.self, hand: self.hand ?? null } });
    }
  }

  /** Send a reaction: it floats over this participant's tile here and for everyone else. */
  async react(emoji: Emoji): Promise<void> {
    const self = this.current.self;
    if (self === null) return;
    this.float(self.id, emoji);
    await this.act({ type: "react", emoji });
  }

  /** A host's action on another participant (the server refuses it to non-hosts). */
  async moderate(participantId: string, action: ModerationAction): Promise<void> {
    await this.act({ type: "moderate", participant_id: participantId, action });
  }

  async admit(participantId: string): Promise<void> {
    await this.act({ type: "admit", participant_id: participantId });
  }

  async deny(participantId: string): Promise<void> {
    await this.act({ type: "deny", participant_id: participantId });
  }

  async setLocked(locked: boolean): Promise<void> {
    await this.act({ type: "lock", locked });
  }

  /** Start or stop recording the meeting (hosts, in SFU mode; the server refuses it otherwise). */
  async setRecording(active: boolean): Promise<void> {
    await this.act({ type: "record", active });
  }

  /**
   * The tiles the UI shows of each remote participant's camera and how big (null: not shown):
   * through the SFU, each camera comes in the layer that fits its tile.
   */
  setTileSizes(sizes: ReadonlyMap<string, TileSize | null>): void {
    this.tileSizes = sizes;
    this.sfu?.setTileSizes(this.remoteSizes());
  }

  /** End the meeting for everyone: every socket closes (4410), this one too. */
  async endMeeting(): Promise<void> {
    await this.act({ type: "end-meeting" });
  }

  /** Send a request; a refusal becomes a notice. True when the server acknowledged it. */
  private async act(request: Request): Promise<boolean> {
    try {
      await this.signal.request(request);
      return true;
    } catch (error) {
      // After the end (a host's end-meeting closes this socket too) there is no one to tell.
      if (this.current.phase !== "ended") {
        this.notify(error instanceof Error ? error.message : String(error));
      }
      return false;
    }
  }

  /** Release everything: links, local devices, audio analysis, subscriptions. */
  dispose(): void {
    this.notices.clear();
    this.reactions.clear();
    for (const off of this.unsubscribe) off();
    this.release();
  }

  /** The call is over: timers, links, audio analysis and the local devices go. */
  private release(): void {
    clearTimeout(this.iceRenewalTimer);
    clearTimeout(this.mediaRetryTimer);
    this.closeLinks();
    this.closeSfu();
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
    const { iceServers, iceTransportPolicy, ttlSeconds } = await this.iceServerSource();
    this.iceServers = iceServers;
    this.iceTransportPolicy = iceTransportPolicy;
    for (const link of this.links.values()) link.setIceServers(iceServers);
    this.sfu?.setIceServers(iceServers);
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
    const self = joined.participants.find((p) => p.id === joined.participant_id) ?? null;
    const path = mediaPathOf(joined.media_path);
    if (joined.participant_id === this.current.self?.id) {
      this.resumed(joined);
      this.current = { ...this.current, self }; // the switch below needs this participant's id
      // The server lets a participant's SFU connections go with its socket: publish afresh.
      if (path.mode === "sfu" && this.sfu !== null && this.path.generation === path.generation) {
        this.restartSfu();
      }
      this.followPath(path);
    } else {
      // A first join, or a rejoin under a new id: every link starts afresh. The server may still
      // list this client's previous connection for a moment: that is no one to call.
      const previousSelf = this.current.self?.id;
      this.closeLinks();
      this.closeSfu();
      this.path = path;
      this.captureFor(path);
      this.remotes = new Map();
      for (const participant of joined.participants) {
        if (participant.id !== joined.participant_id && participant.id !== previousSelf) {
          this.addRemote(participant, false);
        }
      }
      if (path.mode === "sfu") this.startSfu();
    }
    // The join carried the media state: the room knows it, whatever was refused before.
    clearTimeout(this.mediaRetryTimer);
    this.announcing = null;
    this.sentMedia = self ? mediaKey(self.media) : "";
    this.publish({
      phase: "in-call",
      room: joined.room,
      self,
      reason: null,
      waiting: null,
      lobby: joined.lobby ?? [],
      locked: joined.locked ?? false,
      mediaPath: this.path.mode,
      recording: joined.recording ?? false,
    });
    this.publishSpeaking();
    this.mediaChanged(); // devices may have changed while joining: announce what is sent now
  }

  /**
   * Back in the room under the same id after a reconnect: the working links to those still
   * listed are kept as they are; to anyone else listed (new, or whose link never got through:
   * signals may have been lost meanwhile) a fresh link waits for their offer, as a newcomer's
   * would, since they hear `participant-resumed`; someone not listed (the server restarted, and
   * they are not back yet) keeps their link for the reconnect grace period, shown reconnecting.
   */
  private resumed(joined: Joined): void {
    const listed = new Set<string>();
    for (const participant of joined.participants) {
      if (participant.id === joined.participant_id) continue;
      listed.add(participant.id);
      this.cancelReturn(participant.id);
      if (this.works(participant.id)) this.updateRemote(participant.id, { participant });
      else this.addRemote(participant, false);
    }
    for (const [id, remote] of this.remotes) {
      if (listed.has(id) || this.returnTimers.has(id)) continue;
      this.updateRemote(id, { participant: { ...remote.participant, reconnecting: true } });
      this.returnTimers.set(
        id,
        setTimeout(() => this.removeRemote(id), joined.reconnect_grace * 1000),
      );
    }
  }

  /** In the lobby: nothing of the room until a host lets this participant in. */
  private waitingInLobby(waiting: Waiting): void {
    this.closeLinks();
    this.closeSfu();
    this.remotes = new Map();
    this.publish({
      phase: "waiting",
      room: waiting.room,
      waiting: waiting.reason,
      self: null,
      lobby: [],
    });
  }

  private event(event: ServerMessage): void {
    switch (event.type) {
      case "participant-joined":
        if (event.participant.id !== this.current.self?.id) this.addRemote(event.participant, true);
        break;
      case "participant-left":
        this.removeRemote(event.participant_id);
        break;
      case "participant-reconnecting":
        this.participantReconnecting(event.participant_id);
        break;
      case "participant-resumed":
        this.participantResumed(event.participant);
        break;
      case "participant-updated":
        this.participantUpdated(event.participant);
        break;
      case "signal":
        if (event.kind === "handed-over") this.theyHandedOver(event.sender, event.generation);
        else void this.linkOf(event.sender)?.receive(event.kind, event.sdp, event.candidate);
        break;
      case "room-closed":
        this.end({ kind: "room-deleted", message: "This room was deleted." });
        break;
      case "lobby-request":
        this.lobbyRequest(event.entry);
        break;
      case "lobby-left":
        this.publish({ lobby: this.current.lobby.filter((e) => e.id !== event.participant_id) });
        break;
      case "lock-changed":
        this.publish({ locked: event.locked });
        this.notify(event.locked ? "The meeting is locked" : "The meeting is unlocked");
        break;
      case "moderated":
        this.moderated(event.action, event.by);
        break;
      case "media-path":
        this.followPath(mediaPathOf(event.media_path));
        break;
      case "sfu-offer":
        // An old Janus room may still offer while it hands over: not the session's to answer.
        if (event.generation === this.sfu?.generation) this.sfu.receiveOffer(event);
        break;
      case "active-speaker":
        this.activeSpeaker(event.generation, event.participant_id, event.talking);
        break;
      case "recording":
        this.publish({ recording: event.active });
        if (!event.active) this.notify("Recording stopped");
        break;
      case "reaction":
        // This participant's own reactions float as soon as they are sent.
        if (event.participant_id !== this.current.self?.id) {
          this.float(event.participant_id, event.emoji);
        }
        break;
      default:
        break;
    }
  }

  /** Its signaling is down; its link stays, and may still carry media. */
  private participantReconnecting(id: string): void {
    const remote = this.remotes.get(id);
    if (remote)
      this.updateRemote(id, { participant: { ...remote.participant, reconnecting: true } });
  }

  /**
   * Back with its id: its working link is kept; without one (it was reconnecting when this
   * client joined, or the server restarted, or signals were lost while it was away) this side
   * makes a fresh link and offers, as to a newcomer (the resumer waits for it).
   */
  private participantResumed(participant: Participant): void {
    if (participant.id === this.current.self?.id) return;
    this.cancelReturn(participant.id);
    if (this.works(participant.id)) this.updateRemote(participant.id, { participant });
    else this.addRemote(participant, true);
  }

  /**
   * Whether the link to this participant has connected (it may be restarting ICE); through the
   * SFU, whether they are listed (their media comes with everyone's).
   */
  private works(id: string): boolean {
    if (this.path.mode === "sfu") return this.remotes.has(id);
    const state = this.links.get(id)?.state;
    return state === "connected" || state === "reconnecting";
  }

  private cancelReturn(id: string): void {
    clearTimeout(this.returnTimers.get(id));
    this.returnTimers.delete(id);
  }

  private participantUpdated(participant: Participant): void {
    const self = this.current.self;
    if (self === null || participant.id !== self.id) {
      this.updateRemote(participant.id, { participant });
      return;
    }
    // The role and hand as the room sees them; the media as this client sends it.
    const updated = { ...participant, media: self.media };
    this.publish({ self: updated, ...(isHost(updated) ? {} : { lobby: [] }) });
  }

  private lobbyRequest(entry: LobbyEntry): void {
    const known = this.current.lobby.some((e) => e.id === entry.id);
    this.publish({ lobby: [...this.current.lobby.filter((e) => e.id !== entry.id), entry] });
    if (!known) this.emit("lobby-request", entry);
  }

  /** A host acted on this participant: do what it says, and tell who did it. */
  private moderated(action: ModerationAction, by: string): void {
    if (action === "mute") this.media.setMicrophone(false);
    else if (action === "camera-off") void this.media.setCamera(false);
    else if (action === "stop-screen") this.media.stopScreenShare();
    else if (action === "lower-hand" && this.current.self) {
      this.publish({ self: { ...this.current.self, hand: null } });
    }
    const text = MODERATED_TEXT[action];
    if (text !== undefined) this.notify(`${this.nameOf(by) ?? "A host"} ${text}`);
  }

  private nameOf(participantId: string): string | undefined {
    if (this.current.self?.id === participantId) return this.current.self.display_name;
    return this.remotes.get(participantId)?.participant.display_name;
  }

  private notify(text: string): void {
    this.notices.add({ text });
  }

  private float(participantId: string, emoji: Emoji): void {
    this.reactions.add({ participantId, emoji });
  }

  /**
   * A remote participant and its link; one listed as reconnecting gets its link once it resumes
   * (signals cannot reach it before), from this side. Through the SFU, no link: their media
   * comes with everyone's.
   */
  private addRemote(participant: Participant, initiator: boolean): void {
    this.links.get(participant.id)?.close();
    this.links.delete(participant.id);
    const viaSfu = this.sfuStreams.get(participant.id);
    const before = this.remotes.get(participant.id);
    // Back to the mesh, their media is shown through the SFU until the new link brings it.
    const keep = before !== undefined && this.shownVia(participant.id) === "sfu" && !this.sfu;
    this.remotes.set(
      participant.id,
      keep
        ? { ...before, participant }
        : {
            participant,
            stream: (this.sfu && viaSfu?.camera) ?? null,
            screen: (this.sfu && viaSfu?.screen) ?? null,
            peerState: this.sfu?.state ?? "connecting",
            health: null,
            problem: null,
            sendingVideo: true,
          },
    );
    if (this.path.mode === "sfu") {
      this.sfu?.expectVideo(participant.id, participant.media.video);
      this.sfu?.setTileSizes(this.remoteSizes());
      this.publish({});
      return;
    }
    if (participant.reconnecting === true) {
      this.publish({});
      return;
    }
    const link = new PeerLink({
      initiator,
      iceServers: this.iceServers,
      iceTransportPolicy: this.iceTransportPolicy,
      tracks: this.media.tracksToSend,
      send: (signal) => this.sendSignal(participant.id, signal),
    });
    const id = participant.id;
    // What the link brings is shown while the participant's media is shown through the mesh.
    const shown = () => this.shownVia(id) === "mesh" && this.linkOf(id) === link;
    link.on("streams", ({ camera: stream, screen }) => {
      if (!shown()) return;
      this.updateRemote(id, { stream, screen });
      this.levels?.watch(id, stream);
    });
    link.on("state", (peerState) => {
      if (shown()) this.updateRemote(id, { peerState });
      else if (this.links.get(id) === link) this.checkArrival(id);
    });
    link.on("arrived", () => {
      if (!shown() && this.links.get(id) === link) this.checkArrival(id);
    });
    link.on("health", (health) => {
      if (shown()) this.updateRemote(id, { health });
    });
    link.on("problem", (problem) => {
      if (shown()) this.updateRemote(id, { problem });
    });
    link.on("video-sending", (sending) => {
      if (!shown()) return;
      this.updateRemote(id, { sendingVideo: sending });
      const name = this.remotes.get(participant.id)?.participant.display_name ?? "someone";
      this.notify(
        sending
          ? `Your video to ${name} is back`
          : `Your video to ${name} is paused: the link is too weak (audio continues)`,
      );
    });
    this.links.set(participant.id, link);
    expectMediaOf(link, participant);
    this.shareUpload();
    this.publish({});
  }

  /**
   * Relay a signal to a participant; one refused for a passing reason goes again (after the
   * server's `retry_after`, or a growing pause) while the link it belongs to is still there.
   */
  private sendSignal(to: string, signal: OutgoingSignal, attempt = 0): void {
    const link = this.links.get(to);
    if (signal.kind !== "candidate" && attempt === 0) this.lastDescriptions.set(to, signal);
    this.signal.request({ type: "signal", to, ...signal }).catch((error: unknown) => {
      const transient = error instanceof RequestError && TRANSIENT_ERROR_CODES.has(error.code);
      if (!transient || attempt >= SIGNAL_RETRIES) return;
      const wait =
        error.retryAfter === undefined ? SIGNAL_RETRY_MS * 2 ** attempt : error.retryAfter * 1000;
      setTimeout(() => {
        // Not for another link, and never an offer or answer a newer one has replaced.
        const stale = signal.kind !== "candidate" && this.lastDescriptions.get(to) !== signal;
        if (this.links.get(to) === link && !stale) this.sendSignal(to, signal, attempt + 1);
      }, wait);
    });
  }

  /** Each link's copy of the camera takes its share of the upload. */
  private shareUpload(): void {
    for (const link of this.links.values()) link.setPeers(this.links.size);
  }

  private removeRemote(id: string): void {
    this.cancelReturn(id);
    this.links.get(id)?.close();
    this.links.delete(id);
    this.onOldPath.delete(id);
    this.theyWait.delete(id);
    this.closeRetiring(id);
    this.releaseOldPath();
    this.lastDescriptions.delete(id);
    this.shareUpload();
    this.levels?.unwatch(id);
    this.remotes.delete(id);
    this.talking.delete(id);
    this.sfu?.expectVideo(id, false);
    this.sfu?.setTileSizes(this.remoteSizes());
    this.publish({});
    this.publishSpeaking();
  }

  private updateRemote(id: string, changes: Partial<RemoteParticipant>): void {
    const remote = this.remotes.get(id);
    if (!remote) return;
    const link = this.links.get(id);
    if (changes.participant && link) expectMediaOf(link, changes.participant);
    if (changes.participant) this.sfu?.expectVideo(id, changes.participant.media.video);
    this.remotes.set(id, { ...remote, ...changes });
    this.publish({});
    if (changes.participant && this.onOldPath.has(id)) this.checkArrival(id); // sends other media now
  }

  /** The same change to every remote participant shown through the SFU, told once. */
  private updateSfuRemotes(
    changes: (remote: RemoteParticipant) => Partial<RemoteParticipant>,
  ): void {
    for (const [id, remote] of this.remotes) {
      if (this.shownVia(id) === "sfu") this.remotes.set(id, { ...remote, ...changes(remote) });
    }
    this.publish({});
  }

  /** Links, what a switch kept of the old path, and the participants kept for their return. */
  private closeLinks(): void {
    this.dropLinks();
    this.endHandover();
    for (const id of [...this.returnTimers.keys()]) this.cancelReturn(id);
  }

  private dropLinks(): void {
    for (const [id, link] of this.links) {
      link.close();
      this.levels?.unwatch(id);
    }
    this.links.clear();
    this.lastDescriptions.clear();
  }

  /**
   * The room's media path. A switch makes before it breaks: each participant is shown through
   * the old path until the new one brings all they send; then the call tells them so
   * (`handed-over`), and the old path's connections go once nobody uses them either way: a mesh
   * link once both its sides have said it, the SFU session once everyone has (at most
   * `HANDOVER_MS` later). Back in the mesh, the participant with the lower id of each pair offers
   * (so exactly one side does); a new SFU generation (the room moved to another media server)
   * publishes and subscribes afresh. Roster, hands and media states stay.
   */
  private followPath(path: MediaPath): void {
    const from = this.path.mode;
    const same =
      path.mode === from && (path.mode === "mesh" || path.generation === this.path.generation);
    if (same) {
      this.path = path;
      return;
    }
    // Back to the mesh while the SFU was taking over: the links kept from the mesh carry on.
    const kept = path.mode === "mesh" ? new Map(this.retiring) : new Map<string, PeerLink>();
    const shownByLink = new Set([...kept.keys()].filter((id) => this.onOldPath.has(id)));
    for (const id of kept.keys()) {
      this.retiring.delete(id);
      this.onOldPath.delete(id);
      this.theyWait.delete(id);
    }
    this.finishHandover(); // what is left of a switch under way goes, as it would have
    this.path = path;
    const selfId = this.current.self?.id ?? "";
    if (path.mode === "sfu") {
      this.captureFor(path); // back in the mesh, once the SFU has let go (`endHandover`)
      this.talking.clear(); // who speaks in the new Janus room, as it says
    }
    if (path.mode === "sfu" && from === "mesh") {
      for (const [id, link] of this.links) {
        this.retiring.set(id, link);
        this.onOldPath.add(id);
        this.theyWait.add(id);
      }
      this.links.clear();
      this.lastDescriptions.clear();
      this.restartSfu();
      this.startHandover();
    } else if (path.mode === "sfu") {
      this.dropLinks();
      this.restartSfu();
    } else {
      this.retiringSfu = this.sfu;
      this.sfu = null;
      for (const { participant } of [...this.remotes.values()]) {
        const { id } = participant;
        if (this.retiringSfu !== null && participant.reconnecting !== true) {
          this.theyWait.add(id);
          if (!shownByLink.has(id)) this.onOldPath.add(id);
        }
        const link = kept.get(id);
        if (link === undefined) this.addRemote(participant, selfId < id);
        else this.links.set(id, link);
      }
      this.shareUpload();
      for (const id of kept.keys()) {
        if (shownByLink.has(id))
          this.tell(id); // shown through the link all along
        else this.checkArrival(id);
      }
      this.startHandover();
    }
    this.publish({ mediaPath: path.mode });
    this.publishSpeaking();
  }

  /** How a participant's media is shown now: through the room's path, or still the old one. */
  private shownVia(id: string): MediaMode {
    if (!this.onOldPath.has(id)) return this.path.mode;
    return this.path.mode === "sfu" ? "mesh" : "sfu";
  }

  /** The participant's link: in the mesh, or kept from it while the SFU takes over. */
  private linkOf(id: string): PeerLink | undefined {
    return this.links.get(id) ?? this.retiring.get(id);
  }

  /** The old path goes after `HANDOVER_MS` whatever the new one brought (at once if unused). */
  private startHandover(): void {
    clearTimeout(this.handoverTimer);
    this.handoverTimer = setTimeout(() => this.finishHandover(), HANDOVER_MS);
    this.releaseOldPath();
  }

  /** Everyone shown through the room's path; the old path's connections close. */
  private finishHandover(): void {
    for (const id of [...this.onOldPath]) this.showThroughPath(id);
    this.endHandover();
  }

  private endHandover(): void {
    clearTimeout(this.handoverTimer);
    this.onOldPath.clear();
    this.theyWait.clear();
    for (const id of [...this.retiring.keys()]) this.closeRetiring(id);
    if (this.retiringSfu !== null) this.captureFor(this.path); // its top layer no longer needed
    this.retiringSfu?.close();
    this.retiringSfu = null;
    if (this.sfu === null) this.sfuStreams = new Map();
  }

  /** Show what the room's path brings of this participant, in place of the old path's. */
  private showThroughPath(id: string): void {
    this.onOldPath.delete(id);
    if (this.path.mode === "sfu") {
      const streams = this.sfu ? this.sfuStreams.get(id) : undefined;
      this.levels?.unwatch(id);
      this.updateRemote(id, {
        stream: streams?.camera ?? null,
        screen: streams?.screen ?? null,
        peerState: this.sfu?.state ?? "connecting",
        health: null,
        problem: null,
        sendingVideo: true,
      });
    } else {
      const link = this.links.get(id);
      const streams = link?.streams ?? null;
      this.updateRemote(id, {
        stream: streams?.camera ?? null,
        screen: streams?.screen ?? null,
        peerState: link?.state ?? "connecting",
        health: null,
        problem: null,
        sendingVideo: link?.sendingVideo ?? true,
      });
      if (streams) this.levels?.watch(id, streams.camera);
    }
    this.publishSpeaking();
  }

  /** The SFU brings these participants' media: each one it brings all of is shown through it. */
  private arrivedBySfu(arrived: ReadonlyMap<string, ArrivedMedia>): void {
    this.sfuArrived = arrived;
    for (const id of [...this.onOldPath]) this.checkArrival(id);
  }

  /**
   * Whether the room's path brings all this participant sends (as their media state says): the
   * SFU's subscription, or back in the mesh their connected link. Then they are shown through it.
   */
  private checkArrival(id: string): void {
    const media = this.remotes.get(id)?.participant.media;
    if (media === undefined || !this.onOldPath.has(id)) return;
    const link = this.links.get(id);
    const arrived =
      this.path.mode === "sfu"
        ? arrivedAll(media, this.sfuArrived.get(id))
        : link?.state === "connected" && arrivedAll(media, link.arrived);
    if (arrived) this.handOver(id);
  }

  /** Shown through the room's path now: tell them (they may let the old path go). */
  private handOver(id: string): void {
    this.showThroughPath(id);
    this.tell(id);
    this.releaseOldPath();
  }

  private tell(id: string): void {
    this.signal
      .request({ type: "signal", to: id, kind: "handed-over", generation: this.path.generation })
      .catch(() => undefined);
  }

  /** They show this participant's media through the room's path (of that generation) now. */
  private theyHandedOver(id: string, generation: number | null | undefined): void {
    if (generation === this.path.generation && this.theyWait.delete(id)) this.releaseOldPath();
  }

  /**
   * What of the old path nobody uses any more goes: a mesh link once both sides show each other
   * through the SFU; the SFU session once everyone is shown through the mesh, both ways.
   */
  private releaseOldPath(): void {
    for (const id of [...this.retiring.keys()]) {
      if (!this.onOldPath.has(id) && !this.theyWait.has(id)) this.closeRetiring(id);
    }
    if (this.onOldPath.size === 0 && this.theyWait.size === 0) this.endHandover();
  }

  private closeRetiring(id: string): void {
    const link = this.retiring.get(id);
    this.retiring.delete(id); // first: what it tells as it closes is no one's now
    link?.close();
  }

  /**
   * The camera's size for the path: through the SFU, large enough for its three simulcast
   * layers; in the mesh, the browser's default (each link scales its copy down as the room grows).
   */
  private captureFor(path: MediaPath): void {
    this.media.setCaptureSize(path.mode === "sfu" ? SIMULCAST_CAPTURE : null);
  }

  /** A new SFU session in place of the old one: everyone's media comes anew. */
  private restartSfu(): void {
    this.closeSfu();
    this.updateSfuRemotes(() => ({
      stream: null,
      screen: null,
      peerState: "connecting",
      health: null,
      problem: null,
      sendingVideo: true,
    }));
    this.startSfu();
  }

  private startSfu(): void {
    const sfu = new SfuSession({
      signaling: {
        request: (request) => this.signal.request(request),
        notify: (message) => this.signal.notify(message),
      },
      generation: this.path.generation,
      iceServers: this.iceServers,
      iceTransportPolicy: this.iceTransportPolicy,
      tracks: this.media.tracksToSend,
    });
    this.sfu = sfu;
    this.sfuArrived = new Map();
    this.sentTracks = this.media.tracksToSend;
    // While the mesh takes over (`retiringSfu`), those still shown through the SFU follow it.
    const live = () => sfu === this.sfu || sfu === this.retiringSfu;
    sfu.on("streams", (streams) => {
      if (!live()) return;
      this.sfuStreams = streams;
      this.updateSfuRemotes(({ participant }) => ({
        stream: streams.get(participant.id)?.camera ?? null,
        screen: streams.get(participant.id)?.screen ?? null,
      }));
    });
    sfu.on("state", (peerState) => {
      if (live()) this.updateSfuRemotes(() => ({ peerState }));
    });
    sfu.on("health", (health) => {
      if (!live()) return;
      this.updateSfuRemotes(({ participant }) => ({ health: health.get(participant.id) ?? null }));
    });
    sfu.on("arrived", (arrived) => {
      if (sfu === this.sfu) this.arrivedBySfu(arrived);
    });
    for (const { participant } of this.remotes.values()) {
      sfu.expectVideo(participant.id, participant.media.video);
    }
    sfu.setTileSizes(this.remoteSizes());
  }

  private closeSfu(): void {
    this.sfu?.close();
    this.sfu = null;
    this.sfuStreams = new Map();
  }

  /** The tile sizes of those in the room (the server knows no one else). */
  private remoteSizes(): ReadonlyMap<string, TileSize | null> {
    return new Map([...this.tileSizes].filter(([id]) => this.remotes.has(id)));
  }

  /** Who the SFU hears talking, from the Janus room of this participant's session. */
  private activeSpeaker(generation: number, participantId: string, talking: boolean): void {
    if (generation !== (this.sfu ?? this.retiringSfu)?.generation) return;
    if (talking) this.talking.add(participantId);
    else this.talking.delete(participantId);
    this.publishSpeaking();
  }

  /**
   * Who speaks: those shown through the SFU as it says; everyone else, this participant too (at
   * once, without the round trip), as the audio levels hear it (they follow the mesh's streams).
   */
  private publishSpeaking(): void {
    const selfId = this.current.self?.id;
    const viaSfu = (id: string) => id !== selfId && this.shownVia(id) === "sfu";
    const speaking = [
      ...this.heard.filter((id) => !viaSfu(id)),
      ...[...this.talking].filter(viaSfu),
    ];
    if (speaking.join() !== this.current.speaking.join()) this.publish({ speaking });
  }

  /** Local media changed: swap tracks on every link (or the SFU's publications) and tell the room. */
  private mediaChanged(): void {
    const tracks = this.media.tracksToSend;
    const changed = (["audio", "video", "screen"] as const).filter(
      (slot) => tracks[slot] !== this.sentTracks[slot],
    );
    for (const slot of changed) {
      for (const link of this.links.values()) void link.replaceTrack(slot, tracks[slot]);
      for (const link of this.retiring.values()) void link.replaceTrack(slot, tracks[slot]);
    }
    if (changed.length > 0) {
      this.sfu?.setTracks(tracks);
      this.retiringSfu?.setCameraTracks(tracks); // still carries it to those not yet told
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

  /** However the call ends (a host, the room's deletion, sign-out, an error), devices go too. */
  private end(stop: Stop): void {
    this.remotes = new Map();
    this.publish({ phase: "ended", reason: stop.message, stop: stop.kind, lobby: [] });
    this.release();
  }

  private publish(changes: Partial<CallSnapshot>): void {
    this.current = {
      ...this.current,
      ...changes,
      remotes: [...this.remotes.values()],
      notices: this.notices.items,
      reactions: this.reactions.items,
    };
    this.emit("change");
  }
}
