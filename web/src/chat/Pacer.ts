/**
 * A token bucket on the client's side: `rate` sends a second on average, bursts of `burst`.
 * The chat outbox keeps to the server's documented chat limit with it instead of being refused.
 */
export class Pacer {
  private readonly rate: number;
  private readonly burst: number;
  private tokens: number;
  private updated: number;

  constructor(rate: number, burst: number) {
    this.rate = rate;
    this.burst = burst;
    this.tokens = burst;
    this.updated = Date.now();
  }

  /** Milliseconds until one more may go: 0 when it may go now. */
  wait(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.rate) * 1000);
  }

  /** Spend one token (after `wait()` said 0). */
  take(): void {
    this.refill();
    this.tokens -= 1;
  }

  private refill(): void {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.updated) / 1000) * this.rate);
    this.updated = now;
  }
}
