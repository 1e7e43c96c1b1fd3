/**
 * This participant's media through the SFU, for one generation of the room's `sfu` media path:
 * the camera publication (from the start, whatever is on), the screen publication while sharing,
 * and the subscription to everyone else, all signaled over Glimpse's WebSocket (the browser never
 * talks to Janus). Local track changes go to the publications in place; the simulcast layer of
 * each camera follows the tile it is shown in, at most what the subscription's link can carry
 * (`DownlinkCap`), asked for again whenever that camera comes anew into the subscription (the
 * server keeps no choice for a stream it does not send yet).
 */
import { Emitter } from "../realtime/emitter";
import type {
  IceCandidate,
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
import type { ArrivedMedia } from "./arrival";
import type { SubscribedMedia } from "./SfuSubscription";
import { DownlinkCap } from "./downlinkCap";
import { LayerChoices } from "./simulcastLayers";
import type { TileSize } from "./simulcastLayers";

/** What the session needs of the WebSocket service. */
export interface SfuSignaling {
  request: (request: Request) => Promise<Answer>;
  notify: (message: OneWayMessage) => void;
}

export interface SfuSessionOptions {
  signaling: SfuSignaling;
  /** The generation of the room's `sfu` media path this session belongs to. */
  generation: number;
  iceServers: RTCIceServer[];
  iceTransportPolicy?: RTCIceTransportPolicy;
  tracks: LocalTracks;
  createPeerConnection?: (config: RTCConfiguration) => RTCPeerConnection;
}

export class SfuSession extends Emitter<{
  /** Each subscribed participant's streams (someone missing sends nothing through the SFU). */
  streams: [ReadonlyMap<string, SubscribedMedia>];
  /** The subscription's state: how everyone else's media reaches this participant. */
  state: [PeerState];
  health: [ReadonlyMap<string, LinkHealth>];
  /** What of each participant's media has come through (for a switch: make before break). */
  arrived: [ReadonlyMap<string, ArrivedMedia>];
}> {
  private readonly options: SfuSessionOptions;
  private iceServers: RTCIceServer[];
  private readonly camera: SfuPublication;
  private screen: SfuPublication | null = null;
  private readonly subscription: SfuSubscription;
  private readonly layers: LayerChoices;
  private readonly downlink = new DownlinkCap();
  /** The participants whose camera the subscription carries. */
  private cameras = new Set<string>();

  constructor(options: SfuSessionOptions) {
    super();
    this.options = options;
    this.iceServers = options.iceServers;
    this.layers = new LayerChoices((choices) =>
      this.options.signaling.request({ type: "sfu-layers", choices }),
    );
    this.subscription = new SfuSubscription({
      createPeerConnection: () => this.createPeerConnection(),
      answer: async (version, sdp) => {
        await this.options.signaling.request({ type: "sfu-subscribed", version, sdp });
        this.layers.resume();
      },
      resubscribe: (version) =>
        this.options.signaling.request({
          type: "sfu-resubscribe",
          generation: this.options.generation,
          version,
        }),
      candidate: (pc, candidate) => this.sendCandidate(pc, candidate),
    });
    this.subscription.on("streams", (streams) => this.streamsChanged(streams));
    this.subscription.on("state", (state) => this.emit("state", state));
    this.subscription.on("arrived", (arrived) => this.emit("arrived", arrived));
    this.subscription.on("health", (health) => {
      this.emit("health", health);
      const link = health.values().next().value; // the same for everyone: the path from the SFU
      if (link) this.layers.setCap(this.downlink.observe(link.loss));
    });
    this.camera = this.publication("camera", cameraTracks(options.tracks));
    if (options.tracks.screen !== null) {
      this.screen = this.publication("screen", { video: options.tracks.screen });
    }
  }

  get state(): PeerState {
    return this.subscription.state;
  }

  /** The generation of the room's `sfu` media path this session belongs to. */
  get generation(): number {
    return this.options.generation;
  }

  /** The subscription (re)offered by the server. */
  receiveOffer(offer: SfuOffer): void {
    void this.subscription.receive(offer);
  }

  /** Send these local tracks: swapped in place on the camera; the screen published or withdrawn. */
  setTracks(tracks: LocalTracks): void {
    this.setCameraTracks(tracks);
    if (tracks.screen === null) {
      if (this.screen !== null) this.unpublishScreen();
    } else if (this.screen === null) {
      this.screen = this.publication("screen", { video: tracks.screen });
    } else {
      void this.screen.replaceTracks({ video: tracks.screen }).catch(() => undefined);
    }
  }

  /**
   * Send these microphone and camera tracks, swapped in place (a session the room's path has
   * left, still carrying this participant to those who show it through the SFU, takes no more).
   */
  setCameraTracks(tracks: LocalTracks): void {
    void this.camera.replaceTracks(cameraTracks(tracks)).catch(() => undefined);
  }

  /** The tiles shown of each participant's camera, and how big (null: not shown). */
  setTileSizes(sizes: ReadonlyMap<string, TileSize | null>): void {
    this.layers.setSizes(sizes);
  }

  /** Whether a participant's camera is on, for the frozen-picture check (off once they left). */
  expectVideo(participantId: string, video: boolean): void {
    this.subscription.expectVideo(participantId, video);
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
    this.layers.close();
    this.subscription.close();
    this.camera.close();
    this.screen?.close();
    this.screen = null;
  }

  /** The subscription changed: whose camera is new in it gets its layer asked for again. */
  private streamsChanged(streams: ReadonlyMap<string, SubscribedMedia>): void {
    const cameras = new Set([...streams].filter(([, m]) => m.camera !== null).map(([id]) => id));
    this.layers.resend([...cameras].filter((id) => !this.cameras.has(id)));
    this.cameras = cameras;
    this.emit("streams", streams);
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
    });
  }

  private unpublishScreen(): void {
    this.screen?.close();
    this.screen = null;
    this.options.signaling
      .request({ type: "sfu-unpublish", source: "screen" })
      .catch(() => undefined); // gone with the room's SFU, or the socket: nothing left to withdraw
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
