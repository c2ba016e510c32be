/**
 * Opening a big recording in the engine (issue 15): writes a recording of about `bytes` (a bounded
 * loop of lines through the format's own writer), opens it in a real engine worker, and samples the
 * worker's memory (heap + array buffers, after a GC when the worker can) while the file is indexed
 * and after. Used by `npm run bench -- --open-recording MB` (1 GB) and by a unit test (100 MB).
 */
import { createWriteStream } from 'node:fs';
import type { EngineClient } from '../src/host/engine/engineClient';
import { headerLine, messageLine } from '../src/shared/recording/format';
import type { RecordingSummary } from '../src/worker/offlineRecordings';

export const RECORDING_T0 = 1_764_931_200_000;

/** Writes a recording of at least `bytes` bytes: JSON telemetry over `topics` topics, one message per millisecond. Never holds more than one batch of lines. */
export async function writeBigRecording(path: string, bytes: number, topics = 5000): Promise<{ messages: number; bytes: number; last: number }> {
  const out = createWriteStream(path);
  const failed = new Promise<never>((_, reject) => out.on('error', reject));
  let written = 0;
  let messages = 0;
  const write = async (text: string): Promise<void> => {
    written += Buffer.byteLength(text);
    // Backpressure: wait for the stream to drain rather than buffer the file in memory.
    if (!out.write(text)) await Promise.race([new Promise<void>((resolve) => out.once('drain', () => resolve())), failed]);
  };
  await write(headerLine({ startedAt: RECORDING_T0, connection: 'Bench fleet', broker: 'mqtt://localhost:1883', filters: ['#'] }));
  while (written < bytes) {
    const batch: string[] = [];
    for (let i = 0; i < 2000; i++, messages++) {
      const device = messages % topics;
      const payload = `{"device":${device},"seq":${messages},"temperature":${(20 + (messages % 97) / 10).toFixed(1)},"humidity":${40 + (messages % 31)},"status":"running","firmware":"1.4.2"}`;
      batch.push(messageLine({ time: RECORDING_T0 + messages, topic: `fleet/site-${device % 20}/device-${device}/telemetry`, qos: 0, retain: false, payload: Buffer.from(payload) }));
    }
    await write(batch.join(''));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return { messages, bytes: written, last: RECORDING_T0 + messages - 1 };
}

export interface OpenMeasure {
  summary: RecordingSummary;
  seconds: number;
  /** The highest heap + array buffers sampled while the file was read, and after it was opened. */
  peakBytes: number;
  afterBytes: number;
  samples: number;
  /** A seek to the middle (read again from the start) afterwards: how long it took, and the heap after. */
  seekSeconds: number;
  afterSeekBytes: number;
}

/** Opens `path` as an offline connection in `engine`, sampling the worker's memory every `sampleMs` until it is open. */
export async function measureOpenRecording(engine: EngineClient, path: string, middle: number, sampleMs = 500): Promise<OpenMeasure> {
  const startedAt = performance.now();
  let open = true;
  let peakBytes = 0;
  let samples = 0;
  const sampler = (async () => {
    while (open) {
      await new Promise((resolve) => setTimeout(resolve, sampleMs));
      if (!open) break;
      const memory = await engine.request('memory', {});
      peakBytes = Math.max(peakBytes, memory.heapUsed + memory.arrayBuffers);
      samples++;
    }
  })();
  let summary: RecordingSummary;
  try {
    summary = await engine.request('openRecording', { connectionId: 'bench-recording', path }, { timeoutMs: Infinity });
  } finally {
    open = false;
    await sampler;
  }
  const seconds = (performance.now() - startedAt) / 1000;
  const after = await engine.request('memory', {});
  const seekStart = performance.now();
  await engine.request('seekRecording', { connectionId: 'bench-recording', time: middle }, { timeoutMs: Infinity });
  const seekSeconds = (performance.now() - seekStart) / 1000;
  const afterSeek = await engine.request('memory', {});
  await engine.request('closeRecording', { connectionId: 'bench-recording' });
  return { summary, seconds, peakBytes, afterBytes: after.heapUsed + after.arrayBuffers, samples, seekSeconds, afterSeekBytes: afterSeek.heapUsed + afterSeek.arrayBuffers };
}
