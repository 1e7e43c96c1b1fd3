import { describe, expect, it } from "vitest";

import { arrivedAll, hasArrived, NOTHING_ARRIVED } from "./arrival";

describe("arrival", () => {
  it("counts audio from its packets and video from its decoded frames", () => {
    const stat = { type: "inbound-rtp", packetsReceived: 4, framesDecoded: 0 };
    expect(hasArrived("audio", stat)).toBe(true);
    expect(hasArrived("video", stat)).toBe(false);
    expect(hasArrived("screen", { ...stat, framesDecoded: 1 })).toBe(true);
  });

  it("waits for all a participant sends, and for nothing they do not", () => {
    const camera = { audio: true, video: true, screen: false };
    expect(arrivedAll(camera, { ...NOTHING_ARRIVED, audio: true })).toBe(false);
    expect(arrivedAll(camera, { audio: true, video: true, screen: false })).toBe(true);
    expect(
      arrivedAll({ ...camera, screen: true }, { audio: true, video: true, screen: false }),
    ).toBe(false);
    expect(arrivedAll({ audio: false, video: false, screen: false }, undefined)).toBe(true);
  });
});
