import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { ApiError } from "../api/client";
import type { GuestToken } from "../api/types";
import { GuestSession } from "./GuestSession";

const CODE = "abcd-efgh-ijkl";
const TTL = 600;

function credential(n: number): GuestToken {
  return {
    token: `guest-token-${n}`,
    expires_in: TTL,
    guest_id: "g-1",
    room_id: "room-1",
    display_name: "Gus",
  };
}

/** The API's renewal: each call answers the next credential, or what `answer` says. */
function renewals(
  answer: (token: string) => Promise<GuestToken> = async (token) => {
    const n = Number(token.split("-").at(-1));
    return credential(n + 1);
  },
) {
  return vi.fn(answer);
}

describe("GuestSession", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    sessionStorage.clear();
  });

  afterEach(() => {
    vi.useRealTimers();
    sessionStorage.clear();
  });

  it("is kept for its room's code across a reload, and not once it expired", () => {
    const renew = renewals();
    GuestSession.begin(CODE, credential(1), renew);

    const restored = GuestSession.restore(CODE, renew);
    expect(restored?.identity).toEqual({ id: "g-1", displayName: "Gus", roomId: "room-1" });
    expect(GuestSession.restore("other-room-code", renew)).toBeNull();

    vi.advanceTimersByTime(TTL * 1000);
    expect(GuestSession.restore(CODE, renew)).toBeNull();
    expect(sessionStorage.getItem(`glimpse-guest:${CODE}`)).toBeNull();
  });

  it("renews at 80% of the credential's lifetime while kept renewed, and stores the new one", async () => {
    const renew = renewals();
    const session = GuestSession.begin(CODE, credential(1), renew);
    const stop = session.keepRenewed();

    await vi.advanceTimersByTimeAsync(0.8 * TTL * 1000 - 1);
    expect(renew).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(renew).toHaveBeenCalledExactlyOnceWith("guest-token-1");
    expect(await session.token()).toBe("guest-token-2");
    expect(GuestSession.restore(CODE, renew)).not.toBeNull();
    expect(sessionStorage.getItem(`glimpse-guest:${CODE}`)).toContain("guest-token-2");

    // The next renewal counts from the new credential.
    await vi.advanceTimersByTimeAsync(0.8 * TTL * 1000);
    expect(renew).toHaveBeenLastCalledWith("guest-token-2");

    stop();
    await vi.advanceTimersByTimeAsync(TTL * 1000);
    expect(renew).toHaveBeenCalledTimes(2);
  });

  it("resumes the renewal schedule of a restored credential", async () => {
    const renew = renewals();
    GuestSession.begin(CODE, credential(1), renew);
    await vi.advanceTimersByTimeAsync(0.5 * TTL * 1000); // the tab reloads half-way
    GuestSession.restore(CODE, renew)!.keepRenewed();
    await vi.advanceTimersByTimeAsync(0.3 * TTL * 1000 - 1);
    expect(renew).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(renew).toHaveBeenCalledOnce();
  });

  it("tries a failed renewal again while the credential lasts", async () => {
    let fail = true;
    const renew = renewals(async () => {
      if (fail) throw new ApiError(503, "server_busy", "busy");
      return credential(2);
    });
    const session = GuestSession.begin(CODE, credential(1), renew);
    session.keepRenewed();

    await vi.advanceTimersByTimeAsync(0.8 * TTL * 1000);
    expect(renew).toHaveBeenCalledTimes(1);
    // 120 s left: again after 30 s at most.
    await vi.advanceTimersByTimeAsync(30_000);
    expect(renew).toHaveBeenCalledTimes(2);
    fail = false;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(renew).toHaveBeenCalledTimes(3);
    expect(await session.token()).toBe("guest-token-2");
  });

  it("ends when the renewal is refused: forgotten, listeners told, tokens refused as signed out", async () => {
    const renew = renewals(async () => {
      throw new ApiError(401, "token_expired", "expired");
    });
    const session = GuestSession.begin(CODE, credential(1), renew);
    const ended = vi.fn();
    session.onEnded(ended);
    session.keepRenewed();

    await vi.advanceTimersByTimeAsync(0.8 * TTL * 1000);
    expect(ended).toHaveBeenCalledOnce();
    expect(sessionStorage.getItem(`glimpse-guest:${CODE}`)).toBeNull();
    await expect(session.token()).rejects.toMatchObject({ status: 401 });
    await vi.advanceTimersByTimeAsync(TTL * 1000);
    expect(renew).toHaveBeenCalledOnce();
  });

  it("shares one renewal between callers asking for a fresh credential at once", async () => {
    const renew = renewals();
    const session = GuestSession.begin(CODE, credential(1), renew);
    const tokens = await Promise.all([session.token(true), session.token(true)]);
    expect(tokens).toEqual(["guest-token-2", "guest-token-2"]);
    expect(renew).toHaveBeenCalledOnce();
  });
});
