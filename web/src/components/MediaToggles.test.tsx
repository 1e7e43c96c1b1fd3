import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { FakeMediaStream, fakeTrack } from "../rtc/fakeMedia";
import type { LocalMediaSnapshot } from "../rtc/LocalMedia";
import { MediaToggles } from "./MediaToggles";

function snapshot(changes: Partial<LocalMediaSnapshot>): LocalMediaSnapshot {
  return {
    audio: fakeTrack("audio"),
    camera: fakeTrack("video"),
    screen: null,
    microphoneOn: true,
    cameraOn: true,
    problems: {},
    devices: [],
    selected: {},
    speaker: "",
    preview: new FakeMediaStream() as unknown as MediaStream,
    screenPreview: null,
    ...changes,
  };
}

describe("MediaToggles", () => {
  const media = { setMicrophone: vi.fn(), setCamera: vi.fn(async () => undefined) };

  beforeEach(() => vi.clearAllMocks());
  afterEach(cleanup);

  it("mutes the microphone and turns the camera off", () => {
    render(<MediaToggles media={media} local={snapshot({})} />);
    fireEvent.click(screen.getByRole("button", { name: "Mute microphone" }));
    fireEvent.click(screen.getByRole("button", { name: "Turn camera off" }));
    expect(media.setMicrophone).toHaveBeenCalledWith(false);
    expect(media.setCamera).toHaveBeenCalledWith(false);
  });

  it("offers to unmute and to turn the camera back on", () => {
    render(
      <MediaToggles
        media={media}
        local={snapshot({ microphoneOn: false, cameraOn: false, camera: null })}
      />,
    );
    fireEvent.click(screen.getByRole("button", { name: "Unmute microphone" }));
    fireEvent.click(screen.getByRole("button", { name: "Turn camera on" }));
    expect(media.setMicrophone).toHaveBeenCalledWith(true);
    expect(media.setCamera).toHaveBeenCalledWith(true);
  });

  it("disables the buttons of devices it does not have, and says why", () => {
    const denied = "Camera access was denied.";
    render(
      <MediaToggles
        media={media}
        local={snapshot({ audio: null, camera: null, problems: { video: denied } })}
      />,
    );
    const microphone = screen.getByRole("button", { name: "Mute microphone" });
    const camera = screen.getByRole("button", { name: "Turn camera off" });
    expect(microphone).toHaveProperty("disabled", true);
    expect(camera).toHaveProperty("disabled", true);
    expect(screen.getByRole("button", { description: denied })).toBe(camera);
    expect(camera.title).toBe(denied);
    expect(microphone.title).toBe("The microphone is starting…");
  });
});
