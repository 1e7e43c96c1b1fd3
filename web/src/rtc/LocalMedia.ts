/**
 * The local camera, microphone and screen, without UI: acquisition with a clear reason when a
 * device is denied or missing, device switching, mute and camera-off, and screen share.
 */
import { Emitter } from "../realtime/emitter";
import type { LocalTracks } from "./PeerLink";

export type DeviceKind = "audio" | "video";

export interface LocalMediaSnapshot {
  audio: MediaStreamTrack | null;
  camera: MediaStreamTrack | null;
  screen: MediaStreamTrack | null;
  microphoneOn: boolean;
  cameraOn: boolean;
  /** Why a device could not be used, per kind. */
  problems: Partial<Record<DeviceKind, string>>;
  devices: MediaDeviceInfo[];
  selected: Partial<Record<DeviceKind, string>>;
  /** The local preview: the camera (when on) and the microphone. */
  preview: MediaStream;
  /** The screen being shared, as a stream to show. */
  screenPreview: MediaStream | null;
}

const LABELS: Record<DeviceKind, string> = { audio: "Microphone", video: "Camera" };

export function describeMediaError(kind: DeviceKind, error: unknown): string {
  const name = error instanceof DOMException ? error.name : "";
  if (name === "NotAllowedError" || name === "SecurityError") {
    return `${LABELS[kind]} access was denied. You can join without it, or allow it in the browser.`;
  }
  if (name === "NotFoundError" || name === "OverconstrainedError") {
    return `No ${LABELS[kind].toLowerCase()} was found. You can join without it.`;
  }
  if (name === "NotReadableError") {
    return `The ${LABELS[kind].toLowerCase()} is in use by another program.`;
  }
  return `${LABELS[kind]} unavailable.`;
}

export class LocalMedia extends Emitter<{ change: [] }> {
  private current: LocalMediaSnapshot = {
    audio: null,
    camera: null,
    screen: null,
    microphoneOn: true,
    cameraOn: true,
    problems: {},
    devices: [],
    selected: {},
    preview: new MediaStream(),
    screenPreview: null,
  };
  /** Set by `stop`: a device granted later is released at once (the camera light goes out). */
  private stopped = false;

  get snapshot(): LocalMediaSnapshot {
    return this.current;
  }

  /** What to send: the microphone, the camera when on, and the screen while sharing. */
  get tracksToSend(): LocalTracks {
    const { audio, camera, cameraOn, screen } = this.current;
    return { audio, video: cameraOn ? camera : null, screen };
  }

  /** Ask for the microphone and the camera (each on its own, so one missing spares the other). */
  async start(): Promise<void> {
    await Promise.all([this.acquire("audio"), this.acquire("video")]);
    await this.listDevices();
  }

  async selectDevice(kind: DeviceKind, deviceId: string): Promise<void> {
    this.update({ selected: { ...this.current.selected, [kind]: deviceId } });
    if (kind === "video" && !this.current.cameraOn) return;
    await this.acquire(kind);
  }

  setMicrophone(on: boolean): void {
    if (this.current.audio) this.current.audio.enabled = on;
    this.update({ microphoneOn: on });
  }

  /** Camera off stops the device (its light goes out); on asks for it again. */
  async setCamera(on: boolean): Promise<void> {
    if (on) {
      this.update({ cameraOn: true });
      await this.acquire("video");
    } else {
      this.current.camera?.stop();
      this.update({ cameraOn: false, camera: null });
    }
  }

  async startScreenShare(): Promise<void> {
    const stream = await navigator.mediaDevices.getDisplayMedia({ video: true });
    if (this.releasedIfStopped(stream)) return;
    const screen = stream.getVideoTracks()[0] ?? null;
    if (screen === null) return;
    screen.contentHint = "detail"; // text and lines stay sharp; motion may drop frames
    screen.addEventListener("ended", () => this.stopScreenShare());
    this.update({ screen });
  }

  stopScreenShare(): void {
    this.current.screen?.stop();
    this.update({ screen: null });
  }

  /** Release every device for good, including any still being asked for. */
  stop(): void {
    this.stopped = true;
    for (const track of [this.current.audio, this.current.camera, this.current.screen])
      track?.stop();
    this.update({ audio: null, camera: null, screen: null });
  }

  private async acquire(kind: DeviceKind): Promise<void> {
    const deviceId = this.current.selected[kind];
    const constraints = deviceId ? { deviceId: { exact: deviceId } } : true;
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ [kind]: constraints });
      if (this.releasedIfStopped(stream)) return;
      const track = (kind === "audio" ? stream.getAudioTracks() : stream.getVideoTracks())[0];
      if (!track) return;
      const problems = Object.fromEntries(
        Object.entries(this.current.problems).filter(([other]) => other !== kind),
      );
      if (kind === "audio") {
        this.current.audio?.stop();
        track.enabled = this.current.microphoneOn;
        this.update({ audio: track, problems });
      } else {
        this.current.camera?.stop();
        this.update({ camera: track, problems });
      }
    } catch (error) {
      this.update({
        problems: { ...this.current.problems, [kind]: describeMediaError(kind, error) },
      });
    }
  }

  /** After `stop`, a stream that was still being granted is stopped instead of kept. */
  private releasedIfStopped(stream: MediaStream): boolean {
    if (!this.stopped) return false;
    for (const track of stream.getTracks()) track.stop();
    return true;
  }

  private async listDevices(): Promise<void> {
    const devices = await navigator.mediaDevices.enumerateDevices();
    this.update({
      devices: devices.filter((d) => d.kind === "audioinput" || d.kind === "videoinput"),
    });
  }

  private update(changes: Partial<LocalMediaSnapshot>): void {
    const next = { ...this.current, ...changes };
    const video = next.cameraOn ? next.camera : null;
    const tracks = [next.audio, video].filter((t): t is MediaStreamTrack => t !== null);
    const same =
      tracks.length === this.current.preview.getTracks().length &&
      tracks.every((t) => this.current.preview.getTracks().includes(t));
    const sameScreen = next.screen === this.current.screen;
    this.current = {
      ...next,
      preview: same ? this.current.preview : new MediaStream(tracks),
      screenPreview: sameScreen
        ? this.current.screenPreview
        : next.screen && new MediaStream([next.screen]),
    };
    this.emit("change");
  }
}
