import * as l10n from '@vscode/l10n';

/** The clock an announcer waits with: the page's timers, or a test's. */
export interface AnnounceClock {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: AnnounceClock = {
  now: () => Date.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** What a screen reader hears about new messages: one sentence for all of them since the last one. */
export function newMessagesText(count: number, topic: string): string {
  return count === 1 ? l10n.t('1 new message on {0}', topic) : l10n.t('{0} new messages on {1}', count.toLocaleString(), topic);
}

/**
 * Coalesces "new message" announcements for a live region: the first arrival is said at once, and
 * everything that comes within the next `intervalMs` is added up and said once when it ends. A
 * topic with a thousand messages a second is one sentence every few seconds, never one per message
 * (a screen reader queues every change of a polite region and would read for hours).
 */
export class NewMessageAnnouncer {
  private pending = 0;
  private topic = '';
  private lastSaid = Number.NEGATIVE_INFINITY;
  private timer: unknown;

  constructor(
    private readonly say: (text: string) => void,
    readonly intervalMs = 5000,
    private readonly clock: AnnounceClock = realClock,
  ) {}

  /** `count` messages arrived on `topic`. */
  add(count: number, topic: string): void {
    if (count <= 0) return;
    // Another topic: what was counted for the previous one is not said under this one's name.
    if (topic !== this.topic) this.pending = 0;
    this.topic = topic;
    this.pending += count;
    if (this.timer !== undefined) return;
    const wait = this.lastSaid + this.intervalMs - this.clock.now();
    if (wait <= 0) this.flush();
    else this.timer = this.clock.setTimeout(() => this.flush(), wait);
  }

  /** Forgets what was not said yet (the panel shows another topic, or was cleared). */
  reset(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = 0;
  }

  private flush(): void {
    this.timer = undefined;
    if (!this.pending) return;
    const count = this.pending;
    this.pending = 0;
    this.lastSaid = this.clock.now();
    this.say(newMessagesText(count, this.topic));
  }
}
