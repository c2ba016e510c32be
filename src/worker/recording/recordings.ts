/**
 * The engine's recordings: which connection each records, the message hook on that connection (set
 * only while a recording of it runs), and the `recording` events (at most one a second per
 * recording while it runs, and one when it ends).
 */
import * as l10n from '@vscode/l10n';
import { isAbsolute } from 'node:path';
import type { BrokerConnection } from '../connection';
import type { MessageProperties } from '../topicTree';
import { brokerUrl } from '../../shared/profile';
import { RECORDING_EXTENSIONS } from '../../shared/recording/format';
import type { RecordingStatus, StartRecordingParams } from '../../shared/engineProtocol';
import { Recorder, scopeError } from './recorder';

/** How often a running recording's figures are reported (when they changed). */
export const RECORDING_REPORT_MS = 1000;

interface Running {
  id: string;
  connectionId: string;
  params: StartRecordingParams;
  recorder: Recorder;
  /** The figures last reported, to skip a report that would say the same. */
  reported: string;
}

export class Recordings {
  private readonly running = new Map<string, Running>();
  /** Ended recordings, newest last, kept for the `recordings` list (a few). */
  private readonly ended: RecordingStatus[] = [];
  private next = 1;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly connectionOf: (connectionId: string) => BrokerConnection | undefined,
    private readonly emit: (status: RecordingStatus) => void,
  ) {}

  async start(params: StartRecordingParams): Promise<RecordingStatus> {
    const connection = this.connectionOf(params.connectionId);
    if (!connection) throw new Error(l10n.t('No connection {0}.', params.connectionId));
    const problem = scopeError(params.scope);
    if (problem) throw new Error(problem);
    if (!isAbsolute(params.path)) throw new Error(l10n.t('A recording\'s path must be absolute, not "{0}".', params.path));
    const path = recordingPath(params.path, params.gzip);
    for (const other of this.running.values()) {
      if (other.recorder.status().files.includes(path)) throw new Error(l10n.t('{0} is being recorded to already.', path));
    }
    const recorder = new Recorder({
      path,
      scope: params.scope,
      gzip: params.gzip,
      maxBytes: Math.max(0, params.maxBytes || 0),
      maxMs: Math.max(0, params.maxMs || 0),
      rotate: params.rotate,
      connection: connection.profile.name,
      broker: brokerUrl(connection.profile),
      bufferBytes: params.bufferBytes,
    });
    await recorder.start();
    const id = `rec-${this.next++}`;
    const entry: Running = { id, connectionId: params.connectionId, params: { ...params, path }, recorder, reported: '' };
    recorder.onEnded = () => this.ended_(entry);
    this.running.set(id, entry);
    this.attach(params.connectionId);
    this.timer ??= setInterval(() => this.report(), RECORDING_REPORT_MS);
    const status = this.statusOf(entry);
    this.emit(status);
    return status;
  }

  /** Stops a recording (flushed and closed); its final figures, or undefined when it is not running. */
  async stop(id: string, reason?: string): Promise<RecordingStatus | undefined> {
    const entry = this.running.get(id);
    if (!entry) return this.ended.find((status) => status.id === id);
    await entry.recorder.stop(reason);
    return this.ended_(entry);
  }

  /** Stops every recording of a connection (it was removed). */
  async stopConnection(connectionId: string, reason: string): Promise<void> {
    await Promise.all([...this.running.values()].filter((entry) => entry.connectionId === connectionId).map((entry) => this.stop(entry.id, reason)));
  }

  list(): RecordingStatus[] {
    return [...[...this.running.values()].map((entry) => this.statusOf(entry)), ...this.ended];
  }

  /**
   * Sets the connection's message hook to its running recordings, or clears it when it has none.
   * Called when a connection object is made anew (a changed profile replaces it): recordings go on.
   */
  attach(connectionId: string): void {
    const connection = this.connectionOf(connectionId);
    if (!connection) return;
    const recorders = [...this.running.values()].filter((entry) => entry.connectionId === connectionId).map((entry) => entry.recorder);
    if (recorders.length === 0) connection.recordHook = undefined;
    else if (recorders.length === 1) {
      const [recorder] = recorders;
      connection.recordHook = (topic, payload, qos, retain, time, properties) => recorder.offer(topic, payload, qos, retain, time, properties);
    } else {
      connection.recordHook = (topic: string, payload: Uint8Array, qos: 0 | 1 | 2, retain: boolean, time: number, properties: MessageProperties | undefined) => {
        for (const recorder of recorders) recorder.offer(topic, payload, qos, retain, time, properties);
      };
    }
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.running.keys()].map((id) => this.stop(id, 'the engine stopped')));
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private statusOf(entry: Running): RecordingStatus {
    return { id: entry.id, connectionId: entry.connectionId, scope: entry.params.scope, gzip: entry.params.gzip, ...entry.recorder.status() };
  }

  /** The recording ended (stopped, a cap, a write error): unhooked, its last figures reported once. */
  private ended_(entry: Running): RecordingStatus {
    const status = this.statusOf(entry);
    if (!this.running.delete(entry.id)) return this.ended.find((one) => one.id === entry.id) ?? status;
    this.attach(entry.connectionId);
    this.ended.push(status);
    if (this.ended.length > 20) this.ended.shift();
    if (this.running.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
    this.emit(status);
    return status;
  }

  private report(): void {
    for (const entry of this.running.values()) {
      const status = this.statusOf(entry);
      const figures = `${status.messages}/${status.bytes}/${status.dropped}/${status.part}`;
      if (figures === entry.reported) continue;
      entry.reported = figures;
      this.emit(status);
    }
  }
}

/** The path with a recording's ending (`.mqtt-recording.jsonl`, `.gz` with gzip) when it has none. */
export function recordingPath(path: string, gzip: boolean): string {
  const [plain, compressed] = RECORDING_EXTENSIONS;
  if (gzip) {
    if (path.endsWith(compressed)) return path;
    if (path.endsWith(plain)) return `${path}.gz`;
    return `${path}${compressed}`;
  }
  if (path.endsWith(plain)) return path;
  if (path.endsWith(compressed)) return path.slice(0, -'.gz'.length);
  return `${path}${plain}`;
}
