import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** How much lower than the extension host's thread a background worker thread runs (nice steps). */
export const BACKGROUND_NICE_STEPS = 10;

/**
 * Lowers the CPU priority of the calling worker thread below the thread that started it. The
 * extension host's thread serves every extension and VS Code's own calls; when the cores are
 * taken (a flood: broker, publisher, this engine, the window), the scheduler should run it first
 * and let MQTT ingest wait. Linux only, where a thread has an id of its own for setpriority (on
 * macOS the same call would lower the whole extension host, so it is not made). Best effort:
 * returns the thread's new nice value, or undefined when nothing was changed.
 */
export function lowerThisThreadPriority(steps = BACKGROUND_NICE_STEPS): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    // "/proc/thread-self" links to "<pid>/task/<tid>".
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    // Never the process's main thread: that would be the extension host itself.
    if (!Number.isInteger(tid) || tid <= 0 || tid === process.pid) return undefined;
    const nice = Math.min(19, getPriority(tid) + steps);
    setPriority(tid, nice);
    return getPriority(tid);
  } catch {
    return undefined;
  }
}
