import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { FakePeerConnection } from "./fakePeerConnection";
import { CONNECT_TIMEOUT_MS, ConnectionWatch, DISCONNECTED_GRACE_MS } from "./sfuConnection";

/** A policy without jitter: attempt n waits n seconds. */
const policy = { delayBefore: (attempt: number) => attempt * 1000 };

describe("ConnectionWatch", () => {
  let recoveries: number[];
  let states: string[];

  const watching = (pc: FakePeerConnection) =>
    new ConnectionWatch(pc as unknown as RTCPeerConnection, {
      policy,
      recover: (attempt) => recoveries.push(attempt),
      onState: (state) => states.push(state),
    });

  beforeEach(() => {
    vi.useFakeTimers();
    recoveries = [];
    states = [];
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("recovers a failed connection at once, then backing off while it does not come back", async () => {
    const pc = new FakePeerConnection();
    watching(pc);
    pc.connect();
    pc.fail();
    expect(states).toEqual(["connected", "reconnecting"]);
    await vi.advanceTimersByTimeAsync(0);
    expect(recoveries).toEqual([0]);
    await vi.advanceTimersByTimeAsync(CONNECT_TIMEOUT_MS + 999);
    expect(recoveries).toEqual([0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(recoveries).toEqual([0, 1]);
    // Each recovery that did not bring it back gives the next more time to connect.
    await vi.advanceTimersByTimeAsync(2 * CONNECT_TIMEOUT_MS + 1999);
    expect(recoveries).toEqual([0, 1]);
    await vi.advanceTimersByTimeAsync(1);
    expect(recoveries).toEqual([0, 1, 2]);
    await vi.advanceTimersByTimeAsync(4 * CONNECT_TIMEOUT_MS + 3000);
    expect(recoveries).toEqual([0, 1, 2, 3]);
    // Back: the next failure is a first attempt again.
    pc.connect();
    pc.fail();
    await vi.advanceTimersByTimeAsync(0);
    expect(recoveries).toEqual([0, 1, 2, 3, 0]);
  });

  it("gives a disconnected connection its grace, and none to one that never connected", async () => {
    const pc = new FakePeerConnection();
    const watch = watching(pc);
    pc.connect();
    pc.disconnect();
    await vi.advanceTimersByTimeAsync(DISCONNECTED_GRACE_MS - 1);
    pc.connect(); // back by itself
    await vi.advanceTimersByTimeAsync(DISCONNECTED_GRACE_MS);
    expect(recoveries).toEqual([]);
    pc.disconnect();
    await vi.advanceTimersByTimeAsync(DISCONNECTED_GRACE_MS);
    expect(recoveries).toEqual([0]);
    watch.close();

    const fresh = new FakePeerConnection();
    const other = watching(fresh);
    other.armed();
    await vi.advanceTimersByTimeAsync(CONNECT_TIMEOUT_MS);
    expect(recoveries).toEqual([0, 0]);
    expect(other.state).toBe("connecting");
    other.close();
  });

  it("follows the connection that replaces the last, counting its attempts on", async () => {
    const first = new FakePeerConnection();
    const watch = watching(first);
    first.connect();
    first.fail();
    await vi.advanceTimersByTimeAsync(0);
    const second = new FakePeerConnection();
    watch.follow(second as unknown as RTCPeerConnection);
    second.fail();
    await vi.advanceTimersByTimeAsync(1000);
    expect(recoveries).toEqual([0, 1]);
    first.connect(); // the old one's events no longer count
    expect(watch.state).toBe("reconnecting");
    second.connect();
    expect(watch.state).toBe("connected");
    watch.close();
    await vi.advanceTimersByTimeAsync(CONNECT_TIMEOUT_MS * 2);
    expect(recoveries).toEqual([0, 1]);
  });
});
