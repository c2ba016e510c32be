// One build script for both worlds: the extension (Node, CommonJS, `vscode` external), the webview
// (browser, IIFE) and, with --tests, every test and source file transpiled one-to-one into out/ so
// mocha can run them. Types are checked separately by `npm run check-types` (tsc --noEmit).
import * as esbuild from 'esbuild';
import { chmodSync, readdirSync, readFileSync, statSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const tests = process.argv.includes('--tests');

/** @type {import('esbuild').BuildOptions} */
const extension = {
  // The engine worker and the devtools worker (local broker, simulator) are entries of their own:
  // the extension host starts each as a worker thread.
  entryPoints: { extension: 'src/extension.ts', engineWorker: 'src/worker/engineWorker.ts', devtoolsWorker: 'src/devtools/devtoolsWorker.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode'],
  // jsonc-parser's "main" is a UMD build whose requires esbuild cannot follow; its ES module build bundles.
  alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
};

const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

/**
 * The command line, `mqtt-explorer-test` (package.json `bin`): one file with its dependencies
 * bundled, so that `npm run pack:cli` can ship it as a package of its own (scripts/pack-cli.mjs).
 * @type {import('esbuild').BuildOptions}
 */
const cli = {
  entryPoints: { 'cli/mqtt-explorer-test': 'src/cli/mqtt-explorer-test.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  banner: { js: '#!/usr/bin/env node' },
  define: { MQTT_EXPLORER_TEST_VERSION: JSON.stringify(version) },
  alias: extension.alias,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
};

/** @type {import('esbuild').BuildOptions} */
const webview = {
  entryPoints: { webview: 'webview/panel/main.ts', connectionEditor: 'webview/connectionEditor.ts', brokerView: 'webview/broker/main.ts', timeline: 'webview/timeline/main.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
};

function tsFiles(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...tsFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) found.push(path);
  }
  return found;
}

/** @type {import('esbuild').BuildOptions} */
const testBuild = {
  entryPoints: [...tsFiles('src'), ...tsFiles('test'), ...tsFiles('bench'), ...tsFiles('tools'), ...tsFiles('webview/logic')],
  outdir: 'out',
  outbase: '.',
  bundle: false,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'inline',
  logLevel: 'warning',
};

const configs = [extension, webview, cli];
if (tests) {
  rmSync('out', { recursive: true, force: true });
  configs.push(testBuild);
}

if (watch) {
  for (const config of configs) {
    const ctx = await esbuild.context(config);
    await ctx.watch();
  }
  console.log('[esbuild] watching for changes');
} else {
  await Promise.all(configs.map((config) => esbuild.build(config)));
  // Run directly by npx and the package's bin link: it must be executable.
  chmodSync('dist/cli/mqtt-explorer-test.js', 0o755);
}
