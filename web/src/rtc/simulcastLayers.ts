/**
 * Simulcast through the SFU: the three layers a camera publishes (`q`, `h`, `f`: a quarter, half
 * and full resolution), which layer a tile of a given size needs, and the choices sent to the
 * server (`sfu-layers`): only those that changed, gathered for a moment so that a resize or a
 * change of view sends one message.
 */
import type { Layer, LayerChoice } from "../realtime/protocol";

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

/** Tiles at least this wide get the full layer… */
const FULL_FROM_WIDTH = 480;
/** …at least this wide the half one; smaller ones a quarter. */
const HALF_FROM_WIDTH = 200;
/** Choices wait this long for more before they are sent. */
export const LAYERS_DEBOUNCE_MS = 300;

/** The layer a tile needs; none (null) for a tile not shown. */
export function layerFor(size: TileSize | null): Layer | null {
  if (size === null || size.width <= 0 || size.height <= 0) return null;
  if (size.width >= FULL_FROM_WIDTH) return 2;
  return size.width >= HALF_FROM_WIDTH ? 1 : 0;
}

/**
 * The layers chosen for each participant's camera, and the server told of changes only: what
 * was sent is remembered; a refused message is forgotten, so its choices go again with the next.
 */
export class LayerChoices {
  private readonly send: (choices: LayerChoice[]) => Promise<unknown>;
  private readonly sent = new Map<string, Layer | null>();
  private wanted = new Map<string, Layer | null>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private paused = true;

  constructor(send: (choices: LayerChoice[]) => Promise<unknown>) {
    this.send = send;
  }

  /** The tiles now shown (null: not shown; someone missing: nothing said about them). */
  setSizes(sizes: ReadonlyMap<string, TileSize | null>): void {
    const wanted = new Map([...sizes].map(([id, size]) => [id, layerFor(size)]));
    const same =
      wanted.size === this.wanted.size &&
      [...wanted].every(([id, layer]) => this.wanted.get(id) === layer && this.wanted.has(id));
    this.wanted = wanted;
    // The same layers (a re-render, a resize within a layer) send nothing, nor delay what waits.
    if (!same) this.schedule();
  }

  /** Send choices from now on (the subscription exists); until then they wait. */
  resume(): void {
    this.paused = false;
    this.schedule();
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
    const choices: LayerChoice[] = [...this.wanted]
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
