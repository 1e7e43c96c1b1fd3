import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import type { LobbyEntry } from "../realtime/protocol";
import { LobbyPanel } from "./LobbyPanel";

const entry = (id: string, name: string, guest: boolean): LobbyEntry => ({
  id,
  user_id: `u-${id}`,
  display_name: name,
  guest,
  reason: "lobby",
  since: 1,
});

describe("LobbyPanel", () => {
  afterEach(cleanup);

  it("lists who waits, with admit and deny for each", () => {
    const onAdmit = vi.fn();
    const onDeny = vi.fn();
    render(
      <LobbyPanel
        lobby={[entry("w-1", "Gus", true), entry("w-2", "Bob", false)]}
        onAdmit={onAdmit}
        onDeny={onDeny}
      />,
    );
    const region = screen.getByRole("region", { name: "Lobby" });
    expect(within(region).getByRole("heading").textContent).toBe("Waiting to join (2)");
    expect(within(region).getAllByText("Guest")).toHaveLength(1);
    fireEvent.click(screen.getByRole("button", { name: "Admit Gus" }));
    fireEvent.click(screen.getByRole("button", { name: "Deny Bob" }));
    expect(onAdmit).toHaveBeenCalledWith("w-1");
    expect(onDeny).toHaveBeenCalledWith("w-2");
  });
});
