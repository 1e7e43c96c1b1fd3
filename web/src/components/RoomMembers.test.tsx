import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { ApiProvider } from "../api/ApiContext";
import { ApiClient } from "../api/client";
import { apiError, stubApi } from "../api/fakeApi";
import type { Member } from "../api/types";
import { RoomMembers } from "./RoomMembers";

const BOB: Member = {
  user_id: "u-bob",
  display_name: "Bob",
  role: "member",
  last_joined_at: "2026-11-29T10:00:00+00:00",
};

/** The room's members; PUT and POST change them as the server would. */
function membersServer() {
  let members: Member[] = [BOB];
  const sent = stubApi({
    "GET /api/rooms/room-1/members": () => Response.json(members),
    "PUT /api/rooms/room-1/members/u-bob": (request) => {
      members = members.map((m) =>
        m.user_id === "u-bob" ? { ...m, ...(request.body as object) } : m,
      );
      return Response.json(members[0]);
    },
    "POST /api/rooms/room-1/members": (request) => {
      const { email } = request.body as { email: string };
      if (email !== "cy@example.org") {
        return apiError(404, "user_not_found", "no user with that e-mail address");
      }
      const cy: Member = {
        user_id: "u-cy",
        display_name: "Cy",
        role: "invited",
        last_joined_at: null,
      };
      members = [...members, cy];
      return Response.json(cy, { status: 201 });
    },
  });
  render(
    <QueryClientProvider
      client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}
    >
      <ApiProvider api={new ApiClient()}>
        <RoomMembers roomId="room-1" />
      </ApiProvider>
    </QueryClientProvider>,
  );
  return sent;
}

describe("RoomMembers", () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it("lists the members with their roles, and changes a role", async () => {
    const sent = membersServer();
    const role = (await screen.findByLabelText("Role of Bob")) as HTMLSelectElement;
    expect(role.value).toBe("member");
    expect([...role.options].map((option) => option.textContent)).toEqual([
      "Member",
      "Invited",
      "Co-host",
    ]);

    fireEvent.change(role, { target: { value: "cohost" } });
    await waitFor(() => expect(role.value).toBe("cohost"));
    await waitFor(() => expect(role.disabled).toBe(false));
    expect(sent.filter((request) => request.method === "PUT")).toEqual([
      {
        method: "PUT",
        path: "/api/rooms/room-1/members/u-bob",
        body: { role: "cohost" },
        authorization: "Bearer token",
      },
    ]);
  });

  it("invites someone with an account by e-mail, and says when nobody has that address", async () => {
    const sent = membersServer();
    const email = await screen.findByLabelText("Invite by e-mail");

    fireEvent.change(email, { target: { value: "nobody@example.org" } });
    fireEvent.click(screen.getByRole("button", { name: "Invite" }));
    expect((await screen.findByRole("alert")).textContent).toBe(
      "Nobody with that e-mail address has a Glimpse account.",
    );

    fireEvent.change(email, { target: { value: "cy@example.org" } });
    fireEvent.click(screen.getByRole("button", { name: "Invite" }));
    expect(await screen.findByLabelText("Role of Cy")).toBeTruthy();
    expect(screen.getByRole("status").textContent).toBe("Cy is invited");
    expect(
      sent
        .filter((request) => request.method === "POST" && request.path.endsWith("/members"))
        .map((r) => r.body),
    ).toEqual([
      { email: "nobody@example.org", role: "invited" },
      { email: "cy@example.org", role: "invited" },
    ]);
  });
});
