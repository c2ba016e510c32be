import { RequestTracker, type TracedMessage } from './requestTracker';
import type { EngineEvent } from '../shared/engineProtocol';
import type { RequestsSnapshot, RequestTrackerOptions } from '../shared/requests';

/** A connection's Requests snapshot goes to the host at most this often, and only while the view shows. */
export const REQUESTS_REPORT_MS = 1000;

/**
 * One RequestTracker per connection, and their reports: while the Requests view is visible, a
 * connection whose requests changed gets one fresh snapshot pushed per REQUESTS_REPORT_MS at most
 * (a flood of requests costs the host one message a second per connection). While requests are
 * open, a timer times them out even when no message arrives.
 */
export class RequestReports {
  private readonly trackers = new Map<string, RequestTracker>();
  private watching = false;
  private timer: NodeJS.Timeout | undefined;
  private options: Partial<RequestTrackerOptions>;

  constructor(
    private readonly emit: (event: EngineEvent) => void,
    /** Whether a subscription of the connection matches the topic. */
    private readonly sees: (connectionId: string, topic: string) => boolean,
    options: Partial<RequestTrackerOptions> = {},
    private readonly clock?: () => number,
  ) {
    this.options = options;
  }

  /** Every message of a connection. */
  onMessage(connectionId: string, message: TracedMessage): void {
    let tracker = this.trackers.get(connectionId);
    if (!tracker) {
      // Most messages of most connections are no request: no tracker until the first one.
      if (message.responseTopic === undefined) return;
      tracker = new RequestTracker((topic) => this.sees(connectionId, topic), this.options, this.clock);
      this.trackers.set(connectionId, tracker);
    }
    tracker.onMessage(message);
    if (tracker.changed) this.schedule();
  }

  snapshot(connectionId: string): RequestsSnapshot | undefined {
    return this.trackers.get(connectionId)?.snapshot(connectionId);
  }

  setWatching(watching: boolean): void {
    this.watching = watching;
    if (watching) this.schedule();
  }

  setTimeout(timeoutMs: number): void {
    this.options = { ...this.options, timeoutMs };
    for (const tracker of this.trackers.values()) tracker.timeoutMs = timeoutMs;
    this.schedule();
  }

  clear(connectionId: string | undefined): void {
    for (const [id, tracker] of this.trackers) if (connectionId === undefined || id === connectionId) tracker.clear();
    this.schedule();
  }

  forget(connectionId: string): void {
    this.trackers.delete(connectionId);
  }

  private schedule(): void {
    if (this.timer) return;
    let work = false;
    for (const tracker of this.trackers.values()) if (tracker.openCount > 0 || (this.watching && tracker.changed)) work = true;
    if (!work) return;
    this.timer = setTimeout(() => this.turn(), REQUESTS_REPORT_MS);
    // Timing out requests is no reason to keep a process alive.
    this.timer.unref?.();
  }

  private turn(): void {
    this.timer = undefined;
    for (const [connectionId, tracker] of this.trackers) {
      tracker.expire();
      if (this.watching && tracker.changed) this.emit({ kind: 'requests', connectionId, snapshot: tracker.snapshot(connectionId) });
    }
    this.schedule();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.trackers.clear();
  }
}
