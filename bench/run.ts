import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import mqtt from 'mqtt';
import { EngineClient } from '../src/host/engine/engineClient';
import { findFreePort, LocalBroker } from '../src/devtools/localBroker';
import { DEFAULT_LIMITS } from '../src/worker/topicTree';
import { newProfile } from '../src/shared/profile';

/**
 * `npm run bench`: the extension's engine against a bare MQTT.js client, in the same run, on the
 * same loopback broker. Options: --messages N (200000), --topics T (10000), --retained R (100000),
 * --rounds K (3: baseline and engine alternate K times and the medians are compared, since two
 * cores shared with the broker and the publisher make one round noisy), --budget-mib M (the
 * engine's memory budget, default the extension's), --json.
 */

interface Options {
  rounds: number;
  messages: number;
  topics: number;
  retained: number;
  budgetMib: number;
  json: boolean;
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
    json: argv.includes('--json'),
  };
}

interface Broker {
  url: string;
  kind: string;
  stop(): Promise<void>;
}

/** Debian's mosquitto when installed (as in CI), otherwise the embedded aedes. */
async function startBroker(): Promise<Broker> {
  const port = await findFreePort();
  const dir = mkdtempSync(join(tmpdir(), 'mqtt-bench-'));
  const config = join(dir, 'mosquitto.conf');
  // No queue limit: the benchmark counts what the subscriber gets, not what the broker discards.
  writeFileSync(config, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\nuser root\n`);
  const child: ChildProcess | undefined = await new Promise((resolve) => {
    const started = spawn('mosquitto', ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    let output = '';
    started.once('error', () => resolve(undefined));
    started.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (/running/.test(output)) resolve(started);
    });
    started.once('exit', () => resolve(undefined));
    setTimeout(() => resolve(undefined), 5000).unref();
  });
  if (child) {
    return {
      url: `mqtt://127.0.0.1:${port}`,
      kind: 'mosquitto',
      stop: async () => {
        child.kill('SIGTERM');
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  const broker = new LocalBroker();
  await broker.start(0);
  return { url: broker.url, kind: 'aedes (embedded)', stop: () => broker.stop() };
}

function publish(url: string, prefix: string, messages: number, topics: number, retain: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = fork(join(__dirname, 'publisher.js'), [JSON.stringify({ url, prefix, messages, topics, retain })], { stdio: 'inherit' });
    child.once('message', (message: { sent: number }) => resolve(message.sent));
    child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`publisher exited with ${code}`))));
  });
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
  const sent = publish(url, `bench-base/r${round}`, options.messages, options.topics, false);
  const { count, lastAt } = await waitForCount(() => received, options.messages);
  await sent;
  await client.endAsync();
  return { received: count, seconds: (lastAt - firstAt) / 1000 };
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
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
  say(`broker: ${broker.kind} at ${broker.url}; ${options.messages.toLocaleString('en-US')} messages over ${options.topics.toLocaleString('en-US')} topics, then ${options.retained.toLocaleString('en-US')} retained`);

  // (b) The engine exactly as the extension runs it: a worker thread behind EngineClient, the
  // calling thread standing for the extension host, with the Topics view visible and a few rows shown.
  const engine = new EngineClient(join(__dirname, '..', 'src', 'worker', 'engineWorker.js'));
  const limits = { ...DEFAULT_LIMITS, totalBudgetBytes: options.budgetMib * 1024 * 1024 };
  await engine.request('setLimits', { limits });
  let reports = 0;
  engine.onEvent((event) => {
    if (event.kind === 'changes') reports++;
  });
  const connectionId = 'bench';
  const profile = newProfile(connectionId, { host: '127.0.0.1', port: Number(new URL(broker.url).port), mqttVersion: 4, subscriptions: [{ topic: 'bench-live/#', qos: 0 }] });
  await engine.request('connect', { connectionId, profile, secrets: {}, backoff: { minDelayMs: 1000, maxDelayMs: 60_000, stableAfterMs: 10_000 } });
  await engine.request('visible', { visible: true });
  await engine.request('watch', { connectionId, expanded: [{ root: true }, { topic: 'bench-live' }, { topic: 'bench-live/r0' }], pinned: [] });
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
      const sentLive = publish(broker.url, `bench-live/r${round}`, options.messages, options.topics, false);
      const first = (await firstSeen).lastAt;
      const counted = await waitForCount(stats, before + options.messages);
      sent += await sentLive;
      return { live: counted, startedAt: first };
    });
    engineReceived = live.count;
    engineRates.push((live.count - before) / ((live.lastAt - startedAt) / 1000));
    say(`round ${round + 1}: engine   ${Math.round(engineRates.at(-1) ?? 0).toLocaleString('en-US')} msg/s`);
  }

  // The retained burst: published first, then delivered all at once when the engine subscribes.
  await publish(broker.url, 'bench-retained', options.retained, options.retained, true);
  const retainedBurstSeconds = await measure(async () => {
    const burstStart = performance.now();
    await engine.request('addSubscription', { connectionId, spec: { topic: 'bench-retained/#', qos: 0 } });
    const burst = await waitForCount(stats, engineReceived + options.retained);
    return (burst.lastAt - burstStart) / 1000;
  });

  const final = await engine.request('stats', { connectionId });
  const memory = await engine.request('memory', {});
  const received = final.received;
  const totalSent = sent + options.retained;
  const result = {
    broker: broker.kind,
    messages: options.messages,
    topics: options.topics,
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
    received,
    sent: totalSent,
    kept: final.kept,
    dropped: final.dropped,
    lost: totalSent - (final.kept + final.dropped),
    baselineLost,
    changeReports: reports,
  };
  await engine.request('remove', { connectionId });
  engine.dispose();

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
    ['sent / received / kept / dropped by limits', `${result.sent} / ${result.received} / ${result.kept} / ${result.dropped}`],
    ['lost (sent - kept - dropped)', `${result.lost} (baseline lost ${result.baselineLost})`],
    ['change reports to the host', String(result.changeReports)],
  ];
  for (const [name, value] of rows) console.log(`${name.padEnd(44)} ${value}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
