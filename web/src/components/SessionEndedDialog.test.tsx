import { cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { ANN, apiError, stubApi } from "../api/fakeApi";
import { App } from "../App";

const session = () =>
  Response.json({ access_token: "token-2", token_type: "bearer", expires_in: 900, user: ANN });

describe("SessionEndedDialog", () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it("keeps the page and what was typed, and signs in again in place", async () => {
    let sessionEnded = false;
    stubApi({
      "POST /api/auth/refresh": () =>
        sessionEnded
          ? apiError(401, "unauthorized", "the session has ended")
          : Response.json({
              access_token: "token",
              token_type: "bearer",
              expires_in: 900,
              user: ANN,
            }),
      "GET /api/rooms": () => Response.json({ owned: [], recent: [] }),
      "POST /api/rooms": () => apiError(401, "unauthorized", "expired"),
      "POST /api/auth/login": () => {
        sessionEnded = false;
        return session();
      },
    });
    window.history.replaceState(null, "", "/");
    render(<App />);
    fireEvent.change(await screen.findByLabelText("Room name"), { target: { value: "Retro" } });
    sessionEnded = true; // the server ended the session: creating the room is refused, so is the refresh
    fireEvent.click(screen.getByRole("button", { name: "Create room" }));

    const dialog = within(
      await screen.findByRole("alertdialog", { name: "Your session has ended" }),
    );
    expect(window.location.pathname).toBe("/");
    expect((screen.getByLabelText("Room name") as HTMLInputElement).value).toBe("Retro");
    fireEvent.change(dialog.getByLabelText("Password"), { target: { value: "a fine password" } });
    fireEvent.click(dialog.getByRole("button", { name: "Sign in" }));

    await waitFor(() => expect(screen.queryByRole("alertdialog")).toBeNull());
    expect(window.location.pathname).toBe("/");
    expect((screen.getByLabelText("Room name") as HTMLInputElement).value).toBe("Retro");
  });

  it("is not shown when the person signs out: that leads to sign-in", async () => {
    stubApi({
      "GET /api/rooms": () => Response.json({ owned: [], recent: [] }),
      "POST /api/auth/logout": () => new Response(null, { status: 204 }),
    });
    window.history.replaceState(null, "", "/");
    render(<App />);
    fireEvent.click(await screen.findByRole("button", { name: "Sign out" }));
    await waitFor(() => expect(window.location.pathname).toBe("/signin"));
    expect(screen.queryByRole("alertdialog")).toBeNull();
  });
});
