import { afterEach, describe, expect, it, vi } from "vitest";

import { ApiClient } from "./client";

/** A LockManager that grants one holder at a time per name, like the browser's. */
function installLocks(): void {
  const tails = new Map<string, Promise<unknown>>();
  const locks = {
    request<T>(name: string, callback: () => Promise<T>): Promise<T> {
      const run = (tails.get(name) ?? Promise.resolve()).then(callback);
      tails.set(
        name,
        run.catch(() => undefined),
      );
      return run;
    },
  };
  vi.stubGlobal("navigator", { ...navigator, locks });
}

/**
 * The server's refresh endpoint with the browser's shared cookie jar: each refresh rotates the
 * cookie, and presenting one that was already rotated revokes the session (as the server does).
 */
function refreshServer() {
  let cookie = "c1";
  const used = new Set<string>();
  const presented: string[] = [];
  const fetch = vi.fn(async () => {
    const sent = cookie;
    presented.push(sent);
    await new Promise((resolve) => setTimeout(resolve, 5)); // the request is in flight
    if (used.has(sent)) {
      return Response.json(
        { error: { code: "refresh_token_reused", message: "reused" } },
        { status: 401 },
      );
    }
    used.add(sent);
    cookie = `c${used.size + 1}`;
    return Response.json({
      access_token: `token-for-${sent}`,
      token_type: "bearer",
      expires_in: 900,
      user: { id: "u", email: "a@example.org", display_name: "Ann", created_at: "" },
    });
  });
  vi.stubGlobal("fetch", fetch);
  return { presented };
}

describe("ApiClient.refresh", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("lets two tabs refresh at once without presenting one refresh token twice", async () => {
    installLocks();
    const server = refreshServer();
    const [tab1, tab2] = [new ApiClient(), new ApiClient()];
    const sessions = await Promise.all([tab1.refresh(), tab2.refresh()]);
    expect(sessions.map((session) => session.access_token)).toEqual([
      "token-for-c1",
      "token-for-c2",
    ]);
    expect(server.presented).toEqual(["c1", "c2"]);
  });

  it("shares one request between callers in the same tab", async () => {
    installLocks();
    const server = refreshServer();
    const tab = new ApiClient();
    const [first, second] = await Promise.all([tab.refresh(), tab.refresh()]);
    expect(first).toBe(second);
    expect(server.presented).toEqual(["c1"]);
  });
});
