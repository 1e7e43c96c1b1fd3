import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { App } from "../App";
import type { GuestToken, RoomInvite } from "../api/types";
import { stubMediaDevices } from "../rtc/fakeMedia";

const CODE = "abcd-efgh-ijkl";

function invite(allowGuests: boolean): RoomInvite {
  return {
    room: {
      id: "room-1",
      name: "Standup",
      code: CODE,
      has_password: false,
      allow_guests: allowGuests,
      lobby: "off",
      media_mode: "auto",
    },
    owner_name: "Ann",
    recording: false,
  };
}

const GUEST: GuestToken = {
  token: "guest-token",
  expires_in: 600,
  guest_id: "g-1",
  room_id: "room-1",
  display_name: "Gus",
};

/** Nobody is signed in; the invite endpoints answer for `CODE`, guests on or off. */
function server(options: { allowGuests?: boolean; refuseGuests?: boolean } = {}) {
  let allowGuests = options.allowGuests ?? true;
  const guestsCreated: unknown[] = [];
  const fetch = vi.fn(async (input: string, init?: RequestInit) => {
    if (input === `/api/invites/${CODE}`) return Response.json(invite(allowGuests));
    if (input === `/api/invites/${CODE}/guests` && init?.method === "POST") {
      if (options.refuseGuests) {
        allowGuests = false;
        const error = { code: "guests_not_allowed", message: "guests are not allowed" };
        return Response.json({ error }, { status: 403 });
      }
      guestsCreated.push(JSON.parse(String(init.body)));
      return Response.json(GUEST);
    }
    if (input === "/api/guests/renew") {
      const error = { code: "token_expired", message: "the token has expired" };
      return Response.json({ error }, { status: 401 });
    }
    if (input.startsWith("/api/invites/")) {
      const error = { code: "room_not_found", message: "room not found" };
      return Response.json({ error }, { status: 404 });
    }
    if (input === "/api/auth/policy") return Response.json({ signup: "open" });
    if (input === "/api/auth/login") {
      return Response.json({
        access_token: "token",
        token_type: "bearer",
        expires_in: 900,
        user: { id: "u-bob", email: "bob@example.org", display_name: "Bob", created_at: "" },
      });
    }
    return Response.json({ error: { code: "unauthorized", message: "no" } }, { status: 401 });
  });
  vi.stubGlobal("fetch", fetch);
  return { guestsCreated };
}

/** A guest credential this tab holds for `CODE`, expiring in `expiresInMs`. */
function storeGuest(expiresInMs: number): void {
  sessionStorage.setItem(
    `glimpse-guest:${CODE}`,
    JSON.stringify({
      token: "guest-token",
      expiresAt: Date.now() + expiresInMs,
      lifetimeMs: 600_000,
      guestId: "g-1",
      roomId: "room-1",
      displayName: "Gus",
    }),
  );
}

function open(path: string): void {
  window.history.replaceState(null, "", path);
  render(<App />);
}

describe("InvitePage", () => {
  beforeEach(() => {
    sessionStorage.clear();
    stubMediaDevices(); // the pre-join's preview
  });

  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
    sessionStorage.clear();
  });

  it("names the room and its host, and offers joining as a guest beside signing in", async () => {
    server();
    open(`/r/${CODE}`);
    expect(await screen.findByRole("heading", { name: "Standup" })).toBeTruthy();
    expect(screen.getByText("Hosted by Ann")).toBeTruthy();
    expect(screen.getByLabelText("Your name")).toBeTruthy();
    expect(screen.getByRole("button", { name: "Join as a guest" })).toBeTruthy();
    const signIn = screen.getByRole("link", { name: "Sign in" });
    expect(signIn.getAttribute("href")).toBe(`/signin?next=${encodeURIComponent(`/r/${CODE}`)}`);
  });

  it("comes back to the room after signing in", async () => {
    server();
    open(`/r/${CODE}`);
    fireEvent.click(await screen.findByRole("link", { name: "Sign in" }));
    fireEvent.change(await screen.findByLabelText("Email"), {
      target: { value: "bob@example.org" },
    });
    fireEvent.change(screen.getByLabelText("Password"), { target: { value: "a fine password" } });
    fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    await waitFor(() => expect(window.location.pathname).toBe(`/r/${CODE}`));
  });

  it("offers only signing in when the host turned guests off", async () => {
    server({ allowGuests: false });
    open(`/r/${CODE}`);
    expect(await screen.findByText("The host has turned off guest access")).toBeTruthy();
    expect(screen.getByText("Hosted by Ann")).toBeTruthy();
    expect(screen.queryByLabelText("Your name")).toBeNull();
    expect(screen.queryByRole("button", { name: "Join as a guest" })).toBeNull();
    expect(screen.getByRole("link", { name: "Sign in" })).toBeTruthy();
  });

  it("says so when the link names no room", async () => {
    server();
    open("/r/no-such-room");
    expect(await screen.findByRole("heading", { name: "Room not found" })).toBeTruthy();
    expect(screen.getByRole("alert").textContent).toBe(
      "There is no room at this link. Check the link you were sent.",
    );
  });

  it("joins as a guest with a name, keeps the guest in across a reload, for this room only", async () => {
    const { guestsCreated } = server();
    open(`/r/${CODE}`);
    fireEvent.change(await screen.findByLabelText("Your name"), { target: { value: " Gus " } });
    fireEvent.click(screen.getByRole("button", { name: "Join as a guest" }));

    // The pre-join of the room, as the guest.
    expect(await screen.findByRole("button", { name: "Join room" })).toBeTruthy();
    expect(guestsCreated).toEqual([{ display_name: "Gus" }]);
    expect(JSON.parse(sessionStorage.getItem(`glimpse-guest:${CODE}`)!)).toMatchObject({
      token: "guest-token",
      guestId: "g-1",
      roomId: "room-1",
      displayName: "Gus",
    });

    cleanup();
    open(`/r/${CODE}`);
    expect(await screen.findByRole("button", { name: "Join room" })).toBeTruthy();
    expect(guestsCreated).toHaveLength(1);
  });

  it("switches to sign-in only when guests were turned off before the guest joined", async () => {
    server({ refuseGuests: true });
    open(`/r/${CODE}`);
    fireEvent.change(await screen.findByLabelText("Your name"), { target: { value: "Gus" } });
    fireEvent.click(screen.getByRole("button", { name: "Join as a guest" }));
    expect(await screen.findByText("The host has turned off guest access")).toBeTruthy();
    expect(screen.queryByLabelText("Your name")).toBeNull();
  });

  it("asks the guest to join again when their credential could not be renewed", async () => {
    server();
    storeGuest(10_000); // past the time to renew: renewed at once, and refused
    open(`/r/${CODE}`);
    expect(
      await screen.findByText("Your guest pass has expired. Join again with your name."),
    ).toBeTruthy();
    expect(screen.getByLabelText("Your name")).toBeTruthy();
    expect(sessionStorage.getItem(`glimpse-guest:${CODE}`)).toBeNull();
  });

  it("sends a guest who goes to the dashboard to sign in", async () => {
    server();
    storeGuest(600_000);
    open("/");
    expect(await screen.findByRole("heading", { name: "Sign in to Glimpse" })).toBeTruthy();
    await waitFor(() => expect(window.location.pathname).toBe("/signin"));
  });
});
