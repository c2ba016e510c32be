import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { RemoteConnection } from './engine/engineClient';
import type { ConnectionRegistry } from './engine/connectionRegistry';
import { Disposable } from '../shared/dispose';
import { DevtoolsClient } from '../devtools/devtoolsClient';
import { LOCAL_BROKER_USERNAME, type BrokerCredentials, type SimulatorSummary } from '../devtools/devtoolsProtocol';
import { findFreePort, PortInUseError } from '../devtools/ports';
import { newProfile, type ConnectionProfile } from '../shared/profile';
import type { ConnectionSecrets } from '../worker/connection';
import type { Settings } from './settings';

export const LOCAL_CONNECTION_ID = 'local-broker';
/** The SecretStorage key of the local broker's generated password. */
export const LOCAL_BROKER_PASSWORD_KEY = 'mqttExplorer.localBroker.password';
/** How long stopping may take before the worker thread is ended anyway (deactivate has 5 s in all). */
export const DEVTOOLS_STOP_TIMEOUT_MS = 1000;

export interface StartBrokerArgs {
  /** Overrides the setting; 0 picks a free port. */
  port?: number;
}

/** What the extension host knows of the local broker, which runs in the devtools worker thread. */
export class LocalBrokerState {
  readonly host = '127.0.0.1';
  private boundPort: number | undefined;

  get running(): boolean {
    return this.boundPort !== undefined;
  }

  /** 0 while stopped. */
  get port(): number {
    return this.boundPort ?? 0;
  }

  get url(): string {
    return `mqtt://${this.host}:${this.port}`;
  }

  set(port: number | undefined): void {
    this.boundPort = port;
  }
}

/**
 * The embedded broker and the simulated fleet: a new user sees topics without a broker of their own.
 * Both run in one worker thread (devtools/devtoolsWorker.ts), started with the broker and ended with
 * it, so a busy simulator never delays the extension host's thread.
 */
export class LocalDevelopment extends Disposable {
  readonly broker = new LocalBrokerState();
  private devtools: DevtoolsClient | undefined;
  private simulator: SimulatorSummary | undefined;
  /** What the running broker requires of clients; undefined: it accepts anyone on this machine. */
  private credentials: BrokerCredentials | undefined;
  private readonly changed = this.register(new vscode.EventEmitter<void>());
  /** The broker or the simulator started or stopped (the walkthrough waits for both running). */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly log: vscode.LogOutputChannel,
    /** dist/workers.js (the devtools role) */
    private readonly workerScript: string,
    /** Port, devices and rate, within the schema's bounds. */
    private readonly settings: Settings,
    /** Where the local broker's generated password is kept. */
    private readonly secrets: vscode.SecretStorage,
  ) {
    super();
    // dispose cannot wait: deactivate() awaits stop() for a clean close; this ends what is left.
    this.register({ dispose: () => void this.stop() });
  }

  get simulatorRunning(): boolean {
    return this.simulator !== undefined;
  }

  /**
   * Starts the broker and connects to it. When the port is taken, says so and offers a free one;
   * resolves undefined when the user declines.
   */
  async startBroker(args: StartBrokerArgs = {}): Promise<RemoteConnection | undefined> {
    if (!this.broker.running) {
      const port = args.port ?? this.settings.get('localBroker.port');
      const credentials = this.settings.get('localBroker.requireAuthentication') ? await this.storedCredentials() : undefined;
      try {
        await this.bind(port, credentials);
      } catch (error) {
        if (!(error instanceof PortInUseError)) {
          await this.closeIfIdle();
          throw error;
        }
        const free = await findFreePort();
        this.log.warn(`Local broker: port ${error.port} is in use; offering ${free}.`);
        const usePort = vscode.l10n.t('Use Port {0}', free);
        const choice = await vscode.window.showWarningMessage(
          vscode.l10n.t('Port {0} is already in use on 127.0.0.1 (another broker may be running there). Start the local broker on port {1} instead?', error.port, free),
          usePort,
          vscode.l10n.t('Cancel'),
        );
        if (choice !== usePort) {
          await this.closeIfIdle();
          return undefined;
        }
        await this.bind(free, credentials);
      }
      this.log.info(`Local broker listening on ${this.broker.url} (in a worker thread)${credentials ? `; it accepts only the user ${credentials.username} with the stored password` : ''}`);
      await this.updateContext();
    }
    const connection = this.registry.upsert(
      newProfile(LOCAL_CONNECTION_ID, {
        // Not translated: .mqtt files name their connection (`# @connection Local broker (127.0.0.1:1884)`), in any language.
        name: `Local broker (127.0.0.1:${this.broker.port})`,
        host: this.broker.host,
        port: this.broker.port,
        clientId: `vscode-mqtt-local-${process.pid}`,
        // aedes, the embedded broker, speaks MQTT 3.1.1 only.
        mqttVersion: 4,
        ...(this.credentials ? { username: this.credentials.username } : {}),
      }),
    );
    if (connection.state.kind !== 'connected') await connection.connect();
    return connection;
  }

  /** Whether a profile is the one this broker's connection is made of: plain MQTT to its own address and port, while it runs. */
  isLocalBroker(profile: ConnectionProfile): boolean {
    return this.broker.running && profile.id === LOCAL_CONNECTION_ID && profile.protocol === 'mqtt' && profile.host === this.broker.host && profile.port === this.broker.port;
  }

  /** The local connection's secrets: the running broker's password when it requires one. */
  connectionSecrets(): ConnectionSecrets {
    return this.credentials ? { password: this.credentials.password } : {};
  }

  /** The user name and password the running broker requires (undefined: none, or not running). */
  get requiredCredentials(): BrokerCredentials | undefined {
    return this.credentials;
  }

  /**
   * The local broker's user name and its password from SecretStorage. The first time, the password
   * is generated (18 random bytes, 24 characters of base64url), stored, and shown once.
   */
  private async storedCredentials(): Promise<BrokerCredentials> {
    // One reading at a time: two starts at once (autoStart and a command) must not generate two passwords.
    this.reading ??= (async () => {
      let password = await this.secrets.get(LOCAL_BROKER_PASSWORD_KEY);
      if (!password) {
        password = randomBytes(18).toString('base64url');
        await this.secrets.store(LOCAL_BROKER_PASSWORD_KEY, password);
        this.log.info(`Local broker: generated a password for the user ${LOCAL_BROKER_USERNAME}, kept in VS Code's SecretStorage.`);
        void this.showCredentials({ username: LOCAL_BROKER_USERNAME, password }, vscode.l10n.t("The local broker now requires a user name and password (generated, kept in VS Code's SecretStorage)."));
      }
      return { username: LOCAL_BROKER_USERNAME, password };
    })().finally(() => (this.reading = undefined));
    return this.reading;
  }

  private reading: Promise<BrokerCredentials> | undefined;

  /** "MQTT: Show Local Broker Credentials": the user name and password, with a button to copy the password. */
  async showStoredCredentials(): Promise<void> {
    if (!this.settings.get('localBroker.requireAuthentication')) {
      void vscode.window.showInformationMessage(vscode.l10n.t('The local broker accepts any client on this machine, without a user name or password. Turn on mqttExplorer.localBroker.requireAuthentication to require them.'));
      return;
    }
    const stored = await this.secrets.get(LOCAL_BROKER_PASSWORD_KEY);
    if (!stored) {
      // Generated and shown by storedCredentials.
      await this.storedCredentials();
      return;
    }
    await this.showCredentials({ username: LOCAL_BROKER_USERNAME, password: stored }, vscode.l10n.t('Local broker credentials.'));
  }

  private async showCredentials(credentials: BrokerCredentials, lead: string): Promise<void> {
    const copyPassword = vscode.l10n.t('Copy Password');
    const choice = await vscode.window.showInformationMessage(vscode.l10n.t('{0} User name: {1}. Password: {2}', lead, credentials.username, credentials.password), copyPassword);
    if (choice === copyPassword) await vscode.env.clipboard.writeText(credentials.password);
  }

  async startSimulator(): Promise<SimulatorSummary | undefined> {
    if (this.simulator) return this.simulator;
    if (!this.broker.running && !(await this.startBroker())) return undefined;
    const summary = await this.worker().request('startSimulator', {
      brokerUrl: this.broker.url,
      devices: this.settings.get('simulator.devices'),
      messagesPerSecond: this.settings.get('simulator.messagesPerSecond'),
    });
    this.simulator = summary;
    this.log.info(`Device simulator: ${summary.plan.devices.length} devices, ${summary.messagesPerSecond} messages/s to ${this.broker.url} (in a worker thread)`);
    await this.updateContext();
    return summary;
  }

  async stopSimulator(): Promise<void> {
    const running = this.simulator;
    this.simulator = undefined;
    if (running && this.devtools) await this.devtools.request('stopSimulator', {});
    await this.updateContext();
  }

  async stopBroker(): Promise<void> {
    await this.stopSimulator();
    await this.removeConnection();
    await this.stop();
    await this.updateContext();
  }

  /** Stops the simulator and the broker and ends their thread, within DEVTOOLS_STOP_TIMEOUT_MS or so. */
  async stop(): Promise<void> {
    const devtools = this.devtools;
    this.forgetThread();
    await devtools?.close(DEVTOOLS_STOP_TIMEOUT_MS);
  }

  /** The thread is gone or going: no broker, no simulator, no credentials held. */
  private forgetThread(): void {
    this.devtools = undefined;
    this.simulator = undefined;
    this.broker.set(undefined);
    this.credentials = undefined;
  }

  /** The local connection goes with its broker (nothing may reconnect to its port with its password). */
  private async removeConnection(): Promise<void> {
    await this.registry.get(LOCAL_CONNECTION_ID)?.disconnect();
    this.registry.remove(LOCAL_CONNECTION_ID);
  }

  /** The worker thread, started on first use. */
  private worker(): DevtoolsClient {
    if (this.devtools) return this.devtools;
    const devtools = new DevtoolsClient(this.workerScript);
    devtools.onDidExit((error) => {
      if (this.devtools !== devtools) return;
      this.forgetThread();
      // Else the engine would keep reconnecting to the freed port with the broker's password: a
      // program that took the port would receive it.
      void this.removeConnection();
      this.log.error(`Local broker and simulator stopped: ${error.message}`);
      void this.updateContext();
    });
    this.devtools = devtools;
    return devtools;
  }

  private async bind(port: number, credentials: BrokerCredentials | undefined): Promise<void> {
    const bound = await this.worker().request('startBroker', credentials ? { port, credentials } : { port });
    this.broker.set(bound.port);
    this.credentials = credentials;
  }

  /** A thread with neither broker nor simulator has no reason to live (a refused start). */
  private async closeIfIdle(): Promise<void> {
    if (!this.broker.running && !this.simulator) await this.stop();
  }

  private async updateContext(): Promise<void> {
    await vscode.commands.executeCommand('setContext', 'mqttExplorer.localBrokerRunning', this.broker.running);
    await vscode.commands.executeCommand('setContext', 'mqttExplorer.simulatorRunning', this.simulatorRunning);
    this.changed.fire();
  }
}
