import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { HostControls, NO_RECORDING_IN_MESH } from "./HostControls";

const recordingOff = { recording: false, canRecord: true, onRecord: () => undefined };

describe("HostControls", () => {
  afterEach(cleanup);

  it("locks an unlocked meeting and ends it for everyone once confirmed", () => {
    const onLock = vi.fn();
    const onEnd = vi.fn();
    render(<HostControls locked={false} onLock={onLock} onEnd={onEnd} {...recordingOff} />);
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
    render(<HostControls locked onLock={onLock} onEnd={vi.fn()} {...recordingOff} />);
    fireEvent.click(screen.getByRole("button", { name: "Unlock meeting" }));
    expect(onLock).toHaveBeenCalledWith(false);
  });

  it("starts and stops recording through the SFU, and says why not in a mesh", () => {
    const onRecord = vi.fn();
    const props = { locked: false, onLock: vi.fn(), onEnd: vi.fn(), onRecord };
    const { rerender } = render(<HostControls {...props} recording={false} canRecord={false} />);
    const start = screen.getByRole("button", { name: "Start recording" });
    expect(start).toHaveProperty("disabled", true);
    expect(start.getAttribute("title")).toBe(NO_RECORDING_IN_MESH);
    expect(screen.getByText(NO_RECORDING_IN_MESH).id).toBe(start.getAttribute("aria-describedby"));

    rerender(<HostControls {...props} recording={false} canRecord />);
    fireEvent.click(screen.getByRole("button", { name: "Start recording" }));
    expect(onRecord).toHaveBeenCalledWith(true);

    // Back in the mesh while recording: it can still be stopped.
    rerender(<HostControls {...props} recording canRecord={false} />);
    fireEvent.click(screen.getByRole("button", { name: "Stop recording" }));
    expect(onRecord).toHaveBeenLastCalledWith(false);
  });
});
