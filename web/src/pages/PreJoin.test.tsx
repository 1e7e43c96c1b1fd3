import { act, cleanup, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { App } from "../App";
import { PREJOIN_REFRESH_MS } from "../api/queries";
import { stubApi } from "../api/fakeApi";
import type { RoomInvite, RoomLookup } from "../api/types";
import { stubMediaDevices } from "../rtc/fakeMedia";

const CODE = "abcd-efgh-ijkl";
const NOTICE = "This meeting is being recorded. You can join with your camera and microphone off.";

const ROOM: RoomLookup = {
  id: "room-1",
  code: CODE,
  name: "Standup",
  has_password: false,
  allow_guests: true,
  lobby: "off",
  media_mode: "sfu",
  owner_id: "u-olive",
  created_at: "",
  invite_path: `/r/${CODE}`,
  recording: false,
};

function open(path: string): void {
  window.history.replaceState(null, "", path);
  render(<App />);
}

/** The pre-join screen's refresh interval passes: its next read (the `reads`th) is answered. */
async function refreshed(sent: () => number, reads: number): Promise<void> {
  await act(() => vi.advanceTimersByTimeAsync(PREJOIN_REFRESH_MS));
  await waitFor(() => expect(sent()).toBe(reads));
  await act(() => vi.advanceTimersByTimeAsync(0)); // its answer rendered
}

/** The pre-join's live region: empty, or the notice that the meeting is recorded. */
function recordedNotice(): string | null {
  const join = screen.getByRole("button", { name: "Join room" });
  const region = join.closest("form")!.querySelector('[role="status"]')!;
  return region.textContent === "" ? null : region.textContent;
}

describe("PreJoin", () => {
  beforeEach(() => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    sessionStorage.clear();
    stubMediaDevices();
  });

  afterEach(() => {
    cleanup();
    vi.useRealTimers();
    vi.unstubAllGlobals();
    sessionStorage.clear();
  });

  it("says the meeting is recorded, and reads it again while the user waits", async () => {
    let recording: boolean | null = false;
    const sent = stubApi({
      [`GET /api/rooms/by-code/${CODE}`]: () => Response.json(ROOM),
      "GET /api/rooms/room-1": () => Response.json({ ...ROOM, recording }),
    });
    const byId = () => sent.filter((r) => r.path === "/api/rooms/room-1").length;
    open(`/r/${CODE}`);
    await screen.findByRole("button", { name: "Join room" });
    expect(recordedNotice()).toBeNull();

    recording = true; // a host starts recording while the user waits
    await refreshed(byId, 1);
    await waitFor(() => expect(recordedNotice()).toBe(NOTICE));
    const join = screen.getByRole("button", { name: "Join room" });
    expect(document.getElementById(join.getAttribute("aria-describedby")!)!.textContent).toBe(
      NOTICE,
    );

    recording = null; // the server cannot tell for a while: what was known stays
    await refreshed(byId, 2);
    expect(recordedNotice()).toBe(NOTICE);

    recording = false;
    await refreshed(byId, 3);
    await waitFor(() => expect(recordedNotice()).toBeNull());
    expect(join.getAttribute("aria-describedby")).toBeNull();
    const lookups = sent.filter((r) => r.path.startsWith("/api/rooms/by-code/"));
    expect(lookups).toHaveLength(1); // read again by id: the rate-limited lookup by code is not
  });

  it("tells a guest from the invite, read again the same way", async () => {
    let recording = true;
    const invite = (): RoomInvite => ({
      room: { ...ROOM },
      owner_name: "Olive",
      recording,
    });
    const fetch = vi.fn(async (input: string) => {
      if (input === `/api/invites/${CODE}`) return Response.json(invite());
      return Response.json({ error: { code: "unauthorized", message: "no" } }, { status: 401 });
    });
    vi.stubGlobal("fetch", fetch);
    const invites = () =>
      fetch.mock.calls.filter(([path]) => path === `/api/invites/${CODE}`).length;
    sessionStorage.setItem(
      `glimpse-guest:${CODE}`,
      JSON.stringify({
        token: "guest-token",
        expiresAt: Date.now() + 600_000,
        lifetimeMs: 600_000,
        guestId: "g-1",
        roomId: "room-1",
        displayName: "Gus",
      }),
    );
    open(`/r/${CODE}`);
    await screen.findByRole("button", { name: "Join room" });
    expect(recordedNotice()).toBe(NOTICE);

    recording = false;
    await refreshed(invites, 2); // the invite page's read, then the pre-join's
    await waitFor(() => expect(recordedNotice()).toBeNull());
  });
});
