// One build script for both worlds: the extension (Node, CommonJS, `vscode` external), the webview
// (browser, IIFE) and, with --tests, every test and source file transpiled one-to-one into out/ so
// mocha can run them. Types are checked separately by `npm run check-types` (tsc --noEmit).
import * as esbuild from 'esbuild';
import { chmodSync, readdirSync, readFileSync, statSync, rmSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const tests = process.argv.includes('--tests');

/** @type {import('esbuild').BuildOptions} */
const extension = {
  // The engine worker and the devtools worker (local broker, simulator) are one bundle, workers.js:
  // the extension host starts it once per thread, with the role in workerData (src/workers.ts).
  // Two bundles carried mqtt.js, ws, protobufjs and the rest twice (700 KB of the .vsix's 1 MB).
  entryPoints: { extension: 'src/extension.ts', workers: 'src/workers.ts' },
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

/**
 * What every webview page loads once, before its own script (src/host/webviewHtml.ts): the toolkit
 * (webview/toolkit.ts, with @vscode/webview-ui-toolkit and FAST) and uPlot, about 130 KB that each
 * of the four pages bundled for itself, and @vscode/l10n. webview/shared.ts puts them on `globalThis.mqttExplorerShared`;
 * in the pages' bundles, `sharedModules` turns their imports into reads of that global.
 */
const SHARED_GLOBAL = 'mqttExplorerShared';
const sharedModules = {
  toolkit: resolvePath('webview/toolkit.ts'),
  uplot: 'uplot',
  // One instance per page: webview/localize.ts configures the one that l10n.t in toolkit.ts reads too.
  l10n: '@vscode/l10n',
};

/** @type {import('esbuild').Plugin} */
const useSharedModules = {
  name: 'use-shared-modules',
  setup(build) {
    const names = new Map(Object.entries(sharedModules).map(([name, target]) => [target, name]));
    // The bare packages (not `uplot/dist/uPlot.min.css`, which stays the page's stylesheet), and any relative import of toolkit.ts.
    build.onResolve({ filter: /^(uplot|@vscode\/l10n)$|(^|\/)toolkit(\.ts)?$/ }, (args) => {
      const target = !args.path.includes('toolkit') ? args.path : resolvePath(args.resolveDir, args.path.endsWith('.ts') ? args.path : `${args.path}.ts`);
      const name = names.get(target);
      return name ? { path: name, namespace: 'shared-module' } : undefined;
    });
    build.onLoad({ filter: /.*/, namespace: 'shared-module' }, (args) => ({
      contents: `const shared = globalThis.${SHARED_GLOBAL};
if (!shared) throw new Error('dist/shared.js must load before the script of the page');
module.exports = shared[${JSON.stringify(args.path)}];`,
      loader: 'js',
    }));
  },
};

/** @type {import('esbuild').BuildOptions} */
const webviewCommon = {
  outdir: 'dist',
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: 'es2022',
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'warning',
};

/** @type {import('esbuild').BuildOptions} */
const webview = {
  ...webviewCommon,
  entryPoints: { webview: 'webview/panel/main.ts', connectionEditor: 'webview/connectionEditor.ts', brokerView: 'webview/broker/main.ts', timeline: 'webview/timeline/main.ts' },
  plugins: [useSharedModules],
};

/** @type {import('esbuild').BuildOptions} */
const webviewShared = {
  ...webviewCommon,
  entryPoints: { shared: 'webview/shared.ts' },
  define: { SHARED_GLOBAL: JSON.stringify(SHARED_GLOBAL) },
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

const configs = [extension, webview, webviewShared, cli];
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
