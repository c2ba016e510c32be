import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { findFreePort } from '../../src/devtools/localBroker';
import { writePlayground } from './playground';
import { REPO_ROOT, testHost, VSIX_PATH } from './testHost';
import { createProfile, installVsix, QUIET_SETTINGS, removeProfile, VsCodeServer } from './vscodeServer';

/**
 * The main job (`npm start`): a playground folder whose settings start the local broker and the
 * simulator, opened in the desktop VS Code when `code` is on PATH, otherwise in the VS Code server,
 * which keeps running until Ctrl+C.
 */

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

async function preferredPort(port: number): Promise<number> {
  return (await portIsFree(port)) ? port : findFreePort();
}

async function main(): Promise<void> {
  const brokerPort = await preferredPort(1883);
  const folder = join(REPO_ROOT, '.playground');
  writePlayground(folder, brokerPort);
  const hasCode = !process.env.MQTT_EXPLORER_USE_SERVER && spawnSync('code', ['--version'], { stdio: 'ignore' }).status === 0;
  if (hasCode) {
    console.log(`Opening VS Code with the extension from ${REPO_ROOT} on ${folder}`);
    spawn('code', ['--extensionDevelopmentPath', REPO_ROOT, folder], { stdio: 'inherit', detached: true }).unref();
    return;
  }
  const host = testHost();
  const profile = createProfile({ ...QUIET_SETTINGS, 'workbench.colorTheme': 'Default Dark Modern' });
  await installVsix(host, profile, VSIX_PATH);
  const server = await VsCodeServer.start(host, profile, {}, 60_000, await preferredPort(Number(process.env.PORT ?? 8765)));
  const stop = async () => {
    await server.stop();
    removeProfile(profile);
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  console.log('\nVS Code (server build) is running with MQTT Explorer installed, the local broker');
  console.log(`on 127.0.0.1:${brokerPort} and the device simulator publishing to it. Open:\n`);
  console.log(`  ${server.url(folder)}\n`);
  console.log('then the MQTT icon in the activity bar. Press Ctrl+C to stop.');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
