import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findFreePort } from '../../src/devtools/localBroker';
import type { TestHost } from './testHost';

const execFileAsync = promisify(execFile);

export interface ServerProfile {
  root: string;
  extensionsDir: string;
  userDataDir: string;
  serverDataDir: string;
}

/** A fresh, throw-away profile: its own extensions, user data and settings. */
export function createProfile(userSettings: Record<string, unknown>): ServerProfile {
  const root = mkdtempSync(join(tmpdir(), 'mqtt-explorer-vscode-'));
  const profile = {
    root,
    extensionsDir: join(root, 'extensions'),
    userDataDir: join(root, 'user-data'),
    serverDataDir: join(root, 'server-data'),
  };
  for (const dir of [profile.extensionsDir, profile.serverDataDir, join(profile.userDataDir, 'User')]) mkdirSync(dir, { recursive: true });
  const settings = JSON.stringify(userSettings, null, 2);
  writeFileSync(join(profile.userDataDir, 'User', 'settings.json'), settings);
  // The server reads machine settings from here, the browser workbench user settings from the first.
  mkdirSync(join(profile.serverDataDir, 'data', 'Machine'), { recursive: true });
  writeFileSync(join(profile.serverDataDir, 'data', 'Machine', 'settings.json'), settings);
  return profile;
}

/**
 * Sets the profile's display language to `locale`, as "Configure Display Language" with a language
 * pack installed would. This server build takes the locale from argv.json only (without one it
 * serves English, whatever the browser's cookies or Accept-Language say), and honours it only when
 * languagepacks.json names a pack for it. The pack written here has no translations: VS Code's own
 * texts stay English, while extensions run in `locale` (vscode.env.language) and VS Code reads
 * their package.nls.<locale>.json and l10n bundle for it.
 */
export function setDisplayLanguage(profile: ServerProfile, locale: string): void {
  const pack = join(profile.root, `language-pack-${locale}`);
  mkdirSync(pack, { recursive: true });
  const translations = join(pack, 'main.i18n.json');
  writeFileSync(translations, JSON.stringify({ version: '1.0.0', contents: {} }));
  const languagePacks = {
    [locale]: {
      hash: `test-${locale}`,
      extensions: [{ extensionIdentifier: { id: `test.language-pack-${locale}` }, version: '1.0.0' }],
      translations: { vscode: translations },
      label: locale,
    },
  };
  writeFileSync(join(profile.userDataDir, 'languagepacks.json'), JSON.stringify(languagePacks));
  writeFileSync(join(profile.userDataDir, 'User', 'argv.json'), JSON.stringify({ locale }));
}

/** The settings every test profile shares: no trust prompt, no welcome page, no network look-ups. */
export const QUIET_SETTINGS: Record<string, unknown> = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'update.mode': 'none',
  'chat.disableAIFeatures': true,
  'workbench.enableExperiments': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

/** Installs the packaged .vsix into the profile; returns the installed extension's folder. */
export async function installVsix(host: TestHost, profile: ServerProfile, vsix: string): Promise<string> {
  await execFileAsync(host.node, [
    host.serverMain,
    '--install-extension', vsix,
    '--force',
    '--extensions-dir', profile.extensionsDir,
    '--user-data-dir', profile.userDataDir,
    '--server-data-dir', profile.serverDataDir,
    '--accept-server-license-terms',
  ]);
  const folder = readdirSync(profile.extensionsDir).find((name) => name.startsWith('mqtt-explorer-dev.mqtt-explorer-'));
  if (!folder) throw new Error(`Installing ${vsix} left no extension folder in ${profile.extensionsDir}`);
  return join(profile.extensionsDir, folder);
}

/** The VS Code server (the build inside the npm package code-server), serving the web workbench. */
export class VsCodeServer {
  private constructor(
    private readonly process: ChildProcess,
    readonly port: number,
    readonly log: string[],
  ) {}

  static async start(host: TestHost, profile: ServerProfile, env: Record<string, string> = {}, timeoutMs = 60_000, port?: number): Promise<VsCodeServer> {
    port ??= await findFreePort();
    const child = spawn(
      host.node,
      [
        host.serverMain,
        '--host', '127.0.0.1',
        '--port', String(port),
        '--without-connection-token',
        '--accept-server-license-terms',
        '--enable-smoke-test-driver',
        '--disable-telemetry',
        '--user-data-dir', profile.userDataDir,
        '--server-data-dir', profile.serverDataDir,
        '--extensions-dir', profile.extensionsDir,
      ],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const log: string[] = [];
    const server = new VsCodeServer(child, port, log);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`VS Code server did not start within ${timeoutMs} ms:\n${log.join('')}`)), timeoutMs);
      const onData = (chunk: Buffer) => {
        log.push(chunk.toString());
        if (log.join('').includes(`listening on ${port}`)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (chunk: Buffer) => log.push(chunk.toString()));
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`VS Code server exited with ${code}:\n${log.join('')}`));
      });
    });
    return server;
  }

  /** The workbench address for a folder, with development options (extension tests) when given. */
  url(folder: string, options: { extensionDevelopmentPath?: string; extensionTestsPath?: string } = {}): string {
    const remote = (path: string) => `vscode-remote://127.0.0.1:${this.port}${path}`;
    const payload: [string, string][] = [];
    if (options.extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', remote(options.extensionDevelopmentPath)]);
    if (options.extensionTestsPath) payload.push(['extensionTestsPath', remote(options.extensionTestsPath)]);
    const query = `folder=${encodeURIComponent(folder)}${payload.length ? `&payload=${encodeURIComponent(JSON.stringify(payload))}` : ''}`;
    return `http://127.0.0.1:${this.port}/?${query}`;
  }

  async stop(): Promise<void> {
    if (this.process.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

export function removeProfile(profile: ServerProfile): void {
  rmSync(profile.root, { recursive: true, force: true });
}
