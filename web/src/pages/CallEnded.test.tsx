import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it } from "vitest";

import { CallEnded } from "./CallEnded";

describe("CallEnded", () => {
  afterEach(cleanup);

  it.each([
    ["removed", "You were removed from the meeting"],
    ["ended", "The meeting has ended"],
    ["room-deleted", "This room was deleted"],
    ["denied", "You were not let in"],
  ] as const)("after %s says so and offers no Rejoin", (stop, heading) => {
    render(<CallEnded stop={stop} reason="" rejoinHref="/r/abc" isGuest={false} />);
    expect(screen.getByRole("heading").textContent).toBe(heading);
    expect(screen.queryByRole("link", { name: "Rejoin" })).toBeNull();
    expect(screen.getByRole("link", { name: "Back to the dashboard" })).toBeTruthy();
  });

  it("gives guests no way to the dashboard", () => {
    render(<CallEnded stop="ended" reason="" rejoinHref="/r/abc" isGuest />);
    expect(screen.queryByRole("link")).toBeNull();
  });

  it("offers Rejoin after leaving or losing the connection", () => {
    render(
      <CallEnded stop="rejoin-refused" reason="Could not rejoin" rejoinHref="/r/abc" isGuest />,
    );
    expect(screen.getByRole("heading").textContent).toBe("The call ended");
    expect(screen.getByRole("alert").textContent).toBe("Could not rejoin");
    expect(screen.getByRole("link", { name: "Rejoin" }).getAttribute("href")).toBe("/r/abc");
  });
});
