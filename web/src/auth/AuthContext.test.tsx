import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { ApiError, hasSessionMarker } from "../api/client";
import { markSignedIn } from "../api/fakeApi";
import { App } from "../App";
import { startupRetryDelayMs } from "./AuthContext";

const signedOut = () =>
  Response.json({ error: { code: "unauthorized", message: "no" } }, { status: 401 });

/**
 * The server's refresh endpoint answers each call with the next of `answers` (a Response, or an
 * Error for a network failure); the last call waits for `release` before answering.
 */
function refreshAnswers(answers: (Response | Error)[]) {
  markSignedIn();
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => (release = resolve));
  const refreshes: number[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: string) => {
      if (input !== "/api/auth/refresh") return signedOut();
      refreshes.push(refreshes.length);
      const answer = answers[refreshes.length - 1] ?? signedOut();
      if (refreshes.length === answers.length) await released;
      if (answer instanceof Error) throw answer;
      return answer;
    }),
  );
  return { refreshes, release };
}

function open(path: string): void {
  window.history.replaceState(null, "", path);
  render(<App />);
}

describe("start-up sign-in", () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it("without the session marker, shows sign-in at once and asks the server nothing", async () => {
    const server = refreshAnswers([]);
    document.cookie = "glimpse_session=; Max-Age=0; Path=/"; // never signed in on this browser
    open("/");
    expect(await screen.findByRole("heading", { name: "Sign in to Glimpse" })).toBeTruthy();
    expect(window.location.pathname).toBe("/signin");
    expect(server.refreshes).toHaveLength(0);
  });

  it("says the server is busy and tries again, keeping what was typed in the form", async () => {
    const server = refreshAnswers([
      new Response("Service Unavailable", { status: 503, headers: { "Retry-After": "0" } }),
      signedOut(),
    ]);
    open("/signin");
    expect(await screen.findByText("The server is busy; trying again…")).toBeTruthy();
    fireEvent.change(screen.getByLabelText("Email"), { target: { value: "ann@example.org" } });

    server.release(); // the second refresh answers 401: signed out for real
    await waitFor(() => expect(screen.queryByText(/trying again/)).toBeNull());
    expect(server.refreshes).toHaveLength(2);
    expect(hasSessionMarker()).toBe(false); // the next visit asks nothing
    expect((screen.getByLabelText("Email") as HTMLInputElement).value).toBe("ann@example.org");
  });

  it.each([
    ["/", "/signin"],
    ["/r/abcd-efgh-ijkl", "/r/abcd-efgh-ijkl"], // signed out, a room's link is its invite page
  ])(
    "on %s says the server cannot be reached, and signs out only once it answers 401",
    async (path, signedOutPath) => {
      const server = refreshAnswers([new TypeError("Failed to fetch"), signedOut()]);
      open(path);
      expect(await screen.findByText("Glimpse can't reach the server, retrying…")).toBeTruthy();
      expect(window.location.pathname).toBe(path);

      server.release();
      await waitFor(() => expect(window.location.pathname).toBe(signedOutPath), {
        timeout: 10_000,
      });
      await waitFor(() => expect(screen.queryByText(/retrying/)).toBeNull());
      expect(server.refreshes).toHaveLength(2);
    },
    20_000,
  );
});

describe("startupRetryDelayMs", () => {
  it("waits as long as Retry-After says", () => {
    expect(startupRetryDelayMs(new ApiError(429, "rate_limited", "slow down", 12), 0)).toBe(12_000);
  });

  it("backs off, doubling up to 30 s, when the server gives no Retry-After", () => {
    const delays = [0, 1, 2, 5, 10].map((n) => startupRetryDelayMs(new TypeError("offline"), n));
    expect(delays).toEqual([1_000, 2_000, 4_000, 30_000, 30_000]);
  });
});
