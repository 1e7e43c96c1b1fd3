/** A test double of the HTTP API: `fetch` answered by route ("METHOD /api/path"), requests kept. */
import { vi } from "vitest";

export interface SentRequest {
  method: string;
  path: string;
  body: unknown;
  authorization: string | null;
}

export type Route = (request: SentRequest) => Response | Promise<Response>;

export const ANN = { id: "u-ann", email: "ann@example.org", display_name: "Ann", created_at: "" };

/** The server set the refresh cookie and its readable marker (a browser that signed in before). */
export function markSignedIn(): void {
  document.cookie = "glimpse_session=1; Path=/";
}

/** Ann is signed in (the refresh cookie answers); other routes as given, else 404 not_found. */
export function stubApi(routes: Record<string, Route>): SentRequest[] {
  markSignedIn();
  const sent: SentRequest[] = [];
  const all: Record<string, Route> = {
    "POST /api/auth/refresh": () =>
      Response.json({ access_token: "token", token_type: "bearer", expires_in: 900, user: ANN }),
    "GET /api/auth/policy": () => Response.json({ signup: "open" }),
    ...routes,
  };
  vi.stubGlobal(
    "fetch",
    vi.fn(async (input: string, init?: RequestInit) => {
      const method = init?.method ?? "GET";
      const headers = new Headers(init?.headers);
      const request: SentRequest = {
        method,
        path: input,
        body: init?.body === undefined ? undefined : JSON.parse(String(init.body)),
        authorization: headers.get("Authorization"),
      };
      sent.push(request);
      const route = all[`${method} ${input}`];
      if (route) return route(request);
      return Response.json({ error: { code: "not_found", message: "not found" } }, { status: 404 });
    }),
  );
  return sent;
}

/** A typed error answer, as the server sends them. */
export function apiError(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}
