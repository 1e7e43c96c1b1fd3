import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { App } from "../App";
import { ANN, stubApi } from "../api/fakeApi";
import type { Room } from "../api/types";
import { roomCodeFrom } from "./DashboardPage";

describe("roomCodeFrom", () => {
  it("takes a bare code or the code at the end of an invite link", () => {
    expect(roomCodeFrom("  kq7x-m2pa-9rtv ")).toBe("kq7x-m2pa-9rtv");
    expect(roomCodeFrom("http://127.0.0.1:8000/r/kq7x-m2pa-9rtv")).toBe("kq7x-m2pa-9rtv");
    expect(roomCodeFrom("https://meet.example.org/r/kq7x-m2pa-9rtv?x=1#y")).toBe("kq7x-m2pa-9rtv");
  });
});

function room(id: string, name: string, ownerId: string): Room {
  return {
    id,
    code: `code-${id}`,
    name,
    owner_id: ownerId,
    created_at: "2026-11-30T12:00:00+00:00",
    invite_path: `/r/code-${id}`,
    has_password: false,
    allow_guests: true,
    lobby: "off",
    media_mode: "auto",
  };
}

describe("DashboardPage: my rooms", () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  function dashboard() {
    let owned = [room("room-1", "Standup", ANN.id)];
    const sent = stubApi({
      "GET /api/rooms": () =>
        Response.json({ owned, recent: [room("room-2", "Bob's room", "u-bob")] }),
      "DELETE /api/rooms/room-1": () => {
        owned = [];
        return new Response(null, { status: 204 });
      },
    });
    window.history.replaceState(null, "", "/");
    render(<App />);
    return sent;
  }

  it("offers settings and delete for my rooms only", async () => {
    dashboard();
    expect(await screen.findByRole("button", { name: "Settings for Standup" })).toBeTruthy();
    expect(screen.getByRole("button", { name: "Delete Standup" })).toBeTruthy();
    expect(screen.getByRole("link", { name: "Bob's room" })).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Delete Bob's room" })).toBeNull();
  });

  it("deletes a room only once the confirmation says so", async () => {
    const sent = dashboard();
    fireEvent.click(await screen.findByRole("button", { name: "Delete Standup" }));
    let confirm = within(screen.getByRole("alertdialog", { name: "Delete Standup?" }));
    fireEvent.click(confirm.getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("alertdialog")).toBeNull();
    expect(sent.some((request) => request.method === "DELETE")).toBe(false);

    fireEvent.click(screen.getByRole("button", { name: "Delete Standup" }));
    confirm = within(screen.getByRole("alertdialog", { name: "Delete Standup?" }));
    fireEvent.click(confirm.getByRole("button", { name: "Delete room" }));
    expect(await screen.findByText("You have not created a room yet.")).toBeTruthy();
    expect(screen.queryByRole("alertdialog")).toBeNull();
    await waitFor(() =>
      expect(sent.filter((request) => request.method === "DELETE").map((r) => r.path)).toEqual([
        "/api/rooms/room-1",
      ]),
    );
  });
});
