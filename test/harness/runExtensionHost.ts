import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser } from '../../tools/workbench/browser';
import type { LayerResult } from './layerResult';
import { testHost, VSIX_PATH, REPO_ROOT } from '../../tools/workbench/testHost';
import { createProfile, installVsix, QUIET_SETTINGS, removeProfile, VsCodeServer } from '../../tools/workbench/vscodeServer';
import { createWorkspace } from '../../tools/workbench/workspace';

const TIMEOUT_MS = Number(process.env.EXTENSION_HOST_TIMEOUT_MS ?? 300_000);

/**
 * Layer 2: installs the packaged .vsix into a fresh VS Code server profile, opens the workbench in
 * headless Chromium with the suite as extensionTestsPath, and waits (bounded) for the suite's result
 * file. Writes the LayerResult to MOCHA_RESULT_FILE for the summary and exits non-zero on failure.
 */
async function main(): Promise<number> {
  const host = testHost();
  const resultFile = process.env.MOCHA_RESULT_FILE ?? join(mkdtempSync(join(tmpdir(), 'mqtt-ext-result-')), 'result.json');
  const profile = createProfile(QUIET_SETTINGS);
  const extensionFolder = await installVsix(host, profile, VSIX_PATH);
  const workspace = createWorkspace({}, profile.root);
  const server = await VsCodeServer.start(host, profile, { MOCHA_RESULT_FILE: resultFile, MQTT_TEST_PROFILE_ROOT: profile.root });
  const browser = await launchBrowser(host);
  const consoleLines: string[] = [];
  try {
    const page = await browser.newPage();
    page.on('console', (message) => consoleLines.push(`[${message.type()}] ${message.text()}`));
    await page.goto(
      server.url(workspace, {
        // The installed copy of the .vsix, so the suite runs exactly what users install.
        extensionDevelopmentPath: extensionFolder,
        extensionTestsPath: join(REPO_ROOT, 'out', 'test', 'extension', 'index.js'),
      }),
    );
    const deadline = Date.now() + TIMEOUT_MS;
    // The browser workbench does not exit when the suite ends: its result file is the signal.
    while (!existsSync(resultFile)) {
      if (Date.now() > deadline) throw new Error(`The extension-host suite wrote no result within ${TIMEOUT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const result = JSON.parse(readFileSync(resultFile, 'utf8')) as LayerResult;
    for (const line of result.lines) console.log(line);
    return result.failed === 0 && result.passed > 0 ? 0 : 1;
  } catch (error) {
    console.error(String(error));
    console.error('--- server log ---\n' + server.log.join('').slice(-6000));
    console.error('--- browser console (last 40) ---\n' + consoleLines.slice(-40).join('\n'));
    return 1;
  } finally {
    await browser.close();
    await server.stop();
    if (!process.env.KEEP_TEST_PROFILE) removeProfile(profile);
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
