import type { TreeStats } from '../src/worker/topicTree';
import type { Socket } from 'node:net';

/**
 * Between `npm run bench` (which owns the broker, the publisher and VS Code) and its probe inside
 * the real extension host (bench/realHostProbe.ts): one loopback socket carrying JSON lines. The
 * probe says when the extension is ready for messages and when its monitor samples; the bench
 * says when the messages were sent. The probe's figures go to a file as well (RESULT_FILE_ENV).
 */

/** Environment of the VS Code server, inherited by its extension host. */
export const CONTROL_PORT_ENV = 'MQTT_BENCH_CONTROL_PORT';
export const RESULT_FILE_ENV = 'MQTT_BENCH_RESULT_FILE';
export const PROBE_OPTIONS_ENV = 'MQTT_BENCH_PROBE_OPTIONS';

export interface ProbeOptions {
  /** The profile the bench wrote into the workspace settings. */
  connectionId: string;
  /** Levels to expand below the connection, in order (the last one has the most children). */
  expand: string[];
  /** The topic a panel is opened on: the one that floods hardest. */
  panelTopic: string;
  idleSeconds: number;
  /** How long the flood should take: bounds the wait for its end. */
  floodSeconds: number;
  /** Where to write a CPU profile of the extension host's thread over the flood, when asked for. */
  cpuProfile?: string;
}

export type ProbeToBench =
  /** Connected and subscribed: messages published now reach the extension. */
  | { type: 'subscribed' }
  /**
   * The monitor samples: flood now. First 'bare' (nothing expanded below the connection, no panel:
   * what VS Code, the machine and the engine cost under the flood), then 'shown' (the views set up).
   */
  | { type: 'flood'; phase: FloodPhase }
  /** The result file is written. */
  | { type: 'done' };

export type FloodPhase = 'bare' | 'shown';

export type BenchToProbe = { type: 'prefilled'; sent: number } | { type: 'flooded'; sent: number; seconds: number };

/** Event-loop delay, in milliseconds. */
export interface LoopFigures {
  p50: number;
  p99: number;
  p999: number;
  max: number;
  /** Seconds sampled. */
  seconds: number;
  /** The thread's own CPU time over the phase, in percent of one core (when Node can tell). */
  cpuPercent?: number;
  /** How long it waited for a CPU while it had work, in percent of the phase (Linux only). */
  cpuWaitPercent?: number;
}

export interface ProbeResult {
  /** The same flood with nothing shown that it changes: the floor of this machine and VS Code. */
  bare: LoopFigures;
  idle: LoopFigures;
  flood: LoopFigures;
  /** Messages the engine counted during the flood (its `received` total, before and after). */
  received: number;
  /** Change reports the host got during the flood, the rows they carried, the tree rows it refreshed. */
  reports: number;
  rowsReported: number;
  rowsRefreshed: number;
  /** Garbage collection on the extension host's thread during the flood. */
  gcPauses: number;
  gcTotalMs: number;
  gcMaxMs: number;
  /** The engine after the flood: its heap after GC (MiB) and its connection's totals. */
  engineHeapMb: number;
  engineStats: TreeStats;
}

/** The result file: the figures, or why there are none. */
export type ProbeOutcome = { ok: true; result: ProbeResult } | { ok: false; error: string };

/** Typed JSON lines over a socket; `next` waits (bounded) for the next message of a type. */
export class JsonLines<In extends { type: string }, Out extends { type: string }> {
  private buffer = '';
  private readonly queue: In[] = [];
  private waiter: (() => void) | undefined;
  private closed: Error | undefined;

  constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      for (let end = this.buffer.indexOf('\n'); end >= 0; end = this.buffer.indexOf('\n')) {
        this.queue.push(JSON.parse(this.buffer.slice(0, end)) as In);
        this.buffer = this.buffer.slice(end + 1);
      }
      this.waiter?.();
    });
    const close = (error?: Error) => {
      this.closed ??= error ?? new Error('the bench control socket closed');
      this.waiter?.();
    };
    socket.on('error', close);
    socket.on('close', () => close());
  }

  send(message: Out): void {
    this.socket.write(`${JSON.stringify(message)}\n`);
  }

  async next<T extends In['type']>(type: T, timeoutMs: number): Promise<Extract<In, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const message = this.queue.shift();
      if (message) {
        if (message.type !== type) throw new Error(`bench control: expected ${type}, got ${message.type}`);
        return message as Extract<In, { type: T }>;
      }
      if (this.closed) throw this.closed;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`bench control: no ${type} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = undefined;
    }
  }

  close(): void {
    this.socket.end();
  }
}
