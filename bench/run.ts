import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import mqtt from 'mqtt';
import { EngineClient } from '../src/host/engine/engineClient';
import { DEFAULT_LIMITS } from '../src/worker/topicTree';
import { newProfile } from '../src/shared/profile';
import { publish, startBroker, type Broker } from './broker';
import { TELEMETRY_PROTO, TELEMETRY_PROTO_FILE, TELEMETRY_TYPE } from './telemetryProto';

/**
 * `npm run bench`: the extension's engine against a bare MQTT.js client, in the same run, on the
 * same loopback broker. Options: --messages N (200000), --topics T (10000), --retained R (100000),
 * --rounds K (3: baseline and engine alternate K times and the medians are compared, since two
 * cores shared with the broker and the publisher make one round noisy), --budget-mib M (the
 * engine's memory budget, default the extension's), --simulator-seconds S (3: how long the host's
 * event loop is measured with the local broker's simulator off, at 10,000 messages/s in its worker
 * thread, and at that rate on the host's own thread, as it ran before; 0 skips it),
 * --real-host-seconds S (10: how long the event loop of the real extension host, in the VS Code
 * server with the packaged extension, is sampled idle and then under a flood of --real-host-rate
 * messages/s, default 20,000; 0 skips it) over --real-host-topics topics (10,000, each given a
 * message first), --real-host-cpu-profile FILE (a CPU profile of the real extension host's thread
 * over the flood, and FILE.prefill over the prefill; the profiler slows it, so compare no figures
 * of that run), --soak-seconds S (0: off; a steady 20,000 messages/s over --topics topics for S
 * seconds after the other phases, with the engine's heap after GC every 10 s), --protobuf (the
 * telemetry as Protobuf, bench/telemetryProto.ts, for the bare client and the engine alike; the
 * engine gets a decoder binding for the bench's topics before the flood, so its shown rows read
 * decoded values, and must still take the flood as fast: decoding is lazy), --record (each round
 * has a third phase: the engine again with a recording of the connection on, to a file in the
 * temporary folder; its median is compared with the baseline's, and the worker's memory is taken
 * while the recording runs), --json.
 */

interface Options {
  rounds: number;
  messages: number;
  topics: number;
  retained: number;
  budgetMib: number;
  simulatorSeconds: number;
  realHostSeconds: number;
  realHostRate: number;
  realHostTopics: number;
  realHostCpuProfile?: string;
  soakSeconds: number;
  payload: 'json' | 'protobuf';
  json: boolean;
  /** Recording (issue 15): a third phase per round with a recording on. */
  record: boolean;
}

function parseOptions(argv: string[]): Options {
  const value = (name: string, fallback: number) => {
    const index = argv.indexOf(`--${name}`);
    return index >= 0 ? Number(argv[index + 1]) : fallback;
  };
  return {
    rounds: Math.max(1, value('rounds', 3)),
    messages: value('messages', 200_000),
    topics: value('topics', 10_000),
    retained: value('retained', 100_000),
    budgetMib: value('budget-mib', DEFAULT_LIMITS.totalBudgetBytes / 1024 / 1024),
    simulatorSeconds: value('simulator-seconds', 3),
    realHostSeconds: value('real-host-seconds', 10),
    realHostRate: value('real-host-rate', 20_000),
    realHostTopics: value('real-host-topics', REAL_HOST_TOPICS),
    realHostCpuProfile: argv.includes('--real-host-cpu-profile') ? argv[argv.indexOf('--real-host-cpu-profile') + 1] : undefined,
    soakSeconds: value('soak-seconds', 0),
    payload: argv.includes('--protobuf') ? 'protobuf' : 'json',
    json: argv.includes('--json'),
    record: argv.includes('--record'),
  };
}

/** Polls `count` until it reaches `target` or stops moving for `quietMs`; returns when the last message came. */
async function waitForCount(count: () => Promise<number> | number, target: number, quietMs = 3000): Promise<{ count: number; lastAt: number }> {
  let last = -1;
  let lastAt = performance.now();
  for (;;) {
    const now = await count();
    if (now !== last) {
      last = now;
      lastAt = performance.now();
    }
    if (now >= target || performance.now() - lastAt > quietMs) return { count: now, lastAt };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Phase {
  received: number;
  seconds: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function runBaseline(url: string, options: Options, round: number): Promise<Phase> {
  const client = await mqtt.connectAsync(url, { clientId: `bench-baseline-${process.pid}-${round}` });
  let received = 0;
  let firstAt = 0;
  client.on('message', () => {
    if (received++ === 0) firstAt = performance.now();
  });
  await client.subscribeAsync('bench-base/#', { qos: 0 });
  const sent = publish({ url, prefix: `bench-base/r${round}`, messages: options.messages, topics: options.topics, retain: false, payload: options.payload });
  const { count, lastAt } = await waitForCount(() => received, options.messages);
  await sent;
  await client.endAsync();
  return { received: count, seconds: (lastAt - firstAt) / 1000 };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  // ── Offline recordings (issue 15): --open-recording MB runs only that measure ──
  if (process.argv.includes('--open-recording')) {
    await openRecordingBench(Number(process.argv[process.argv.indexOf('--open-recording') + 1]) || 1024, options);
    return;
  }
  const broker = await startBroker();
  try {
    await bench(options, broker);
  } finally {
    await broker.stop();
  }
}

async function bench(options: Options, broker: Broker): Promise<void> {
  const say = (line: string) => {
    if (!options.json) console.log(line);
  };
  say(`broker: ${broker.kind} at ${broker.url}; ${options.messages.toLocaleString('en-US')} ${options.payload === 'protobuf' ? 'Protobuf' : 'JSON'} messages over ${options.topics.toLocaleString('en-US')} topics, then ${options.retained.toLocaleString('en-US')} retained`);

  // (b) The engine exactly as the extension runs it: a worker thread behind EngineClient, the
  // calling thread standing for the extension host, with the Topics view visible and a few rows shown.
  const engine = new EngineClient(join(__dirname, '..', 'src', 'worker', 'engineWorker.js'));
  const limits = { ...DEFAULT_LIMITS, totalBudgetBytes: options.budgetMib * 1024 * 1024 };
  await engine.request('setLimits', { limits });
  if (options.payload === 'protobuf') {
    // As the extension sends the mqttExplorer.decoders setting and the workspace's .proto files.
    const bindings = ['bench-live/#', 'bench-retained/#', 'bench-soak/#'].map((topic) => ({ topic, format: 'protobuf', type: TELEMETRY_TYPE }));
    const set = await engine.request('setDecoders', { bindings, files: { [TELEMETRY_PROTO_FILE]: TELEMETRY_PROTO } });
    if (set.errors.length || set.schemaErrors.length) throw new Error(`setDecoders: ${JSON.stringify(set)}`);
  }
  let reports = 0;
  const connectionId = 'bench';
  engine.onEvent((event) => {
    if (event.kind !== 'changes') return;
    reports++;
    // As the Topics view does: a level that gained a child is listed again (a page of it), and those rows are then reported.
    for (const parent of event.relist) void engine.request('children', { connectionId, parent, sort: 'name', offset: 0, limit: 200 }).catch(() => undefined);
  });
  const profile = newProfile(connectionId, { host: '127.0.0.1', port: Number(new URL(broker.url).port), mqttVersion: 4, subscriptions: [{ topic: 'bench-live/#', qos: 0 }] });
  await engine.request('connect', { connectionId, profile, secrets: {}, backoff: { minDelayMs: 1000, maxDelayMs: 60_000, stableAfterMs: 10_000 } });
  await engine.request('visible', { visible: true });
  // One device's level open too: its telemetry row is shown (decoded with --protobuf), refreshed in the paced turns.
  await engine.request('watch', { connectionId, expanded: [{ root: true }, { topic: 'bench-live' }, { topic: 'bench-live/r0' }, { topic: 'bench-live/r0/site-0/device-0' }], pinned: [] });
  const stats = async () => (await engine.request('stats', { connectionId })).received;

  // The extension host's event loop, measured while the engine takes the flood and the burst.
  // One monitor per measured phase (one switched off and on again would count the pause as a
  // delay). The reported p99 is the worst phase's p99, the max the worst of all: an upper bound.
  const loop = { p99: 0, max: 0 };
  const measure = async <T>(phase: () => Promise<T>): Promise<T> => {
    const monitor = monitorEventLoopDelay({ resolution: 1 });
    monitor.enable();
    try {
      return await phase();
    } finally {
      monitor.disable();
      loop.p99 = Math.max(loop.p99, monitor.percentile(99));
      loop.max = Math.max(loop.max, monitor.max);
    }
  };
  const baselineRates: number[] = [];
  const engineRates: number[] = [];
  const recordDir = options.record ? mkdtempSync(join(tmpdir(), 'mqtt-explorer-bench-recording-')) : undefined;
  const recordRates: number[] = [];
  const recordMemory: number[] = [];
  const recordRss: number[] = [];
  const recorded = { messages: 0, dropped: 0, bytes: 0, errors: [] as string[] };
  let baselineLost = 0;
  let sent = 0;
  let engineReceived = 0;
  for (let round = 0; round < options.rounds; round++) {
    // (a) The baseline: a bare MQTT.js client that only counts.
    const baseline = await runBaseline(broker.url, options, round);
    baselineRates.push(baseline.received / baseline.seconds);
    baselineLost += options.messages - baseline.received;
    say(`round ${round + 1}: baseline ${Math.round(baseline.received / baseline.seconds).toLocaleString('en-US')} msg/s`);

    const before = engineReceived;
    const { live, startedAt } = await measure(async () => {
      const firstSeen = waitForCount(stats, before + 1, 60_000);
      const sentLive = publish({ url: broker.url, prefix: `bench-live/r${round}`, messages: options.messages, topics: options.topics, retain: false, payload: options.payload });
      const first = (await firstSeen).lastAt;
      const counted = await waitForCount(stats, before + options.messages);
      sent += (await sentLive).sent;
      return { live: counted, startedAt: first };
    });
    engineReceived = live.count;
    engineRates.push((live.count - before) / ((live.lastAt - startedAt) / 1000));
    say(`round ${round + 1}: engine   ${Math.round(engineRates.at(-1) ?? 0).toLocaleString('en-US')} msg/s`);

    // ---- Recording (issue 15): the same flood with a recording of the connection on ----
    if (recordDir) {
      const recording = await engine.request('startRecording', { connectionId, path: join(recordDir, `round-${round}`), scope: { kind: 'all' }, gzip: false, maxBytes: 0, maxMs: 0, rotate: false });
      const beforeRecorded = engineReceived;
      const phase = await measure(async () => {
        const firstSeen = waitForCount(stats, beforeRecorded + 1, 60_000);
        const sentLive = publish({ url: broker.url, prefix: `bench-live/r${round}`, messages: options.messages, topics: options.topics, retain: false, payload: options.payload });
        const first = (await firstSeen).lastAt;
        const counted = await waitForCount(stats, beforeRecorded + options.messages);
        sent += (await sentLive).sent;
        return { counted, first };
      });
      engineReceived = phase.counted.count;
      recordRates.push((phase.counted.count - beforeRecorded) / ((phase.counted.lastAt - phase.first) / 1000));
      // The worker's memory with the recording still on (its buffer draining, or drained).
      const memory = await engine.request('memory', {});
      recordMemory.push((memory.heapUsed + memory.arrayBuffers) / 1024 / 1024);
      recordRss.push(memory.rss / 1024 / 1024);
      const stopped = await engine.request('stopRecording', { recordingId: recording.id });
      recorded.messages += stopped?.messages ?? 0;
      recorded.dropped += stopped?.dropped ?? 0;
      recorded.bytes += stopped?.bytes ?? 0;
      if (stopped?.error) recorded.errors.push(stopped.error);
      say(`round ${round + 1}: engine recording ${Math.round(recordRates.at(-1) ?? 0).toLocaleString('en-US')} msg/s (${(stopped?.messages ?? 0).toLocaleString('en-US')} recorded, ${stopped?.dropped ?? 0} dropped; worker heap ${recordMemory.at(-1)?.toFixed(1)} MiB)`);
      rmSync(stopped?.file ?? '', { force: true });
    }
  }

  if (recordDir) rmSync(recordDir, { recursive: true, force: true });

  // The shown telemetry row, as the Topics view has it (decoded with --protobuf).
  const shown = await engine.request('snapshot', { connectionId, node: { topic: 'bench-live/r0/site-0/device-0/telemetry' } });
  say(`shown row bench-live/r0/site-0/device-0/telemetry: ${shown?.last?.preview ?? '(none)'}${shown?.last?.decodedBy ? ` (${shown.last.decodedBy})` : ''}`);

  // The retained burst: published first, then delivered all at once when the engine subscribes.
  await publish({ url: broker.url, prefix: 'bench-retained', messages: options.retained, topics: options.retained, retain: true, payload: options.payload });
  const retainedBurstSeconds = await measure(async () => {
    const burstStart = performance.now();
    await engine.request('addSubscription', { connectionId, spec: { topic: 'bench-retained/#', qos: 0 } });
    const burst = await waitForCount(stats, engineReceived + options.retained);
    return (burst.lastAt - burstStart) / 1000;
  });

  const soak = options.soakSeconds > 0 ? await soakLoad(engine, connectionId, broker.url, options, say) : undefined;
  const final = await engine.request('stats', { connectionId });
  const memory = await engine.request('memory', {});
  await engine.request('remove', { connectionId });
  engine.dispose();
  const simulator = options.simulatorSeconds > 0 ? await simulatorLoad(options.simulatorSeconds, say) : undefined;
  // Loaded when asked for, after the engine's memory was measured: the browser driver and the
  // VS Code server tools are the bench's, not the engine's, and would sit in the process it measures.
  const realHost = options.realHostSeconds > 0 ? await (await import('./realHost.js')).realHostLoad({ seconds: options.realHostSeconds, rate: options.realHostRate, topics: options.realHostTopics, cpuProfile: options.realHostCpuProfile }, say) : undefined;
  const received = final.received;
  const totalSent = sent + options.retained + (soak?.sent ?? 0);
  const result = {
    broker: broker.kind,
    payload: options.payload,
    messages: options.messages,
    topicsPublished: options.topics,
    retained: options.retained,
    rounds: options.rounds,
    baselineMsgsPerSec: Math.round(median(baselineRates)),
    engineMsgsPerSec: Math.round(median(engineRates)),
    ratio: Number((median(engineRates) / median(baselineRates)).toFixed(3)),
    hostLoopP99Ms: Number((loop.p99 / 1e6).toFixed(2)),
    hostLoopMaxMs: Number((loop.max / 1e6).toFixed(2)),
    retainedBurstSeconds: Number(retainedBurstSeconds.toFixed(2)),
    heapMb: Number(((memory.heapUsed + memory.arrayBuffers) / 1024 / 1024).toFixed(1)),
    rssMb: Number((memory.rss / 1024 / 1024).toFixed(1)),
    budgetMb: options.budgetMib,
    estimatedMb: Number((final.bytes / 1024 / 1024).toFixed(1)),
    topics: final.topics,
    topicsWithValue: final.topicsWithValue,
    forgottenTopics: final.forgotten,
    received,
    sent: totalSent,
    kept: final.kept,
    dropped: final.dropped,
    lost: totalSent - (final.kept + final.dropped),
    baselineLost,
    changeReports: reports,
    ...(soak && { soakMsgsPerSec: soak.rate, soakHeapMb: soak.heapMb }),
    ...(recordDir && {
      recordMsgsPerSec: Math.round(median(recordRates)),
      recordRatio: Number((median(recordRates) / median(baselineRates)).toFixed(3)),
      recordHeapMbMax: Number(Math.max(...recordMemory).toFixed(1)),
      recordRssMbMax: Number(Math.max(...recordRss).toFixed(1)),
      recordedMessages: recorded.messages,
      recordedDropped: recorded.dropped,
      recordedBytes: recorded.bytes,
      recordErrors: recorded.errors,
    }),
    ...(simulator && {
      simulatorMsgsPerSec: simulator.workerRate,
      idleHostLoopP99Ms: simulator.idle.p99,
      simulatorWorkerHostLoopP99Ms: simulator.worker.p99,
      simulatorWorkerHostLoopMaxMs: simulator.worker.max,
      simulatorInThreadHostLoopP99Ms: simulator.inThread.p99,
      simulatorInThreadHostLoopMaxMs: simulator.inThread.max,
    }),
    ...(realHost && {
      realHostBroker: realHost.broker,
      realHostFloodMsgsPerSec: realHost.floodMsgsPerSec,
      realHostBareLoopP99Ms: realHost.result.bare.p99,
      realHostBareLoopMaxMs: realHost.result.bare.max,
      realHostBareThreadCpuPercent: realHost.result.bare.cpuPercent,
      realHostLoopP50Ms: realHost.result.flood.p50,
      realHostLoopP99Ms: realHost.result.flood.p99,
      realHostLoopP999Ms: realHost.result.flood.p999,
      realHostLoopMaxMs: realHost.result.flood.max,
      realHostIdleLoopP99Ms: realHost.result.idle.p99,
      realHostIdleLoopMaxMs: realHost.result.idle.max,
      realHostThreadCpuPercent: realHost.result.flood.cpuPercent,
      realHostIdleThreadCpuPercent: realHost.result.idle.cpuPercent,
      realHostThreadCpuWaitPercent: realHost.result.flood.cpuWaitPercent,
      realHostSent: realHost.sent,
      realHostLost: realHost.lost,
      realHostChangeReports: realHost.result.reports,
      realHostRowsRefreshed: realHost.result.rowsRefreshed,
      realHostGcMaxMs: realHost.result.gcMaxMs,
      realHostGcPauses: realHost.result.gcPauses,
      realHostTopics: realHost.result.engineStats.topics,
      realHostTopicsWithValue: realHost.result.engineStats.topicsWithValue,
      realHostForgottenTopics: realHost.result.engineStats.forgotten,
      realHostEngineHeapMb: realHost.result.engineHeapMb,
    }),
  };

  if (options.json) {
    console.log(JSON.stringify(result));
    return;
  }
  const rows: [string, string][] = [
    [`baseline (bare MQTT.js), median of ${options.rounds}`, `${result.baselineMsgsPerSec.toLocaleString('en-US')} msg/s`],
    [`engine (worker, as the extension runs it), median`, `${result.engineMsgsPerSec.toLocaleString('en-US')} msg/s`],
    ['ratio engine / baseline', String(result.ratio)],
    ['host event loop p99 / max', `${result.hostLoopP99Ms} ms / ${result.hostLoopMaxMs} ms`],
    [`retained burst (${options.retained.toLocaleString('en-US')} topics)`, `${result.retainedBurstSeconds} s`],
    ['engine heap + buffers (after GC) / process RSS', `${result.heapMb} MiB / ${result.rssMb} MiB`],
    ['budget / engine estimate', `${result.budgetMb} MiB / ${result.estimatedMb} MiB`],
    ['topics / with a value / forgotten (budget)', `${result.topics} / ${result.topicsWithValue} / ${result.forgottenTopics}`],
    ['sent / received / kept / dropped by limits', `${result.sent} / ${result.received} / ${result.kept} / ${result.dropped}`],
    ['lost (sent - kept - dropped)', `${result.lost} (baseline lost ${result.baselineLost})`],
    ['change reports to the host', String(result.changeReports)],
  ];
  if (recordDir) {
    rows.push(
      [`engine with a recording on, median`, `${result.recordMsgsPerSec?.toLocaleString('en-US')} msg/s`],
      ['ratio recording / baseline', String(result.recordRatio)],
      ['recorded / dropped (buffer full) / bytes', `${recorded.messages} / ${recorded.dropped} / ${recorded.bytes}`],
      ['worker heap + buffers / RSS while recording (max)', `${result.recordHeapMbMax} MiB / ${result.recordRssMbMax} MiB`],
    );
    if (recorded.errors.length) rows.push(['recording errors', recorded.errors.join(' | ')]);
  }
  if (soak) rows.push([`soak at ${soak.rate.toLocaleString('en-US')} msg/s: heap after GC every 10 s`, `${soak.heapMb.join(', ')} MiB`]);
  if (simulator) {
    rows.push(
      [`simulator (${SIMULATOR.devices * SIMULATOR.messagesPerSecond} msg/s) rate the engine got`, `${simulator.workerRate.toLocaleString('en-US')} msg/s`],
      ['host loop p99 / max, simulator off', `${simulator.idle.p99} ms / ${simulator.idle.max} ms`],
      ['host loop p99 / max, simulator in its worker', `${simulator.worker.p99} ms / ${simulator.worker.max} ms`],
      ['host loop p99 / max, simulator on this thread', `${simulator.inThread.p99} ms / ${simulator.inThread.max} ms`],
    );
  }
  if (realHost) {
    const { bare, idle, flood } = realHost.result;
    rows.push(
      [`real host: flood the publisher achieved`, `${realHost.floodMsgsPerSec.toLocaleString('en-US')} msg/s (${realHost.sent.toLocaleString('en-US')} sent, lost ${realHost.lost})`],
      ['real host loop p50 / p99 / p99.9 / max, flood with nothing shown', `${bare.p50} / ${bare.p99} / ${bare.p999} / ${bare.max} ms (CPU ${bare.cpuPercent ?? '?'} %, wait ${bare.cpuWaitPercent ?? '?'} %)`],
      ['real host loop p50 / p99 / p99.9 / max, idle', `${idle.p50} / ${idle.p99} / ${idle.p999} / ${idle.max} ms`],
      ['real host loop p50 / p99 / p99.9 / max, flood', `${flood.p50} / ${flood.p99} / ${flood.p999} / ${flood.max} ms`],
      ['real host thread CPU use, idle / flood', `${idle.cpuPercent ?? '?'} % / ${flood.cpuPercent ?? '?'} % of one core`],
      ['real host thread CPU wait, idle / flood', `${idle.cpuWaitPercent ?? '?'} % / ${flood.cpuWaitPercent ?? '?'} % of the time (runnable, no free core)`],
      ['real host: reports / rows in them / refreshed', `${realHost.result.reports} / ${realHost.result.rowsReported} / ${realHost.result.rowsRefreshed}`],
      ['real host: GC pauses / total / longest', `${realHost.result.gcPauses} / ${realHost.result.gcTotalMs} ms / ${realHost.result.gcMaxMs} ms`],
      ['real host engine: heap / topics / with value / forgotten', `${realHost.result.engineHeapMb} MiB / ${realHost.result.engineStats.topics} / ${realHost.result.engineStats.topicsWithValue} / ${realHost.result.engineStats.forgotten}`],
    );
  }
  for (const [name, value] of rows) console.log(`${name.padEnd(46)} ${value}`);
}

/** Messages per second of the soak: a steady flow, as a busy broker sends for hours. */
const SOAK_RATE = 20_000;
const SOAK_SAMPLE_MS = 10_000;

/**
 * The soak: SOAK_RATE messages/s for `soakSeconds` to the engine's connection, the engine's heap
 * after GC sampled every 10 s. Nothing may grow with the messages once the limits are reached.
 */
async function soakLoad(engine: EngineClient, connectionId: string, url: string, options: Options, say: (line: string) => void): Promise<{ rate: number; sent: number; heapMb: number[] }> {
  await engine.request('addSubscription', { connectionId, spec: { topic: 'bench-soak/#', qos: 0 } });
  const before = (await engine.request('stats', { connectionId })).received;
  const messages = SOAK_RATE * options.soakSeconds;
  const startedAt = performance.now();
  const sending = publish({ url, prefix: 'bench-soak', messages, topics: options.topics, retain: false, rate: SOAK_RATE, payload: options.payload });
  let done = false;
  void sending.finally(() => (done = true));
  const heapMb: number[] = [];
  while (!done) {
    await new Promise((resolve) => setTimeout(resolve, SOAK_SAMPLE_MS));
    const memory = await engine.request('memory', {});
    heapMb.push(Number(((memory.heapUsed + memory.arrayBuffers) / 1024 / 1024).toFixed(1)));
    say(`soak ${Math.round((performance.now() - startedAt) / 1000)} s: heap ${heapMb.at(-1)} MiB`);
  }
  const sent = (await sending).sent;
  const counted = await waitForCount(async () => (await engine.request('stats', { connectionId })).received, before + sent);
  return { rate: Math.round((counted.count - before) / ((counted.lastAt - startedAt) / 1000)), sent, heapMb };
}

/** The real host's flood goes to this many topics (10 lines of 1,000), as in the issue that asked for it. */
const REAL_HOST_TOPICS = 10_000;

/** 200 devices at 50 messages/s each: 10,000 messages/s, within the settings' bounds (500 × 50). */
const SIMULATOR = { devices: 200, messagesPerSecond: 50 };

interface LoopFigure {
  p99: number;
  max: number;
}

/** This thread's event loop delay over `seconds` of whatever runs meanwhile. */
async function loopDelay(seconds: number): Promise<LoopFigure> {
  const monitor = monitorEventLoopDelay({ resolution: 1 });
  monitor.enable();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  monitor.disable();
  return { p99: Number((monitor.percentile(99) / 1e6).toFixed(2)), max: Number((monitor.max / 1e6).toFixed(2)) };
}

/**
 * The extension host's event loop with the local broker and the simulator as the extension runs
 * them: the broker (aedes) in the devtools worker, the engine connected to it with `fleet/#` in its
 * own worker. Three phases: simulator off; simulator at 10,000 msg/s in the devtools worker; the
 * broker and the simulator on this thread (how the extension ran them before), for comparison.
 */
async function simulatorLoad(seconds: number, say: (line: string) => void): Promise<{ idle: LoopFigure; worker: LoopFigure; inThread: LoopFigure; workerRate: number }> {
  const engine = new EngineClient(join(__dirname, '..', 'src', 'worker', 'engineWorker.js'));
  const { DevtoolsClient } = await import('../src/devtools/devtoolsClient.js');
  const { LocalBroker } = await import('../src/devtools/localBroker.js');
  const { DeviceSimulator } = await import('../src/devtools/simulator.js');
  const devtools = new DevtoolsClient(join(__dirname, '..', 'src', 'devtools', 'devtoolsWorker.js'));
  const received = async (connectionId: string) => (await engine.request('stats', { connectionId })).received;
  const connect = async (connectionId: string, port: number) => {
    const profile = newProfile(connectionId, { host: '127.0.0.1', port, mqttVersion: 4, subscriptions: [{ topic: 'fleet/#', qos: 0 }] });
    await engine.request('connect', { connectionId, profile, secrets: {}, backoff: { minDelayMs: 1000, maxDelayMs: 60_000, stableAfterMs: 10_000 } });
  };
  try {
    const { port } = await devtools.request('startBroker', { port: 0 });
    await connect('local-worker', port);
    const idle = await loopDelay(seconds);
    say(`host loop, simulator off: p99 ${idle.p99} ms`);

    await devtools.request('startSimulator', { brokerUrl: `mqtt://127.0.0.1:${port}`, ...SIMULATOR });
    await waitForCount(() => received('local-worker'), SIMULATOR.devices * 2, 10_000);
    const before = await received('local-worker');
    const startedAt = performance.now();
    const worker = await loopDelay(seconds);
    const workerRate = Math.round(((await received('local-worker')) - before) / ((performance.now() - startedAt) / 1000));
    say(`host loop, simulator in its worker: p99 ${worker.p99} ms (${workerRate.toLocaleString('en-US')} msg/s reached the engine)`);
    await devtools.request('stopBroker', {});
    await engine.request('remove', { connectionId: 'local-worker' });

    const broker = new LocalBroker();
    await broker.start(0);
    const simulator = new DeviceSimulator({ brokerUrl: broker.url, ...SIMULATOR });
    try {
      await connect('local-thread', broker.port);
      await simulator.start();
      await waitForCount(() => received('local-thread'), SIMULATOR.devices * 2, 10_000);
      const inThread = await loopDelay(seconds);
      say(`host loop, simulator on this thread: p99 ${inThread.p99} ms`);
      await engine.request('remove', { connectionId: 'local-thread' });
      return { idle, worker, inThread, workerRate };
    } finally {
      await simulator.stop();
      await broker.stop();
    }
  } finally {
    engine.dispose();
    await devtools.close(2000);
  }
}

// ── Offline recordings (issue 15) ──
/**
 * --open-recording MB (1024): writes a recording of MB MiB in a temporary folder (deleted after),
 * opens it in a real engine worker with --budget-mib, and reports the time and the worker's memory
 * (heap + array buffers) while indexing and after, against the budget + WORKER_BASE_BYTES.
 */
async function openRecordingBench(mib: number, options: Options): Promise<void> {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { writeBigRecording, measureOpenRecording, RECORDING_T0 } = await import('./openRecording.js');
  const { WORKER_BASE_BYTES } = await import('../src/worker/connectionPool.js');
  const dir = mkdtempSync(join(tmpdir(), 'bench-recording-'));
  const engine = new EngineClient(join(__dirname, '..', 'src', 'worker', 'engineWorker.js'));
  try {
    const path = join(dir, 'bench.mqtt-recording.jsonl');
    const writtenAt = performance.now();
    const written = await writeBigRecording(path, mib * 1024 * 1024);
    const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
    console.log(`wrote ${mb(written.bytes)} MiB, ${written.messages.toLocaleString('en-US')} messages in ${((performance.now() - writtenAt) / 1000).toFixed(1)} s`);
    const budget = options.budgetMib * 1024 * 1024;
    await engine.request('setLimits', { limits: { ...DEFAULT_LIMITS, totalBudgetBytes: budget } });
    const measure = await measureOpenRecording(engine, path, RECORDING_T0 + Math.floor(written.messages / 2));
    const bound = budget + WORKER_BASE_BYTES;
    const result = {
      fileMib: Number(mb(written.bytes)),
      messages: measure.summary.messages,
      topics: measure.summary.topics,
      checkpoints: measure.summary.checkpoints,
      openSeconds: Number(measure.seconds.toFixed(1)),
      messagesPerSecond: Math.round(measure.summary.messages / measure.seconds),
      peakMib: Number(mb(measure.peakBytes)),
      afterOpenMib: Number(mb(measure.afterBytes)),
      seekToMiddleSeconds: Number(measure.seekSeconds.toFixed(1)),
      afterSeekMib: Number(mb(measure.afterSeekBytes)),
      boundMib: Number(mb(bound)),
      samples: measure.samples,
      withinBudget: Math.max(measure.peakBytes, measure.afterBytes, measure.afterSeekBytes) <= bound,
    };
    console.log(options.json ? JSON.stringify(result) : Object.entries(result).map(([key, value]) => `${key}: ${value}`).join('\n'));
    if (!result.withinBudget) process.exitCode = 1;
  } finally {
    engine.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
