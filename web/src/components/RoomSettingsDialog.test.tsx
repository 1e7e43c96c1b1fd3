import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { App } from "../App";
import { ANN, apiError, stubApi } from "../api/fakeApi";
import type { Room } from "../api/types";

const STANDUP: Room = {
  id: "room-1",
  code: "abcd-efgh-ijkl",
  name: "Standup",
  owner_id: ANN.id,
  created_at: "2026-11-30T12:00:00+00:00",
  invite_path: "/r/abcd-efgh-ijkl",
  has_password: true,
  allow_guests: true,
  lobby: "off",
  media_mode: "auto",
};

/** Ann's dashboard with her room; PATCH answers with `patch`. */
function dashboard(patch: (body: unknown) => Response) {
  let room = STANDUP;
  const sent = stubApi({
    "GET /api/rooms": () => Response.json({ owned: [room], recent: [] }),
    "GET /api/rooms/room-1/members": () => Response.json([]),
    "PATCH /api/rooms/room-1": (request) => {
      const answer = patch(request.body);
      if (answer.ok) room = { ...room, ...(request.body as Partial<Room>) };
      return answer;
    },
  });
  window.history.replaceState(null, "", "/");
  render(<App />);
  return sent;
}

async function openSettings(): Promise<HTMLElement> {
  fireEvent.click(await screen.findByRole("button", { name: "Settings for Standup" }));
  return screen.getByRole("dialog", { name: "Room settings" });
}

describe("RoomSettingsDialog", () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it("shows the room's settings and sends what changed", async () => {
    const sent = dashboard((body) => Response.json({ ...STANDUP, ...(body as object) }));
    const dialog = within(await openSettings());
    expect((dialog.getByLabelText("Name") as HTMLInputElement).value).toBe("Standup");
    expect((dialog.getByLabelText("Allow guests") as HTMLInputElement).checked).toBe(true);
    expect((dialog.getByLabelText("Ask to join") as HTMLSelectElement).value).toBe("off");
    expect(
      dialog
        .getAllByRole("option")
        .map((option) => [option.getAttribute("value"), option.textContent]),
    ).toEqual([
      ["off", "Nobody waits"],
      ["guests", "Guests"],
      ["everyone", "Everyone except invited members"],
    ]);

    fireEvent.change(dialog.getByLabelText("Name"), { target: { value: "Daily" } });
    fireEvent.click(dialog.getByLabelText("Remove password"));
    fireEvent.click(dialog.getByLabelText("Allow guests"));
    fireEvent.change(dialog.getByLabelText("Ask to join"), { target: { value: "everyone" } });
    fireEvent.click(dialog.getByRole("button", { name: "Save" }));

    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(sent.filter((request) => request.method === "PATCH")).toEqual([
      {
        method: "PATCH",
        path: "/api/rooms/room-1",
        body: { name: "Daily", remove_password: true, allow_guests: false, lobby: "everyone" },
        authorization: "Bearer token",
      },
    ]);
    // The list shows the room as it is now.
    expect(await screen.findByRole("button", { name: "Settings for Daily" })).toBeTruthy();
  });

  it("sends a new password alone, and nothing when nothing changed", async () => {
    const sent = dashboard((body) => Response.json({ ...STANDUP, ...(body as object) }));
    let dialog = within(await openSettings());
    fireEvent.click(dialog.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());

    dialog = within(await openSettings());
    fireEvent.change(dialog.getByLabelText("Password"), { target: { value: "a new secret" } });
    fireEvent.click(dialog.getByRole("button", { name: "Save" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(sent.filter((request) => request.method === "PATCH").map((r) => r.body)).toEqual([
      { password: "a new secret" },
    ]);
  });

  it("says why the change was refused, and stays open", async () => {
    dashboard(() => apiError(403, "forbidden", "only the owner may change the room"));
    const dialog = within(await openSettings());
    fireEvent.click(dialog.getByLabelText("Allow guests"));
    fireEvent.click(dialog.getByRole("button", { name: "Save" }));
    expect((await dialog.findByRole("alert")).textContent).toBe(
      "Only the room's owner can do that.",
    );
    expect(screen.getByRole("dialog", { name: "Room settings" })).toBeTruthy();
  });
});
