import { afterEach, describe, expect, it, vi } from "vitest";

import { ApiClient, ApiError } from "./client";

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

describe("ApiClient errors", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  /** The next request is answered by a proxy: a plain-text body with this status. */
  function proxyAnswers(status: number, headers: Record<string, string> = {}): void {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => new Response("<html>upstream error</html>", { status, headers })),
    );
  }

  it.each([
    [429, "Too many attempts; try again shortly"],
    [503, "The server is busy or unavailable; try again shortly"],
    [502, "The server answered 502"],
  ])("reads a %i that is not JSON as a readable message", async (status, message) => {
    proxyAnswers(status);
    const error = await new ApiClient().authPolicy().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status, code: "http_error", message, retryAfter: null });
  });

  it("keeps the server's code and message, and its Retry-After", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () =>
        Response.json(
          { error: { code: "rate_limited", message: "too many log-ins; try again in 7 s" } },
          { status: 429, headers: { "Retry-After": "7" } },
        ),
      ),
    );
    const error = await new ApiClient().logIn("a@example.org", "pw").catch((e: unknown) => e);
    expect(error).toMatchObject({
      status: 429,
      code: "rate_limited",
      message: "too many log-ins; try again in 7 s",
      retryAfter: 7,
    });
  });
});
