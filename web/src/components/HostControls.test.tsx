import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { HostControls } from "./HostControls";

describe("HostControls", () => {
  afterEach(cleanup);

  it("locks an unlocked meeting and ends it for everyone once confirmed", () => {
    const onLock = vi.fn();
    const onEnd = vi.fn();
    render(<HostControls locked={false} onLock={onLock} onEnd={onEnd} />);
    fireEvent.click(screen.getByRole("button", { name: "Lock meeting" }));
    expect(onLock).toHaveBeenCalledWith(true);

    fireEvent.click(screen.getByRole("button", { name: "End meeting for all" }));
    fireEvent.click(screen.getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("alertdialog")).toBeNull();
    expect(onEnd).not.toHaveBeenCalled();

    fireEvent.click(screen.getByRole("button", { name: "End meeting for all" }));
    screen.getByRole("alertdialog", { name: "End the meeting for everyone?" });
    fireEvent.click(screen.getByRole("button", { name: "End meeting" }));
    expect(onEnd).toHaveBeenCalledOnce();
  });

  it("unlocks a locked meeting", () => {
    const onLock = vi.fn();
    render(<HostControls locked onLock={onLock} onEnd={vi.fn()} />);
    fireEvent.click(screen.getByRole("button", { name: "Unlock meeting" }));
    expect(onLock).toHaveBeenCalledWith(false);
  });
});
