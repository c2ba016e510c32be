import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LayerResult } from './layerResult';
import { REPO_ROOT } from '../../tools/workbench/testHost';

interface Layer {
  id: string;
  title: string;
  command: string[];
}

const MOCHA = join(REPO_ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');

const LAYERS: Layer[] = [
  { id: 'unit', title: 'unit tests (plain Node, in-process broker)', command: [MOCHA, '--config', join(REPO_ROOT, '.mocharc.json')] },
  { id: 'extension', title: 'extension host (real VS Code server, packaged .vsix)', command: [join(REPO_ROOT, 'out', 'test', 'harness', 'runExtensionHost.js')] },
  { id: 'ui', title: 'UI (real workbench in Chromium, packaged .vsix)', command: [MOCHA, '--config', join(REPO_ROOT, '.mocharc.ui.json')] },
];

function runLayer(layer: Layer, resultFile: string): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, layer.command, { cwd: REPO_ROOT, stdio: 'inherit', env: { ...process.env, MOCHA_RESULT_FILE: resultFile } });
    child.once('exit', (code) => resolve(code));
  });
}

/** Runs the three layers in turn (TEST_LAYERS=unit,ui picks some) and prints one summary. */
async function main(): Promise<number> {
  const wanted = process.env.TEST_LAYERS?.split(',').map((id) => id.trim());
  const layers = LAYERS.filter((layer) => !wanted || wanted.includes(layer.id));
  const dir = mkdtempSync(join(tmpdir(), 'mqtt-explorer-results-'));
  const rows: { layer: Layer; result: LayerResult; seconds: number }[] = [];
  for (const layer of layers) {
    console.log(`\n=== ${layer.title} ===`);
    const started = Date.now();
    const resultFile = join(dir, `${layer.id}.json`);
    const code = await runLayer(layer, resultFile);
    let result: LayerResult = existsSync(resultFile)
      ? (JSON.parse(readFileSync(resultFile, 'utf8')) as LayerResult)
      : { passed: 0, failed: 0, skipped: 0, lines: [] };
    // A layer that crashed, or ran no test at all, is a failure, never a silent pass.
    if (code !== 0 && result.failed === 0) result = { ...result, failed: 1 };
    if (result.passed + result.failed === 0) result = { ...result, failed: 1 };
    rows.push({ layer, result, seconds: (Date.now() - started) / 1000 });
  }
  const passed = rows.reduce((sum, row) => sum + row.result.passed, 0);
  const failed = rows.reduce((sum, row) => sum + row.result.failed, 0);
  const skipped = rows.reduce((sum, row) => sum + row.result.skipped, 0);
  console.log('\n=== Summary ===');
  for (const { layer, result, seconds } of rows) {
    console.log(`  ${layer.title.padEnd(56)} ${String(result.passed).padStart(4)} passed, ${result.failed} failed${result.skipped ? `, ${result.skipped} skipped` : ''}  (${seconds.toFixed(1)} s)`);
  }
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  return failed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
