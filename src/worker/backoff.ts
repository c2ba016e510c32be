/** Reconnect timing: exponential backoff with jitter, and flapping detection. No VS Code, no I/O. */

export interface BackoffOptions {
  /** First delay, in milliseconds (default 1 s). */
  minDelayMs: number;
  /** Longest delay, in milliseconds (default 60 s). */
  maxDelayMs: number;
  /**
   * A connection that closes sooner than this after it was established counts as flapping: the
   * backoff keeps growing instead of starting over, so a broker that accepts and then drops us is
   * not hammered once a second.
   */
  stableAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { minDelayMs: 1000, maxDelayMs: 60_000, stableAfterMs: 10_000 };

/**
 * The delay before reconnect attempt `attempt` (0-based): min * 2^attempt, capped at max, with
 * "equal jitter" (half fixed, half random) so that many clients do not retry in lockstep.
 */
export function backoffDelay(attempt: number, options: Pick<BackoffOptions, 'minDelayMs' | 'maxDelayMs'>, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.minDelayMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Tracks attempts across connects and closes; decides the next delay. */
export class ReconnectPolicy {
  private attempt = 0;
  private connectedAt: number | undefined;
  /** Connections that closed before they were stable, in a row. */
  flaps = 0;

  constructor(
    private readonly options: BackoffOptions,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {}

  connected(): void {
    this.connectedAt = this.now();
  }

  /** The connection closed (or an attempt failed): how long to wait before the next attempt. */
  closed(): { delayMs: number; flapping: boolean } {
    const upFor = this.connectedAt === undefined ? undefined : this.now() - this.connectedAt;
    this.connectedAt = undefined;
    if (upFor !== undefined && upFor >= this.options.stableAfterMs) {
      this.attempt = 0;
      this.flaps = 0;
    } else if (upFor !== undefined) {
      this.flaps++;
    }
    const delayMs = backoffDelay(this.attempt, this.options, this.random);
    this.attempt++;
    return { delayMs, flapping: this.flaps >= 2 };
  }

  reset(): void {
    this.attempt = 0;
    this.flaps = 0;
    this.connectedAt = undefined;
  }
}
