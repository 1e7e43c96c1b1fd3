import { describe, expect, it } from "vitest";

import { BackoffWithJitter } from "./ReconnectPolicy";

describe("BackoffWithJitter", () => {
  it("retries at once, then waits longer each time, up to a ceiling, with jitter", () => {
    const low = new BackoffWithJitter(() => 0);
    const high = new BackoffWithJitter(() => 0.999);
    expect([0, 1, 2, 3, 4, 5, 9].map((n) => low.delayBefore(n))).toEqual([
      0, 300, 1200, 2700, 4800, 7000, 7000,
    ]);
    expect(high.delayBefore(1)).toBe(1299);
    expect(high.delayBefore(0)).toBe(0);
  });

  it("spreads the first attempt over a second when the server closed the socket", () => {
    expect(new BackoffWithJitter(() => 0.25).delayBefore(0, true)).toBe(250);
    expect(new BackoffWithJitter(() => 0.999).delayBefore(0, true)).toBe(999);
  });
});
