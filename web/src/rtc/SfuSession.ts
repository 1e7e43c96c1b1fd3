/**
 * This participant's media through the SFU, for one generation of the room's `sfu` media path:
 * the camera publication (from the start, whatever is on), the screen publication while sharing,
 * and the subscription to everyone else, all signaled over Glimpse's WebSocket (the browser never
 * talks to Janus). Local track changes go to the publications in place; the simulcast layer of
 * each camera follows the tile it is shown in. When the subscription's ICE fails and stays down
 * (only the server can offer it again), everything starts afresh, backing off.
 */
import { Emitter } from "../realtime/emitter";
import type {
  IceCandidate,
  LayerChoice,
  OneWayMessage,
  Request,
  SfuOffer,
  SfuPeer,
  SfuSource,
} from "../realtime/protocol";
import type { Answer } from "../realtime/SignalClient";
import type { LinkHealth, LocalTracks, PeerState } from "./PeerLink";
import { SfuPublication } from "./SfuPublication";
import type { SourceTracks } from "./SfuPublication";
import { SfuSubscription } from "./SfuSubscription";
import type { SubscribedMedia } from "./SfuSubscription";
import { LayerChoices } from "./simulcastLayers";
import type { TileSize } from "./simulcastLayers";

/** What the session needs of the WebSocket service. */
export interface SfuSignaling {
  request: (request: Request) => Promise<Answer>;
  notify: (message: OneWayMessage) => void;
}

export interface SfuSessionOptions {
  signaling: SfuSignaling;
  iceServers: RTCIceServer[];
  iceTransportPolicy?: RTCIceTransportPolicy;
  tracks: LocalTracks;
  createPeerConnection?: (config: RTCConfiguration) => RTCPeerConnection;
}

/** After a lost subscription, start afresh after this long, doubling up to the max. */
const RESTART_MS = 1000;
const RESTART_MAX_MS = 30_000;

export class SfuSession extends Emitter<{
  /** Each subscribed participant's streams (someone missing sends nothing through the SFU). */
  streams: [ReadonlyMap<string, SubscribedMedia>];
  /** The subscription's state: how everyone else's media reaches this participant. */
  state: [PeerState];
  health: [ReadonlyMap<string, LinkHealth>];
}> {
  private readonly options: SfuSessionOptions;
  private iceServers: RTCIceServer[];
  private tracks: LocalTracks;
  private camera!: SfuPublication;
  private screen: SfuPublication | null = null;
  private subscription!: SfuSubscription;
  private layers!: LayerChoices;
  private sizes: ReadonlyMap<string, TileSize | null> = new Map();
  private readonly expectingVideo = new Map<string, boolean>();
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  private restarts = 0;
  private closed = false;

  constructor(options: SfuSessionOptions) {
    super();
    this.options = options;
    this.iceServers = options.iceServers;
    this.tracks = options.tracks;
    this.start();
  }

  get state(): PeerState {
    return this.subscription.state;
  }

  /** The subscription (re)offered by the server. */
  receiveOffer(offer: SfuOffer): void {
    void this.subscription.receive(offer);
  }

  /** Send these local tracks: swapped in place on the camera; the screen published or withdrawn. */
  setTracks(tracks: LocalTracks): void {
    this.tracks = tracks;
    void this.camera.replaceTracks(cameraTracks(tracks)).catch(() => undefined);
    if (tracks.screen === null) {
      if (this.screen !== null) this.unpublishScreen();
    } else if (this.screen === null) {
      this.screen = this.publication("screen", { video: tracks.screen });
    } else {
      void this.screen.replaceTracks({ video: tracks.screen }).catch(() => undefined);
    }
  }

  /** The tiles shown of each participant's camera, and how big (null: not shown). */
  setTileSizes(sizes: ReadonlyMap<string, TileSize | null>): void {
    this.sizes = sizes;
    this.layers.setSizes(sizes);
  }

  /** Whether a participant's camera is on, for the frozen-picture check. */
  expectVideo(participantId: string, video: boolean): void {
    this.expectingVideo.set(participantId, video);
    this.subscription.expectVideo(participantId, video);
  }

  /** Someone left: nothing more to expect of them. */
  forget(participantId: string): void {
    this.expectingVideo.delete(participantId);
    this.subscription.expectVideo(participantId, false);
  }

  /** The network changed: the publications look for a path at once. */
  networkChanged(): void {
    this.camera.restartIce();
    this.screen?.restartIce();
  }

  setIceServers(iceServers: RTCIceServer[]): void {
    this.iceServers = iceServers;
    for (const pc of [this.camera, this.screen, this.subscription]) pc?.setIceServers(iceServers);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.restartTimer);
    this.stop();
  }

  private start(): void {
    this.layers = new LayerChoices((choices) => this.sendLayers(choices));
    this.layers.setSizes(this.sizes);
    this.subscription = new SfuSubscription({
      createPeerConnection: () => this.createPeerConnection(),
      answer: async (version, sdp) => {
        await this.options.signaling.request({ type: "sfu-subscribed", version, sdp });
        this.layers.resume();
      },
      candidate: (pc, candidate) => this.sendCandidate(pc, candidate),
      lost: () => this.scheduleRestart(),
    });
    this.subscription.on("streams", (streams) => this.emit("streams", streams));
    this.subscription.on("state", (state) => {
      if (state === "connected") this.restarts = 0;
      this.emit("state", state);
    });
    this.subscription.on("health", (health) => this.emit("health", health));
    for (const [id, video] of this.expectingVideo) this.subscription.expectVideo(id, video);
    this.camera = this.publication("camera", cameraTracks(this.tracks));
    if (this.tracks.screen !== null) {
      this.screen = this.publication("screen", { video: this.tracks.screen });
    }
  }

  private stop(): void {
    this.layers.close();
    this.subscription.close();
    this.camera.close();
    this.screen?.close();
    this.screen = null;
  }

  /** The subscription cannot recover by itself: publish and subscribe afresh, backing off. */
  private scheduleRestart(): void {
    if (this.closed || this.restartTimer !== undefined) return;
    const wait = Math.min(RESTART_MAX_MS, RESTART_MS * 2 ** this.restarts);
    this.restarts += 1;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.closed) return;
      this.stop();
      this.emit("streams", new Map());
      this.start();
    }, wait);
  }

  private publication(source: SfuSource, tracks: SourceTracks): SfuPublication {
    return new SfuPublication({
      source,
      tracks,
      createPeerConnection: () => this.createPeerConnection(),
      publish: async (published, sdp) => {
        const answer = await this.options.signaling.request({
          type: "sfu-publish",
          source: published,
          sdp,
        });
        if (answer.type !== "sfu-answer") throw new Error(`no answer to sfu-publish ${source}`);
        return answer.sdp;
      },
      candidate: (pc, candidate) => this.sendCandidate(pc, candidate),
      onState: () => undefined,
    });
  }

  private unpublishScreen(): void {
    this.screen?.close();
    this.screen = null;
    this.options.signaling
      .request({ type: "sfu-unpublish", source: "screen" })
      .catch(() => undefined); // gone with the room's SFU, or the socket: nothing left to withdraw
  }

  private sendLayers(choices: LayerChoice[]): Promise<unknown> {
    return this.options.signaling.request({ type: "sfu-layers", choices });
  }

  private sendCandidate(pc: SfuPeer, candidate: IceCandidate | null): void {
    this.options.signaling.notify({ type: "sfu-candidate", pc, candidate });
  }

  private createPeerConnection(): RTCPeerConnection {
    const config: RTCConfiguration = {
      iceServers: this.iceServers,
      ...(this.options.iceTransportPolicy
        ? { iceTransportPolicy: this.options.iceTransportPolicy }
        : {}),
    };
    return this.options.createPeerConnection?.(config) ?? new RTCPeerConnection(config);
  }
}

/** What the camera publication sends: the microphone and the camera. */
function cameraTracks(tracks: LocalTracks): SourceTracks {
  return { audio: tracks.audio, video: tracks.video };
}
