import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { ReactionPicker } from "./ReactionPicker";
import { VideoTile } from "./VideoTile";

describe("VideoTile", () => {
  afterEach(cleanup);

  it("shows the role, a raised hand and the reactions floating over it", () => {
    const { container } = render(
      <VideoTile
        name="Gus"
        stream={null}
        audioOn
        videoOn
        screen={false}
        speaking={false}
        role="guest"
        handRaised
        reactions={[{ id: 1, participantId: "p-gus", emoji: "🎉" }]}
      />,
    );
    expect(screen.getByText("Guest")).toBeTruthy();
    expect(screen.getByRole("img", { name: "Hand raised" }).textContent).toBe("✋");
    expect(container.querySelector(".reaction")?.textContent).toBe("🎉");
  });

  it("says Reconnecting… while its owner's connection is down, over a connected link", () => {
    render(
      <VideoTile
        name="Bob"
        stream={null}
        audioOn
        videoOn
        screen={false}
        speaking={false}
        peerState="connected"
        reconnecting
      />,
    );
    expect(screen.getByRole("status").textContent).toBe("Reconnecting…");
  });

  it("shows no badge for a member", () => {
    render(<VideoTile name="Bob" stream={null} audioOn videoOn screen={false} speaking={false} />);
    expect(screen.queryByText(/Host|Co-host|Guest/)).toBeNull();
  });
});

describe("ReactionPicker", () => {
  afterEach(cleanup);

  it("opens the six reactions and sends the one picked", () => {
    const onReact = vi.fn();
    render(<ReactionPicker onReact={onReact} />);
    fireEvent.click(screen.getByRole("button", { name: "Reactions" }));
    const labels = screen
      .getAllByRole("button", { name: /^React / })
      .map((b) => b.getAttribute("aria-label"));
    expect(labels).toEqual([
      "React 👍",
      "React 👏",
      "React 😂",
      "React ❤️",
      "React 🎉",
      "React 😮",
    ]);
    fireEvent.click(screen.getByRole("button", { name: "React 👏" }));
    expect(onReact).toHaveBeenCalledWith("👏");
  });
});
