/** Test doubles of the browser's media streams and devices for the WebRTC service's unit tests. */
import { vi } from "vitest";

export class FakeMediaStream {
  private readonly tracks: MediaStreamTrack[];

  constructor(tracks: MediaStreamTrack[] = []) {
    this.tracks = tracks;
  }

  getTracks() {
    return this.tracks;
  }

  getAudioTracks() {
    return this.tracks.filter((t) => t.kind === "audio");
  }

  getVideoTracks() {
    return this.tracks.filter((t) => t.kind === "video");
  }
}

/**
 * A live track whose `stop` is recorded in `readyState`, as a browser's is (stopping it fires no
 * event), and the constraints applied to it in `applied`; `unplug` ends it as a device that goes
 * away does, with an "ended" event.
 */
export function fakeTrack(kind: "audio" | "video"): MediaStreamTrack {
  const ended: (() => void)[] = [];
  const track = {
    kind,
    enabled: true,
    readyState: "live",
    applied: [] as MediaTrackConstraints[],
    applyConstraints: async (constraints: MediaTrackConstraints) => {
      track.applied.push(constraints);
    },
    stop: () => (track.readyState = "ended"),
    addEventListener: (type: string, listener: () => void) => {
      if (type === "ended") ended.push(listener);
    },
    unplug: () => {
      track.readyState = "ended";
      for (const listener of ended) listener();
    },
  };
  return track as unknown as MediaStreamTrack;
}

/** The constraints applied to a fake track, in order. */
export function appliedConstraints(track: MediaStreamTrack): MediaTrackConstraints[] {
  return (track as unknown as { applied: MediaTrackConstraints[] }).applied;
}

export function unplug(track: MediaStreamTrack): void {
  (track as unknown as { unplug: () => void }).unplug();
}

/** A WebAudio context that records whether it was closed; every one made is in `contexts`. */
export function stubAudioContext(): { closed: boolean }[] {
  const contexts: { closed: boolean }[] = [];
  vi.stubGlobal(
    "AudioContext",
    class {
      closed = false;
      constructor() {
        contexts.push(this);
      }
      resume = async () => undefined;
      close = async () => {
        this.closed = true;
      };
      createMediaStreamSource = () => ({ connect: () => undefined, disconnect: () => undefined });
      createAnalyser = () => ({ fftSize: 0, getFloatTimeDomainData: () => undefined });
    },
  );
  return contexts;
}

/** A device request the test answers later: `grant` resolves it with a new track. */
export interface PendingRequest {
  kind: "audio" | "video";
  /** What getUserMedia was asked (none for getDisplayMedia). */
  constraints: MediaStreamConstraints | undefined;
  grant: () => MediaStreamTrack;
  /** Refuse it as the browser does (`NotAllowedError`: denied; `NotFoundError`: none). */
  refuse: (name: string) => void;
}

/** Stub getUserMedia/getDisplayMedia; each call waits in `requests` until the test grants it. */
export function stubMediaDevices(): PendingRequest[] {
  const requests: PendingRequest[] = [];
  const request = (kind: "audio" | "video", constraints?: MediaStreamConstraints) =>
    new Promise<MediaStream>((resolve, reject) => {
      requests.push({
        kind,
        constraints,
        grant: () => {
          const track = fakeTrack(kind);
          resolve(new FakeMediaStream([track]) as unknown as MediaStream);
          return track;
        },
        refuse: (name) => reject(new DOMException("refused", name)),
      });
    });
  vi.stubGlobal("MediaStream", FakeMediaStream);
  vi.stubGlobal("isSecureContext", true); // an https:// page
  vi.stubGlobal("navigator", {
    mediaDevices: {
      getUserMedia: (constraints: MediaStreamConstraints) =>
        request(constraints.audio ? "audio" : "video", constraints),
      getDisplayMedia: () => request("video"),
      enumerateDevices: async () => [],
    },
  });
  return requests;
}
