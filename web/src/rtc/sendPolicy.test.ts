import { describe, expect, it } from "vitest";

import {
  cameraEncoding,
  PAUSE_AFTER_MS,
  RETRY_AFTER_MS,
  RETRY_GRACE_MS,
  VideoGate,
  withOpusDtx,
} from "./sendPolicy";

const OFFER = [
  "v=0",
  "m=audio 9 UDP/TLS/RTP/SAVPF 111 63",
  "a=rtpmap:111 opus/48000/2",
  "a=fmtp:111 minptime=10;useinbandfec=1",
  "a=rtpmap:63 red/48000/2",
  "",
].join("\r\n");

describe("cameraEncoding", () => {
  it("shares one upload among the copies, smaller and slower as the room grows", () => {
    expect(cameraEncoding(1)).toEqual({
      maxBitrate: 1_500_000,
      scaleResolutionDownBy: 1,
      maxFramerate: 30,
    });
    expect(cameraEncoding(4).maxBitrate).toBe(625_000);
    expect(cameraEncoding(6)).toMatchObject({ scaleResolutionDownBy: 2, maxFramerate: 30 });
    expect(cameraEncoding(11)).toMatchObject({ scaleResolutionDownBy: 2, maxFramerate: 15 });
    const total = (peers: number) => cameraEncoding(peers).maxBitrate * peers;
    expect(Math.max(...[2, 3, 5, 8, 11].map(total))).toBeLessThanOrEqual(2_500_000);
  });
});

describe("withOpusDtx", () => {
  it("asks for DTX on the Opus line, once", () => {
    const sdp = withOpusDtx(OFFER);
    expect(sdp).toContain("a=fmtp:111 minptime=10;useinbandfec=1;usedtx=1\r\n");
    expect(withOpusDtx(sdp)).toBe(sdp);
    expect(withOpusDtx("v=0\r\n")).toBe("v=0\r\n");
  });
});

describe("VideoGate", () => {
  it("pauses video under the floor, tries again later, and backs off when it fails", () => {
    const gate = new VideoGate();
    let now = 0;
    const feed = (available: number | null, forMs: number) => {
      const changes: boolean[] = [];
      for (const end = now + forMs; now < end; now += 500) {
        if (gate.update(available, now)) changes.push(gate.sending);
      }
      return changes;
    };
    expect(feed(2_000_000, 5000)).toEqual([]);
    expect(feed(100_000, PAUSE_AFTER_MS - 500)).toEqual([]); // a dip, not yet a pause
    expect(feed(100_000, 1000)).toEqual([false]);
    expect(feed(100_000, RETRY_AFTER_MS)).toEqual([true]); // tried again
    // Still too weak once the grace is over: paused again, and the next try waits twice as long.
    expect(feed(100_000, RETRY_GRACE_MS + PAUSE_AFTER_MS + 500)).toEqual([false]);
    expect(feed(100_000, RETRY_AFTER_MS)).toEqual([]);
    expect(feed(100_000, RETRY_AFTER_MS)).toEqual([true]);
    expect(feed(1_000_000, 60_000)).toEqual([]); // the link is back: video stays
  });
});
