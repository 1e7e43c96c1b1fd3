import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { App } from "../App";

type Signup = "open" | "invite" | "closed";

/** The server's auth endpoints: nobody is signed in; sign-up follows `signup`. */
function authServer(signup: Signup) {
  const registered: unknown[] = [];
  const fetch = vi.fn(async (input: string, init?: RequestInit) => {
    if (input === "/api/auth/policy") return Response.json({ signup });
    if (input === "/api/auth/register") {
      registered.push(JSON.parse(String(init?.body)));
      return Response.json({
        access_token: "token",
        token_type: "bearer",
        expires_in: 900,
        user: { id: "u", email: "ann@example.org", display_name: "Ann", created_at: "" },
      });
    }
    if (input === "/api/rooms") return Response.json({ owned: [], recent: [] });
    return Response.json({ error: { code: "unauthorized", message: "no" } }, { status: 401 });
  });
  vi.stubGlobal("fetch", fetch);
  return { registered };
}

function openSignUp(path: string): void {
  window.history.replaceState(null, "", path);
  render(<App />);
}

async function fillAndSubmit(): Promise<void> {
  fireEvent.change(await screen.findByLabelText("Email"), {
    target: { value: "ann@example.org" },
  });
  fireEvent.change(screen.getByLabelText("Display name"), { target: { value: "Ann" } });
  fireEvent.change(screen.getByLabelText("Password"), { target: { value: "a fine password" } });
  fireEvent.click(screen.getByRole("button", { name: "Sign up" }));
}

describe("SignUpPage", () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it("says when sign-up is closed, and offers no form", async () => {
    authServer("closed");
    openSignUp("/signup");
    expect(await screen.findByText("Sign-up is closed on this server.")).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Sign up" })).toBeNull();
  });

  it("asks for an invite link when sign-up is invite-only", async () => {
    authServer("invite");
    openSignUp("/signup");
    expect(await screen.findByText(/by invitation/)).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Sign up" })).toBeNull();
  });

  it("signs up with the invite from the link", async () => {
    const server = authServer("invite");
    openSignUp("/signup?invite=signed.invite.token");
    expect(await screen.findByText(/You were invited/)).toBeTruthy();
    await fillAndSubmit();
    await waitFor(() => expect(server.registered).toHaveLength(1));
    expect(server.registered[0]).toEqual({
      email: "ann@example.org",
      display_name: "Ann",
      password: "a fine password",
      invite: "signed.invite.token",
    });
  });

  it("signs up without an invite when sign-up is open", async () => {
    const server = authServer("open");
    openSignUp("/signup");
    await fillAndSubmit();
    await waitFor(() => expect(server.registered).toHaveLength(1));
    expect(server.registered[0]).not.toHaveProperty("invite");
  });

  it("shows what the server found wrong beside each field, keeping what was typed", async () => {
    authServer("open");
    const answer = Response.json(
      {
        error: {
          code: "validation_error",
          message: "body.email: value is not a valid email address",
          fields: { email: "value is not a valid email address" },
        },
      },
      { status: 422 },
    );
    const registered = vi.mocked(fetch);
    const fallback = registered.getMockImplementation()!;
    registered.mockImplementation(async (input, init) =>
      input === "/api/auth/register" ? answer : fallback(input, init),
    );
    openSignUp("/signup");
    await fillAndSubmit();
    const email = screen.getByLabelText("Email");
    await waitFor(() => expect(email.getAttribute("aria-invalid")).toBe("true"));
    expect(screen.getByText("Value is not a valid email address.")).toBeTruthy();
    expect(screen.getByRole("alert").textContent).toBe(
      "Some of what you entered is not accepted. Check it and try again.",
    );
    expect((email as HTMLInputElement).value).toBe("ann@example.org");
  });
});
