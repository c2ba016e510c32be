import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { connect } from 'node:net';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { TestInternals } from '../src/host/api';
import type { RemoteConnection } from '../src/host/engine/engineClient';
import type { TopicElement, TopicsElement } from '../src/host/topicsView';
import { parseMessage } from '../src/shared/rpc';
import { explorer } from '../test/extension/explorer';
import { waitFor } from '../test/helpers/waitFor';
import {
  CONTROL_PORT_ENV,
  JsonLines,
  PROBE_OPTIONS_ENV,
  RESULT_FILE_ENV,
  type BenchToProbe,
  type LoopFigures,
  type ProbeOptions,
  type ProbeOutcome,
  type ProbeResult,
  type ProbeToBench,
} from './realHostProtocol';

/**
 * The bench's probe inside the real extension host (loaded as `extensionTestsPath` by the VS Code
 * server in Chromium): it sets the extension up as a person would under a flood (the Topics view
 * shown, three levels expanded, a panel on the busiest topic) and samples this thread's event-loop
 * delay, idle and while the bench floods. Not a mocha suite: `run()` writes its figures to the file
 * named by RESULT_FILE_ENV, since a browser workbench does not exit when it returns.
 */


type Channel = JsonLines<BenchToProbe, ProbeToBench>;

function isTopic(element: TopicsElement | undefined): element is TopicElement {
  return element !== undefined && 'kind' in element && element.kind === 'topic';
}

/** The webview's `ready` event on the rpc channel (src/shared/rpc.ts). */
function isReady(raw: unknown): boolean {
  const message = parseMessage(raw);
  return message?.type === 'event' && message.name === 'ready';
}

/** This thread's CPU time in microseconds: Node 23.9 and later (the test host's VS Code runs Node 24). */
function threadCpuMicros(): number | undefined {
  const usage = (process as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage?.();
  return usage && usage.user + usage.system;
}

/**
 * How long this thread has waited for a CPU while runnable, in nanoseconds (Linux schedstat; its
 * second field). On a machine whose cores are all busy, this wait is part of every event-loop delay.
 */
function runQueueWaitNanos(): number | undefined {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** This thread's event-loop delay while `phase` runs (the monitor runs only meanwhile), its CPU time and its wait for a CPU. */
async function sampled(phase: () => Promise<void>): Promise<LoopFigures> {
  const monitor = monitorEventLoopDelay({ resolution: 1 });
  const startedAt = performance.now();
  const cpuBefore = threadCpuMicros();
  const waitBefore = runQueueWaitNanos();
  monitor.enable();
  try {
    await phase();
  } finally {
    monitor.disable();
  }
  const wallMs = performance.now() - startedAt;
  const cpuAfter = threadCpuMicros();
  const waitAfter = runQueueWaitNanos();
  const ms = (ns: number) => Number((ns / 1e6).toFixed(2));
  return {
    p50: ms(monitor.percentile(50)),
    p99: ms(monitor.percentile(99)),
    p999: ms(monitor.percentile(99.9)),
    max: ms(monitor.max),
    seconds: Number((wallMs / 1000).toFixed(1)),
    cpuPercent: cpuBefore === undefined || cpuAfter === undefined ? undefined : Number(((cpuAfter - cpuBefore) / 10 / wallMs).toFixed(1)),
    cpuWaitPercent: waitBefore === undefined || waitAfter === undefined ? undefined : Number(((waitAfter - waitBefore) / 1e4 / wallMs).toFixed(1)),
  };
}

/** Resolves once the engine has counted `target` messages, or after `timeoutMs` (then some were lost); returns its count. */
async function receivedAtLeast(api: TestInternals, connection: RemoteConnection, target: number, timeoutMs: number): Promise<number> {
  if (connection.stats.received < target) {
    // With the view shown, every message schedules a report, and each report carries the totals.
    await waitFor(api.registry.onDidChangeTopics, (changes) => changes.connectionId === connection.id && changes.stats.received >= target, timeoutMs, `${target} messages`).catch(() => undefined);
  }
  return (await api.registry.engine.request('stats', { connectionId: connection.id })).received;
}

async function showTopicsView(api: TestInternals): Promise<void> {
  const shown = api.topicsView.visible ? undefined : waitFor(api.topicsView.onDidChangeVisibility, (event) => event.visible, 10_000, 'the Topics view to show');
  await vscode.commands.executeCommand('mqttExplorer.topics.focus');
  await shown;
  await api.topicsProvider.syncVisibility();
}

/** A CPU profile of this thread from now on: `save` stops it and writes it to a file, `dispose` ends the session. */
async function startCpuProfile(): Promise<{ save(file: string): Promise<void>; dispose(): void }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    save: async (file) => writeFileSync(file, JSON.stringify((await session.post('Profiler.stop')).profile)),
    dispose: () => session.disconnect(),
  };
}

async function probe(options: ProbeOptions, channel: Channel): Promise<ProbeResult> {
  // activate() returns nothing: the internals come from the module, in ExtensionMode.Test only.
  const api = await explorer();
  // A restarted engine starts over empty: the figures would not be of the flood asked for.
  const restarts: string[] = [];
  const restartListener = api.registry.engine.onDidRestart((restart) => restarts.push(restart.reason));

  // The profile comes from the workspace settings the bench wrote, as a person's would.
  if (!api.registry.get(options.connectionId)) await waitFor(api.registry.onDidChange, () => api.registry.get(options.connectionId) !== undefined, 10_000, 'the bench profile as a connection');
  const connection = api.registry.get(options.connectionId);
  if (!connection) throw new Error(`no connection ${options.connectionId}`);
  await showTopicsView(api);
  const ready = () => connection.state.kind === 'connected' && connection.subscriptions.every((subscription) => subscription.status.state === 'active');
  await connection.connect();
  // Checked and waited for in one synchronous step: no event can slip in between.
  if (!ready()) await waitFor(api.registry.onDidChange, ready, 20_000, 'connected and subscribed');
  channel.send({ type: 'subscribed' });

  // Every topic of the flood exists before the view is set up: one message each.
  // Bounded waits that grow with the topics asked for (--real-host-topics: up to millions).
  // With a CPU profile asked for, the prefill gets one of its own (FILE.prefill), written even when it fails.
  const prefillProfile = options.cpuProfile ? await startCpuProfile() : undefined;
  try {
    const { sent: prefilled } = await channel.next('prefilled', 900_000);
    const got = await receivedAtLeast(api, connection, prefilled, 60_000 + prefilled / 20);
    if (got < prefilled) throw new Error(`the engine got ${got} of the ${prefilled} messages that create the topics`);
  } finally {
    if (prefillProfile && options.cpuProfile) await prefillProfile.save(`${options.cpuProfile}.prefill`);
    prefillProfile?.dispose();
  }

  // The floor: the same flood with nothing shown that it changes (the connection's root lists one
  // level, whose rows get no message of their own), no panel. What VS Code and the machine cost.
  const bare = await sampled(async () => {
    const before = (await api.registry.engine.request('stats', { connectionId: connection.id })).received;
    channel.send({ type: 'flood', phase: 'bare' });
    const { sent } = await channel.next('flooded', options.floodSeconds * 10_000 + 120_000);
    await receivedAtLeast(api, connection, before + sent, 20_000);
  });

  // Three levels expanded as a person would; the last has 1,000 children (VS Code lists a page of them).
  const provider = api.topicsProvider;
  let parent: TopicsElement = connection;
  for (const name of options.expand) {
    const element: TopicElement | undefined = (await provider.getChildren(parent)).filter(isTopic).find((child) => child.snapshot.name === name);
    if (!element) throw new Error(`${name} is not listed`);
    const expanded = provider.isExpanded(element) ? undefined : waitFor(api.topicsView.onDidExpandElement, (event) => event.element === element, 10_000, `the expansion of ${name}`);
    await api.topicsView.reveal(element, { expand: true });
    await expanded;
    parent = element;
  }
  // Revealing a row of the last level resolves once VS Code has listed that level.
  const row = (await provider.getChildren(parent)).filter(isTopic).find((child) => child.topic === options.panelTopic);
  if (!row) throw new Error(`${options.panelTopic} is not listed`);
  await api.topicsView.reveal(row, { select: false, focus: false });
  await provider.flushWatch();

  // A panel on the flooding topic, ready (it posts nothing before), with the Topics view still shown.
  const panel = api.panels.show({ connectionId: connection.id, topic: options.panelTopic });
  await waitFor(panel.webview.onDidReceiveMessage, isReady, 30_000, 'the panel to be ready');
  if (!api.topicsView.visible) await showTopicsView(api);

  // With a CPU profile asked for, the idle phase gets one of its own (FILE.idle).
  const idleProfile = options.cpuProfile ? await startCpuProfile() : undefined;
  const idle = await sampled(() => new Promise((resolve) => setTimeout(resolve, options.idleSeconds * 1000)));
  if (idleProfile && options.cpuProfile) await idleProfile.save(`${options.cpuProfile}.idle`);
  idleProfile?.dispose();

  // Counted during the flood only: what reached this thread and what it refreshed.
  const counts = { reports: 0, rowsReported: 0, rowsRefreshed: 0, gcPauses: 0, gcTotalMs: 0, gcMaxMs: 0 };
  const counting = [
    api.registry.onDidChangeTopics((changes) => {
      if (changes.connectionId !== connection.id) return;
      counts.reports++;
      counts.rowsReported += changes.rows.length;
    }),
    provider.onDidFire((changed) => (counts.rowsRefreshed += changed?.length ?? 0)),
  ];
  const gc = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      counts.gcPauses++;
      counts.gcTotalMs += entry.duration;
      counts.gcMaxMs = Math.max(counts.gcMaxMs, entry.duration);
    }
  });
  gc.observe({ entryTypes: ['gc'] });
  const before = (await api.registry.engine.request('stats', { connectionId: connection.id })).received;
  let received = 0;
  // Asked for: a CPU profile of this thread over the flood (it slows the thread, so its loop figures are not comparable).
  const profile = options.cpuProfile ? await startCpuProfile() : undefined;
  try {
    const flood = await sampled(async () => {
      channel.send({ type: 'flood', phase: 'shown' });
      const { sent } = await channel.next('flooded', options.floodSeconds * 10_000 + 120_000);
      // Until the engine has counted them all: the host's share of the flood comes with the reports.
      received = (await receivedAtLeast(api, connection, before + sent, 20_000)) - before;
    });
    if (profile && options.cpuProfile) await profile.save(options.cpuProfile);
    const round = (value: number) => Number(value.toFixed(2));
    const engineStats = await api.registry.engine.request('stats', { connectionId: connection.id });
    const memory = await api.registry.engine.request('memory', {});
    const engineHeapMb = round((memory.heapUsed + memory.arrayBuffers) / 1024 / 1024);
    if (restarts.length) throw new Error(`the engine was restarted during the run: ${restarts.join('; ')}`);
    return { bare, idle, flood, received, reports: counts.reports, rowsReported: counts.rowsReported, rowsRefreshed: counts.rowsRefreshed, gcPauses: counts.gcPauses, gcTotalMs: round(counts.gcTotalMs), gcMaxMs: round(counts.gcMaxMs), engineHeapMb, engineStats };
  } finally {
    restartListener.dispose();
    profile?.dispose();
    gc.disconnect();
    for (const disposable of counting) disposable.dispose();
  }
}

/** Called by VS Code's extension host (extensionTestsPath). */
export async function run(): Promise<void> {
  const file = process.env[RESULT_FILE_ENV];
  const port = Number(process.env[CONTROL_PORT_ENV]);
  const optionsText = process.env[PROBE_OPTIONS_ENV];
  if (!file || !port || !optionsText) throw new Error(`The bench probe runs from \`npm run bench\` only (${RESULT_FILE_ENV}, ${CONTROL_PORT_ENV} and ${PROBE_OPTIONS_ENV} unset).`);
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const channel: Channel = new JsonLines(socket);
  let outcome: ProbeOutcome;
  try {
    outcome = { ok: true, result: await probe(JSON.parse(optionsText) as ProbeOptions, channel) };
  } catch (error) {
    outcome = { ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  writeFileSync(file, JSON.stringify(outcome));
  channel.send({ type: 'done' });
  channel.close();
  if (!outcome.ok) throw new Error(outcome.error);
}
