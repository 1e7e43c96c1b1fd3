/**
 * The local camera, microphone, speaker and screen, without UI: acquisition with a clear reason
 * when a device is denied, missing or unplugged (and a retry), device switching, the camera's
 * size, mute and camera-off, and screen share.
 */
import { Emitter } from "../realtime/emitter";
import type { LocalTracks } from "./PeerLink";

/** The devices asked for with getUserMedia. */
export type DeviceKind = "audio" | "video";

/** A camera size to ask for (the browser gives the nearest it has). */
export interface CaptureSize {
  width: number;
  height: number;
}

/** Whether this browser can send sound to a chosen output (`setSinkId`); when not, the system's. */
export const SPEAKER_CHOICE =
  typeof HTMLMediaElement !== "undefined" && "setSinkId" in HTMLMediaElement.prototype;

/**
 * Browsers give camera, microphone and (in practice) call connections only to a secure page:
 * `https://`, or `http://localhost` on the machine itself. Elsewhere over plain http, Chromium
 * gathers no ICE candidate at all (it hides host addresses behind mDNS names, which fail where
 * multicast does not pass, as in a network namespace).
 */
export function isSecurePage(): boolean {
  return window.isSecureContext && typeof navigator.mediaDevices !== "undefined";
}

export const INSECURE_PAGE =
  "This page is not secure (http:// on an address other than this computer's), so the browser " +
  "allows no camera, microphone or call connection. Open Glimpse over https:// instead.";

/** Whether this browser can share a screen (phones' browsers cannot). */
export function canShareScreen(): boolean {
  return typeof navigator.mediaDevices?.getDisplayMedia === "function";
}

export interface LocalMediaSnapshot {
  audio: MediaStreamTrack | null;
  camera: MediaStreamTrack | null;
  screen: MediaStreamTrack | null;
  microphoneOn: boolean;
  cameraOn: boolean;
  /** Why a device could not be used, per kind. */
  problems: Partial<Record<DeviceKind, string>>;
  /** Microphones, cameras and speakers, as the browser lists them. */
  devices: MediaDeviceInfo[];
  selected: Partial<Record<DeviceKind, string>>;
  /** The chosen speaker's device id ("" is the system's default output). */
  speaker: string;
  /** The local preview: the camera (when on) and the microphone. */
  preview: MediaStream;
  /** The screen being shared, as a stream to show. */
  screenPreview: MediaStream | null;
}

const LABELS: Record<DeviceKind, string> = { audio: "Microphone", video: "Camera" };

export function describeMediaError(kind: DeviceKind, error: unknown): string {
  const name = error instanceof DOMException ? error.name : "";
  if (name === "NotAllowedError" || name === "SecurityError") {
    return (
      `${LABELS[kind]} access was denied. To use it, allow it for this site (the icon at the ` +
      `left of the address bar), then try again; or join without it.`
    );
  }
  if (name === "NotFoundError" || name === "OverconstrainedError") {
    return `No ${LABELS[kind].toLowerCase()} was found. You can join without it.`;
  }
  if (name === "NotReadableError") {
    return `The ${LABELS[kind].toLowerCase()} is in use by another program.`;
  }
  return `${LABELS[kind]} unavailable.`;
}

/** Why a device that was working stopped (unplugged, or taken by the system). */
export function describeLostDevice(kind: DeviceKind): string {
  return `The ${LABELS[kind].toLowerCase()} stopped working (unplugged?). Choose another or try again.`;
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
    speaker: "",
    preview: new MediaStream(),
    screenPreview: null,
  };
  /** Set by `stop`: a device granted later is released at once (the camera light goes out). */
  private stopped = false;
  /** Device requests made so far, per kind: only the latest one's answer is kept. */
  private readonly requests: Record<DeviceKind, number> = { audio: 0, video: 0 };
  /** The camera size asked for (null: the browser's default). */
  private captureSize: CaptureSize | null = null;

  get snapshot(): LocalMediaSnapshot {
    return this.current;
  }

  /** What to send: the microphone, the camera when on, and the screen while sharing. */
  get tracksToSend(): LocalTracks {
    const { audio, camera, cameraOn, screen } = this.current;
    return { audio, video: cameraOn ? camera : null, screen };
  }

  /**
   * Ask for the microphone and the camera (each on its own, so one missing spares the other),
   * and follow the devices plugged in and out.
   */
  async start(): Promise<void> {
    if (!isSecurePage()) {
      this.update({ problems: { audio: INSECURE_PAGE, video: INSECURE_PAGE } });
      return;
    }
    navigator.mediaDevices.addEventListener?.("devicechange", this.listDevices);
    await Promise.all([this.acquire("audio"), this.acquire("video")]);
    await this.listDevices();
  }

  /** Use another microphone or camera; the call sends it in place of the old one. */
  async selectDevice(kind: DeviceKind, deviceId: string): Promise<void> {
    this.update({ selected: { ...this.current.selected, [kind]: deviceId } });
    if (kind === "video" && !this.current.cameraOn) return;
    await this.acquire(kind);
  }

  /** Ask again for a device that was denied, missing or lost (the browser may prompt again). */
  async retry(kind: DeviceKind): Promise<void> {
    if (kind === "video") this.update({ cameraOn: true });
    await this.acquire(kind);
    await this.listDevices();
  }

  /** Play the call's sound on this output (`SPEAKER_CHOICE` says whether the browser can). */
  selectSpeaker(deviceId: string): void {
    this.update({ speaker: deviceId });
  }

  /**
   * Ask the camera for this size from now on (null: the browser's default), in place: the track
   * stays the same, so whatever sends it goes on.
   */
  setCaptureSize(size: CaptureSize | null): void {
    if (size?.width === this.captureSize?.width && size?.height === this.captureSize?.height) {
      return;
    }
    this.captureSize = size;
    void this.current.camera?.applyConstraints(sizeConstraints(size)).catch(() => undefined);
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
    if (isSecurePage()) {
      navigator.mediaDevices.removeEventListener?.("devicechange", this.listDevices);
    }
    for (const track of [this.current.audio, this.current.camera, this.current.screen])
      track?.stop();
    this.update({ audio: null, camera: null, screen: null });
  }

  private async acquire(kind: DeviceKind): Promise<void> {
    const deviceId = this.current.selected[kind];
    const chosen = deviceId ? { deviceId: { exact: deviceId } } : {};
    const size = this.captureSize;
    const sized = kind === "video" ? { ...chosen, ...sizeConstraints(size) } : chosen;
    const constraints = Object.keys(sized).length > 0 ? sized : true;
    const request = (this.requests[kind] += 1);
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ [kind]: constraints });
      if (this.releasedIfStopped(stream)) return;
      // A later request (another pick) or the camera turned off meanwhile: this one is not wanted.
      const superseded = request !== this.requests[kind];
      if (superseded || (kind === "video" && !this.current.cameraOn)) {
        for (const track of stream.getTracks()) track.stop();
        return;
      }
      const track = (kind === "audio" ? stream.getAudioTracks() : stream.getVideoTracks())[0];
      if (!track) return;
      const problems = Object.fromEntries(
        Object.entries(this.current.problems).filter(([other]) => other !== kind),
      );
      track.addEventListener("ended", () => this.lost(kind, track));
      // The picker shows the device in use, also when the browser chose it.
      const inUse = track.getSettings?.().deviceId;
      const selected = inUse ? { ...this.current.selected, [kind]: inUse } : this.current.selected;
      if (kind === "audio") {
        this.current.audio?.stop();
        track.enabled = this.current.microphoneOn;
        this.update({ audio: track, problems, selected });
      } else {
        this.current.camera?.stop();
        // Another size was asked for while the browser was granting this camera.
        if (this.captureSize !== size) {
          void track.applyConstraints(sizeConstraints(this.captureSize)).catch(() => undefined);
        }
        this.update({ camera: track, problems, selected });
      }
    } catch (error) {
      this.update({
        problems: { ...this.current.problems, [kind]: describeMediaError(kind, error) },
      });
    }
  }

  /** A device that was in use ended on its own (unplugged): say so, and stop sending it. */
  private lost(kind: DeviceKind, track: MediaStreamTrack): void {
    if (this.stopped || track !== (kind === "audio" ? this.current.audio : this.current.camera)) {
      return;
    }
    const problems = { ...this.current.problems, [kind]: describeLostDevice(kind) };
    // A retry asks for whichever device the browser has now, not the one that went away.
    const selected = Object.fromEntries(
      Object.entries(this.current.selected).filter(([other]) => other !== kind),
    );
    const changes = { problems, selected };
    this.update(kind === "audio" ? { audio: null, ...changes } : { camera: null, ...changes });
  }

  /** After `stop`, a stream that was still being granted is stopped instead of kept. */
  private releasedIfStopped(stream: MediaStream): boolean {
    if (!this.stopped) return false;
    for (const track of stream.getTracks()) track.stop();
    return true;
  }

  private readonly listDevices = async (): Promise<void> => {
    const devices = await navigator.mediaDevices.enumerateDevices();
    if (this.stopped) return;
    const speakers = devices.filter((d) => d.kind === "audiooutput");
    const { speaker } = this.current;
    const speakerGone = speaker !== "" && !speakers.some((d) => d.deviceId === speaker);
    this.update({
      devices: devices.filter((d) => d.kind !== "audiooutput" || SPEAKER_CHOICE),
      ...(speakerGone ? { speaker: "" } : {}),
    });
  };

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

/** A size asked for as an ideal (never refused: the nearest is given); none for the default. */
function sizeConstraints(size: CaptureSize | null): MediaTrackConstraints {
  return size === null ? {} : { width: { ideal: size.width }, height: { ideal: size.height } };
}
