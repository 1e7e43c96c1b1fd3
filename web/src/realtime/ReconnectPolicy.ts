/** When to try reconnecting: a delay table with random jitter (after LiveKit's ReconnectPolicy). */
export interface ReconnectPolicy {
  /** Milliseconds to wait before the given attempt (0-based). */
  delayBefore(attempt: number): number;
}

const DELAYS_MS = [0, 300, 1200, 2700, 4800, 7000];
const MAX_JITTER_MS = 1000;

export class BackoffWithJitter implements ReconnectPolicy {
  private readonly random: () => number;

  constructor(random: () => number = Math.random) {
    this.random = random;
  }

  delayBefore(attempt: number): number {
    const base = DELAYS_MS[Math.min(attempt, DELAYS_MS.length - 1)] ?? 0;
    return attempt === 0 ? 0 : base + Math.round(this.random() * MAX_JITTER_MS);
  }
}
