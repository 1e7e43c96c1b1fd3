/** When to try reconnecting: a delay table with random jitter (after LiveKit's ReconnectPolicy). */
export interface ReconnectPolicy {
  /**
   * Milliseconds to wait before the given attempt (0-based); `serverClosed`: the server closed
   * the socket (a restart, say), so every one of its clients is reconnecting at this moment.
   */
  delayBefore(attempt: number, serverClosed?: boolean): number;
}

const DELAYS_MS = [0, 300, 1200, 2700, 4800, 7000];
const MAX_JITTER_MS = 1000;

export class BackoffWithJitter implements ReconnectPolicy {
  private readonly random: () => number;

  constructor(random: () => number = Math.random) {
    this.random = random;
  }

  /**
   * The first attempt goes at once after a lost connection, and within a random second after
   * the server closed the socket: a restarting instance's clients must not all come back in the
   * same millisecond.
   */
  delayBefore(attempt: number, serverClosed = false): number {
    const base = DELAYS_MS[Math.min(attempt, DELAYS_MS.length - 1)] ?? 0;
    const jitter = Math.round(this.random() * MAX_JITTER_MS);
    if (attempt === 0) return serverClosed ? jitter : 0;
    return base + jitter;
  }
}
