import { act, cleanup, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { ApiProvider } from "../api/ApiContext";
import { ApiClient } from "../api/client";
import { stubApi } from "../api/fakeApi";
import type { GuestToken } from "../api/types";
import { GuestSession } from "./GuestSession";
import { GuestIdentityProvider, useCallToken, useIdentity } from "./IdentityContext";

const GUEST: GuestToken = {
  token: "guest-1",
  expires_in: 600,
  guest_id: "g-1",
  room_id: "room-1",
  display_name: "Gus",
};

/** Shows the identity, and fetches the ICE servers with the call's token. */
function Probe({ api }: { api: ApiClient }) {
  const identity = useIdentity();
  const callToken = useCallToken();
  return (
    <>
      <p>{`${identity.kind} ${identity.id} ${identity.displayName} ${identity.roomId}`}</p>
      <button type="button" onClick={() => void api.iceServers(callToken)}>
        ICE
      </button>
    </>
  );
}

describe("GuestIdentityProvider", () => {
  beforeEach(() => {
    vi.useFakeTimers();
    sessionStorage.clear();
  });

  afterEach(() => {
    cleanup();
    vi.useRealTimers();
    vi.unstubAllGlobals();
    sessionStorage.clear();
  });

  it("names the guest, gives the call their credential, and renews it while mounted", async () => {
    let renewed = 0;
    const sent = stubApi({
      "GET /api/ice-servers": (request) =>
        request.authorization === "Bearer guest-1"
          ? Response.json({ error: { code: "token_expired", message: "expired" } }, { status: 401 })
          : Response.json({ ice_servers: [], ttl: 3600 }),
    });
    const api = new ApiClient();
    const renew = vi.fn(async () => ({ ...GUEST, token: `guest-${++renewed + 1}` }));
    const session = GuestSession.begin("code", GUEST, renew);
    const { unmount } = render(
      <ApiProvider api={api}>
        <GuestIdentityProvider session={session}>
          <Probe api={api} />
        </GuestIdentityProvider>
      </ApiProvider>,
    );
    expect(screen.getByText("guest g-1 Gus room-1")).toBeTruthy();

    // The ICE servers with the guest's credential; refused, with a renewed one.
    await act(async () => screen.getByText("ICE").click());
    await act(() => vi.advanceTimersByTimeAsync(0));
    expect(sent.filter((r) => r.path === "/api/ice-servers").map((r) => r.authorization)).toEqual([
      "Bearer guest-1",
      "Bearer guest-2",
    ]);
    expect(sent.some((r) => r.path === "/api/auth/refresh")).toBe(false);

    // Renewed at 80% of the renewed credential's lifetime while mounted, not after.
    await act(() => vi.advanceTimersByTimeAsync(480_000));
    expect(renew).toHaveBeenCalledTimes(2);
    unmount();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(renew).toHaveBeenCalledTimes(2);
  });
});
