/**
 * Simulcast through the SFU: the three layers a camera publishes (`q`, `h`, `f`: a quarter, half
 * and full resolution) and the camera size that gives all three, which layer a tile of a given
 * size needs, and the choices sent to the server (`sfu-layers`): only those that changed,
 * gathered for a moment so that a resize or a change of view sends one message, and none above
 * the cap the link allows (`DownlinkCap`).
 */
import type { Layer, LayerChoice } from "../realtime/protocol";
import type { CaptureSize } from "./LocalMedia";

/** A tile on screen, in CSS pixels. */
export interface TileSize {
  width: number;
  height: number;
}

/** The camera's encodings, lowest first; the SFU forwards one of them to each subscriber. */
export const CAMERA_LAYERS: readonly RTCRtpEncodingParameters[] = [
  { rid: "q", scaleResolutionDownBy: 4, maxBitrate: 150_000 },
  { rid: "h", scaleResolutionDownBy: 2, maxBitrate: 500_000 },
  { rid: "f", scaleResolutionDownBy: 1, maxBitrate: 1_500_000 },
];

/**
 * The camera size asked for while publishing to the SFU: Chromium encodes as many layers as the
 * size allows (one under 640x360, two under 960x540, so only `q` and `h` from the 640x480 it
 * captures by default), and three from this one: 320x180, 640x360 and 1280x720.
 */
export const SIMULCAST_CAPTURE: CaptureSize = { width: 1280, height: 720 };

/** The highest layer. */
export const TOP_LAYER: Layer = 2;

/** Tiles at least this wide get the full layer… */
const FULL_FROM_WIDTH = 480;
/** …at least this wide the half one; smaller ones a quarter. */
const HALF_FROM_WIDTH = 200;
/** Choices wait this long for more before they are sent. */
export const LAYERS_DEBOUNCE_MS = 300;

/** The layer a tile needs; none (null) for a tile not shown. */
export function layerFor(size: TileSize | null): Layer | null {
  if (size === null || size.width <= 0 || size.height <= 0) return null;
  if (size.width >= FULL_FROM_WIDTH) return TOP_LAYER;
  return size.width >= HALF_FROM_WIDTH ? 1 : 0;
}

/**
 * The layers chosen for each participant's camera (the tile's, at most the cap), and the server
 * told of changes only: what was sent is remembered; a refused message is forgotten, so its
 * choices go again with the next.
 */
export class LayerChoices {
  private readonly send: (choices: LayerChoice[]) => Promise<unknown>;
  private readonly sent = new Map<string, Layer | null>();
  /** The layer each participant's tile needs. */
  private tiles = new Map<string, Layer | null>();
  private cap: Layer = TOP_LAYER;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private paused = true;

  constructor(send: (choices: LayerChoice[]) => Promise<unknown>) {
    this.send = send;
  }

  /** The tiles now shown (null: not shown; someone missing: nothing said about them). */
  setSizes(sizes: ReadonlyMap<string, TileSize | null>): void {
    const tiles = new Map([...sizes].map(([id, size]) => [id, layerFor(size)]));
    const same =
      tiles.size === this.tiles.size &&
      [...tiles].every(([id, layer]) => this.tiles.get(id) === layer && this.tiles.has(id));
    this.tiles = tiles;
    // The same layers (a re-render, a resize within a layer) send nothing, nor delay what waits.
    if (!same) this.schedule();
  }

  /** No layer above this one, whatever the tile (what the link can take). */
  setCap(cap: Layer): void {
    if (cap === this.cap) return;
    this.cap = cap;
    this.schedule();
  }

  /** These participants' choices go again (their camera came anew into the subscription). */
  resend(participantIds: readonly string[]): void {
    if (participantIds.length === 0) return;
    for (const id of participantIds) this.sent.delete(id);
    this.schedule();
  }

  /**
   * Send choices from now on (the subscription exists); until then they wait, and go at once
   * when it comes, so that the SFU forwards the right layers from the start.
   */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.flush();
  }

  close(): void {
    clearTimeout(this.timer);
    this.paused = true;
  }

  private schedule(): void {
    if (this.paused) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), LAYERS_DEBOUNCE_MS);
  }

  private flush(): void {
    const wanted = [...this.tiles].map(([id, layer]): [string, Layer | null] => [
      id,
      layer === null ? null : (Math.min(layer, this.cap) as Layer),
    ]);
    const choices: LayerChoice[] = wanted
      .filter(([id, layer]) => !this.sent.has(id) || this.sent.get(id) !== layer)
      .map(([participant_id, layer]) => ({ participant_id, layer }));
    if (choices.length === 0) return;
    for (const { participant_id, layer } of choices) this.sent.set(participant_id, layer);
    this.send(choices).catch(() => {
      for (const { participant_id, layer } of choices) {
        if (this.sent.get(participant_id) === layer) this.sent.delete(participant_id);
      }
    });
  }
}
