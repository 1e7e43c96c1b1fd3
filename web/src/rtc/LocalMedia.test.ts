import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { appliedConstraints, stubMediaDevices, unplug } from "./fakeMedia";
import type { PendingRequest } from "./fakeMedia";
import { INSECURE_PAGE, LocalMedia } from "./LocalMedia";

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

  it("explains a denied camera, keeps the microphone, and gets the camera on a retry", async () => {
    const starting = media.start();
    const audio = requests[0]!.grant();
    requests[1]!.refuse("NotAllowedError");
    await starting;
    expect(media.snapshot.audio).toBe(audio);
    expect(media.snapshot.camera).toBeNull();
    expect(media.snapshot.problems.video).toMatch(/denied.*allow it for this site.*try again/);
    const retrying = media.retry("video");
    const camera = requests[2]!.grant();
    await retrying;
    expect(media.snapshot.camera).toBe(camera);
    expect(media.snapshot.problems).toEqual({});
  });

  it("says when a device in use is unplugged, and stops sending it", async () => {
    const starting = media.start();
    const [audio, camera] = requests.map((r) => r.grant());
    await starting;
    unplug(audio!);
    expect(media.snapshot.audio).toBeNull();
    expect(media.tracksToSend).toEqual({ audio: null, video: camera, screen: null });
    expect(media.snapshot.problems.audio).toMatch(/microphone stopped working/);
    expect(media.snapshot.selected.audio).toBeUndefined(); // a retry takes whichever is there
  });

  it("switches the microphone: the new one is sent, the old one released", async () => {
    const starting = media.start();
    const [first] = requests.map((r) => r.grant());
    await starting;
    const switching = media.selectDevice("audio", "usb-headset");
    const second = requests[2]!.grant();
    await switching;
    expect(media.snapshot.selected.audio).toBe("usb-headset");
    expect(media.tracksToSend.audio).toBe(second);
    expect(first?.readyState).toBe("ended");
  });

  it("asks the camera in use, and the next one, for a size; the default again after", async () => {
    const starting = media.start();
    const [, camera] = requests.map((r) => r.grant());
    await starting;
    expect(requests[1]!.constraints).toEqual({ video: true });
    media.setCaptureSize({ width: 1280, height: 720 });
    media.setCaptureSize({ width: 1280, height: 720 }); // the same again: nothing to apply
    const hd = { width: { ideal: 1280 }, height: { ideal: 720 } };
    expect(appliedConstraints(camera!)).toEqual([hd]);
    expect(media.snapshot.camera).toBe(camera); // the same track: senders keep it
    const switching = media.selectDevice("video", "usb-camera");
    const next = requests[2]!.grant();
    await switching;
    expect(requests[2]!.constraints).toEqual({
      video: { deviceId: { exact: "usb-camera" }, ...hd },
    });
    media.setCaptureSize(null);
    expect(appliedConstraints(next)).toEqual([{}]);
  });

  it("asks a camera granted after a size was chosen for that size", async () => {
    const starting = media.start();
    media.setCaptureSize({ width: 1280, height: 720 }); // the call went through the SFU meanwhile
    const [, camera] = requests.map((r) => r.grant());
    await starting;
    expect(appliedConstraints(camera!)).toEqual([
      { width: { ideal: 1280 }, height: { ideal: 720 } },
    ]);
  });

  it("on a page that is not secure, asks for nothing and says why", async () => {
    vi.stubGlobal("isSecureContext", false); // http:// on another machine's address
    await media.start();
    expect(requests).toEqual([]);
    expect(media.snapshot.problems).toEqual({ audio: INSECURE_PAGE, video: INSECURE_PAGE });
  });
});
