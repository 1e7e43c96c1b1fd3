import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { RemoteParticipant } from "../rtc/Call";
import type { Participant } from "../realtime/protocol";
import { ParticipantsPanel } from "./ParticipantsPanel";

function person(id: string, role: Participant["role"], hand: number | null = null): Participant {
  return {
    id,
    user_id: `u-${id}`,
    display_name: id,
    media: { audio: true, video: true, screen: false },
    role,
    hand,
  };
}

const remote = (participant: Participant): RemoteParticipant => ({
  participant,
  stream: null,
  screen: null,
  health: null,
  problem: null,
  sendingVideo: true,
  peerState: "connected",
});

describe("ParticipantsPanel", () => {
  afterEach(cleanup);

  it("offers no actions to a participant who is not a host", () => {
    render(
      <ParticipantsPanel
        self={person("Ann", "member")}
        remotes={[remote(person("Bob", "host"))]}
      />,
    );
    expect(screen.queryByRole("button", { name: /^Actions for/ })).toBeNull();
    expect(screen.getByText("Host")).toBeTruthy();
  });

  it("gives hosts a menu of actions on each other participant", () => {
    const onModerate = vi.fn();
    render(
      <ParticipantsPanel
        self={person("Ann", "cohost")}
        remotes={[remote(person("Bob", "member")), remote(person("Gus", "guest"))]}
        onModerate={onModerate}
      />,
    );
    expect(screen.queryByRole("button", { name: "Actions for Ann" })).toBeNull();
    expect(screen.getByText("Guest")).toBeTruthy();
    expect(screen.getByText("Co-host")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Actions for Bob" }));
    const menu = screen.getByRole("menu", { name: "Actions for Bob" });
    expect(
      within(menu)
        .getAllByRole("menuitem")
        .map((item) => item.textContent),
    ).toEqual([
      "Mute",
      "Ask to unmute",
      "Turn camera off",
      "Stop screen share",
      "Lower hand",
      "Remove from meeting",
    ]);
    fireEvent.click(within(menu).getByRole("menuitem", { name: "Mute" }));
    expect(onModerate).toHaveBeenCalledWith("Bob", "mute");
    expect(screen.queryByRole("menu")).toBeNull();
  });

  it("lets the owner make members co-hosts and revoke co-hosts, never guests", () => {
    render(
      <ParticipantsPanel
        self={person("Ann", "host")}
        remotes={[
          remote(person("Bob", "member")),
          remote(person("Cy", "cohost")),
          remote(person("Gus", "guest")),
        ]}
        onModerate={vi.fn()}
      />,
    );
    const items = (name: string) => {
      fireEvent.click(screen.getByRole("button", { name: `Actions for ${name}` }));
      const labels = screen.getAllByRole("menuitem").map((item) => item.textContent);
      fireEvent.click(screen.getByRole("button", { name: `Actions for ${name}` }));
      return labels;
    };
    expect(items("Bob")).toContain("Make co-host");
    expect(items("Cy")).toContain("Revoke co-host");
    expect(items("Gus")).not.toContain("Make co-host");
  });

  it("lists raised hands first, in the order they went up", () => {
    render(
      <ParticipantsPanel
        self={person("Ann", "member")}
        remotes={[
          remote(person("Bob", "member", 200)),
          remote(person("Cy", "member")),
          remote(person("Dee", "member", 100)),
        ]}
      />,
    );
    const names = screen
      .getAllByRole("listitem")
      .map((item) => item.getAttribute("data-participant"));
    expect(names).toEqual(["Dee", "Bob", "Ann", "Cy"]);
    expect(screen.getAllByRole("img", { name: "Hand raised" })).toHaveLength(2);
  });
});
