import { describe, expect, it } from "vitest";

import {
  CONGESTED_LOSS,
  DownlinkCap,
  GOOD_STRETCH_MAX_MS,
  GOOD_STRETCH_MS,
  LIFT_TRIAL_MS,
  SETTLE_MS,
} from "./downlinkCap";

const HEAVY = CONGESTED_LOSS;
const LIGHT = CONGESTED_LOSS / 2;

/** Reads every half second from `from` to `to` (ms) with this loss; the last cap. */
function run(cap: DownlinkCap, loss: number, from: number, to: number): number {
  let layer = -1;
  for (let now = from; now <= to; now += 500) layer = cap.observe(loss, now);
  return layer;
}

describe("DownlinkCap", () => {
  it("leaves the top layer to a link that carries it (some loss is not congestion)", () => {
    const cap = new DownlinkCap();
    expect(run(cap, LIGHT, 0, 60_000)).toBe(2);
  });

  it("steps down a layer at a time under heavy loss, each step given time to arrive", () => {
    const cap = new DownlinkCap();
    expect(cap.observe(HEAVY, 0)).toBe(1);
    expect(run(cap, HEAVY, 500, SETTLE_MS - 500)).toBe(1); // the old loss still in the window
    expect(cap.observe(HEAVY, SETTLE_MS)).toBe(0);
    expect(run(cap, HEAVY, SETTLE_MS, 20_000)).toBe(0); // the lowest stays
  });

  it("lifts the cap after a good stretch, up to the top", () => {
    const cap = new DownlinkCap();
    cap.observe(HEAVY, 0);
    cap.observe(HEAVY, SETTLE_MS);
    const clear = 2 * SETTLE_MS; // the second step has settled: the good stretch starts
    expect(run(cap, 0, clear, clear + GOOD_STRETCH_MS - 500)).toBe(0);
    expect(cap.observe(0, clear + GOOD_STRETCH_MS)).toBe(1);
    expect(run(cap, 0, clear + GOOD_STRETCH_MS + 500, 60_000)).toBe(2);
  });

  it("waits twice as long after a lift the link could not take, and resets once one holds", () => {
    const cap = new DownlinkCap();
    cap.observe(HEAVY, 0); // 1
    let now = SETTLE_MS;
    const liftAfter = (wait: number): number => {
      const start = now;
      while (cap.observe(0, now) === 1) now += 500;
      return now - start - wait;
    };
    // Each lift to 2 is too much: loss again once it settles, and the next wait doubles.
    let wait = GOOD_STRETCH_MS;
    for (let lift = 0; lift < 5; lift++) {
      expect(liftAfter(wait)).toBe(0);
      now += SETTLE_MS;
      expect(cap.observe(HEAVY, now)).toBe(1);
      now += SETTLE_MS;
      wait = Math.min(GOOD_STRETCH_MAX_MS, wait * 2);
    }
    expect(wait).toBe(GOOD_STRETCH_MAX_MS);
    // This lift holds: the wait is back to the first.
    expect(liftAfter(wait)).toBe(0);
    now += LIFT_TRIAL_MS;
    cap.observe(0, now);
    expect(cap.observe(HEAVY, now + 500)).toBe(1);
    now += 500 + SETTLE_MS;
    expect(liftAfter(GOOD_STRETCH_MS)).toBe(0);
  });
});
