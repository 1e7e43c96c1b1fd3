import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { App } from "../App";
import { startDownload } from "../api/download";
import { ANN, stubApi } from "../api/fakeApi";
import type { Recording, Room } from "../api/types";
import { formatDuration, formatSize, roomCodeFrom } from "./DashboardPage";

vi.mock("../api/download", () => ({ startDownload: vi.fn() }));

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

describe("formatDuration and formatSize", () => {
  it("give minutes and seconds (hours when there are), and a size in kB, MB or GB", () => {
    expect(formatDuration(75.4)).toBe("1:15");
    expect(formatDuration(3725)).toBe("1:02:05");
    expect(formatSize(100_000)).toBe("100 kB");
    expect(formatSize(12_345_678)).toBe("12.3 MB");
    expect(formatSize(2_500_000_000)).toBe("2.50 GB");
  });
});

describe("DashboardPage: recordings of my rooms", () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
    vi.mocked(startDownload).mockClear();
  });

  function recording(id: string, fields: Partial<Recording>): Recording {
    return {
      id,
      room_id: "room-1",
      started_at: "2026-11-30T14:05:00Z",
      ended_at: null,
      status: "recording",
      duration_seconds: null,
      size_bytes: null,
      error: null,
      ...fields,
    };
  }

  function dashboard() {
    let recordings = [
      recording("rec-new", { status: "processing", ended_at: "2026-11-30T15:00:00Z" }),
      recording("rec-old", {
        started_at: "2026-11-29T09:00:00Z",
        ended_at: "2026-11-29T09:01:00Z",
        status: "ready",
        duration_seconds: 60.2,
        size_bytes: 4_200_000,
      }),
      recording("rec-bad", { status: "failed", error: "nothing was recorded" }),
    ];
    const sent = stubApi({
      "GET /api/rooms": () =>
        Response.json({ owned: [room("room-1", "Standup", ANN.id)], recent: [] }),
      "GET /api/rooms/room-1/recordings": () => Response.json(recordings),
      "POST /api/recordings/rec-old/link": () =>
        Response.json({ url: "/api/recordings/rec-old/file?link=123.abc", expires_in: 60 }),
      "DELETE /api/recordings/rec-bad": () => {
        recordings = recordings.filter((r) => r.id !== "rec-bad");
        return new Response(null, { status: 204 });
      },
    });
    window.history.replaceState(null, "", "/");
    render(<App />);
    return sent;
  }

  it("lists each recording with its date, duration, size and state", async () => {
    dashboard();
    const list = within(await screen.findByRole("list", { name: "Recordings of Standup" }));
    const items = list.getAllByRole("listitem");
    expect(items).toHaveLength(3);
    const [processing, ready, failed] = items.map((item) => within(item));
    expect(processing!.getByText("Being made into a file…")).toBeTruthy();
    expect(processing!.queryByRole("button")).toBeNull(); // nothing to download or delete yet
    const when = new Date("2026-11-29T09:00:00Z").toLocaleString();
    expect(ready!.getByText(when)).toBeTruthy();
    expect(ready!.getByText("1:00")).toBeTruthy();
    expect(ready!.getByText("4.2 MB")).toBeTruthy();
    expect(ready!.getByText("Ready")).toBeTruthy();
    expect(failed!.getByText("Failed")).toBeTruthy();
    expect(failed!.getByText("nothing was recorded")).toBeTruthy();
    expect(failed!.queryByRole("button", { name: /Download/ })).toBeNull();
  });

  it("downloads through a one-minute link, and deletes a finished recording", async () => {
    const sent = dashboard();
    const when = new Date("2026-11-29T09:00:00Z").toLocaleString();
    fireEvent.click(await screen.findByRole("button", { name: `Download recording of ${when}` }));
    await waitFor(() =>
      expect(startDownload).toHaveBeenCalledWith("/api/recordings/rec-old/file?link=123.abc"),
    );
    expect(sent.find((r) => r.path === "/api/recordings/rec-old/link")?.authorization).toBe(
      "Bearer token",
    );

    const failedAt = new Date("2026-11-30T14:05:00Z").toLocaleString();
    fireEvent.click(screen.getByRole("button", { name: `Delete recording of ${failedAt}` }));
    await waitFor(() =>
      expect(
        screen.getAllByRole("listitem").filter((li) => li.closest(".recording-list")),
      ).toHaveLength(2),
    );
    expect(screen.queryByText("nothing was recorded")).toBeNull();
  });
});
