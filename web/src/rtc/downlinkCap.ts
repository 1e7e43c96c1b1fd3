/**
 * The highest simulcast layer the path from the SFU can carry. Janus forwards whichever layer a
 * subscriber asks for, whatever that subscriber's downlink, so a link too narrow for it loses
 * packets and freezes. Heavy loss lowers the cap one layer at a time (each step given a moment
 * to arrive before the loss is judged again); a good stretch lifts it one layer; a lift the link
 * could not take makes the next stretch twice as long, up to a limit, and one that holds resets it.
 */
import type { Layer } from "../realtime/protocol";
import { TOP_LAYER } from "./simulcastLayers";

/** Share of packets lost (over the subscription's quality window) that marks the link as full. */
export const CONGESTED_LOSS = 0.1;
/** After a change, the loss is not judged for this long (the window, and a keyframe of the layer). */
export const SETTLE_MS = 3000;
/** Good for this long, the cap goes up a layer… */
export const GOOD_STRETCH_MS = 8000;
/** …doubling after each lift the link could not take, up to this. */
export const GOOD_STRETCH_MAX_MS = 64_000;
/** Congestion within this long after a lift: the lift was too much. */
export const LIFT_TRIAL_MS = 6000;

export class DownlinkCap {
  private cap: Layer = TOP_LAYER;
  private changedAt = -Infinity;
  private goodSince: number | null = null;
  private stretchMs = GOOD_STRETCH_MS;
  private liftedAt: number | null = null;

  /** The subscription's loss now (0..1); the cap from now on. */
  observe(loss: number, now: number = performance.now()): Layer {
    if (this.liftedAt !== null && now - this.liftedAt >= LIFT_TRIAL_MS) {
      this.liftedAt = null; // the lift held
      this.stretchMs = GOOD_STRETCH_MS;
    }
    if (now - this.changedAt < SETTLE_MS) return this.cap;
    if (loss >= CONGESTED_LOSS) {
      this.goodSince = null;
      if (this.cap > 0) {
        if (this.liftedAt !== null) {
          this.stretchMs = Math.min(GOOD_STRETCH_MAX_MS, this.stretchMs * 2);
        }
        this.change((this.cap - 1) as Layer, now);
      }
      return this.cap;
    }
    this.goodSince ??= now;
    if (this.cap < TOP_LAYER && now - this.goodSince >= this.stretchMs) {
      this.change((this.cap + 1) as Layer, now);
      this.liftedAt = now;
    }
    return this.cap;
  }

  private change(cap: Layer, now: number): void {
    this.cap = cap;
    this.changedAt = now;
    this.goodSince = null;
    this.liftedAt = null;
  }
}
