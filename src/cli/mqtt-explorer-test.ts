/**
 * The `mqtt-explorer-test` executable (package.json `bin`; built to dist/cli/ by esbuild.mjs).
 * Ctrl+C once ends the run cleanly (subscriptions released, the rest skipped, JUnit written);
 * twice, at once.
 */
import { main } from './main';

declare const MQTT_EXPLORER_TEST_VERSION: string | undefined;

const controller = new AbortController();
let interrupted = false;
process.on('SIGINT', () => {
  if (interrupted) process.exit(130);
  interrupted = true;
  controller.abort();
});

void main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  cwd: process.cwd(),
  env: process.env,
  colour: Boolean(process.stdout.isTTY) && process.env.NO_COLOR === undefined,
  signal: controller.signal,
  version: typeof MQTT_EXPLORER_TEST_VERSION === 'string' ? MQTT_EXPLORER_TEST_VERSION : undefined,
}).then(
  (code) => {
    process.exitCode = interrupted ? 130 : code;
  },
  (error: unknown) => {
    process.stderr.write(`mqtt-explorer-test: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 2;
  },
);
