import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { stubMediaDevices } from "./fakeMedia";
import type { PendingRequest } from "./fakeMedia";
import { LocalMedia } from "./LocalMedia";

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("LocalMedia", () => {
  let requests: PendingRequest[];
  let media: LocalMedia;

  beforeEach(() => {
    requests = stubMediaDevices();
    media = new LocalMedia();
  });

  afterEach(() => {
    media.stop();
    vi.unstubAllGlobals();
  });

  it("keeps the microphone and camera it is granted", async () => {
    const starting = media.start();
    const [audio, video] = requests.map((r) => r.grant());
    await starting;
    expect(media.snapshot.audio).toBe(audio);
    expect(media.snapshot.camera).toBe(video);
    expect(video?.readyState).toBe("live");
  });

  it("stops devices granted after it was stopped (the camera light goes out)", async () => {
    const starting = media.start();
    media.stop(); // the call page unmounted while the browser was still asking
    const late = requests.map((r) => r.grant());
    await starting;
    expect(late.map((t) => t.readyState)).toEqual(["ended", "ended"]);
    expect(media.snapshot.audio).toBeNull();
    expect(media.snapshot.camera).toBeNull();
  });

  it("stops a screen share granted after it was stopped", async () => {
    const sharing = media.startScreenShare();
    media.stop();
    const screen = requests[0]!.grant();
    await sharing;
    await settle();
    expect(screen.readyState).toBe("ended");
    expect(media.snapshot.screen).toBeNull();
  });

  it("sends the screen beside the camera, for detail, and keeps the camera as it was", async () => {
    const starting = media.start();
    const [audio, camera] = requests.map((r) => r.grant());
    await starting;
    const sharing = media.startScreenShare();
    const screen = requests[2]!.grant();
    await sharing;
    expect(media.tracksToSend).toEqual({ audio, video: camera, screen });
    expect(screen.contentHint).toBe("detail");
    expect(media.snapshot.preview.getTracks()).toEqual([audio, camera]);
    expect(media.snapshot.screenPreview?.getTracks()).toEqual([screen]);
    media.stopScreenShare();
    expect(screen.readyState).toBe("ended");
    expect(media.tracksToSend).toEqual({ audio, video: camera, screen: null });
    expect(camera?.readyState).toBe("live");
    expect(media.snapshot.screenPreview).toBeNull();
  });
});
