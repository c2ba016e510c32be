import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';
import CountingReporter from '../harness/countingReporter';

/**
 * The extension-host suite's entry, loaded by VS Code (extensionTestsPath) under either launcher:
 * the VS Code server in Chromium here (results go to MOCHA_RESULT_FILE), @vscode/test-electron on
 * a desktop (the returned promise decides the exit code).
 */
export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 30_000, color: false, reporter: CountingReporter });
  // MQTT_EXTENSION_TESTS=decoders,settings runs those files only (a quicker loop while working on them).
  const only = process.env.MQTT_EXTENSION_TESTS?.split(',').map((name) => `${name.trim()}.test.js`);
  const files = readdirSync(__dirname)
    .filter((name) => name.endsWith('.test.js') && (!only || only.includes(name)))
    .sort();
  // It stops the extension (its real deactivate), so nothing may run after it.
  const last = 'deactivate.test.js';
  for (const file of [...files.filter((name) => name !== last), ...files.filter((name) => name === last)]) {
    mocha.addFile(join(__dirname, file));
  }
  const failures = await new Promise<number>((resolve) => mocha.run(resolve));
  if (failures > 0) throw new Error(`${failures} extension-host tests failed`);
}
