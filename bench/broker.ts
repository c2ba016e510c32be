import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from '../src/devtools/ports';
import type { Job, Sent } from './publisher';

export interface Broker {
  url: string;
  kind: string;
  stop(): Promise<void>;
}

/** Debian's mosquitto when installed (as in CI), otherwise the embedded aedes. Loopback only. */
export async function startBroker(): Promise<Broker> {
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
  // Only without mosquitto: the embedded broker is not loaded into the process otherwise.
  const { LocalBroker } = await import('../src/devtools/localBroker.js');
  const broker = new LocalBroker();
  await broker.start(0);
  return { url: broker.url, kind: 'aedes (embedded)', stop: () => broker.stop() };
}

/** Runs bench/publisher.ts in a child process; resolves once the broker has acknowledged its last message. */
export function publish(job: Job): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const child = fork(join(__dirname, 'publisher.js'), [JSON.stringify(job)], { stdio: 'inherit' });
    child.once('message', (message: Sent) => resolve(message));
    child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`publisher exited with ${code}`))));
  });
}
