import * as vscode from 'vscode';
import { BrokerConnection, type ConnectionProfile, type Protocol } from './engine/connection';
import { ConnectionRegistry } from './engine/connectionRegistry';
import { validatePublishTopic } from './engine/topicRules';
import { TopicNode } from './engine/topicTree';
import type { MqttExplorerApi } from './vscode/api';
import { ConnectionsTreeProvider } from './vscode/connectionsView';
import { LocalDevelopment, type StartBrokerArgs } from './vscode/localDevelopment';
import { TopicPanels, type TopicRef } from './vscode/topicPanel';
import { TopicsTreeProvider } from './vscode/topicsView';

let localDevelopment: LocalDevelopment | undefined;

export function activate(context: vscode.ExtensionContext): MqttExplorerApi {
  const log = vscode.window.createOutputChannel('MQTT Explorer', { log: true });
  const registry = new ConnectionRegistry();
  const topicsProvider = new TopicsTreeProvider(registry);
  const connectionsProvider = new ConnectionsTreeProvider(registry);
  const local = new LocalDevelopment(registry, log);
  const panels = new TopicPanels(registry, context.extensionUri);
  localDevelopment = local;
  context.subscriptions.push(log, registry, topicsProvider, connectionsProvider, local, panels);

  const topicsView = vscode.window.createTreeView('mqttExplorer.topics', { treeDataProvider: topicsProvider, showCollapseAll: true });
  const connectionsView = vscode.window.createTreeView('mqttExplorer.connections', { treeDataProvider: connectionsProvider });
  context.subscriptions.push(topicsView, connectionsView);

  registry.onDidChange((connection) => {
    if (connection) log.info(`${connection.profile.name}: ${connection.state.kind}${connection.state.kind === 'failed' ? ` (${connection.state.reason})` : ''}`);
  });

  loadProfiles(registry);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('mqttExplorer.connections')) loadProfiles(registry);
    }),
  );

  const report = (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    log.error(message);
    void vscode.window.showErrorMessage(`MQTT: ${message}`);
  };

  context.subscriptions.push(
    vscode.commands.registerCommand('mqttExplorer.startLocalBroker', async (args?: StartBrokerArgs) => {
      try {
        const connection = await local.startBroker(args);
        return connection ? { connectionId: connection.profile.id, port: local.broker.port } : undefined;
      } catch (error) {
        report(error);
        return undefined;
      }
    }),
    vscode.commands.registerCommand('mqttExplorer.stopLocalBroker', () => local.stopBroker().catch(report)),
    vscode.commands.registerCommand('mqttExplorer.startSimulator', async () => {
      try {
        const simulator = await local.startSimulator();
        return simulator ? { devices: simulator.plan.devices.length } : undefined;
      } catch (error) {
        report(error);
        return undefined;
      }
    }),
    vscode.commands.registerCommand('mqttExplorer.stopSimulator', () => local.stopSimulator().catch(report)),
    vscode.commands.registerCommand('mqttExplorer.connect', async (target?: BrokerConnection | { connectionId: string }) => {
      const connection = resolveConnection(registry, target);
      if (connection) await connection.connect().catch(report);
    }),
    vscode.commands.registerCommand('mqttExplorer.disconnect', async (target?: BrokerConnection | { connectionId: string }) => {
      const connection = resolveConnection(registry, target);
      if (connection) await connection.disconnect().catch(report);
    }),
    vscode.commands.registerCommand('mqttExplorer.publish', (args?: PublishArgs) => publish(registry, args).catch(report)),
    vscode.commands.registerCommand('mqttExplorer.showTopic', (target?: TopicRef | TopicNode) => {
      const ref = target instanceof TopicNode ? refOf(registry, target) : target;
      if (ref) panels.show(ref);
    }),
  );

  void autoStart(local, report);
  return { registry, topicsProvider, localDevelopment: local, panels };
}

export async function deactivate(): Promise<void> {
  // Close the broker's sockets and the simulator's client before the host goes away.
  await localDevelopment?.stop();
  localDevelopment = undefined;
}

async function autoStart(local: LocalDevelopment, report: (error: unknown) => void): Promise<void> {
  const config = vscode.workspace.getConfiguration('mqttExplorer');
  try {
    if (config.get<boolean>('localBroker.autoStart')) await local.startBroker();
    if (config.get<boolean>('simulator.autoStart') && local.broker.running) await local.startSimulator();
  } catch (error) {
    report(error);
  }
}

interface ProfileSetting {
  id?: string;
  name?: string;
  host?: string;
  port?: number;
  protocol?: Protocol;
}

const DEFAULT_PORTS: Record<Protocol, number> = { mqtt: 1883, mqtts: 8883, ws: 80, wss: 443 };

function loadProfiles(registry: ConnectionRegistry): void {
  const settings = vscode.workspace.getConfiguration('mqttExplorer').get<ProfileSetting[]>('connections', []);
  for (const setting of settings) {
    if (!setting.host || !setting.name) continue;
    const protocol = setting.protocol ?? 'mqtt';
    const profile: ConnectionProfile = {
      id: setting.id ?? setting.name,
      name: setting.name,
      host: setting.host,
      protocol,
      port: setting.port ?? DEFAULT_PORTS[protocol],
    };
    registry.upsert(profile);
  }
}

function resolveConnection(registry: ConnectionRegistry, target?: BrokerConnection | { connectionId: string }): BrokerConnection | undefined {
  if (target instanceof BrokerConnection) return target;
  if (target) return registry.get(target.connectionId);
  return registry.list()[0];
}

function refOf(registry: ConnectionRegistry, node: TopicNode): TopicRef | undefined {
  const connection = registry.list().find((candidate) => candidate.topics.find(node.topic) === node);
  return connection ? { connectionId: connection.profile.id, topic: node.topic } : undefined;
}

export interface PublishArgs {
  connectionId?: string;
  topic: string;
  payload: string;
  qos?: 0 | 1 | 2;
  retain?: boolean;
}

/** The short form of publishing; the full sequence of prompts belongs to the publishing issue. */
async function publish(registry: ConnectionRegistry, args?: PublishArgs): Promise<void> {
  const connected = registry.list().filter((connection) => connection.state.kind === 'connected');
  let connection = args?.connectionId ? registry.get(args.connectionId) : connected[0];
  if (!args && connected.length > 1) {
    const picked = await vscode.window.showQuickPick(
      connected.map((candidate) => ({ label: candidate.profile.name, connection: candidate })),
      { title: 'Publish: connection' },
    );
    connection = picked?.connection;
    if (!connection) return;
  }
  if (!connection) throw new Error('No connected broker to publish to. Start the local broker or connect first.');
  const topic = args?.topic ?? (await vscode.window.showInputBox({ title: 'Publish: topic', validateInput: validatePublishTopic, ignoreFocusOut: true }));
  if (topic === undefined) return;
  const invalid = validatePublishTopic(topic);
  if (invalid) throw new Error(invalid);
  const payload = args?.payload ?? (await vscode.window.showInputBox({ title: `Publish to ${topic}: payload`, ignoreFocusOut: true }));
  if (payload === undefined) return;
  await connection.publish(topic, payload, { qos: args?.qos ?? 0, retain: args?.retain ?? false });
}
