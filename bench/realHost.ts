import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { launchBrowser } from '../tools/workbench/browser';
import { REPO_ROOT, testHost, VSIX_PATH } from '../tools/workbench/testHost';
import { createProfile, installVsix, QUIET_SETTINGS, removeProfile, VsCodeServer } from '../tools/workbench/vscodeServer';
import { createWorkspace } from '../tools/workbench/workspace';
import { newProfile } from '../src/shared/profile';
import { publish, startBroker } from './broker';
import { LINES, lineTopicOf } from './publisher';
import {
  CONTROL_PORT_ENV,
  JsonLines,
  PROBE_OPTIONS_ENV,
  RESULT_FILE_ENV,
  type BenchToProbe,
  type ProbeOptions,
  type ProbeOutcome,
  type ProbeResult,
  type ProbeToBench,
} from './realHostProtocol';

/**
 * The extension host's event loop measured in the real extension host: the packaged extension in
 * the VS Code server, opened in headless Chromium, connected to mosquitto on loopback, with the
 * Topics view shown, three levels expanded (the last with 1,000 children) and a panel on the
 * busiest topic, while a publisher floods 20,000 messages/s. The probe (realHostProbe.ts) runs
 * inside the extension host; this side owns the broker, the publisher and VS Code.
 */

export interface RealHostOptions {
  /** Seconds of flood (and of idle sampling before it). */
  seconds: number;
  rate: number;
  topics: number;
  /** A .cpuprofile of the extension host's thread over the flood (perturbs the figures). */
  cpuProfile?: string;
}

export interface RealHostFigures {
  broker: string;
  result: ProbeResult;
  sent: number;
  /** What the publisher achieved (it is paced to the asked rate, and may fall behind on a loaded machine). */
  floodMsgsPerSec: number;
  lost: number;
}

const CONNECTION_ID = 'bench-real-host';
const PREFIX = 'bench-real/plant';
/** One message in this many goes to the panel's topic: 2,000/s of 20,000/s. */
const HOT_EVERY = 10;
/** What the .vsix is built from: a newer file means it must be packaged again. */
const PACKAGED_SOURCES = ['src', 'webview', 'media', 'package.json', 'README.md', 'CHANGELOG.md', 'LICENSE', '.vscodeignore', 'esbuild.mjs'];
const STARTUP_TIMEOUT_MS = 180_000;
/**
 * The VS Code server's extension host looks for ports to forward by listing processes every few
 * seconds (a child process and /proc reads: about 3 % of a core, and pauses of tens of ms on a
 * busy machine). A desktop VS Code, where this extension mostly runs, does not; nor is it this
 * extension's cost. Off, so that the figures are the extension's and VS Code's tree and webview work.
 */
const BENCH_SETTINGS: Record<string, unknown> = { ...QUIET_SETTINGS, 'remote.autoForwardPorts': false, 'remote.autoForwardPortsSource': 'output' };

/** Newest modification time below `path`, walked with an explicit stack. */
function newestMtime(path: string): number {
  let newest = 0;
  const stack = [path];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    if (!existsSync(next)) continue;
    const stat = statSync(next);
    newest = Math.max(newest, stat.mtimeMs);
    if (stat.isDirectory()) for (const name of readdirSync(next)) stack.push(join(next, name));
  }
  return newest;
}

/**
 * Packages the extension when the .vsix is missing or older than what it is built from. Not
 * compared with dist/: `npm run bench` rebuilds dist/ (development bundles) before every run.
 */
async function ensureVsix(say: (line: string) => void): Promise<void> {
  const sources = Math.max(...PACKAGED_SOURCES.map((path) => newestMtime(join(REPO_ROOT, path))));
  if (existsSync(VSIX_PATH) && statSync(VSIX_PATH).mtimeMs >= sources) return;
  say('real host: packaging the extension (npm run package)');
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn('npm', ['run', '-s', 'package'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.once('error', () => resolve(null));
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`npm run package failed (${code}):\n${output.join('')}`);
}

/** The control socket's first (and only) client: the probe, once VS Code has loaded it. */
function acceptProbe(server: Server, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the probe did not connect within ${timeoutMs} ms`)), timeoutMs);
    server.once('connection', (socket) => {
      clearTimeout(timer);
      resolve(socket);
    });
  });
}

export async function realHostLoad(options: RealHostOptions, say: (line: string) => void): Promise<RealHostFigures> {
  await ensureVsix(say);
  const host = testHost();
  const broker = await startBroker();
  const profile = createProfile(BENCH_SETTINGS);
  const control = createServer();
  const cleanups: (() => Promise<void>)[] = [
    async () => removeProfile(profile),
    () => broker.stop(),
    () => new Promise<void>((resolve) => control.close(() => resolve())),
  ];
  try {
    const extensionFolder = await installVsix(host, profile, VSIX_PATH);
    const port = Number(new URL(broker.url).port);
    const connection = newProfile(CONNECTION_ID, { name: `Bench (${broker.kind})`, host: '127.0.0.1', port, mqttVersion: 5, subscriptions: [{ topic: 'bench-real/#', qos: 0 }] });
    const workspace = createWorkspace({ 'mqttExplorer.connections': [connection] }, profile.root);
    await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
    const address = control.address();
    if (!address || typeof address === 'string') throw new Error('the control socket has no port');
    const resultFile = join(profile.root, 'probe-result.json');
    const probeOptions: ProbeOptions = {
      connectionId: CONNECTION_ID,
      expand: PREFIX.split('/').concat('line-0'),
      panelTopic: lineTopicOf(PREFIX, 0),
      idleSeconds: options.seconds,
      floodSeconds: options.seconds,
      cpuProfile: options.cpuProfile && resolve(options.cpuProfile),
    };
    const probeConnected = acceptProbe(control, STARTUP_TIMEOUT_MS);
    probeConnected.catch(() => undefined);
    const server = await VsCodeServer.start(host, profile, { [CONTROL_PORT_ENV]: String(address.port), [RESULT_FILE_ENV]: resultFile, [PROBE_OPTIONS_ENV]: JSON.stringify(probeOptions) });
    cleanups.unshift(() => server.stop());
    const browser = await launchBrowser(host);
    cleanups.unshift(() => browser.close());
    const page = await browser.newPage();
    const consoleLines: string[] = [];
    page.on('console', (message) => consoleLines.push(`[${message.type()}] ${message.text()}`));
    try {
      say(`real host: VS Code server and Chromium started; ${broker.kind} at ${broker.url}`);
      // The installed copy of the .vsix, so the bench measures exactly what users install.
      await page.goto(server.url(workspace, { extensionDevelopmentPath: extensionFolder, extensionTestsPath: join(REPO_ROOT, 'out', 'bench', 'realHostProbe.js') }));
      const channel = new JsonLines<ProbeToBench, BenchToProbe>(await probeConnected);
      await channel.next('subscribed', STARTUP_TIMEOUT_MS);
      // One message per topic, as fast as the broker takes them: every topic exists before the view is set up.
      const prefill = await publish({ url: broker.url, prefix: PREFIX, messages: options.topics, topics: options.topics, retain: false, layout: 'lines' });
      // Then the panel's topic once more: with more topics than the budget holds, the least recently
      // active are forgotten, and the topic the panel shows must not be one of them.
      const again = await publish({ url: broker.url, prefix: PREFIX, messages: 1, topics: 1, retain: false, layout: 'lines' });
      channel.send({ type: 'prefilled', sent: prefill.sent + again.sent });
      let flood = { sent: 0, seconds: 1 };
      for (const phase of ['bare', 'shown'] as const) {
        const asked = await channel.next('flood', 120_000 + options.seconds * 1000 + options.topics / 10);
        if (asked.phase !== phase) throw new Error(`the probe asked for the ${asked.phase} flood, expected ${phase}`);
        say(
          phase === 'bare'
            ? `real host: ${options.topics.toLocaleString('en-US')} topics, nothing expanded below the connection; flooding ${options.rate.toLocaleString('en-US')} msg/s for ${options.seconds} s`
            : `real host: ${PREFIX}/line-0 (${Math.round(options.topics / LINES).toLocaleString('en-US')} children) expanded, a panel open; idle sampled, flooding ${options.rate.toLocaleString('en-US')} msg/s for ${options.seconds} s`,
        );
        flood = await publish({ url: broker.url, prefix: PREFIX, messages: options.rate * options.seconds, topics: options.topics, retain: false, layout: 'lines', rate: options.rate, hotEvery: HOT_EVERY });
        channel.send({ type: 'flooded', sent: flood.sent, seconds: flood.seconds });
      }
      await channel.next('done', 60_000);
      const outcome = JSON.parse(readFileSync(resultFile, 'utf8')) as ProbeOutcome;
      if (!outcome.ok) throw new Error(`the probe failed: ${outcome.error}`);
      return { broker: broker.kind, result: outcome.result, sent: flood.sent, floodMsgsPerSec: Math.round(flood.sent / flood.seconds), lost: flood.sent - outcome.result.received };
    } catch (error) {
      const outcome = existsSync(resultFile) ? readFileSync(resultFile, 'utf8') : '(no result file)';
      throw new Error(
        `${error instanceof Error ? error.message : String(error)}\n--- probe result ---\n${outcome}\n--- server log ---\n${server.log.join('').slice(-4000)}\n--- browser console (last 30) ---\n${consoleLines.slice(-30).join('\n')}`,
      );
    }
  } finally {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
  }
}
