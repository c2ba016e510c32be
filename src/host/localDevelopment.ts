import * as vscode from 'vscode';
import type { RemoteConnection } from './engine/engineClient';
import type { ConnectionRegistry } from './engine/connectionRegistry';
import { Disposable } from '../shared/dispose';
import { findFreePort, LocalBroker, PortInUseError } from '../devtools/localBroker';
import { DeviceSimulator } from '../devtools/simulator';
import { newProfile } from '../shared/profile';

export const LOCAL_CONNECTION_ID = 'local-broker';

export interface StartBrokerArgs {
  /** Overrides the setting; 0 picks a free port. */
  port?: number;
}

/** The embedded broker and the simulated fleet: a new user sees topics without a broker of their own. */
export class LocalDevelopment extends Disposable {
  readonly broker = new LocalBroker();
  private simulator: DeviceSimulator | undefined;

  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    // Both stop with the extension; dispose cannot wait, deactivate() awaits stop() for a clean close.
    this.register({ dispose: () => void this.stop() });
  }

  get simulatorRunning(): boolean {
    return this.simulator?.running ?? false;
  }

  /**
   * Starts the broker and connects to it. When the port is taken, says so and offers a free one;
   * resolves undefined when the user declines.
   */
  async startBroker(args: StartBrokerArgs = {}): Promise<RemoteConnection | undefined> {
    if (!this.broker.running) {
      const config = vscode.workspace.getConfiguration('mqttExplorer');
      let port = args.port ?? config.get<number>('localBroker.port', 1883);
      try {
        await this.broker.start(port);
      } catch (error) {
        if (!(error instanceof PortInUseError)) throw error;
        const free = await findFreePort();
        this.log.warn(`Local broker: port ${port} is in use; offering ${free}.`);
        const choice = await vscode.window.showWarningMessage(
          `Port ${port} is already in use on 127.0.0.1 (another broker may be running there). Start the local broker on port ${free} instead?`,
          `Use Port ${free}`,
          'Cancel',
        );
        if (choice !== `Use Port ${free}`) return undefined;
        port = free;
        await this.broker.start(port);
      }
      this.log.info(`Local broker listening on ${this.broker.url}`);
      await this.updateContext();
    }
    const connection = this.registry.upsert(
      newProfile(LOCAL_CONNECTION_ID, {
        name: `Local broker (127.0.0.1:${this.broker.port})`,
        host: this.broker.host,
        port: this.broker.port,
        clientId: `vscode-mqtt-local-${process.pid}`,
        // aedes, the embedded broker, speaks MQTT 3.1.1 only.
        mqttVersion: 4,
      }),
    );
    if (connection.state.kind !== 'connected') await connection.connect();
    return connection;
  }

  async startSimulator(): Promise<DeviceSimulator | undefined> {
    if (this.simulator?.running) return this.simulator;
    if (!this.broker.running && !(await this.startBroker())) return undefined;
    const config = vscode.workspace.getConfiguration('mqttExplorer');
    const simulator = new DeviceSimulator({
      brokerUrl: this.broker.url,
      devices: config.get<number>('simulator.devices', 24),
      messagesPerSecond: config.get<number>('simulator.messagesPerSecond', 2),
    });
    await simulator.start();
    this.simulator = simulator;
    this.log.info(`Device simulator: ${simulator.plan.devices.length} devices publishing to ${this.broker.url}`);
    await this.updateContext();
    return simulator;
  }

  async stopSimulator(): Promise<void> {
    const simulator = this.simulator;
    this.simulator = undefined;
    await simulator?.stop();
    await this.updateContext();
  }

  async stopBroker(): Promise<void> {
    await this.stopSimulator();
    await this.registry.get(LOCAL_CONNECTION_ID)?.disconnect();
    this.registry.remove(LOCAL_CONNECTION_ID);
    await this.broker.stop();
    await this.updateContext();
  }

  async stop(): Promise<void> {
    await this.simulator?.stop();
    this.simulator = undefined;
    await this.broker.stop();
  }

  private async updateContext(): Promise<void> {
    await vscode.commands.executeCommand('setContext', 'mqttExplorer.localBrokerRunning', this.broker.running);
    await vscode.commands.executeCommand('setContext', 'mqttExplorer.simulatorRunning', this.simulatorRunning);
  }
}
