/**
 * What of a participant's media has come through a connection (their audio heard, their camera's
 * and screen's frames decoded), read from `inbound-rtp` statistics: at a switch of the media path,
 * a participant is shown through the new path once it brings all they send.
 */
import type { MediaState } from "../realtime/protocol";

export interface ArrivedMedia {
  audio: boolean;
  video: boolean;
  screen: boolean;
}

/** Where a received stream goes: the participant's microphone, camera or screen. */
export type MediaSlot = keyof ArrivedMedia;

export const NOTHING_ARRIVED: ArrivedMedia = { audio: false, video: false, screen: false };

/** The fields of an `inbound-rtp` statistic read here. */
export interface InboundStat {
  type: string;
  mid?: string;
  trackIdentifier?: string;
  packetsReceived?: number;
  framesDecoded?: number;
}

/** Whether a received stream shows media of its slot: audio packets, or decoded frames. */
export function hasArrived(slot: MediaSlot, stat: InboundStat): boolean {
  return (slot === "audio" ? (stat.packetsReceived ?? 0) : (stat.framesDecoded ?? 0)) > 0;
}

/** Whether all a participant sends (as their media state says) has come. */
export function arrivedAll(media: MediaState, arrived: ArrivedMedia | undefined): boolean {
  return (
    (!media.audio || arrived?.audio === true) &&
    (!media.video || arrived?.video === true) &&
    (!media.screen || arrived?.screen === true)
  );
}

export function sameArrival(a: ArrivedMedia | undefined, b: ArrivedMedia | undefined): boolean {
  return a?.audio === b?.audio && a?.video === b?.video && a?.screen === b?.screen;
}
