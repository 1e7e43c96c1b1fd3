/**
 * What a peer connection's statistics say about its link, as pure functions: the counters read
 * from one `getStats()` report, and from two reads a second apart the quality (good / fair /
 * poor from round trip, loss and jitter), whether media still arrives, and whether the picture
 * is frozen.
 */

/** Counters and gauges read from one report. */
export interface LinkCounters {
  /** Payload bytes received on the selected candidate pair (media and RTCP). */
  bytesReceived: number;
  packetsReceived: number;
  packetsLost: number;
  framesDecoded: number;
  /** Round trip of the selected candidate pair (ms), when measured. */
  rttMs: number | null;
  /** Interarrival jitter of the received audio (ms), when measured. */
  jitterMs: number | null;
  /** What the congestion controller estimates the link can take upward (bit/s). */
  availableOutgoingBitrate: number | null;
  /** Types of the local candidates gathered (host, srflx, relay, prflx). */
  localCandidateTypes: string[];
}

export type QualityLevel = "good" | "fair" | "poor";

export interface LinkQuality {
  level: QualityLevel;
  rttMs: number | null;
  /** Share of packets lost since the previous read (0..1). */
  loss: number;
  jitterMs: number | null;
  /** A sentence with the figures behind the level. */
  explanation: string;
}

/** Beyond the first limit a measure is fair, beyond the second poor. */
const LIMITS = { rttMs: [250, 600], loss: [0.02, 0.1], jitterMs: [30, 80] } as const;

interface Stat {
  type: string;
  [key: string]: unknown;
}

const number = (value: unknown): number => (typeof value === "number" ? value : 0);

export function readCounters(report: RTCStatsReport): LinkCounters {
  const stats: Stat[] = [];
  report.forEach((stat: Stat) => stats.push(stat));
  const transport = stats.find((s) => s.type === "transport");
  const pair =
    stats.find((s) => s.type === "candidate-pair" && s.id === transport?.selectedCandidatePairId) ??
    stats.find(
      (s) => s.type === "candidate-pair" && s.nominated === true && s.state === "succeeded",
    );
  const inbound = stats.filter((s) => s.type === "inbound-rtp");
  const audio = inbound.find((s) => s.kind === "audio");
  const sum = (key: string) => inbound.reduce((total, s) => total + number(s[key]), 0);
  return {
    bytesReceived: number(pair?.bytesReceived),
    packetsReceived: sum("packetsReceived"),
    packetsLost: sum("packetsLost"),
    framesDecoded: sum("framesDecoded"),
    rttMs: typeof pair?.currentRoundTripTime === "number" ? pair.currentRoundTripTime * 1000 : null,
    jitterMs: typeof audio?.jitter === "number" ? audio.jitter * 1000 : null,
    availableOutgoingBitrate:
      typeof pair?.availableOutgoingBitrate === "number" ? pair.availableOutgoingBitrate : null,
    localCandidateTypes: stats
      .filter((s) => s.type === "local-candidate")
      .map((s) => String(s.candidateType)),
  };
}

/** 0 within the good limit, 1 within the fair one, 2 beyond. */
function penalty(value: number | null, [fair, poor]: readonly [number, number]): number {
  if (value === null || value <= fair) return 0;
  return value <= poor ? 1 : 2;
}

/** The link's quality between two reads. */
export function assessQuality(previous: LinkCounters, current: LinkCounters): LinkQuality {
  const received = Math.max(0, current.packetsReceived - previous.packetsReceived);
  const lost = Math.max(0, current.packetsLost - previous.packetsLost);
  const loss = received + lost === 0 ? 0 : lost / (received + lost);
  const { rttMs, jitterMs } = current;
  // One measure past its good limit makes the link fair; two, or one far past, make it poor.
  const score =
    penalty(rttMs, LIMITS.rttMs) + penalty(loss, LIMITS.loss) + penalty(jitterMs, LIMITS.jitterMs);
  const level: QualityLevel = score === 0 ? "good" : score === 1 ? "fair" : "poor";
  const parts = [
    rttMs === null ? null : `round trip ${Math.round(rttMs)} ms`,
    `${(loss * 100).toFixed(1)} % of packets lost`,
    jitterMs === null ? null : `jitter ${Math.round(jitterMs)} ms`,
  ].filter((part): part is string => part !== null);
  const explanation = `${level[0]?.toUpperCase()}${level.slice(1)} connection: ${parts.join(", ")}.`;
  return { level, rttMs, loss, jitterMs, explanation };
}

/** Why a link could not connect, in words, from the candidates this side gathered. */
export function failureReason(counters: LinkCounters | null, relayOnly: boolean): string {
  const types = counters?.localCandidateTypes ?? [];
  if (types.length === 0) {
    return "No network address could be found for the call (a VPN or a firewall may block it). Retrying…";
  }
  if (!types.includes("relay")) {
    return relayOnly
      ? "The TURN server could not be reached. Retrying…"
      : "No network path to this person was found: a TURN server is needed. Retrying…";
  }
  return "The connection failed. Retrying…";
}

/**
 * One's own connection, from the links to everyone else: the best of them (if even the best
 * link is poor, the trouble is on this side; one poor link alone is the other person's).
 */
export function ownQuality(links: readonly LinkQuality[]): LinkQuality | null {
  const order: QualityLevel[] = ["good", "fair", "poor"];
  return links.reduce<LinkQuality | null>(
    (best, link) =>
      best === null || order.indexOf(link.level) < order.indexOf(best.level) ? link : best,
    null,
  );
}
