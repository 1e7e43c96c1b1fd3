/**
 * What a mesh link sends of the camera, as pure functions. Every participant uploads its camera
 * once per peer, so each copy gets a share of one upload budget, smaller and slower as the room
 * grows; on top, the browser's congestion control lowers each link to what it measures. A link
 * whose estimate stays under a floor sends audio only and tries video again later, backing off.
 * Audio goes first: high priority, and the far side is asked for Opus DTX (in-band FEC is on by
 * default).
 */

/** One camera's upload shared by all its copies (bit/s). */
const UPLOAD_BUDGET = 2_500_000;
/** Most one copy gets, in a call of two. */
const MAX_BITRATE = 1_500_000;
/** Below this estimate a link cannot carry video worth seeing (bit/s). */
export const VIDEO_FLOOR = 150_000;
/** Under the floor this long: video paused on that link. */
export const PAUSE_AFTER_MS = 4000;
/** Paused this long (doubling up to the max): video tried again. */
export const RETRY_AFTER_MS = 15_000;
export const RETRY_AFTER_MAX_MS = 60_000;
/** After a retry, this long before the estimate counts again. */
export const RETRY_GRACE_MS = 10_000;
/** Video held this long after a retry: the next pause waits `RETRY_AFTER_MS` again. */
const HOLD_MS = 30_000;

export interface CameraEncoding {
  maxBitrate: number;
  scaleResolutionDownBy: number;
  maxFramerate: number;
}

/** The camera's encoding on each link when it is sent to `peers` participants. */
export function cameraEncoding(peers: number): CameraEncoding {
  const copies = Math.max(1, peers);
  return {
    maxBitrate: Math.floor(Math.min(MAX_BITRATE, UPLOAD_BUDGET / copies)),
    scaleResolutionDownBy: copies >= 6 ? 2 : 1,
    maxFramerate: copies >= 8 ? 15 : 30,
  };
}

/** Ask the far side to send Opus with DTX (silence costs almost nothing). */
export function withOpusDtx(sdp: string): string {
  const payload = /^a=rtpmap:(\d+) opus\/48000/im.exec(sdp)?.[1];
  if (payload === undefined) return sdp;
  return sdp.replace(
    new RegExp(`^(a=fmtp:${payload} (?![^\\r\\n]*usedtx)[^\\r\\n]*)`, "m"),
    "$1;usedtx=1",
  );
}

/**
 * Whether a link sends video: paused once the estimate has stayed under the floor for
 * `PAUSE_AFTER_MS`; tried again after `RETRY_AFTER_MS`, given `RETRY_GRACE_MS` to climb back
 * (the estimate grows only while video is sent); paused again within `HOLD_MS` of a retry, the
 * next wait is twice as long.
 */
export class VideoGate {
  sending = true;
  private lowSince: number | null = null;
  private pausedAt = 0;
  private resumedAt = -Infinity;
  private retryAfter = RETRY_AFTER_MS;

  /** Feed one estimate (bit/s; null: none yet); returns whether `sending` changed. */
  update(available: number | null, now: number): boolean {
    if (!this.sending) {
      if (now - this.pausedAt < this.retryAfter) return false;
      this.sending = true;
      this.resumedAt = now;
      this.lowSince = null;
      return true;
    }
    if (available === null || available >= VIDEO_FLOOR || now - this.resumedAt < RETRY_GRACE_MS) {
      this.lowSince = null;
      if (now - this.resumedAt >= HOLD_MS) this.retryAfter = RETRY_AFTER_MS;
      return false;
    }
    this.lowSince ??= now;
    if (now - this.lowSince < PAUSE_AFTER_MS) return false;
    if (now - this.resumedAt < HOLD_MS) {
      this.retryAfter = Math.min(RETRY_AFTER_MAX_MS, this.retryAfter * 2);
    }
    this.sending = false;
    this.pausedAt = now;
    return true;
  }
}
